// sim/faults: the throttling bucket (on a fake real-time clock), seeded
// randomness, configuration updates.
#include <gtest/gtest.h>

#include <memory>

#include "core/time_util.h"
#include "sim/faults.h"
#include "sim/request_stats.h"

namespace drsnap::sim {
namespace {

std::shared_ptr<FakeClock> NewClock() {
  return std::make_shared<FakeClock>(*ParseIso8601("2026-11-25T12:00:00Z"));
}

TEST(FaultInjectorTest, OffByDefault) {
  FaultInjector f(FaultConfig{}, NewClock());
  for (int i = 0; i < 1000; ++i) {
    FaultDecision d = f.Decide("rds", "111", "eu-west-1");
    ASSERT_EQ(d.action, FaultAction::kNone);
    ASSERT_EQ(d.delay.count(), 0);
  }
}

TEST(FaultInjectorTest, ThrottlingBucketHasAwsDefaults) {
  auto clock = NewClock();
  FaultConfig c;
  c.throttle = true;
  FaultInjector f(c, clock);
  EXPECT_EQ(f.config().throttle_burst, 300);
  EXPECT_EQ(f.config().throttle_rate, 12);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(f.Decide("rds", "111", "eu-west-1").action, FaultAction::kNone) << i;
  }
  EXPECT_EQ(f.Decide("rds", "111", "eu-west-1").action, FaultAction::kThrottle);
  // Other account-regions have their own buckets.
  EXPECT_EQ(f.Decide("rds", "111", "eu-central-1").action, FaultAction::kNone);
  EXPECT_EQ(f.Decide("rds", "222", "eu-west-1").action, FaultAction::kNone);
  // One second of real time refills 12 tokens.
  clock->Advance(std::chrono::seconds(1));
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(f.Decide("rds", "111", "eu-west-1").action, FaultAction::kNone) << i;
  }
  EXPECT_EQ(f.Decide("rds", "111", "eu-west-1").action, FaultAction::kThrottle);
  // Refill stops at the burst size.
  clock->Advance(std::chrono::hours(1));
  int ok = 0;
  while (f.Decide("rds", "111", "eu-west-1").action == FaultAction::kNone && ok < 1000) ++ok;
  EXPECT_EQ(ok, 300);
}

TEST(FaultInjectorTest, ErrorRateIsSeededAndRoughlyAsConfigured) {
  FaultConfig c;
  c.error_rate = 0.25;
  c.error_503_fraction = 0.5;
  c.seed = 42;
  auto run = [&c] {
    FaultInjector f(c, NewClock());
    std::vector<FaultAction> seq;
    for (int i = 0; i < 4000; ++i) seq.push_back(f.Decide("rds", "111", "eu-west-1").action);
    return seq;
  };
  std::vector<FaultAction> a = run(), b = run();
  EXPECT_EQ(a, b);  // same seed, same sequence
  int e500 = 0, e503 = 0;
  for (FaultAction x : a) {
    e500 += x == FaultAction::kError500;
    e503 += x == FaultAction::kError503;
  }
  // 4000 x 0.25 = 1000 expected (sd ~27); each kind about half.
  EXPECT_GT(e500 + e503, 880);
  EXPECT_LT(e500 + e503, 1120);
  EXPECT_GT(e503, 400);
  EXPECT_GT(e500, 400);
  c.seed = 43;
  EXPECT_NE(run(), a);
}

TEST(FaultInjectorTest, DropAndLatency) {
  FaultConfig c;
  c.drop_rate = 1.0;
  c.latency_ms = 100;
  c.latency_jitter_ms = 50;
  FaultInjector f(c, NewClock());
  for (int i = 0; i < 100; ++i) {
    FaultDecision d = f.Decide("kms", "111", "eu-west-1");
    ASSERT_EQ(d.action, FaultAction::kDrop);
    ASSERT_GE(d.delay.count(), 100);
    ASSERT_LE(d.delay.count(), 150);
  }
}

TEST(FaultInjectorTest, UpdateMergesAndValidates) {
  FaultInjector f(FaultConfig{}, NewClock());
  ASSERT_TRUE(f.Update({{"throttle", true}, {"throttle_burst", 5}}));
  EXPECT_TRUE(f.config().throttle);
  EXPECT_EQ(f.config().throttle_burst, 5);
  EXPECT_EQ(f.config().throttle_rate, 12);  // untouched

  Status bad = f.Update({{"error_rate", 1.5}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().http_status, 400);
  Status unknown = f.Update({{"throttle", false}, {"bogus", 1}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("bogus"), std::string::npos);
  EXPECT_TRUE(f.config().throttle);  // a refused update changes nothing
  EXPECT_FALSE(f.Update({{"latency_ms", -1}}));
  EXPECT_FALSE(f.Update(nlohmann::json::array()));

  nlohmann::json j = FaultInjector::ToJson(f.config());
  EXPECT_EQ(j["throttle_burst"], 5);
  f.Clear();
  EXPECT_FALSE(f.config().throttle);
}

TEST(FaultInjectorTest, UpdateResetsBuckets) {
  auto clock = NewClock();
  FaultInjector f(FaultConfig{}, clock);
  ASSERT_TRUE(f.Update({{"throttle", true}, {"throttle_burst", 2}, {"throttle_rate", 0}}));
  EXPECT_EQ(f.Decide("rds", "a", "r").action, FaultAction::kNone);
  EXPECT_EQ(f.Decide("rds", "a", "r").action, FaultAction::kNone);
  EXPECT_EQ(f.Decide("rds", "a", "r").action, FaultAction::kThrottle);
  ASSERT_TRUE(f.Update({{"throttle_burst", 3}}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.Decide("rds", "a", "r").action, FaultAction::kNone);
  EXPECT_EQ(f.Decide("rds", "a", "r").action, FaultAction::kThrottle);
}

TEST(RequestStatsTest, CountsPerKeyAndOutcome) {
  RequestStats s;
  s.Record("rds", "DescribeDBSnapshots", "111", "eu-west-1", RequestOutcome::kOk);
  s.Record("rds", "DescribeDBSnapshots", "111", "eu-west-1", RequestOutcome::kThrottled);
  s.Record("rds", "DescribeDBSnapshots", "111", "eu-west-1", RequestOutcome::kFailed);
  s.Record("rds", "DescribeDBSnapshots", "222", "eu-west-1", RequestOutcome::kFaulted);
  s.Record("kms", "DescribeKey", "111", "eu-west-1", RequestOutcome::kOk);
  RequestCounts c = s.Get("rds", "DescribeDBSnapshots", "111", "eu-west-1");
  EXPECT_EQ(c.total, 3u);
  EXPECT_EQ(c.ok, 1u);
  EXPECT_EQ(c.throttled, 1u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.faulted, 0u);
  EXPECT_EQ(s.Total().total, 5u);
  EXPECT_EQ(s.Total().faulted, 1u);
  nlohmann::json j = s.ToJson();
  EXPECT_EQ(j["total"]["total"], 5);
  ASSERT_EQ(j["requests"].size(), 3u);
  EXPECT_EQ(j["requests"][0]["service"], "kms");  // sorted
  EXPECT_EQ(j["requests"][1]["account"], "111");
  EXPECT_EQ(j["requests"][1]["throttled"], 1);
  s.Reset();
  EXPECT_EQ(s.Total().total, 0u);
  EXPECT_EQ(s.Get("kms", "DescribeKey", "111", "eu-west-1").total, 0u);
}

}  // namespace
}  // namespace drsnap::sim
