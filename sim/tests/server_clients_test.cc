// Real AWS clients against drsnap-sim: Debian's awscli v2 (/usr/bin/aws) and
// boto3 (/usr/bin/python3). They must accept our signatures' verdicts and
// parse our XML and JSON, which keeps the simulator honest.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/tests/server_test_util.h"

namespace drsnap::sim {
namespace {

using testing::AwsEnv;
using testing::ProdAccount;
using testing::RunCommand;
using testing::ShellQuote;
using testing::VaultAccount;

class RealClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = testing::StartHarness();
    ASSERT_TRUE(h.has_value()) << h.error().ToString();
    h_ = std::move(*h);
  }

  testing::CommandResult Aws(const testing::TestAccount& account, std::string_view region,
                             const std::string& args) {
    return RunCommand(AwsEnv(account, region) + " /usr/bin/aws --endpoint-url " + h_.endpoint() +
                      " --output json " + args);
  }

  testing::CommandResult Python(const testing::TestAccount& account, std::string_view region,
                                const std::string& script) {
    return RunCommand(AwsEnv(account, region) + " SIM_ENDPOINT=" + h_.endpoint() +
                      " /usr/bin/python3 -c " + ShellQuote(script));
  }

  testing::Harness h_;
};

TEST_F(RealClientsTest, AwsCliDescribesSnapshots) {
  auto r = Aws(ProdAccount(), "eu-west-1", "rds describe-db-snapshots");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.output;
  ASSERT_EQ(j["DBSnapshots"].size(), 2u) << r.output;
  EXPECT_EQ(j["DBSnapshots"][0]["DBInstanceIdentifier"], "orders");
  EXPECT_EQ(j["DBSnapshots"][0]["Status"], "available");
  EXPECT_TRUE(j["DBSnapshots"][0].contains("SnapshotCreateTime"));
}

TEST_F(RealClientsTest, AwsCliStsAndKms) {
  auto who = Aws(VaultAccount(), "eu-central-1", "sts get-caller-identity");
  ASSERT_EQ(who.exit_code, 0) << who.output;
  auto j = nlohmann::json::parse(who.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << who.output;
  EXPECT_EQ(j["Account"], VaultAccount().id);

  auto aliases = Aws(VaultAccount(), "eu-central-1", "kms list-aliases");
  ASSERT_EQ(aliases.exit_code, 0) << aliases.output;
  EXPECT_NE(aliases.output.find("alias/drsnap-vault"), std::string::npos) << aliases.output;
}

TEST_F(RealClientsTest, AwsCliReportsOurErrors) {
  testing::TestAccount wrong = ProdAccount();
  wrong.secret_access_key = "not-the-secret";
  auto r = Aws(wrong, "eu-west-1", "rds describe-db-snapshots");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("SignatureDoesNotMatch"), std::string::npos) << r.output;

  auto missing = Aws(ProdAccount(), "eu-west-1",
                     "rds describe-db-snapshots --db-snapshot-identifier no-such-snapshot");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("DBSnapshotNotFound"), std::string::npos) << missing.output;

  testing::TestAccount unknown = ProdAccount();
  unknown.access_key_id = "AKIAUNKNOWN000000000";
  auto kms = Aws(unknown, "eu-west-1", "kms list-aliases");
  EXPECT_NE(kms.exit_code, 0);
  EXPECT_NE(kms.output.find("UnrecognizedClientException"), std::string::npos) << kms.output;
}

TEST_F(RealClientsTest, Boto3PaginatesAndShares) {
  const std::string script = R"PY(
import os, boto3, json
ep = os.environ["SIM_ENDPOINT"]
rds = boto3.client("rds", endpoint_url=ep)
snaps = []
for page in rds.get_paginator("describe_db_snapshots").paginate(PaginationConfig={"PageSize": 20}):
    snaps += page["DBSnapshots"]
rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="orders-manual-1",
    AttributeName="restore", ValuesToAdd=["444455556666"])
attrs = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="orders-manual-1")
sts = boto3.client("sts", endpoint_url=ep)
print(json.dumps({
  "ids": sorted(s["DBSnapshotIdentifier"] for s in snaps),
  "account": sts.get_caller_identity()["Account"],
  "restore": attrs["DBSnapshotAttributesResult"]["DBSnapshotAttributes"][0]["AttributeValues"],
}))
)PY";
  auto r = Python(ProdAccount(), "eu-west-1", script);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["ids"], nlohmann::json({"orders-manual-1", "orders-manual-2"}));
  EXPECT_EQ(j["account"], ProdAccount().id);
  EXPECT_EQ(j["restore"], nlohmann::json({"444455556666"}));
}

TEST_F(RealClientsTest, Boto3SeesThrottlingAsThrottling) {
  ASSERT_TRUE(h_.server->faults().Update(
      {{"throttle", true}, {"throttle_burst", 1}, {"throttle_rate", 0}}));
  const std::string script = R"PY(
import os, boto3, botocore.config, botocore.exceptions
cfg = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
rds = boto3.client("rds", endpoint_url=os.environ["SIM_ENDPOINT"], config=cfg)
rds.describe_db_snapshots()
try:
    rds.describe_db_snapshots()
    print("not throttled")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
          e.response["Error"]["Message"])
)PY";
  auto r = Python(ProdAccount(), "eu-west-1", script);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "Throttling 400 Rate exceeded\n");
}

}  // namespace
}  // namespace drsnap::sim
