#include "aws/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <set>
#include <thread>
#include <vector>

namespace drsnap::aws {
namespace {

using std::chrono::milliseconds;

double Elapsed(const FakeClock& clock, TimePoint start) {
  return std::chrono::duration<double>(clock.Now() - start).count();
}

RateLimiterOptions Opts(double rate, double burst) {
  RateLimiterOptions o;
  o.max_rate = rate;
  o.burst = burst;
  return o;
}

TEST(RateLimiterTest, BurstThenSteadyRate) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(5, 10), clock);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rl.TryAcquire()) << i;
  EXPECT_FALSE(rl.TryAcquire());
  EXPECT_EQ(clock->Now(), TimePoint{});  // the burst cost no time
  rl.Acquire();                          // waits for one token: 1/5 s
  EXPECT_NEAR(Elapsed(*clock, TimePoint{}), 0.2, 1e-6);
  for (int i = 0; i < 100; ++i) rl.Acquire();
  EXPECT_NEAR(Elapsed(*clock, TimePoint{}), 101 / 5.0, 1e-3);
}

TEST(RateLimiterTest, IdleTimeRefillsUpToCapacityOnly) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(12, 300), clock);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(rl.TryAcquire());
  EXPECT_LT(rl.tokens(), 1);
  clock->Advance(std::chrono::seconds(10));
  EXPECT_NEAR(rl.tokens(), 120, 1e-6);
  clock->Advance(std::chrono::hours(1));
  EXPECT_NEAR(rl.tokens(), 300, 1e-6);
  int got = 0;
  while (rl.TryAcquire()) ++got;
  EXPECT_EQ(got, 300);
}

TEST(RateLimiterTest, RateIsRespectedForManyRequests) {
  // The RDS defaults: 1000 calls need at least (1000 - 300) / 12 seconds.
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(RateLimiterOptions{}, clock);
  for (int i = 0; i < 1000; ++i) rl.Acquire();
  EXPECT_NEAR(Elapsed(*clock, TimePoint{}), 700 / 12.0, 0.01);
}

TEST(RateLimiterTest, ThrottleCutsRateAndDrainsBurst) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(12, 300), clock);
  EXPECT_DOUBLE_EQ(rl.fill_rate(), 12);
  rl.OnThrottle();
  EXPECT_NEAR(rl.fill_rate(), 12 * 0.7, 1e-9);
  EXPECT_NEAR(rl.capacity(), 300 * 0.7, 1e-9);
  EXPECT_LE(rl.tokens(), 1.0);
  EXPECT_TRUE(rl.TryAcquire());   // one probe goes out
  EXPECT_FALSE(rl.TryAcquire());  // then no burst
  rl.OnThrottle();
  EXPECT_NEAR(rl.fill_rate(), 12 * 0.7 * 0.7, 1e-9);
  for (int i = 0; i < 50; ++i) rl.OnThrottle();
  EXPECT_DOUBLE_EQ(rl.fill_rate(), 0.5);            // the floor
  EXPECT_DOUBLE_EQ(rl.capacity(), 300 * 0.5 / 12);  // burst scales with the rate
}

TEST(RateLimiterTest, SlowSenderDropsBelowItsOwnPace) {
  // Sending 2/s while others drain the account's AWS bucket: a throttle must
  // bring us under 2/s, not under the configured 12/s.
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(12, 300), clock);
  for (int i = 0; i < 40; ++i) {
    rl.Acquire();
    clock->Advance(milliseconds(500));
  }
  EXPECT_NEAR(rl.measured_rate(), 2.0, 0.05);
  rl.OnThrottle();
  EXPECT_NEAR(rl.fill_rate(), 1.4, 0.05);
}

TEST(RateLimiterTest, RecoversAlongCubicCurve) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiterOptions o = Opts(12, 300);
  RateLimiter rl(o, clock);
  rl.OnThrottle();
  double k = std::cbrt(12 * (1 - o.beta) / o.scale_constant);  // ~2.08 s
  // Just after the throttle the curve starts at beta * w_max.
  rl.OnSuccess();
  EXPECT_NEAR(rl.fill_rate(), 8.4, 1e-6);
  double previous = rl.fill_rate();
  for (int step = 1; step * 0.25 < k; ++step) {
    clock->Advance(milliseconds(250));
    rl.OnSuccess();
    EXPECT_GT(rl.fill_rate(), previous) << "step " << step;
    EXPECT_LT(rl.fill_rate(), 12.0);
    previous = rl.fill_rate();
  }
  clock->Advance(std::chrono::seconds(5));
  rl.OnSuccess();
  EXPECT_DOUBLE_EQ(rl.fill_rate(), 12.0);  // back, and capped at max_rate
  EXPECT_DOUBLE_EQ(rl.capacity(), 300.0);
}

TEST(RateLimiterTest, SuccessWithoutThrottleKeepsMaxRate) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(12, 300), clock);
  for (int i = 0; i < 10; ++i) {
    rl.OnSuccess();
    clock->Advance(milliseconds(100));
  }
  EXPECT_DOUBLE_EQ(rl.fill_rate(), 12.0);
  EXPECT_DOUBLE_EQ(rl.capacity(), 300.0);
}

TEST(RateLimiterTest, ThrottledLimiterSpacesOutRequests) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(10, 100), clock);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(rl.TryAcquire());
  rl.OnThrottle();  // measured rate is huge (a burst): cut from the fill rate, 10 -> 7
  TimePoint start = clock->Now();
  for (int i = 0; i < 71; ++i) rl.Acquire();
  // 71 tokens at 7/s, none in the bucket (the burst was spent).
  EXPECT_NEAR(Elapsed(*clock, start), 71 / 7.0, 0.01);
}

TEST(RateLimiterTest, ConcurrentAcquiresNeverExceedTheBucket) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(20, 50), clock);
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        rl.Acquire();
        ++acquired;
        if (i % 10 == t) rl.OnSuccess();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(acquired.load(), 800);
  // Fake sleeps of several threads may overlap and advance time more than
  // needed, never less: 800 tokens need at least (800 - 50) / 20 seconds.
  EXPECT_GE(Elapsed(*clock, TimePoint{}), (800 - 50) / 20.0 - 1e-6);
  EXPECT_LT(rl.tokens(), 50.0 + 1e-9);
}

TEST(RateLimiterTest, ConcurrentThrottleFeedbackIsConsistent) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiter rl(Opts(12, 300), clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        rl.TryAcquire();
        if ((i + t) % 7 == 0) {
          rl.OnThrottle();
        } else {
          rl.OnSuccess();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(rl.fill_rate(), 0.5);
  EXPECT_LE(rl.fill_rate(), 12.0);
  EXPECT_LE(rl.tokens(), rl.capacity());
}

TEST(RateLimiterRegistryTest, OneLimiterPerAccountRegion) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiterRegistry reg(Opts(12, 300), clock);
  auto a = reg.ForScope("111111111111", "us-east-1");
  auto b = reg.ForScope("111111111111", "us-east-1");
  auto c = reg.ForScope("111111111111", "eu-west-1");
  auto d = reg.ForScope("222222222222", "us-east-1");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_NE(a.get(), d.get());
  EXPECT_NE(c.get(), d.get());
  a->OnThrottle();
  EXPECT_LT(b->fill_rate(), 12.0);
  EXPECT_DOUBLE_EQ(c->fill_rate(), 12.0);
  EXPECT_DOUBLE_EQ(a->options().burst, 300.0);
}

TEST(RateLimiterRegistryTest, ConcurrentLookupsShareOneInstance) {
  auto clock = std::make_shared<FakeClock>(TimePoint{});
  RateLimiterRegistry reg(RateLimiterOptions{}, clock);
  std::vector<std::thread> threads;
  std::vector<RateLimiter*> seen(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] { seen[static_cast<size_t>(t)] = reg.ForScope("1", "r").get(); });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::set<RateLimiter*>(seen.begin(), seen.end()).size(), 1u);
  EXPECT_EQ(&RateLimiterRegistry::Default(), &RateLimiterRegistry::Default());
}

}  // namespace
}  // namespace drsnap::aws
