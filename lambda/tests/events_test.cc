#include "lambda/events.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "core/time_util.h"
#include "engine/naming.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(DRSNAP_SOURCE_DIR) + "/testdata/events/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Trigger One(const std::string& payload) {
  auto t = DecodeEvent(payload);
  EXPECT_EQ(t.size(), 1u);
  return t.empty() ? Trigger{} : t[0];
}

TEST(DecodeEvent, EventBridgeAutomatedSnapshotNarrowsToTheDatabase) {
  Trigger t = One(Fixture("eventbridge_automated_snapshot.json"));
  EXPECT_EQ(t.kind, TriggerKind::kDatabase);
  EXPECT_EQ(t.account_id, "111111111111");
  EXPECT_EQ(t.region, "us-east-1");
  EXPECT_EQ(t.db_id, "orders-db");
  EXPECT_FALSE(t.cluster);
  EXPECT_EQ(t.snapshot_id, "rds:orders-db-2026-11-23-04-10");
  EXPECT_EQ(t.event_id, "RDS-EVENT-0091");
  EXPECT_NE(t.reason.find("orders-db"), std::string::npos) << t.reason;
}

TEST(DecodeEvent, EventBridgeClusterSnapshot) {
  Trigger t = One(Fixture("eventbridge_cluster_snapshot.json"));
  EXPECT_EQ(t.kind, TriggerKind::kDatabase);
  EXPECT_TRUE(t.cluster);
  EXPECT_EQ(t.db_id, "ledger");
  EXPECT_EQ(t.event_id, "RDS-EVENT-0169");
}

TEST(DecodeEvent, ManualSnapshotOfUnknownDatabaseReconcilesTheScope) {
  Trigger t = One(Fixture("eventbridge_manual_snapshot.json"));
  EXPECT_EQ(t.kind, TriggerKind::kScope);
  EXPECT_EQ(t.account_id, "111111111111");
  EXPECT_EQ(t.region, "us-east-1");
  EXPECT_EQ(t.snapshot_id, "nightly-export");
  EXPECT_TRUE(t.db_id.empty());
}

TEST(DecodeEvent, IrrelevantRdsEventIsIgnoredWithReason) {
  Trigger t = One(Fixture("eventbridge_instance_reboot.json"));
  EXPECT_EQ(t.kind, TriggerKind::kIgnore);
  EXPECT_NE(t.reason.find("RDS-EVENT-0006"), std::string::npos) << t.reason;
}

TEST(DecodeEvent, ScheduledEventIsAFullReconcile) {
  Trigger t = One(Fixture("scheduled.json"));
  EXPECT_EQ(t.kind, TriggerKind::kFullReconcile);
  EXPECT_EQ(t.event_id, "scheduled");
}

TEST(DecodeEvent, SnsSubscriptionMessages) {
  auto ts = DecodeEvent(Fixture("sns_rds_subscription.json"));
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].kind, TriggerKind::kDatabase);
  EXPECT_EQ(ts[0].db_id, "orders-db");
  EXPECT_EQ(ts[0].account_id, "111111111111");
  EXPECT_EQ(ts[0].region, "us-east-1");
  EXPECT_EQ(ts[0].event_id, "RDS-EVENT-0091");
  // The second has no Source ARN: account and region come from the topic.
  EXPECT_EQ(ts[1].kind, TriggerKind::kDatabase);
  EXPECT_TRUE(ts[1].cluster);
  EXPECT_EQ(ts[1].db_id, "ledger");
  EXPECT_EQ(ts[1].account_id, "333333333333");
  EXPECT_EQ(ts[1].region, "eu-central-1");
}

TEST(DecodeEvent, ForwardedDrsnapEvent) {
  Trigger t = One(Fixture("drsnap_forwarded_shared.json"));
  EXPECT_EQ(t.kind, TriggerKind::kDatabase);
  EXPECT_EQ(t.event_id, "drsnap-shared");
  EXPECT_EQ(t.db_id, "orders-db");
  EXPECT_EQ(t.account_id, "111111111111");
  EXPECT_EQ(t.snapshot_id, "drsnap-orders-db-202611230410");
}

TEST(DecodeEvent, SnapshotSharedDetailRoundTrips) {
  std::string detail = SnapshotSharedDetail(
      "arn:aws:rds:eu-west-1:444444444444:cluster-snapshot:drsnap-ledger-202611230500", "ledger",
      true, "444444444444", "eu-west-1");
  std::string ev =
      R"({"source":"drsnap","detail-type":"drsnap Snapshot Shared","detail":)" + detail + "}";
  Trigger t = One(ev);
  EXPECT_EQ(t.kind, TriggerKind::kDatabase);
  EXPECT_TRUE(t.cluster);
  EXPECT_EQ(t.db_id, "ledger");
  EXPECT_EQ(t.region, "eu-west-1");
  EXPECT_EQ(t.account_id, "444444444444");
}

// The watch's wake-up (EventBridge Scheduler invokes the function with it):
// a full reconcile, whatever its detail says; its progress readings come
// back as they went.
TEST(DecodeEvent, WatchWakeUpIsAFullReconcile) {
  const std::string copy = "222222222222/eu-west-1 drsnap-ledger-202611230300-vault";
  const TimePoint t0 = *ParseIso8601("2026-11-23T05:00:15Z");
  CopyProgress progress = {{copy, {{t0, 0}, {t0 + std::chrono::seconds(210), 12}}}};
  std::string payload =
      WatchWakeUpPayload("vault", "2026-11-23T05:30:28Z",
                         "1 cluster copy expected to end at 2026-11-23T05:30:43Z", progress);
  json ev = json::parse(payload);
  EXPECT_EQ(ev["source"], "drsnap");
  EXPECT_EQ(ev["detail-type"], "drsnap Watch Wake-up");
  EXPECT_EQ(ev["detail"]["Side"], "vault");
  EXPECT_EQ(ev["detail"]["WakeAt"], "2026-11-23T05:30:28Z");
  ASSERT_EQ(ev["detail"]["Copies"].size(), 1u);
  EXPECT_EQ(ev["detail"]["Copies"][0]["Copy"], copy);
  EXPECT_EQ(ev["detail"]["Copies"][0]["Progress"][1],
            json({{"At", "2026-11-23T05:03:45.000Z"}, {"Percent", 12}}));
  Trigger t = One(payload);
  EXPECT_EQ(t.kind, TriggerKind::kFullReconcile);
  EXPECT_EQ(t.event_id, "watch-wake-up");
  EXPECT_NE(t.reason.find("expected to end at 2026-11-23T05:30:43Z"), std::string::npos)
      << t.reason;
  CopyProgress back = WatchWakeUpProgress(payload);
  ASSERT_EQ(back.size(), 1u);
  ASSERT_EQ(back[copy].size(), 2u);
  EXPECT_EQ(back[copy][0].at, t0);
  EXPECT_EQ(back[copy][1].percent, 12);
  // A bare one (a manual test from the console) is one too; a long Why is cut.
  EXPECT_EQ(One(R"({"source":"drsnap","detail-type":"drsnap Watch Wake-up"})").kind,
            TriggerKind::kFullReconcile);
  Trigger long_why = One(WatchWakeUpPayload("source", "x", std::string(5000, 'w'), {}));
  EXPECT_LT(long_why.reason.size(), 300u);
}

// The readings are the invoker's: anything malformed is dropped, and only
// a wake-up's count.
TEST(DecodeEvent, WatchWakeUpProgressSkipsWhatIsMalformed) {
  EXPECT_TRUE(WatchWakeUpProgress("not json").empty());
  EXPECT_TRUE(WatchWakeUpProgress(Fixture("drsnap_forwarded_shared.json")).empty());
  CopyProgress p = WatchWakeUpProgress(R"({"source":"drsnap","detail-type":"drsnap Watch Wake-up",
      "detail":{"Copies":[
        {"Copy":"a","Progress":[{"At":"2026-11-23T05:00:00Z","Percent":3},
                                {"At":"not a time","Percent":4},
                                {"At":"2026-11-23T05:01:00Z","Percent":101},
                                {"At":"2026-11-23T04:00:00Z","Percent":5},
                                {"At":"2026-11-23T05:02:00Z","Percent":"6"},
                                {"At":"2026-11-23T05:03:00Z","Percent":7}]},
        {"Progress":[{"At":"2026-11-23T05:00:00Z","Percent":3}]},
        {"Copy":"b","Progress":"none"},
        5]}})");
  ASSERT_EQ(p.size(), 1u);
  ASSERT_EQ(p["a"].size(), 2u);
  EXPECT_EQ(p["a"][0].percent, 3);
  EXPECT_EQ(p["a"][1].percent, 7);
}

TEST(DecodeEvent, DirectInvocation) {
  EXPECT_EQ(One(R"({"drsnap":"reconcile"})").kind, TriggerKind::kFullReconcile);
}

TEST(DecodeEvent, VerifyScheduleInput) {
  // The constant input of deploy/vault.yaml's VerifyScheduleRule.
  Trigger t = One(Fixture("direct_verify.json"));
  EXPECT_EQ(t.kind, TriggerKind::kVerify);
  EXPECT_EQ(t.event_id, "verify");
  EXPECT_STREQ(TriggerKindName(t.kind), "verify");
  EXPECT_EQ(One(R"({"drsnap":"verify","note":"extra keys are fine"})").kind, TriggerKind::kVerify);
}

TEST(DecodeEvent, MalformedDrsnapInputsAreIgnoredWithReason) {
  struct Case {
    const char* payload;
    const char* reason_has;  // the reason names what was wrong
  };
  const Case cases[] = {
      {R"({"drsnap":"Verify"})", "\"Verify\""},
      {R"({"drsnap":"verify "})", "\"verify \""},
      {R"({"drsnap":""})", "neither"},
      {R"({"drsnap":5})", "5"},
      {R"({"drsnap":null})", "null"},
      {R"({"drsnap":["verify"]})", "[\"verify\"]"},
      {R"({"drsnap":{"verify":true}})", "neither"},
      {R"({"drsnap":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})",
       "..."},
  };
  for (const auto& c : cases) {
    Trigger t = One(c.payload);
    EXPECT_EQ(t.kind, TriggerKind::kIgnore) << c.payload;
    EXPECT_NE(t.reason.find(c.reason_has), std::string::npos) << c.payload << ": " << t.reason;
    EXPECT_LT(t.reason.size(), 200u) << c.payload;
  }
}

TEST(DecodeEvent, MalformedEventsAreIgnoredNotFatal) {
  const char* bad[] = {
      "",
      "not json",
      "[1,2,3]",
      "null",
      "{}",
      R"({"Records": 5})",
      R"({"Records": []})",
      R"({"Records": [{"Sns": {"Message": "not json"}}]})",
      R"({"Records": [{"Sns": {"Message": 7}}]})",
      R"({"Records": [42]})",
      R"({"source":"aws.rds","detail":"x"})",
      R"({"source":"aws.rds","detail":{"EventID":5,"SourceArn":["x"]}})",
      R"({"source":"aws.rds","detail-type":"RDS DB Snapshot Event","detail":{"EventID":"RDS-EVENT-0091","SourceIdentifier":"rds:x-2026-11-23-04-10"}})",
      R"({"source":"drsnap","detail-type":"drsnap Snapshot Shared","detail":{"SnapshotArn":"arn:aws:s3:::bucket"}})",
      R"({"source":"aws.s3","detail-type":"Object Created"})",
  };
  for (const char* payload : bad) {
    auto ts = DecodeEvent(payload);
    ASSERT_FALSE(ts.empty()) << payload;
    for (const auto& t : ts) {
      EXPECT_EQ(t.kind, TriggerKind::kIgnore) << payload;
      EXPECT_FALSE(t.reason.empty()) << payload;
    }
  }
}

TEST(DecodeEvent, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  std::string base = Fixture("sns_rds_subscription.json");
  for (int i = 0; i < 2000; ++i) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) s[rng() % s.size()] = static_cast<char>(rng() % 256);
    auto ts = DecodeEvent(s);
    EXPECT_FALSE(ts.empty());
  }
}

// Events about snapshots drsnap made (a capture, a hop or vault copy that
// finished): the name carries the database token, which narrows the run.
struct DrsnapSnapshotCase {
  const char* fixture;
  std::string account, region, snapshot_id, event_id;
  bool cluster;
  std::string db_token;
  std::string db_id;  // "" when the token alone cannot tell
};

TEST(DecodeEvent, SnapshotsDrsnapMadeNarrowToTheirDatabase) {
  const DrsnapSnapshotCase cases[] = {
      {"eventbridge_copy_finished_capture.json", "111111111111", "us-east-1",
       "drsnap-orders-db-202611230410", "RDS-EVENT-0197", false, "orders-db", "orders-db"},
      {"eventbridge_copy_finished_vault.json", "222222222222", "eu-west-1",
       "drsnap-111111111111-orders-db-202611230410", "RDS-EVENT-0060", false, "orders-db",
       "orders-db"},
      // SNS, no Source ARN: account and region from the topic.
      {"sns_copy_finished_hop.json", "222222222222", "us-east-1",
       "drsnap-111111111111-orders-db-202611230410-hop", "RDS-EVENT-0197", false, "orders-db",
       "orders-db"},
      // A long cluster id: the token is a prefix and a hash, not the id.
      {"eventbridge_cluster_capture_hashed.json", "111111111111", "us-east-1",
       "drsnap-analytics-wa-378d5f2f-202611230500", "RDS-EVENT-0075", true,
       engine::naming::DbToken("analytics-warehouse-primary"), ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.fixture);
    Trigger t = One(Fixture(c.fixture));
    EXPECT_EQ(t.kind, TriggerKind::kDatabase);
    EXPECT_EQ(t.account_id, c.account);
    EXPECT_EQ(t.region, c.region);
    EXPECT_EQ(t.snapshot_id, c.snapshot_id);
    EXPECT_EQ(t.event_id, c.event_id);
    EXPECT_EQ(t.cluster, c.cluster);
    EXPECT_EQ(t.db_token, c.db_token);
    EXPECT_EQ(t.db_id, c.db_id);
    EXPECT_NE(t.reason.find(c.db_id.empty() ? c.db_token : c.db_id), std::string::npos) << t.reason;
  }
}

TEST(DecodeEvent, LookAlikeNamesThatDoNotParseStillReconcileTheScope) {
  // drsnap- prefix but no timestamp: not a name drsnap makes.
  std::string ev = Fixture("eventbridge_copy_finished_capture.json");
  std::string name = "drsnap-orders-db-202611230410";
  for (size_t p = ev.find(name); p != std::string::npos; p = ev.find(name, p))
    ev.replace(p, name.size(), "drsnap-orders-db-latest");
  Trigger t = One(ev);
  EXPECT_EQ(t.kind, TriggerKind::kScope);
  EXPECT_TRUE(t.db_id.empty());
  EXPECT_TRUE(t.db_token.empty());
}

// The table of handled ids: each id once, and the catalogue's shape (no
// copy event for cluster snapshots; the catalogue has none).
TEST(HandledRdsEvents, EachIdOnceAndNoClusterCopyEvent) {
  std::set<std::string> seen;
  for (const auto& e : HandledRdsEvents()) {
    EXPECT_TRUE(seen.insert(e.id).second) << e.id;
    EXPECT_EQ(std::string_view(e.id).substr(0, 10), "RDS-EVENT-") << e.id;
    bool copy =
        e.meaning == RdsEventMeaning::kCopyFinished || e.meaning == RdsEventMeaning::kCopyFailed;
    EXPECT_FALSE(copy && e.cluster) << e.id;
  }
  // The ids the source and vault rules of deploy/ route are these.
  EXPECT_TRUE(seen.contains("RDS-EVENT-0169"));
  EXPECT_TRUE(seen.contains("RDS-EVENT-0197"));
  EXPECT_FALSE(seen.contains("RDS-EVENT-0196"));  // a copy started: nothing to do yet
}

// A copy that finished or was cancelled frees a slot of its scope's copy
// quota; a snapshot created does not.
TEST(DecodeEvent, CopyEndsFreeACopySlot) {
  EXPECT_TRUE(One(Fixture("eventbridge_copy_finished_capture.json")).frees_copy_slot);
  EXPECT_TRUE(One(Fixture("eventbridge_copy_finished_vault.json")).frees_copy_slot);
  EXPECT_TRUE(One(Fixture("sns_copy_finished_hop.json")).frees_copy_slot);
  EXPECT_FALSE(One(Fixture("eventbridge_automated_snapshot.json")).frees_copy_slot);
  EXPECT_FALSE(One(Fixture("eventbridge_cluster_snapshot.json")).frees_copy_slot);
  std::string cancelled = Fixture("eventbridge_copy_finished_vault.json");
  cancelled.replace(cancelled.find("RDS-EVENT-0060"), 14, "RDS-EVENT-0061");
  EXPECT_TRUE(One(cancelled).frees_copy_slot);
}

TEST(DbIdFromToken, TheTokenIsTheIdUnlessItMayBeHashed) {
  using engine::naming::DbToken;
  // Short ids are their own token.
  for (const char* id :
       {"orders-db", "a", "db-001", "reports-20240101", "x-deadbeef", "abcdefghijklmnopqrstu"}) {
    ASSERT_EQ(DbToken(id), id);
    EXPECT_EQ(DbIdFromToken(DbToken(id)), id);
  }
  // Long ids: the token is prefix + hash; it cannot be reversed.
  for (const char* id :
       {"analytics-warehouse-primary", "abcdefghijklmnopqrstuv", "abcdefghijk-lmnopqrstuvwxyz"}) {
    std::string token = DbToken(id);
    ASSERT_NE(token, id);
    EXPECT_EQ(DbIdFromToken(token), "") << token;
  }
  // A short id of exactly the hashed shape is ambiguous too.
  std::string look_alike = DbToken("analytics-warehouse-primary");
  ASSERT_EQ(DbToken(look_alike), look_alike);
  EXPECT_EQ(DbIdFromToken(look_alike), "");
  // Not something DbToken produces.
  EXPECT_EQ(DbIdFromToken(""), "");
  EXPECT_EQ(DbIdFromToken("Orders"), "");
  EXPECT_EQ(DbIdFromToken("1db"), "");
}

TEST(DbFromAutomatedSnapshotId, Shapes) {
  EXPECT_EQ(DbFromAutomatedSnapshotId("rds:db1-2026-11-23-04-10"), "db1");
  EXPECT_EQ(DbFromAutomatedSnapshotId("rds:my-db-2-2026-11-23-04-10"), "my-db-2");
  EXPECT_EQ(DbFromAutomatedSnapshotId("db1-2026-11-23-04-10"), "");
  EXPECT_EQ(DbFromAutomatedSnapshotId("rds:db1-2026-11-23-04"), "");
  EXPECT_EQ(DbFromAutomatedSnapshotId("rds:-2026-11-23-04-10"), "");
  EXPECT_EQ(DbFromAutomatedSnapshotId("rds:db1-2026-1x-23-04-10"), "");
}

}  // namespace
}  // namespace drsnap::lambda
