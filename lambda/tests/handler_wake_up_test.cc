// The watch's one-time wake-up against drsnap-sim: a DB cluster snapshot
// copy (RDS emits no event when one ends) that outlasts the invocation
// makes the function ask for one invocation of itself at the copy's
// expected end, estimated from the PercentProgress the watch saw; that
// invocation's full reconcile finds the copy ended and makes the next hop.
// Time is the simulator's virtual clock: no wall-clock thresholds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "engine/naming.h"
#include "lambda/handler.h"
#include "lambda_sim.h"
#include "testing/sim_world.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using testing::kProdAccount;
using testing::kVaultAccount;

constexpr auto kFar = std::chrono::minutes(14);

// The sim's defaults (sim/world.h Settings): a same-region copy moves
// 200 MB/s, so a capture of a 360 GB cluster takes round(360 * 1024 / 200)
// = 1843 s, well beyond an invocation's 15 minutes; one of 20 GB, 102 s.
constexpr int kBigClusterGb = 360;
constexpr auto kBigCaptureTakes = std::chrono::seconds(1843);
constexpr auto kFirstPoll = std::chrono::seconds(15);
constexpr auto kMaxPoll = std::chrono::minutes(2);

Invocation Inv(std::string payload, Duration left = kFar) {
  Invocation inv;
  inv.request_id = "req-wake";
  inv.deadline = std::chrono::system_clock::now() + left;
  inv.function_arn = "arn:aws:lambda:us-east-1:111111111111:function:drsnap-source";
  inv.payload = std::move(payload);
  return inv;
}

json Body(const HandlerResult& r) {
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

std::string World(int cluster_gb) {
  drsnap::testing::SimWorld w =
      drsnap::testing::ProdAndVault("", drsnap::testing::LedgerCluster(cluster_gb));
  w.settings = "{copy_rule: one-step}";
  return w.Yaml();
}

class WakeUpTest : public ::testing::Test {
 protected:
  void Start(int cluster_gb) {
    sim_ = testing::StartLambdaSim(World(cluster_gb),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
    ASSERT_NE(sim_, nullptr);
    // 05:00: the automated cluster snapshot of 03:00 is available.
    start_ = *ParseIso8601("2026-11-23T05:00:00Z");
    sim_->sim->SetTime(start_);
    reconciler_ = sim_->NewReconciler();
  }

  // The source side, watching, with a recording (or failing) scheduler.
  InvocationHandler MakeHandler(Status scheduler_answer = OkStatus()) {
    HandlerOptions o;
    o.side = Side::kSource;
    o.watch_first_poll = kFirstPoll;
    o.watch_max_poll = kMaxPoll;
    o.emit = [this](const std::vector<aws::EventEntry>& entries) -> Status {
      for (const auto& e : entries) emitted_.push_back(e);
      return OkStatus();
    };
    o.wake_at = [this, scheduler_answer](const WakeUpRequest& r) -> Status {
      wake_ups_.push_back(r);
      return scheduler_answer;
    };
    return InvocationHandler(reconciler_.get(), o);
  }

  bool Shared(const std::string& db) const {
    return std::ranges::any_of(emitted_, [&](const aws::EventEntry& e) {
      return e.detail.find("\"DBIdentifier\":\"" + db + "\"") != std::string::npos;
    });
  }

  std::unique_ptr<testing::LambdaSim> sim_;
  std::unique_ptr<engine::Reconciler> reconciler_;
  TimePoint start_{};
  std::vector<aws::EventEntry> emitted_;
  std::vector<WakeUpRequest> wake_ups_;
};

TEST_F(WakeUpTest, ACopyOutlastingTheInvocationWakesTheFunctionAtItsExpectedEndForTheNextHop) {
  Start(kBigClusterGb);
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  ASSERT_EQ(b["watch"]["still_copying"].size(), 1u) << r.body;
  EXPECT_FALSE(Shared("ledger"));

  // One wake-up, at about the capture's end: the capture was issued at
  // start_, and the woken invocation polls first kFirstPoll after it wakes,
  // so it wakes no later than the end less that poll, and within the
  // watch's poll granularity of it.
  ASSERT_EQ(wake_ups_.size(), 1u) << r.body;
  const WakeUpRequest wake = wake_ups_[0];
  const TimePoint copy_end = start_ + kBigCaptureTakes;
  EXPECT_LE(wake.at, copy_end - kFirstPoll) << FormatIso8601(wake.at);
  EXPECT_GE(wake.at, copy_end - kMaxPoll) << FormatIso8601(wake.at);
  EXPECT_EQ(wake.name, WakeUpScheduleName(Side::kSource, wake.at));
  EXPECT_EQ(wake.function_arn, "arn:aws:lambda:us-east-1:111111111111:function:drsnap-source");
  EXPECT_NE(wake.why.find("drsnap-ledger-"), std::string::npos) << wake.why;
  EXPECT_EQ(b["watch"]["wake_up"]["at"], FormatIso8601Seconds(wake.at)) << r.body;
  EXPECT_EQ(b["watch"]["wake_up"]["schedule"], wake.name);
  EXPECT_EQ(b["watch"]["wake_up"]["scheduled"], true);
  EXPECT_EQ(b["watch"]["wake_up"]["why"], wake.why);
  // The payload carries the two readings the estimate rests on.
  CopyProgress carried = WatchWakeUpProgress(wake.payload);
  ASSERT_EQ(carried.size(), 1u) << wake.payload;
  EXPECT_EQ(carried.begin()->second.size(), 2u) << wake.payload;
  // No copy could end before the deadline: the watch handed off early
  // rather than poll the invocation's whole time away.
  EXPECT_TRUE(b["watch"]["handed_off"].get<bool>()) << r.body;
  EXPECT_LT(sim_->sim->Now(), start_ + kFar - std::chrono::minutes(5));

  // Scheduler invokes the function at that time with the payload: a full
  // reconcile that watches the copy to its end and shares the capture.
  sim_->sim->SetTime(wake.at);
  HandlerResult woke = h.Handle(Inv(wake.payload));
  ASSERT_TRUE(woke.ok) << woke.error_type << ": " << woke.error_message;
  json wb = Body(woke);
  EXPECT_EQ(wb["run"], "full") << woke.body;
  EXPECT_EQ(wb["triggers"][0]["event_id"], "watch-wake-up");
  EXPECT_TRUE(wb["watch"]["still_copying"].empty()) << woke.body;
  EXPECT_FALSE(wb["watch"].contains("wake_up")) << woke.body;
  EXPECT_TRUE(Shared("ledger")) << woke.body;
  EXPECT_EQ(wake_ups_.size(), 1u);
  // The next hop (the share) followed the copy's end within a minute: the
  // invocation ended with the run that shared.
  EXPECT_GE(sim_->sim->Now(), copy_end);
  EXPECT_LT(sim_->sim->Now() - copy_end, std::chrono::minutes(1))
      << FormatIso8601(sim_->sim->Now());
}

// A capture of 2000 GB takes round(2000 * 1024 / 200) = 10240 s: in its
// first invocation it moves 8 points, too few to trust the estimate (its
// rounding), so that one polls to its deadline and wakes the function at
// the latest an hour on. The wake-up carries what it saw: the woken
// invocation's estimate spans both, is settled at once, and it hands off
// without a poll. The chain of wake-ups ends with the share, within a
// minute of the copy's end.
TEST_F(WakeUpTest, WakeUpsCarryTheCopysProgressSoTheNextInvocationHandsOffAtOnce) {
  Start(2000);
  const TimePoint copy_end = start_ + std::chrono::seconds(10240);
  auto h = MakeHandler();
  HandlerResult first = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(first.ok) << first.error_message;
  json b = Body(first);
  EXPECT_FALSE(b["watch"]["handed_off"].get<bool>()) << first.body;
  ASSERT_EQ(wake_ups_.size(), 1u) << first.body;
  EXPECT_EQ(wake_ups_[0].at, sim_->sim->Now() + std::chrono::hours(1));  // the clamp
  CopyProgress carried = WatchWakeUpProgress(wake_ups_[0].payload);
  ASSERT_EQ(carried.size(), 1u) << wake_ups_[0].payload;
  EXPECT_EQ(carried.begin()->second.size(), 2u) << wake_ups_[0].payload;

  for (size_t i = 0; i < 6 && !Shared("ledger"); ++i) {
    ASSERT_EQ(wake_ups_.size(), i + 1);
    sim_->sim->SetTime(wake_ups_[i].at);
    HandlerResult woke = h.Handle(Inv(wake_ups_[i].payload));
    ASSERT_TRUE(woke.ok) << woke.error_message;
    json wb = Body(woke);
    if (i == 0) {
      EXPECT_EQ(wb["watch"]["polls"], 0) << woke.body;
      EXPECT_TRUE(wb["watch"]["handed_off"].get<bool>()) << woke.body;
    }
  }
  ASSERT_TRUE(Shared("ledger"));
  EXPECT_LE(wake_ups_.size(), 4u);  // 1 h, 1 h, then at the estimate
  EXPECT_GE(sim_->sim->Now(), copy_end);
  EXPECT_LT(sim_->sim->Now() - copy_end, std::chrono::minutes(1))
      << FormatIso8601(sim_->sim->Now());
}

TEST_F(WakeUpTest, ACopyEndingWithinTheInvocationSchedulesNothing) {
  Start(20);
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_TRUE(b["watch"]["still_copying"].empty()) << r.body;
  EXPECT_FALSE(b["watch"].contains("wake_up")) << r.body;
  EXPECT_FALSE(b["watch"]["handed_off"].get<bool>());
  EXPECT_TRUE(wake_ups_.empty());
  EXPECT_TRUE(Shared("ledger"));
}

// Within an invocation too, the watch polls at a copy's expected end rather
// than at its doubling interval: a capture of 120 GB, round(120 * 1024 /
// 200) = 614 s, ends between the polls at 585 s and 705 s after it started,
// and its share follows within a minute.
TEST_F(WakeUpTest, TheWatchPollsAtTheExpectedEndSoTheNextHopFollowsWithinAMinute) {
  Start(120);
  const TimePoint copy_end = start_ + std::chrono::seconds(614);
  auto h = MakeHandler();
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_TRUE(b["watch"]["still_copying"].empty()) << r.body;
  EXPECT_TRUE(wake_ups_.empty());
  ASSERT_TRUE(Shared("ledger")) << r.body;
  EXPECT_GE(sim_->sim->Now(), copy_end);
  EXPECT_LT(sim_->sim->Now() - copy_end, std::chrono::minutes(1))
      << FormatIso8601(sim_->sim->Now());
}

// No poll fits before the deadline: no progress was seen, so the wake-up is
// the short default (clamped to at least a minute away).
TEST_F(WakeUpTest, WithoutAProgressEstimateTheWakeUpIsShort) {
  Start(kBigClusterGb);
  auto h = MakeHandler();
  HandlerResult r = h.Handle(
      Inv(testing::EventFixture("eventbridge_cluster_snapshot.json"), std::chrono::seconds(20)));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  EXPECT_EQ(b["watch"]["polls"], 0) << r.body;
  ASSERT_EQ(wake_ups_.size(), 1u) << r.body;
  EXPECT_EQ(wake_ups_[0].at, start_ + std::chrono::minutes(2));
  EXPECT_NE(wake_ups_[0].why.find("no progress estimate"), std::string::npos) << wake_ups_[0].why;
  EXPECT_FALSE(b["watch"]["handed_off"].get<bool>());
}

// A copy seen not moving for a while (queued behind other copies, or very
// slow) is not woken for every few minutes: after about as long as it has
// not moved (here 29 minutes, by the readings a wake-up carried).
TEST_F(WakeUpTest, ACopyThatHasNotMovedIsWokenForAfterAboutAsLongAgain) {
  Start(kBigClusterGb);
  auto h = MakeHandler();
  const std::string copy = std::string(kProdAccount) + "/us-east-1 drsnap-ledger-202611230300";
  std::string payload = WatchWakeUpPayload(
      "source", "2026-11-23T05:00:00Z", "test",
      {{copy, {{start_ - std::chrono::minutes(30), 0}, {start_ - std::chrono::minutes(1), 0}}}});
  HandlerResult r = h.Handle(Inv(payload, std::chrono::seconds(20)));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  ASSERT_EQ(wake_ups_.size(), 1u) << r.body;
  EXPECT_EQ(wake_ups_[0].at, start_ + std::chrono::minutes(29));
  EXPECT_NE(wake_ups_[0].why.find("has stayed at 0% since"), std::string::npos) << wake_ups_[0].why;
  // The next wake-up carries the whole span.
  CopyProgress carried = WatchWakeUpProgress(wake_ups_[0].payload);
  ASSERT_EQ(carried[copy].size(), 2u) << wake_ups_[0].payload;
  EXPECT_EQ(carried[copy].front().at, start_ - std::chrono::minutes(30));
}

TEST_F(WakeUpTest, AFailingSchedulerIsReportedNotFatal) {
  Start(kBigClusterGb);
  auto h = MakeHandler(Fail(Error::Terminal("AccessDeniedException",
                                            "not authorized to perform scheduler:CreateSchedule")));
  HandlerResult r = h.Handle(Inv(testing::EventFixture("eventbridge_cluster_snapshot.json")));
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = Body(r);
  ASSERT_EQ(wake_ups_.size(), 1u);
  EXPECT_EQ(b["watch"]["wake_up"]["scheduled"], false) << r.body;
  EXPECT_NE(b["watch"]["wake_up"]["error"].get<std::string>().find("AccessDeniedException"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(b["watch"]["still_copying"].size(), 1u);
}

TEST(EstimateCopyEnd, FromTheRateBetweenTheAnchorAndTheLastSample) {
  const TimePoint t0 = *ParseIso8601("2026-11-23T05:00:00Z");
  auto at = [&](int s) { return t0 + std::chrono::seconds(s); };
  EXPECT_FALSE(EstimateCopyEnd({}));
  EXPECT_FALSE(EstimateCopyEnd({{at(0), 10}}));
  // No progress between the samples (queued, or slower than a percent).
  EXPECT_FALSE(EstimateCopyEnd({{at(0), 0}, {at(60), 0}}));
  // 10 points in 100 s: 89.5 left after 19 -> 895 s more. Settled.
  auto e = EstimateCopyEnd({{at(0), 9}, {at(50), 14}, {at(100), 19}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->end, at(100 + 805));
  EXPECT_TRUE(e->settled);
  // A copy queued at 0 starts later: the anchor is its last 0.
  auto q = EstimateCopyEnd({{at(0), 0}, {at(300), 0}, {at(400), 5}});
  ASSERT_TRUE(q);
  EXPECT_EQ(q->end, at(400 + 1890));
  EXPECT_FALSE(q->settled);  // 5 points: the rounding may move it a lot
  // At 99% half a point is left: 1 s at 0.5 points a second.
  auto done = EstimateCopyEnd({{at(0), 49}, {at(100), 99}});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->end, at(101));
}

TEST(WakeUpScheduleName, SideAndMinuteInUtc) {
  EXPECT_EQ(WakeUpScheduleName(Side::kVault, *ParseIso8601("2026-11-23T05:29:01Z")),
            "drsnap-wake-vault-20261123T0529");
  EXPECT_EQ(WakeUpScheduleName(Side::kSource, *ParseIso8601("2026-11-23T05:29:59.900Z")),
            "drsnap-wake-source-20261123T0529");
}

}  // namespace
}  // namespace drsnap::lambda
