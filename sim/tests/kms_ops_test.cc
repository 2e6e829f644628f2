#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using nlohmann::json;

json Body(const SimResponse& r) { return json::parse(r.body); }

TEST(KmsOpsTest, CreateKeyAliasDescribe) {
  auto sim = ExampleWorld();
  auto r = Kms(*sim, kProd, kWest, "CreateKey",
               {{"Description", "dr key"},
                {"Policy", json{{"Version", "2012-10-17"},
                                {"Statement",
                                 {{{"Effect", "Allow"},
                                   {"Principal", {{"AWS", "arn:aws:iam::222222222222:root"}}},
                                   {"Action", "kms:*"},
                                   {"Resource", "*"}}}}}
                               .dump()}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
  json meta = Body(r)["KeyMetadata"];
  std::string id = meta["KeyId"], arn = meta["Arn"];
  EXPECT_EQ(arn, "arn:aws:kms:us-west-2:111111111111:key/" + id);
  EXPECT_EQ(meta["AWSAccountId"], kProd);
  EXPECT_EQ(meta["KeyManager"], "CUSTOMER");
  EXPECT_EQ(meta["KeyState"], "Enabled");
  EXPECT_TRUE(meta["CreationDate"].is_number());

  r = Kms(*sim, kProd, kWest, "CreateAlias", {{"AliasName", "alias/dr"}, {"TargetKeyId", id}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Kms(*sim, kProd, kWest, "CreateAlias", {{"AliasName", "alias/dr"}, {"TargetKeyId", id}});
  EXPECT_EQ(ErrorCode(r), "AlreadyExistsException");
  r = Kms(*sim, kProd, kWest, "CreateAlias", {{"AliasName", "alias/aws/x"}, {"TargetKeyId", id}});
  EXPECT_EQ(ErrorCode(r), "NotAuthorizedException");

  for (const std::string& ref : {id, arn, std::string("alias/dr"),
                                 std::string("arn:aws:kms:us-west-2:111111111111:alias/dr")}) {
    r = Kms(*sim, kProd, kWest, "DescribeKey", {{"KeyId", ref}});
    ASSERT_EQ(r.status, 200) << ref << r.body;
    EXPECT_EQ(Body(r)["KeyMetadata"]["KeyId"], id);
  }
  // The vault may describe it by ARN (the policy allows it), not by alias.
  r = Kms(*sim, kVault, kWest, "DescribeKey", {{"KeyId", arn}});
  EXPECT_EQ(r.status, 200) << r.body;
  r = Kms(*sim, kVault, kWest, "DescribeKey", {{"KeyId", "alias/dr"}});
  EXPECT_EQ(ErrorCode(r), "NotFoundException");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["message"], "Alias arn:aws:kms:us-west-2:222222222222:alias/dr is not found.");
  r = Kms(*sim, kProd, kWest, "DescribeKey", {{"KeyId", "00000000-0000-0000-0000-000000000000"}});
  EXPECT_EQ(ErrorCode(r), "NotFoundException");

  // A snapshot copy may now use it in us-west-2.
  r = Rds(*sim, kProd, kEast, "CreateDBSnapshot",
          {{"DBSnapshotIdentifier", "s1"}, {"DBInstanceIdentifier", "plain"}});
  sim->Advance(std::chrono::hours(1));
  r = Rds(*sim, kProd, kWest, "CopyDBSnapshot",
          {{"SourceDBSnapshotIdentifier", ProdSnapshotArn("s1")},
           {"TargetDBSnapshotIdentifier", "s1"},
           {"KmsKeyId", "alias/dr"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//DBSnapshot/KmsKeyId"), arn);
  EXPECT_EQ(XText(r, "//DBSnapshot/Encrypted"), "true");
}

TEST(KmsOpsTest, DefaultRdsKeyAndListAliases) {
  auto sim = ExampleWorld();
  auto r = Kms(*sim, kVault, kWest, "DescribeKey", {{"KeyId", "alias/aws/rds"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["KeyMetadata"]["KeyManager"], "AWS");
  for (int i = 0; i < 5; ++i) {
    auto k = Kms(*sim, kVault, kWest, "CreateKey", json::object());
    std::string id = Body(k)["KeyMetadata"]["KeyId"];
    ASSERT_EQ(Kms(*sim, kVault, kWest, "CreateAlias",
                  {{"AliasName", "alias/k" + std::to_string(i)}, {"TargetKeyId", id}})
                  .status,
              200);
  }
  std::vector<std::string> names;
  std::string marker;
  int pages = 0;
  do {
    json req = {{"Limit", 3}};
    if (!marker.empty()) req["Marker"] = marker;
    auto l = Kms(*sim, kVault, kWest, "ListAliases", req);
    ASSERT_EQ(l.status, 200) << l.body;
    json b = Body(l);
    for (const auto& a : b["Aliases"]) names.push_back(a["AliasName"]);
    marker = b["Truncated"].get<bool>() ? b["NextMarker"].get<std::string>() : "";
    ++pages;
  } while (!marker.empty() && pages < 10);
  // alias/vault (from the world), alias/aws/rds, k0..k4.
  EXPECT_EQ(names, (std::vector<std::string>{"alias/aws/rds", "alias/k0", "alias/k1", "alias/k2",
                                             "alias/k3", "alias/k4", "alias/vault"}));
  EXPECT_EQ(pages, 3);
  auto bad = Kms(*sim, kVault, kWest, "ListAliases", {{"Limit", 0}});
  EXPECT_EQ(ErrorCode(bad), "ValidationException");
}

TEST(KmsOpsTest, CreateListRevokeGrant) {
  auto sim = ExampleWorld();
  auto key = Body(Kms(*sim, kProd, kEast, "DescribeKey", {{"KeyId", "alias/prod-private"}}));
  std::string arn = key["KeyMetadata"]["Arn"], id = key["KeyMetadata"]["KeyId"];
  // KeyId: "Specify the key ID or key ARN of the KMS key" (no aliases).
  auto r = Kms(*sim, kProd, kEast, "CreateGrant",
               {{"KeyId", "alias/prod-private"},
                {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
                {"Operations", {"Decrypt"}}});
  EXPECT_EQ(ErrorCode(r), "NotFoundException");
  // Another account cannot grant on a key its policy does not open to it.
  EXPECT_EQ(ErrorCode(Kms(*sim, kVault, kEast, "CreateGrant",
                          {{"KeyId", arn},
                           {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
                           {"Operations", {"Decrypt"}}})),
            "AccessDeniedException");
  r = Kms(*sim, kProd, kEast, "CreateGrant",
          {{"KeyId", id},
           {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
           {"Operations", {"Decrypt", "DescribeKey", "CreateGrant"}},
           {"Name", "dr-copy"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string grant_id = Body(r)["GrantId"];
  EXPECT_EQ(grant_id.size(), 64u);
  EXPECT_FALSE(Body(r)["GrantToken"].get<std::string>().empty());
  r = Kms(*sim, kProd, kEast, "ListGrants", {{"KeyId", arn}});
  ASSERT_EQ(r.status, 200) << r.body;
  json grants = Body(r)["Grants"];
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0]["GrantId"], grant_id);
  EXPECT_EQ(grants[0]["KeyId"], arn);
  EXPECT_EQ(grants[0]["Name"], "dr-copy");
  EXPECT_EQ(grants[0]["GranteePrincipal"], "arn:aws:iam::222222222222:root");
  EXPECT_EQ(grants[0]["IssuingAccount"], "arn:aws:iam::111111111111:root");
  EXPECT_EQ(grants[0]["Operations"], json({"Decrypt", "DescribeKey", "CreateGrant"}));
  EXPECT_EQ(Body(r)["Truncated"], false);
  // Validation: unknown operation, unknown key, missing grantee.
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kEast, "CreateGrant",
                          {{"KeyId", arn},
                           {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
                           {"Operations", {"Fly"}}})),
            "ValidationException");
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kEast, "CreateGrant",
                          {{"KeyId", "alias/nope"},
                           {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
                           {"Operations", {"Decrypt"}}})),
            "NotFoundException");
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kEast, "CreateGrant",
                          {{"KeyId", arn}, {"Operations", {"Decrypt"}}})),
            "ValidationException");
  // RevokeGrant removes it.
  r = Kms(*sim, kProd, kEast, "RevokeGrant", {{"KeyId", arn}, {"GrantId", grant_id}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Body(Kms(*sim, kProd, kEast, "ListGrants", {{"KeyId", arn}}))["Grants"].empty());
  EXPECT_EQ(
      ErrorCode(Kms(*sim, kProd, kEast, "RevokeGrant", {{"KeyId", arn}, {"GrantId", grant_id}})),
      "NotFoundException");
}

TEST(KmsOpsTest, GrantSurvivesStateDump) {
  auto sim = ExampleWorld();
  auto key = Body(Kms(*sim, kProd, kEast, "DescribeKey", {{"KeyId", "alias/prod-private"}}));
  std::string arn = key["KeyMetadata"]["Arn"];
  auto r = Kms(*sim, kProd, kEast, "CreateGrant",
               {{"KeyId", arn},
                {"GranteePrincipal", "arn:aws:iam::222222222222:root"},
                {"Operations", {"Decrypt"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto other = Simulator::Empty();
  ASSERT_TRUE(other->LoadStateJson(sim->DumpStateJson()).has_value());
  EXPECT_EQ(Body(Kms(*other, kProd, kEast, "ListGrants", {{"KeyId", arn}}))["Grants"].size(), 1u);
}

TEST(KmsOpsTest, DeleteAliasAndScheduleKeyDeletion) {
  auto sim = ExampleWorld();
  std::string id =
      Body(Kms(*sim, kProd, kWest, "CreateKey", {{"Description", "temp"}}))["KeyMetadata"]["KeyId"];
  ASSERT_EQ(
      Kms(*sim, kProd, kWest, "CreateAlias", {{"AliasName", "alias/temp"}, {"TargetKeyId", id}})
          .status,
      200);
  auto r = Kms(*sim, kProd, kWest, "DeleteAlias", {{"AliasName", "alias/temp"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "DescribeKey", {{"KeyId", "alias/temp"}})),
            "NotFoundException");
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "DeleteAlias", {{"AliasName", "alias/temp"}})),
            "NotFoundException");
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "DeleteAlias", {{"AliasName", "alias/aws/rds"}})),
            "NotAuthorizedException");
  // PendingWindowInDays: 7..30 (default 30).
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "ScheduleKeyDeletion",
                          {{"KeyId", id}, {"PendingWindowInDays", 6}})),
            "ValidationException");
  r = Kms(*sim, kProd, kWest, "ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 7}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["KeyId"],
            Body(Kms(*sim, kProd, kWest, "DescribeKey", {{"KeyId", id}}))["KeyMetadata"]["Arn"]);
  EXPECT_EQ(Body(r)["KeyState"], "PendingDeletion");
  EXPECT_EQ(Body(r)["PendingWindowInDays"], 7);
  EXPECT_TRUE(Body(r)["DeletionDate"].is_number());
  json meta = Body(Kms(*sim, kProd, kWest, "DescribeKey", {{"KeyId", id}}))["KeyMetadata"];
  EXPECT_EQ(meta["KeyState"], "PendingDeletion");
  EXPECT_EQ(meta["Enabled"], false);
  // A key pending deletion cannot be used (e.g. for a copy), nor scheduled again.
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "ScheduleKeyDeletion", {{"KeyId", id}})),
            "KMSInvalidStateException");
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "ScheduleKeyDeletion", {{"KeyId", "alias/aws/rds"}})),
            "NotFoundException");
  auto other = Simulator::Empty();
  ASSERT_TRUE(other->LoadStateJson(sim->DumpStateJson()).has_value());
  EXPECT_EQ(
      Body(Kms(*other, kProd, kWest, "DescribeKey", {{"KeyId", id}}))["KeyMetadata"]["KeyState"],
      "PendingDeletion");
}

TEST(KmsOpsTest, KeyTags) {
  auto sim = ExampleWorld();
  auto r = Kms(
      *sim, kProd, kWest, "CreateKey",
      {{"Tags", {{{"TagKey", "team"}, {"TagValue", "dr"}}, {{"TagKey", "x"}, {"TagValue", ""}}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = Body(r)["KeyMetadata"]["KeyId"];
  r = Kms(*sim, kProd, kWest, "ListResourceTags", {{"KeyId", id}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["Tags"],
            json::parse(R"([{"TagKey":"team","TagValue":"dr"},{"TagKey":"x","TagValue":""}])"));
  EXPECT_EQ(Body(r)["Truncated"], false);
  EXPECT_EQ(ErrorCode(Kms(*sim, kProd, kWest, "ListResourceTags", {{"KeyId", "nope"}})),
            "NotFoundException");
  auto other = Simulator::Empty();
  ASSERT_TRUE(other->LoadStateJson(sim->DumpStateJson()).has_value());
  EXPECT_EQ(Body(Kms(*other, kProd, kWest, "ListResourceTags", {{"KeyId", id}}))["Tags"].size(),
            2u);
}

}  // namespace
}  // namespace drsnap::sim
