// The invocation handler against drsnap-sim: every event shape, malformed
// events, the deadline, failures as function errors, share announcements.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "core/time_util.h"
#include "engine/naming.h"
#include "lambda/handler.h"
#include "lambda_sim.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using testing::kProdAccount;
using testing::kVaultAccount;

constexpr auto kFar = std::chrono::minutes(14);

Invocation Inv(std::string payload, Duration left = kFar) {
  Invocation inv;
  inv.request_id = "req-test";
  inv.deadline = std::chrono::system_clock::now() + left;
  inv.payload = std::move(payload);
  return inv;
}

json Body(const HandlerResult& r) {
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

// Captures (drsnap's manual copies) of `db` in prod/us-east-1.
int Captures(const testing::LambdaSim& s, const std::string& db) {
  int n = 0;
  for (const auto& snap : Owned(s, {kProdAccount, "us-east-1"})) {
    auto l = engine::naming::ParseName(snap.id);
    if (l && l->stage == engine::naming::NameStage::kCapture &&
        l->db_token == engine::naming::DbToken(db))
      ++n;
  }
  return n;
}

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = testing::StartLambdaSim(testing::WorldYaml(),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
    ASSERT_NE(sim_, nullptr);
    // 05:00: the automated snapshots of 03:00 (ledger) and 04:00 (orders-db) exist.
    sim_->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
    reconciler_ = sim_->NewReconciler();
  }

  InvocationHandler MakeHandler(Side side = Side::kSource, bool watch = false) {
    HandlerOptions o;
    o.side = side;
    // These tests are about one run per invocation (narrowing, deadlines,
    // announcements); the watch, which adds runs, has tests of its own.
    o.watch_first_poll = watch ? std::chrono::seconds(15) : Duration::zero();
    o.emit = [this](const std::vector<aws::EventEntry>& entries) -> Status {
      for (const auto& e : entries) emitted_.push_back(e);
      return OkStatus();
    };
    return InvocationHandler(reconciler_.get(), o);
  }

  std::unique_ptr<testing::LambdaSim> sim_;
  std::unique_ptr<engine::Reconciler> reconciler_;
  std::vector<aws::EventEntry> emitted_;
};

TEST_F(HandlerTest, AutomatedSnapshotEventReconcilesOnlyThatDatabase) {
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_automated_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["run"], "database");
  EXPECT_EQ(b["only_db"], "orders-db");
  EXPECT_GE(b["done"].get<int>(), 1) << r.body;
  EXPECT_EQ(Captures(*sim_, "orders-db"), 1);
  EXPECT_EQ(Captures(*sim_, "ledger"), 0);  // narrowed: the cluster was not touched
}

TEST_F(HandlerTest, ClusterSnapshotEventNarrowsToTheCluster) {
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["run"], "database");
  EXPECT_EQ(b["only_db"], "ledger");
  EXPECT_EQ(Captures(*sim_, "orders-db"), 0);
}

TEST_F(HandlerTest, SnsBatchNarrowsToTheKnownDatabaseAndIgnoresForeignScopes) {
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("sns_rds_subscription.json")));
  ASSERT_TRUE(r.ok) << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["run"], "database");
  EXPECT_EQ(b["only_db"], "orders-db");
  ASSERT_EQ(b["triggers"].size(), 2u);
  EXPECT_NE(b["triggers"][1]["reason"].get<std::string>().find("no scope of the policy file"),
            std::string::npos)
      << b["triggers"][1];
  EXPECT_EQ(Captures(*sim_, "orders-db"), 1);
}

TEST_F(HandlerTest, ScheduleAndManualSnapshotRunFull) {
  auto h = MakeHandler();
  for (const char* name : {"scheduled.json", "eventbridge_manual_snapshot.json"}) {
    HandlerResult r = h.Handle(Inv(testing::EventFixture(name)));
    ASSERT_TRUE(r.ok) << name << ": " << r.error_message;
    EXPECT_EQ(Body(r)["run"], "full") << name;
  }
  EXPECT_EQ(Captures(*sim_, "orders-db"), 1);
  EXPECT_EQ(Captures(*sim_, "ledger"), 1);
}

TEST_F(HandlerTest, ForwardedSharedEventNarrowsToTheDatabase) {
  auto h = MakeHandler(Side::kVault);
  HandlerResult r = h.Handle(Inv(testing::EventFixture("drsnap_forwarded_shared.json")));
  ASSERT_TRUE(r.ok) << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["run"], "database");
  EXPECT_EQ(b["only_db"], "orders-db");
  EXPECT_EQ(b["triggers"][0]["event_id"], "drsnap-shared");
}

TEST_F(HandlerTest, IrrelevantAndMalformedEventsAreIgnoredWithoutARun) {
  auto h = MakeHandler();
  std::vector<std::string> payloads = {
      testing::EventFixture("eventbridge_instance_reboot.json"),
      "",
      "not json",
      "[]",
      "42",
      R"({"Records": 5})",
      R"({"Records": []})",
      R"({"Records": [{"Sns": {"Message": "{bad json"}}]})",
      R"({"Records": [{"Sns": {"Message": "{\"Event ID\": 7}"}}]})",
      R"({"source": "aws.rds", "detail": "not an object"})",
      R"({"source": "aws.rds", "detail-type": "RDS DB Snapshot Event", "detail": {"EventID": "RDS-EVENT-0091"}})",
      R"({"source": "drsnap", "detail-type": "drsnap Snapshot Shared", "detail": {"SnapshotArn": 5}})",
      R"({"source": "aws.rds", "account": "999999999999", "region": "us-east-1", "detail-type": "RDS DB Snapshot Event",
          "detail": {"EventID": "RDS-EVENT-0091", "SourceIdentifier": "rds:x-2026-11-23-04-10"}})",
      std::string(10000, '['),
      R"({"drsnap": 1})",
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::string junk(static_cast<size_t>(rng() % 200), '\0');
    for (char& c : junk) c = static_cast<char>(rng() % 256);
    payloads.push_back(junk);
  }
  for (const auto& p : payloads) {
    HandlerResult r = h.Handle(Inv(p));
    ASSERT_TRUE(r.ok) << p.substr(0, 80) << ": " << r.error_message;
    json b = Body(r);
    EXPECT_EQ(b["run"], "none") << p.substr(0, 80);
    ASSERT_FALSE(b["triggers"].empty());
    EXPECT_FALSE(b["triggers"][0]["reason"].get<std::string>().empty());
  }
  EXPECT_EQ(Captures(*sim_, "orders-db"), 0);
}

TEST_F(HandlerTest, NearDeadlineStartsNothingAndReportsWhatIsLeft) {
  auto h = MakeHandler();
  // One second left, margin 10 s: observe and plan, start nothing.
  HandlerResult r = h.Handle(Inv(testing::EventFixture("scheduled.json"), std::chrono::seconds(1)));
  ASSERT_TRUE(r.ok) << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["run"], "full");
  EXPECT_TRUE(b["deadline_reached"].get<bool>()) << r.body;
  EXPECT_EQ(b["done"], 0);
  EXPECT_GE(b["actions"].get<int>(), 2);  // a capture for orders-db and one for ledger
  EXPECT_EQ(b["left"].size(), b["actions"].get<size_t>());
  EXPECT_NE(b["left"][0]["reason"].get<std::string>().find("deadline"), std::string::npos)
      << b["left"][0];
  EXPECT_EQ(Captures(*sim_, "orders-db"), 0);
  EXPECT_EQ(Captures(*sim_, "ledger"), 0);

  // The next invocation continues.
  HandlerResult again = h.Handle(Inv(testing::EventFixture("scheduled.json")));
  ASSERT_TRUE(again.ok) << again.error_message;
  EXPECT_FALSE(Body(again)["deadline_reached"].get<bool>());
  EXPECT_EQ(Captures(*sim_, "orders-db"), 1);
  EXPECT_EQ(Captures(*sim_, "ledger"), 1);
}

TEST_F(HandlerTest, SharesAreAnnouncedOnTheSourceSideOnly) {
  auto source = MakeHandler(Side::kSource);
  // Capture, let the copies finish, then share.
  ASSERT_TRUE(source.Handle(Inv(testing::EventFixture("scheduled.json"))).ok);
  sim_->sim->Advance(std::chrono::hours(1));
  HandlerResult r = source.Handle(Inv(testing::EventFixture("scheduled.json")));
  ASSERT_TRUE(r.ok) << r.error_message;
  ASSERT_EQ(emitted_.size(), 2u) << r.body;  // orders-db and ledger
  EXPECT_EQ(Body(r)["events"]["emitted"], 2);
  std::set<std::string> dbs;
  for (const auto& e : emitted_) {
    EXPECT_EQ(e.source, "drsnap");
    EXPECT_EQ(e.detail_type, "drsnap Snapshot Shared");
    ASSERT_EQ(e.resources.size(), 1u);
    // What the vault receives once forwarded decodes to the fast path.
    json ev = {
        {"source", e.source}, {"detail-type", e.detail_type}, {"detail", json::parse(e.detail)}};
    auto t = DecodeEvent(ev.dump());
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].kind, TriggerKind::kDatabase) << t[0].reason;
    EXPECT_EQ(t[0].account_id, kProdAccount);
    EXPECT_EQ(t[0].region, "us-east-1");
    EXPECT_EQ(t[0].cluster, t[0].db_id == "ledger");
    EXPECT_TRUE(e.resources[0].find(t[0].snapshot_id) != std::string::npos);
    dbs.insert(t[0].db_id);
  }
  EXPECT_EQ(dbs, (std::set<std::string>{"orders-db", "ledger"}));

  // The vault side never announces.
  emitted_.clear();
  auto vault = MakeHandler(Side::kVault);
  ASSERT_TRUE(vault.Handle(Inv(testing::EventFixture("scheduled.json"))).ok);
  EXPECT_TRUE(emitted_.empty());
}

TEST_F(HandlerTest, EmitFailureIsCountedNotFatal) {
  HandlerOptions o;
  o.watch_first_poll = Duration::zero();  // one run per invocation, as above
  o.emit = [](const std::vector<aws::EventEntry>&) -> Status {
    return Fail(Error::Transient("ServiceUnavailable", "EventBridge is down"));
  };
  InvocationHandler h(reconciler_.get(), o);
  ASSERT_TRUE(h.Handle(Inv(testing::EventFixture("scheduled.json"))).ok);
  sim_->sim->Advance(std::chrono::hours(1));
  HandlerResult r = h.Handle(Inv(testing::EventFixture("scheduled.json")));
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(Body(r)["events"]["failed"], 2) << r.body;
}

// The watch: RDS emits no event when a DB cluster snapshot copy ends, so the
// invocation that made (or found) one polls it on the reconciler's clock
// (the simulator's here) and, when it ends, runs again: the cluster's
// capture is shared, and announced, within the one invocation.
TEST_F(HandlerTest, AClusterCopyIsWatchedUntilItEndsAndTheNextHopFollows) {
  auto h = MakeHandler(Side::kSource, /*watch=*/true);
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["watch"]["copies"], 1) << r.body;
  EXPECT_GE(b["watch"]["polls"].get<int>(), 1);
  EXPECT_EQ(b["watch"]["runs"], 1);
  EXPECT_TRUE(b["watch"]["still_copying"].empty()) << r.body;
  EXPECT_EQ(Captures(*sim_, "ledger"), 1);
  ASSERT_EQ(emitted_.size(), 1u) << r.body;  // the capture, shared once it was available
  EXPECT_NE(emitted_[0].detail.find("\"DBIdentifier\":\"ledger\""), std::string::npos);
  EXPECT_GE(b["done"].get<int>(), 2);  // the copy, then the share
}

// A watch never outlives the invocation: no poll that would end within the
// deadline margin; the copy is listed and left to the next invocation.
TEST_F(HandlerTest, TheWatchEndsBeforeTheDeadline) {
  auto h = MakeHandler(Side::kSource, /*watch=*/true);
  // 20 s left, a 10 s margin: the first poll (15 s) would end too late.
  HandlerResult r = h.Handle(
      Inv(testing::EventFixture("eventbridge_cluster_snapshot.json"), std::chrono::seconds(20)));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["watch"]["polls"], 0) << r.body;
  ASSERT_EQ(b["watch"]["still_copying"].size(), 1u) << r.body;
  EXPECT_NE(b["watch"]["still_copying"][0].get<std::string>().find("drsnap-ledger-"),
            std::string::npos);
  EXPECT_TRUE(emitted_.empty());
}

TEST(HandlerFailures, FailedActionsAreAFunctionError) {
  // The DR key does not exist: every vault copy fails.
  std::string policy = testing::PolicyYaml("ENDPOINT", kVaultAccount, true);
  const std::string good = "00000000-0000-0000-0000-00000000b002";
  policy.replace(policy.find(good), good.size(), "00000000-0000-0000-0000-0000000dead0");
  auto sim = testing::StartLambdaSim(testing::WorldYaml(), policy);
  ASSERT_NE(sim, nullptr);
  sim->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto rec = sim->NewReconciler();
  InvocationHandler h(rec.get(), HandlerOptions{});
  HandlerResult r;
  for (int i = 0; i < 4 && r.ok; ++i) {
    r = h.Handle(Inv(testing::EventFixture("scheduled.json")));
    sim->sim->Advance(std::chrono::hours(1));
  }
  ASSERT_FALSE(r.ok) << r.body;
  EXPECT_EQ(r.error_type, "drsnap.ActionsFailed");
  EXPECT_NE(r.error_message.find("actions failed; first: copy"), std::string::npos)
      << r.error_message;
  json b = json::parse(r.body);
  EXPECT_GE(b["failed"].get<int>(), 1);
  EXPECT_FALSE(b["failures"].empty());
}

TEST(HandlerFailures, UnobservableScopesAreAFunctionError) {
  auto sim = testing::StartLambdaSim(
      testing::WorldYaml(), testing::PolicyYaml("http://127.0.0.1:1", kVaultAccount, true));
  ASSERT_NE(sim, nullptr);
  auto rec = sim->NewReconciler();
  InvocationHandler h(rec.get(), HandlerOptions{});
  HandlerResult r = h.Handle(Inv(testing::EventFixture("scheduled.json")));
  ASSERT_FALSE(r.ok) << r.body;
  EXPECT_EQ(r.error_type, "drsnap.ObserveIncomplete");
  EXPECT_NE(r.error_message.find("111111111111/us-east-1"), std::string::npos) << r.error_message;
}

TEST(ChooseRun, SeveralDatabasesOrAScopeRunFull) {
  auto sim = testing::StartLambdaSim(testing::WorldYaml(),
                                     testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(sim, nullptr);
  Trigger a{TriggerKind::kDatabase, "a", kProdAccount, "us-east-1", "orders-db", false, "", "", ""};
  Trigger b = a;
  b.db_id = "ledger";
  Trigger foreign = a;
  foreign.account_id = "999999999999";
  Trigger ignore{TriggerKind::kIgnore, "nothing", "", "", "", false, "", "", ""};
  EXPECT_EQ(ChooseRun({a, a}, sim->config).only_db, "orders-db");
  EXPECT_TRUE(ChooseRun({a, b}, sim->config).run);
  EXPECT_EQ(ChooseRun({a, b}, sim->config).only_db, "");
  EXPECT_FALSE(ChooseRun({foreign, ignore}, sim->config).run);
  EXPECT_EQ(ChooseRun({foreign, a}, sim->config).only_db, "orders-db");
  Trigger scope{TriggerKind::kScope, "s", kVaultAccount, "eu-west-1", "", false, "", "", ""};
  EXPECT_TRUE(ChooseRun({scope, a}, sim->config).run);
  EXPECT_EQ(ChooseRun({scope, a}, sim->config).only_db, "");
}

TEST(ParseSide, KnownAndUnknown) {
  EXPECT_EQ(*ParseSide(""), Side::kAll);
  EXPECT_EQ(*ParseSide("Source"), Side::kSource);
  EXPECT_EQ(*ParseSide("vault"), Side::kVault);
  auto bad = ParseSide("dr");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'dr'"), std::string::npos);
}

}  // namespace
}  // namespace drsnap::lambda
