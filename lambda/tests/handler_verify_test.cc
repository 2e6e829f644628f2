// Restore drills from the vault function (the {"drsnap": "verify"} input of
// deploy/vault.yaml's VerifyScheduleRule): each invocation advances every
// drill one step. Over FakeCloud (phases, failures as function errors, the
// deadline, the source side) and against drsnap-sim through the real HTTP
// path (start, advance the sim's clock, record and delete; a failing restore).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "engine/fake_cloud.h"
#include "engine/naming.h"
#include "engine/verify.h"
#include "lambda/handler.h"
#include "lambda_sim.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
namespace verify = engine::verify;

constexpr char kVerifyInput[] = R"({"drsnap": "verify"})";
const engine::Scope kTarget{"222222222222", "eu-west-1"};

json Body(const HandlerResult& r) {
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

config::Config VerifyConfig() {
  auto c = config::ParseConfig(R"(
version: 1
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions:
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr",
                      verify: {instance_class: db.t3.micro, timeout: 2h, every: 7d}}
          us-west-2: {kms_key: "arn:aws:kms:us-west-2:222222222222:key/dr"}
)",
                               "test.yaml");
  EXPECT_TRUE(c.has_value()) << c.error().ToString();
  return c ? *c : config::Config{};
}

// A vault copy of "orders" in kTarget as drsnap makes it.
engine::Snapshot VaultCopy(TimePoint point) {
  engine::Snapshot s;
  s.kind = engine::DbKind::kInstance;
  s.id = engine::naming::VaultName("111111111111", "orders", point);
  s.scope = kTarget;
  s.db_id = "orders";
  s.status = engine::SnapshotStatus::kAvailable;
  s.percent_progress = 100;
  s.create_time = point + hours(1);
  s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = "arn:aws:kms:eu-west-1:222222222222:key/dr";
  s.source_arn =
      "arn:aws:rds:us-east-1:111111111111:snapshot:" + engine::naming::CaptureName("orders", point);
  s.source_region = "us-east-1";
  s.tags = {{engine::naming::kTagManaged, "true"},
            {engine::naming::kTagPolicy, "orders"},
            {engine::naming::kTagDb, "orders"},
            {engine::naming::kTagStage, "vault"},
            {engine::naming::kTagRecoveryPoint, FormatIso8601Seconds(point)},
            {engine::naming::kTagSourceAccount, "111111111111"},
            {engine::naming::kTagSourceArn, s.source_arn}};
  return s;
}

TEST(ChooseRunVerify, AVerifyTriggerAsksForDrillsNotAReconcile) {
  RunRequest req = ChooseRun(DecodeEvent(kVerifyInput), VerifyConfig());
  EXPECT_TRUE(req.verify);
  EXPECT_FALSE(req.run);
  ASSERT_EQ(req.reasons.size(), 1u);
  EXPECT_EQ(req.reasons[0].rfind("verify: ", 0), 0u) << req.reasons[0];
  req = ChooseRun(DecodeEvent(R"({"drsnap": "reconcile"})"), VerifyConfig());
  EXPECT_FALSE(req.verify);
  EXPECT_TRUE(req.run);
}

class HandlerVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_shared<engine::FakeCloud>();
    fake_->AddSnapshot(VaultCopy(kPoint));
    copy_id_ = engine::naming::VaultName("111111111111", "orders", kPoint);
    clock_ = std::make_shared<FakeClock>(kStart);
    reconciler_ = std::make_unique<engine::Reconciler>(fake_, VerifyConfig(), clock_);
  }

  HandlerResult Invoke(Side side = Side::kVault, Duration left = minutes(14),
                       const std::string& payload = kVerifyInput) {
    HandlerOptions o;
    o.side = side;
    o.wall_clock = clock_;
    InvocationHandler h(reconciler_.get(), o);
    Invocation inv;
    inv.request_id = "req-verify";
    inv.deadline = clock_->Now() + left;
    inv.payload = payload;
    return h.Handle(inv);
  }

  std::string Drill() const { return verify::DrillName("orders", kPoint); }

  const TimePoint kPoint = T("2026-11-24T04:10:00Z");
  const TimePoint kStart = T("2026-11-25T12:00:00Z");
  std::shared_ptr<engine::FakeCloud> fake_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<engine::Reconciler> reconciler_;
  std::string copy_id_;
};

TEST_F(HandlerVerifyTest, EachInvocationAdvancesTheDrillOneStep) {
  // 1: the drill is due (never drilled): the restore starts, nothing waits.
  HandlerResult r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message << "\n" << r.body;
  json b = Body(r);
  EXPECT_EQ(b["run"], "verify");
  EXPECT_EQ(b["triggers"][0]["kind"], "verify");
  ASSERT_EQ(b["drills"].size(), 1u) << r.body;
  EXPECT_EQ(b["drills"][0]["db"], "orders");
  EXPECT_EQ(b["drills"][0]["target"], "222222222222/eu-west-1");
  EXPECT_EQ(b["drills"][0]["phase"], "starting");
  EXPECT_EQ(b["drills"][0]["result"], "running");
  EXPECT_EQ(b["drills"][0]["drill"], Drill());
  ASSERT_EQ(b["steps"].size(), 1u);
  EXPECT_EQ(b["steps"][0]["step"], "restore");
  EXPECT_EQ(fake_->FindDatabase(kTarget, Drill())->status, "creating");
  // No reconcile ran: nothing but the restore was called.
  EXPECT_EQ(fake_->MutationLog(),
            std::vector<std::string>{"RestoreFromSnapshot 222222222222/eu-west-1 " + Drill()});

  // 2: still creating: reported as running, nothing done.
  clock_->Advance(minutes(10));
  r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_message;
  b = Body(r);
  EXPECT_EQ(b["drills"][0]["phase"], "running");
  EXPECT_TRUE(b["steps"].empty()) << r.body;

  // 3: available: the result is recorded on the vault copy and the instance deleted.
  fake_->SetDatabaseStatus(kTarget, Drill(), "available");
  clock_->Advance(minutes(10));
  r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_message << "\n" << r.body;
  b = Body(r);
  EXPECT_EQ(b["drills"][0]["phase"], "passed");
  EXPECT_EQ(b["drills"][0]["result"], "ok");
  EXPECT_FALSE(fake_->FindDatabase(kTarget, Drill()).has_value());
  auto copy = fake_->Find(kTarget, copy_id_);
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->tags.at(verify::kTagVerifyResult), "ok");
  EXPECT_EQ(copy->tags.at(verify::kTagVerifiedAt), "2026-11-25T12:20:00Z");

  // 4: not due again for `every` (7d): nothing is done; the last result is shown.
  clock_->Advance(hours(1));
  r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_message;
  b = Body(r);
  EXPECT_EQ(b["drills"][0]["result"], "not-due");
  EXPECT_EQ(b["drills"][0]["last"]["ok"], true);
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 1);
}

TEST_F(HandlerVerifyTest, AFailedDrillIsRecordedAndIsAFunctionError) {
  ASSERT_TRUE(Invoke().ok);
  fake_->SetDatabaseStatus(kTarget, Drill(), "incompatible-restore");
  clock_->Advance(minutes(30));
  HandlerResult r = Invoke();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, "drsnap.DrillFailed");
  EXPECT_NE(r.error_message.find("orders"), std::string::npos) << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["drills"][0]["result"], "failed");
  EXPECT_EQ(fake_->Find(kTarget, copy_id_)->tags.at(verify::kTagVerifyResult), "failed");
  EXPECT_FALSE(fake_->FindDatabase(kTarget, Drill()).has_value());
  // The failure paged once; the next invocation reports it as the last result.
  clock_->Advance(hours(1));
  r = Invoke();
  EXPECT_TRUE(r.ok) << r.error_type;
  EXPECT_EQ(Body(r)["drills"][0]["last"]["ok"], false);
}

TEST_F(HandlerVerifyTest, ATimedOutDrillFails) {
  ASSERT_TRUE(Invoke().ok);
  clock_->Advance(hours(3));  // timeout 2h, still creating
  HandlerResult r = Invoke();
  EXPECT_EQ(r.error_type, "drsnap.DrillFailed") << r.body;
  EXPECT_EQ(fake_->Find(kTarget, copy_id_)->tags.at(verify::kTagVerifyResult), "failed");
}

TEST_F(HandlerVerifyTest, AFailedStepIsAFunctionErrorAndIsRetried) {
  fake_->FailNext("RestoreFromSnapshot", Error::Throttling("Throttling", "Rate exceeded"));
  HandlerResult r = Invoke();
  EXPECT_EQ(r.error_type, "drsnap.DrillStepFailed") << r.body;
  EXPECT_NE(Body(r)["drills"][0]["error"].get<std::string>().find("Rate exceeded"),
            std::string::npos)
      << r.body;
  r = Invoke();
  EXPECT_TRUE(r.ok) << r.error_message;
  EXPECT_TRUE(fake_->FindDatabase(kTarget, Drill()).has_value());
}

TEST_F(HandlerVerifyTest, NoRestoreStartsNearTheDeadline) {
  HandlerResult r = Invoke(Side::kVault, std::chrono::seconds(5));  // margin is 10s
  ASSERT_TRUE(r.ok) << r.error_message;
  json b = Body(r);
  ASSERT_EQ(b["left"].size(), 1u) << r.body;
  EXPECT_NE(b["left"][0]["action"].get<std::string>().find("restore"), std::string::npos);
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 0);
  // The next invocation, with time, starts it.
  ASSERT_TRUE(Invoke().ok);
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 1);
}

TEST_F(HandlerVerifyTest, AnUnlistableTargetIsObserveIncomplete) {
  fake_->FailListing(kTarget, Error::Throttling("Throttling", "Rate exceeded"));
  HandlerResult r = Invoke();
  EXPECT_EQ(r.error_type, "drsnap.ObserveIncomplete") << r.body;
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 0);
}

TEST_F(HandlerVerifyTest, TheSourceSideIgnoresTheTriggerAndAllSideDrills) {
  HandlerResult r = Invoke(Side::kSource);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(Body(r)["run"], "none");
  EXPECT_TRUE(fake_->MutationLog().empty());
  EXPECT_EQ(fake_->Calls("ListSnapshots"), 0);
  r = Invoke(Side::kAll);
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(Body(r)["run"], "verify");
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 1);
}

TEST_F(HandlerVerifyTest, AMalformedVerifyInputDoesNothing) {
  HandlerResult r = Invoke(Side::kVault, minutes(14), R"({"drsnap": "verfy"})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(Body(r)["run"], "none");
  EXPECT_EQ(fake_->Calls("RestoreFromSnapshot"), 0);
}

// ------------------------------------------------------------------ drsnap-sim

class HandlerVerifySimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string policy = testing::PolicyYaml("ENDPOINT", testing::kVaultAccount, true);
    const std::string from = "\"}\n    retention";
    size_t at = policy.find(from);
    ASSERT_NE(at, std::string::npos) << policy;
    policy.replace(at, from.size(),
                   "\", verify: {instance_class: db.t3.micro, timeout: 2h}}\n    retention");
    sim_ = testing::StartLambdaSim(testing::WorldYaml(), policy);
    ASSERT_NE(sim_, nullptr);
    sim_->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
    reconciler_ = sim_->NewReconciler();
    // The pipeline (one process, both sides) vaults orders-db and ledger.
    for (int i = 0; i < 16 && VaultCopies().size() < 2; ++i) {
      reconciler_->RunOnce({});
      sim_->sim->Advance(minutes(30));
    }
    ASSERT_EQ(VaultCopies().size(), 2u);
  }

  std::vector<engine::Snapshot> VaultCopies() const {
    std::vector<engine::Snapshot> out;
    for (auto& s : Owned(*sim_, {testing::kVaultAccount, "eu-west-1"})) {
      auto l = engine::naming::ParseName(s.id);
      if (l && l->stage == engine::naming::NameStage::kVault &&
          s.status == engine::SnapshotStatus::kAvailable)
        out.push_back(s);
    }
    return out;
  }
  std::vector<std::string> DrillDatabases() const {
    auto dbs = sim_->cloud->ListDatabases(kTarget);
    EXPECT_TRUE(dbs.has_value());
    std::vector<std::string> out;
    if (dbs)
      for (const auto& d : *dbs)
        if (d.id.starts_with(verify::kDrillPrefix) && d.status != "deleting")
          out.push_back(d.id + ":" + d.status);
    return out;
  }

  HandlerResult Invoke() {
    HandlerOptions o;
    o.side = Side::kVault;
    InvocationHandler h(reconciler_.get(), o);
    Invocation inv;
    inv.request_id = "req-verify-sim";
    inv.deadline = std::chrono::system_clock::now() + minutes(14);
    inv.payload = kVerifyInput;
    return h.Handle(inv);
  }

  std::unique_ptr<testing::LambdaSim> sim_;
  std::unique_ptr<engine::Reconciler> reconciler_;
};

TEST_F(HandlerVerifySimTest, TwoInvocationsStartThenRecordAndCleanUp) {
  HandlerResult r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message << "\n" << r.body;
  json b = Body(r);
  ASSERT_EQ(b["drills"].size(), 2u) << r.body;
  for (const auto& d : b["drills"]) EXPECT_EQ(d["result"], "running") << d;
  EXPECT_EQ(DrillDatabases().size(), 2u);

  sim_->sim->Advance(hours(1));  // the sim's restores become available
  r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message << "\n" << r.body;
  b = Body(r);
  for (const auto& d : b["drills"]) EXPECT_EQ(d["result"], "ok") << d;
  EXPECT_TRUE(DrillDatabases().empty()) << ::testing::PrintToString(DrillDatabases());
  for (const auto& s : VaultCopies()) {
    ASSERT_TRUE(s.tags.contains(verify::kTagVerifyResult)) << s.id;
    EXPECT_EQ(s.tags.at(verify::kTagVerifyResult), "ok") << s.id;
  }
}

TEST_F(HandlerVerifySimTest, AFailingRestoreIsRecordedAndIsAFunctionError) {
  ASSERT_TRUE(sim_->sim
                  ->InjectFault({{"kind", "fail_restores"},
                                 {"account", kTarget.account_id},
                                 {"region", kTarget.region},
                                 {"count", 1}})
                  .has_value());
  HandlerResult r = Invoke();
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message << "\n" << r.body;
  sim_->sim->Advance(hours(1));
  r = Invoke();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, "drsnap.DrillFailed") << r.body;
  int failed = 0, ok = 0;
  const json b = Body(r);
  for (const auto& d : b["drills"]) {
    failed += d["result"] == "failed";
    ok += d["result"] == "ok";
  }
  EXPECT_EQ(failed, 1) << r.body;
  EXPECT_EQ(ok, 1) << r.body;
  std::vector<std::string> results;
  for (const auto& s : VaultCopies())
    results.push_back(
        s.tags.contains(verify::kTagVerifyResult) ? s.tags.at(verify::kTagVerifyResult) : "none");
  std::sort(results.begin(), results.end());
  EXPECT_EQ(results, (std::vector<std::string>{"failed", "ok"}));
  EXPECT_TRUE(DrillDatabases().empty()) << ::testing::PrintToString(DrillDatabases());
}

}  // namespace
}  // namespace drsnap::lambda
