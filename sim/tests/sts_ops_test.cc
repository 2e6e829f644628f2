#include <gtest/gtest.h>

#include "sim/tests/sim_world_util.h"
#include "core/time_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

TEST(StsOpsTest, GetCallerIdentity) {
  auto sim = ExampleWorld();
  auto r = Sts(*sim, kProd, "GetCallerIdentity");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 0), 0u);
  const std::string p = "/GetCallerIdentityResponse/GetCallerIdentityResult/";
  EXPECT_EQ(XText(r, p + "Account"), kProd);
  EXPECT_EQ(XText(r, p + "Arn"), "arn:aws:iam::111111111111:user/drsnap");
  EXPECT_EQ(XText(r, p + "UserId").rfind("AIDA", 0), 0u);
  EXPECT_EQ(XText(r, "/GetCallerIdentityResponse/ResponseMetadata/RequestId"), r.request_id);
}

TEST(StsOpsTest, AssumeRoleIssuesWorkingSessionCredentials) {
  auto sim = ExampleWorld();
  const std::string role = "arn:aws:iam::222222222222:role/drsnap-vault";
  auto wall_before = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now());
  auto r = Sts(*sim, kProd, "AssumeRole",
               {{"RoleArn", role}, {"RoleSessionName", "drsnap"}, {"ExternalId", "vault-ext-id"},
                {"DurationSeconds", "900"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string p = "/AssumeRoleResponse/AssumeRoleResult/";
  std::string akid = XText(r, p + "Credentials/AccessKeyId");
  EXPECT_EQ(akid.rfind("ASIA", 0), 0u);
  EXPECT_EQ(akid.size(), 20u);
  // Reported in wall time (clients compare it with their own clock); the
  // session itself expires on the simulator's clock (checked below).
  auto wall_after = std::chrono::system_clock::now();
  auto reported = ParseIso8601(XText(r, p + "Credentials/Expiration"));
  ASSERT_TRUE(reported.has_value());
  EXPECT_GE(*reported, wall_before + minutes(15));
  EXPECT_LE(*reported, wall_after + minutes(15));
  EXPECT_EQ(XText(r, p + "AssumedRoleUser/Arn"),
            "arn:aws:sts::222222222222:assumed-role/drsnap-vault/drsnap");
  EXPECT_EQ(XText(r, p + "AssumedRoleUser/AssumedRoleId").find(":drsnap"), 21u);
  auto key = sim->LookupAccessKey(akid);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->account_id, kVault);
  EXPECT_EQ(key->secret_access_key, XText(r, p + "Credentials/SecretAccessKey"));
  EXPECT_EQ(key->session_token, XText(r, p + "Credentials/SessionToken"));
  EXPECT_EQ(key->arn, "arn:aws:sts::222222222222:assumed-role/drsnap-vault/drsnap");
  EXPECT_EQ(*key->expiration, ExampleStart() + minutes(15));
  // The assumed role calls GetCallerIdentity.
  auto who = Sts(*sim, kVault, "GetCallerIdentity", {}, key->arn);
  EXPECT_EQ(XText(who, "//Arn"), key->arn);
  EXPECT_EQ(XText(who, "//UserId").rfind("AROA", 0), 0u);
}

TEST(StsOpsTest, AssumeRoleErrors) {
  auto sim = ExampleWorld();
  auto code = [&](QueryParams p) { return ErrorCode(Sts(*sim, kProd, "AssumeRole", p)); };
  const std::string role = "arn:aws:iam::222222222222:role/drsnap-vault";
  EXPECT_EQ(code({{"RoleArn", role}, {"RoleSessionName", "s"}, {"ExternalId", "wrong"}}),
            "ValidationError");  // session name too short
  EXPECT_EQ(code({{"RoleArn", role}, {"RoleSessionName", "ses"}, {"ExternalId", "wrong"}}),
            "AccessDenied");
  EXPECT_EQ(code({{"RoleArn", role}, {"RoleSessionName", "ses"}}), "AccessDenied");
  EXPECT_EQ(code({{"RoleArn", "arn:aws:iam::222222222222:role/other"}, {"RoleSessionName", "ses"}}),
            "AccessDenied");
  EXPECT_EQ(code({{"RoleArn", "arn:aws:iam::999999999999:role/x"}, {"RoleSessionName", "ses"}}),
            "AccessDenied");
  EXPECT_EQ(code({{"RoleArn", role}, {"RoleSessionName", "ses"}, {"ExternalId", "vault-ext-id"},
                  {"DurationSeconds", "60"}}),
            "ValidationError");
  // Accounts without declared roles accept any role name.
  EXPECT_EQ(code({{"RoleArn", "arn:aws:iam::111111111111:role/anything"}, {"RoleSessionName", "ses"}}), "");
  auto r = Sts(*sim, kProd, "AssumeRole", {{"RoleArn", role}, {"RoleSessionName", "ses"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.rfind("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 0), 0u);
}

TEST(StsOpsTest, AssumeRoleWithWebIdentityIsUnsigned) {
  auto sim = ExampleWorld();
  auto r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
               {{"RoleArn", "arn:aws:iam::111111111111:role/web"}, {"RoleSessionName", "pod"},
                {"WebIdentityToken", "eyJhbGciOi.token"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string akid = XText(r, "//AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId");
  ASSERT_TRUE(sim->LookupAccessKey(akid).has_value());
  EXPECT_EQ(sim->LookupAccessKey(akid)->account_id, kProd);
  r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
          {{"RoleArn", "arn:aws:iam::111111111111:role/web"}, {"RoleSessionName", "pod"}});
  EXPECT_EQ(ErrorCode(r), "InvalidIdentityToken");
  r = Sts(*sim, "", "GetCallerIdentity");
  EXPECT_EQ(ErrorCode(r), "MissingAuthenticationToken");
}

}  // namespace
}  // namespace drsnap::sim
