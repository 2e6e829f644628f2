// ChooseRun for events about snapshots drsnap made: the database token in the
// name is resolved to one database id, or the run falls back to a full
// reconcile when the token may stand for several.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/policy.h"
#include "engine/naming.h"
#include "engine/protection.h"
#include "lambda/events.h"
#include "lambda/handler.h"

namespace drsnap::lambda {
namespace {

using engine::LiteralDbIdsForToken;

// A production account (111111111111, us-east-1) vaulted into 222222222222
// (eu-west-1); `names` is the policy's databases.names list (YAML flow).
config::Config Policy(const std::string& names) {
  std::string yaml = R"(version: 1
accounts:
  prod: {id: "111111111111", profile: prod}
  vault: {id: "222222222222", profile: vault}
policies:
  main:
    databases: {names: )" +
                     names + R"(}
    source: {account: prod, region: us-east-1, from: automated,
             share_key: "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-00000000a001"}
    rpo: 24h
    targets:
      - account: vault
        hop_kms_key: "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-00000000b001"
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-00000000b002"}
    retention: {daily: 30}
)";
  auto c = config::ParseConfig(yaml, "drsnap.yaml");
  EXPECT_TRUE(c) << (c ? "" : c.error().ToString());
  return c ? *c : config::Config{};
}

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(DRSNAP_SOURCE_DIR) + "/testdata/events/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The event fixture with every occurrence of `from` replaced by `to`.
std::string FixtureWith(const std::string& name, const std::string& from, const std::string& to) {
  std::string ev = Fixture(name);
  for (size_t p = ev.find(from); p != std::string::npos; p = ev.find(from, p + to.size()))
    ev.replace(p, from.size(), to);
  return ev;
}

struct Case {
  std::string what;
  std::string event;  // the invocation payload
  std::string names;  // the policy's databases.names
  bool run;
  std::string only_db;  // "": full reconcile (when run)
};

TEST(ChooseRun, SnapshotsDrsnapMadeNarrowToOneDatabaseOrRunFull) {
  const std::string long_id = "analytics-warehouse-primary";
  const std::string token = engine::naming::DbToken(long_id);
  const std::string hashed_fixture = "eventbridge_cluster_capture_hashed.json";
  ASSERT_NE(Fixture(hashed_fixture).find("drsnap-" + token + "-"), std::string::npos);
  const Case cases[] = {
      // A copy that finished freed a slot of its scope's copy quota: every
      // database runs, since the deferred copies may be any database's.
      {"capture finished, short id", Fixture("eventbridge_copy_finished_capture.json"), R"(["*"])",
       true, ""},
      {"vault copy finished in the DR region", Fixture("eventbridge_copy_finished_vault.json"),
       R"(["*"])", true, ""},
      {"hop copy finished (SNS)", Fixture("sns_copy_finished_hop.json"), R"(["orders-*"])", true,
       ""},
      {"automated snapshot created", Fixture("eventbridge_automated_snapshot.json"), R"(["*"])",
       true, "orders-db"},
      {"hashed token, the policy names the id literally", Fixture(hashed_fixture),
       R"(["orders-db", ")" + long_id + R"("])", true, long_id},
      {"hashed token, literal name in another case", Fixture(hashed_fixture),
       R"(["ANALYTICS-Warehouse-Primary"])", true, long_id},
      {"hashed token, only globs: cannot tell", Fixture(hashed_fixture), R"(["analytics-*"])", true,
       ""},
      {"hashed token, two literal names share it", Fixture(hashed_fixture),
       R"([")" + long_id + R"(", ")" + token + R"("])", true, ""},
      {"hashed token, literal names with other tokens", Fixture(hashed_fixture),
       R"(["analytics-warehouse-replica", "orders-db"])", true, ""},
      {"drsnap snapshot in a region no policy uses",
       FixtureWith("eventbridge_copy_finished_vault.json", "eu-west-1", "ap-south-1"), R"(["*"])",
       false, ""},
      {"a manual snapshot drsnap did not make", Fixture("eventbridge_manual_snapshot.json"),
       R"(["*"])", true, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    config::Config config = Policy(c.names);
    std::vector<Trigger> triggers = DecodeEvent(c.event);
    RunRequest r = ChooseRun(triggers, config);
    EXPECT_EQ(r.run, c.run);
    EXPECT_EQ(r.only_db, c.only_db);
    ASSERT_EQ(r.reasons.size(), triggers.size());
  }
}

// A copy's end wakes the copies deferred for the quota, of any database:
// even with a narrow trigger of the same database beside it, the run is full.
TEST(ChooseRun, AFinishedCopyRunsEveryDatabaseEvenBesideANarrowTrigger) {
  config::Config config = Policy(R"(["*"])");
  std::vector<Trigger> triggers = DecodeEvent(Fixture("eventbridge_copy_finished_capture.json"));
  std::vector<Trigger> more = DecodeEvent(Fixture("eventbridge_automated_snapshot.json"));
  triggers.insert(triggers.end(), more.begin(), more.end());
  RunRequest r = ChooseRun(triggers, config);
  EXPECT_TRUE(r.run);
  EXPECT_EQ(r.only_db, "");
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_NE(r.reasons[0].find("copy slot of 111111111111/us-east-1 is free"), std::string::npos)
      << r.reasons[0];
}

// Every copy-finished and copy-cancelled id of the catalogue frees a slot;
// nothing else does.
TEST(ChooseRun, CopiesEndingFreeASlotAndNothingElseDoes) {
  config::Config config = Policy(R"(["*"])");
  for (const auto& e : HandledRdsEvents()) {
    SCOPED_TRACE(e.id);
    std::string ev = FixtureWith("eventbridge_copy_finished_capture.json", "RDS-EVENT-0197", e.id);
    std::vector<Trigger> t = DecodeEvent(ev);
    ASSERT_EQ(t.size(), 1u);
    bool frees =
        e.meaning == RdsEventMeaning::kCopyFinished || e.meaning == RdsEventMeaning::kCopyFailed;
    EXPECT_EQ(t[0].frees_copy_slot, frees);
    RunRequest r = ChooseRun(t, config);
    EXPECT_TRUE(r.run);
    EXPECT_EQ(r.only_db, frees ? "" : "orders-db");
  }
  // A slot freed in a scope no policy uses is not drsnap's business.
  RunRequest foreign = ChooseRun(
      DecodeEvent(FixtureWith("eventbridge_copy_finished_vault.json", "eu-west-1", "ap-south-1")),
      config);
  EXPECT_FALSE(foreign.run);
}

TEST(ChooseRun, TheReasonSaysWhyAHashedTokenRanFull) {
  config::Config config = Policy(R"(["analytics-*"])");
  RunRequest r = ChooseRun(DecodeEvent(Fixture("eventbridge_cluster_capture_hashed.json")), config);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("full reconcile"), std::string::npos) << r.reasons[0];
  EXPECT_NE(r.reasons[0].find(engine::naming::DbToken("analytics-warehouse-primary")),
            std::string::npos)
      << r.reasons[0];
}

TEST(LiteralDbIdsForToken, OnlyLiteralNamesCount) {
  config::Config config =
      Policy(R"(["orders-db", "analytics-warehouse-primary", "analytics-*", "db-?"])");
  using engine::naming::DbToken;
  EXPECT_EQ(LiteralDbIdsForToken(DbToken("analytics-warehouse-primary"), config),
            std::vector<std::string>{"analytics-warehouse-primary"});
  EXPECT_EQ(LiteralDbIdsForToken("orders-db", config), std::vector<std::string>{"orders-db"});
  EXPECT_TRUE(LiteralDbIdsForToken("analytics-*", config).empty());
  EXPECT_TRUE(LiteralDbIdsForToken("db-1", config).empty());
}

}  // namespace
}  // namespace drsnap::lambda
