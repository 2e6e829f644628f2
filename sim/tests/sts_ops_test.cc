#include <gtest/gtest.h>

#include "core/time_util.h"
#include "sim/tests/sim_world_util.h"

namespace drsnap::sim {
namespace {

using namespace worldtest;
using namespace std::chrono;

TEST(StsOpsTest, GetCallerIdentity) {
  auto sim = ExampleWorld();
  auto r = Sts(*sim, kProd, "GetCallerIdentity");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      r.body.rfind(
          "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 0),
      0u);
  const std::string p = "/GetCallerIdentityResponse/GetCallerIdentityResult/";
  EXPECT_EQ(XText(r, p + "Account"), kProd);
  EXPECT_EQ(XText(r, p + "Arn"), "arn:aws:iam::111111111111:user/drsnap");
  EXPECT_EQ(XText(r, p + "UserId").rfind("AIDA", 0), 0u);
  EXPECT_EQ(XText(r, "/GetCallerIdentityResponse/ResponseMetadata/RequestId"), r.request_id);
}

TEST(StsOpsTest, AssumeRoleIssuesWorkingSessionCredentials) {
  auto sim = ExampleWorld();
  const std::string role = "arn:aws:iam::222222222222:role/drsnap-vault";
  auto r = Sts(*sim, kProd, "AssumeRole",
               {{"RoleArn", role},
                {"RoleSessionName", "drsnap"},
                {"ExternalId", "vault-ext-id"},
                {"DurationSeconds", "900"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string p = "/AssumeRoleResponse/AssumeRoleResult/";
  std::string akid = XText(r, p + "Credentials/AccessKeyId");
  EXPECT_EQ(akid.rfind("ASIA", 0), 0u);
  EXPECT_EQ(akid.size(), 20u);
  // Reported, and enforced, on the simulator's clock.
  EXPECT_EQ(XText(r, p + "Credentials/Expiration"), "2026-11-23T00:15:00Z");
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
  EXPECT_EQ(code({{"RoleArn", role},
                  {"RoleSessionName", "ses"},
                  {"ExternalId", "vault-ext-id"},
                  {"DurationSeconds", "60"}}),
            "ValidationError");
  // Roles the world does not declare do not exist.
  EXPECT_EQ(
      code({{"RoleArn", "arn:aws:iam::111111111111:role/anything"}, {"RoleSessionName", "ses"}}),
      "AccessDenied");
  EXPECT_EQ(code({{"RoleArn", "arn:aws:iam::111111111111:role/drsnap-source"},
                  {"RoleSessionName", "ses"}}),
            "");
  auto r = Sts(*sim, kProd, "AssumeRole", {{"RoleArn", role}, {"RoleSessionName", "ses"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body.rfind("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 0),
            0u);
}

TEST(StsOpsTest, AssumeRoleWithWebIdentityIsUnsigned) {
  auto sim = ExampleWorld();
  auto r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
               {{"RoleArn", "arn:aws:iam::111111111111:role/drsnap-irsa"},
                {"RoleSessionName", "pod"},
                {"WebIdentityToken", "eyJhbGciOi.token"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string akid = XText(r, "//AssumeRoleWithWebIdentityResult/Credentials/AccessKeyId");
  ASSERT_TRUE(sim->LookupAccessKey(akid).has_value());
  EXPECT_EQ(sim->LookupAccessKey(akid)->account_id, kProd);
  r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
          {{"RoleArn", "arn:aws:iam::111111111111:role/drsnap-irsa"}, {"RoleSessionName", "pod"}});
  EXPECT_EQ(ErrorCode(r), "InvalidIdentityToken");
  r = Sts(*sim, "", "GetCallerIdentity");
  EXPECT_EQ(ErrorCode(r), "MissingAuthenticationToken");
}

TEST(StsOpsTest, ExpirationIsReportedOnTheVirtualClock) {
  auto sim = ExampleWorld();
  auto r = Sts(*sim, kProd, "AssumeRole",
               {{"RoleArn", "arn:aws:iam::222222222222:role/drsnap-vault"},
                {"RoleSessionName", "drsnap"},
                {"ExternalId", "vault-ext-id"},
                {"DurationSeconds", "900"}});
  ASSERT_EQ(r.status, 200) << r.body;
  // The session expires on the virtual clock, and says so: a client that
  // refreshes before expiry is exercised against the world's time.
  EXPECT_EQ(XText(r, "//Credentials/Expiration"), "2026-11-23T00:15:00Z");
  sim->Advance(hours(2));
  r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
          {{"RoleArn", "arn:aws:iam::111111111111:role/drsnap-irsa"},
           {"RoleSessionName", "pod"},
           {"WebIdentityToken", "eyJhbGciOi.token"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(XText(r, "//Credentials/Expiration"), "2026-11-23T03:00:00Z");
  // The former behaviour (wall time), as a setting.
  EXPECT_EQ(sim->Settings()["session_expiration_clock"], "virtual");
  ASSERT_TRUE(sim->UpdateSettings({{"session_expiration_clock", "wall"}}).has_value());
  EXPECT_FALSE(sim->UpdateSettings({{"session_expiration_clock", "x"}}).has_value());
  auto wall_before = time_point_cast<seconds>(system_clock::now());
  r = Sts(*sim, kProd, "AssumeRole",
          {{"RoleArn", "arn:aws:iam::222222222222:role/drsnap-vault"},
           {"RoleSessionName", "drsnap"},
           {"ExternalId", "vault-ext-id"}});
  auto reported = ParseIso8601(XText(r, "//Credentials/Expiration"));
  ASSERT_TRUE(reported.has_value());
  EXPECT_GE(*reported, wall_before + hours(1));
  EXPECT_LE(*reported, system_clock::now() + hours(1));
}

TEST(StsOpsTest, RolesTheWorldDoesNotDefineCannotBeAssumed) {
  auto sim = ExampleWorld();
  auto denied = [&](const std::string& role_arn) {
    return ErrorCode(Sts(*sim, kVault, "AssumeRole",
                         {{"RoleArn", role_arn}, {"RoleSessionName", "ses"}})) == "AccessDenied";
  };
  // prod defines drsnap-source and drsnap-irsa, nothing else.
  EXPECT_FALSE(denied("arn:aws:iam::111111111111:role/drsnap-source"));
  EXPECT_TRUE(denied("arn:aws:iam::111111111111:role/anything"));
  auto r = Sts(*sim, "", "AssumeRoleWithWebIdentity",
               {{"RoleArn", "arn:aws:iam::111111111111:role/anything"},
                {"RoleSessionName", "pod"},
                {"WebIdentityToken", "eyJhbGciOi.token"}});
  EXPECT_EQ(ErrorCode(r), "AccessDenied");
  // An account without a roles list has no roles at all.
  auto empty = Simulator::FromWorldText(R"(
start_time: "2026-11-23T00:00:00Z"
accounts:
  - id: "333333333333"
    access_keys: [{id: AKIAOTHER00000000001, secret: s}]
)",
                                        "w.yaml");
  ASSERT_TRUE(empty.has_value()) << empty.error().ToString();
  r = Sts(**empty, "333333333333", "AssumeRole",
          {{"RoleArn", "arn:aws:iam::333333333333:role/admin"}, {"RoleSessionName", "ses"}});
  EXPECT_EQ(ErrorCode(r), "AccessDenied");
  EXPECT_EQ(r.status, 403);
}

}  // namespace
}  // namespace drsnap::sim
