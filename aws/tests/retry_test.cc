#include "aws/retry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace drsnap::aws {
namespace {

using std::chrono::milliseconds;

RetryOptions Options(int max_attempts = 3, int quota = 500) {
  RetryOptions o;
  o.max_attempts = max_attempts;
  o.base_delay = milliseconds(100);
  o.max_backoff = milliseconds(20000);
  o.retry_quota = quota;
  return o;
}

Error Throttle() { return Error::Throttling("Throttling", "Rate exceeded"); }
Error Timeout() { return Error::Transient("RequestTimeout", "timed out"); }
Error Server() {
  Error e = Error::Transient("InternalFailure", "oops");
  e.http_status = 500;
  return e;
}

TEST(RetryStrategyTest, BackoffIsFullJitterCappedExponential) {
  struct Case {
    double jitter;
    int attempt;
    long long want_ms;
  };
  const Case cases[] = {
      {1.0, 1, 100},    {1.0, 2, 200},    {1.0, 3, 400},      {1.0, 4, 800}, {1.0, 8, 12800},
      {1.0, 9, 20000},  {1.0, 30, 20000}, {1.0, 1000, 20000}, {0.5, 1, 50},  {0.5, 3, 200},
      {0.5, 12, 10000}, {0.0, 5, 0},      {0.25, 2, 50},
  };
  for (const auto& c : cases) {
    RetryStrategy s(Options(), [&] { return c.jitter; });
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(s.Backoff(c.attempt)).count(), c.want_ms)
        << "jitter " << c.jitter << " attempt " << c.attempt;
  }
}

TEST(RetryStrategyTest, DefaultJitterStaysInRange) {
  RetryStrategy s(Options());
  for (int i = 0; i < 1000; ++i) {
    Duration d = s.Backoff(3);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, milliseconds(400));
  }
  double j = DefaultJitter();
  EXPECT_GE(j, 0.0);
  EXPECT_LT(j, 1.0);
}

TEST(RetryStrategyTest, DecisionsTable) {
  struct Case {
    const char* name;
    Error error;
    int attempt;
    bool retry;
    int cost;
    const char* stop_reason;
  };
  const Case cases[] = {
      {"throttling retried", Throttle(), 1, true, 5, ""},
      {"5xx retried", Server(), 2, true, 5, ""},
      {"timeout costs more", Timeout(), 1, true, 10, ""},
      {"terminal never", Error::Terminal("DBSnapshotNotFound", "x"), 1, false, 0, ""},
      {"last attempt", Throttle(), 3, false, 0, "max attempts reached"},
  };
  for (const auto& c : cases) {
    RetryStrategy s(Options(), [] { return 1.0; });
    auto d = s.OnFailure(c.error, c.attempt);
    EXPECT_EQ(d.retry, c.retry) << c.name;
    EXPECT_EQ(d.quota_cost, c.cost) << c.name;
    EXPECT_EQ(d.stop_reason, c.stop_reason) << c.name;
    EXPECT_EQ(s.quota().available(), 500 - c.cost) << c.name;
    if (c.retry) {
      EXPECT_EQ(d.delay, s.Backoff(c.attempt)) << c.name;
    }
  }
}

TEST(RetryStrategyTest, QuotaRunsOutAndSuccessRefills) {
  RetryStrategy s(Options(/*max_attempts=*/10, /*quota=*/12), [] { return 0.0; });
  EXPECT_TRUE(s.OnFailure(Throttle(), 1).retry);  // 7 left
  EXPECT_TRUE(s.OnFailure(Throttle(), 2).retry);  // 2 left
  auto d = s.OnFailure(Throttle(), 3);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.stop_reason, "retry quota exhausted");
  EXPECT_EQ(s.quota().available(), 2);
  s.OnSuccess(0);  // a first-try success earns 1
  EXPECT_EQ(s.quota().available(), 3);
  s.OnSuccess(5);  // a success after a retry refunds that retry's cost
  EXPECT_EQ(s.quota().available(), 8);
  EXPECT_TRUE(s.OnFailure(Throttle(), 1).retry);
  for (int i = 0; i < 100; ++i) s.OnSuccess(0);
  EXPECT_EQ(s.quota().available(), 12);  // never above capacity
}

TEST(RunWithRetriesTest, ThrottleThrottleSuccess) {
  FakeClock clock(TimePoint{});
  RetryStrategy s(Options(), [] { return 1.0; });
  std::vector<Result<int>> script = {Fail(Throttle()), Fail(Throttle()), 42};
  int calls = 0;
  auto r = RunWithRetries<int>(s, clock, [&](int n) {
    EXPECT_EQ(n, calls + 1);
    return script[static_cast<size_t>(calls++)];
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.Now() - TimePoint{}, milliseconds(100 + 200));
  EXPECT_EQ(s.quota().available(), 500 - 5 - 5 + 5);
}

TEST(RunWithRetriesTest, TerminalErrorIsNotRetried) {
  FakeClock clock(TimePoint{});
  RetryStrategy s(Options(), [] { return 1.0; });
  int calls = 0;
  auto r = RunWithRetries<int>(s, clock, [&](int) -> Result<int> {
    ++calls;
    return Fail(Error::Terminal("InvalidParameterValue", "bad"));
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.error().code, "InvalidParameterValue");
  EXPECT_TRUE(r.error().context.empty());
  EXPECT_EQ(clock.Now(), TimePoint{});
  EXPECT_EQ(s.quota().available(), 500);
}

TEST(RunWithRetriesTest, GivesUpAfterMaxAttempts) {
  FakeClock clock(TimePoint{});
  RetryStrategy s(Options(4), [] { return 0.5; });
  int calls = 0;
  auto r = RunWithRetries<int>(s, clock, [&](int) -> Result<int> {
    ++calls;
    return Fail(Server());
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(r.error().context.size(), 1u);
  EXPECT_EQ(r.error().context[0], "after 4 attempts (max attempts reached)");
  EXPECT_EQ(clock.Now() - TimePoint{}, milliseconds(50 + 100 + 200));
}

TEST(RunWithRetriesTest, QuotaExhaustionStopsRetries) {
  FakeClock clock(TimePoint{});
  RetryStrategy s(Options(/*max_attempts=*/5, /*quota=*/10), [] { return 1.0; });
  int calls = 0;
  auto r = RunWithRetries<int>(s, clock, [&](int) -> Result<int> {
    ++calls;
    return Fail(Throttle());
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(calls, 3);  // two retries cost 10 tokens, the third finds none
  EXPECT_EQ(r.error().context[0], "after 3 attempts (retry quota exhausted)");
  EXPECT_TRUE(r.error().throttling());
}

TEST(RunWithRetriesTest, SingleAttemptConfiguration) {
  FakeClock clock(TimePoint{});
  RetryStrategy s(Options(1), [] { return 1.0; });
  int calls = 0;
  auto r = RunWithRetries<int>(s, clock, [&](int) -> Result<int> {
    ++calls;
    return Fail(Throttle());
  });
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(r.error().context.empty());
}

TEST(RetryQuotaTest, ConcurrentAcquireReleaseBalances) {
  RetryQuota q(500);
  std::vector<std::thread> threads;
  std::atomic<int> acquired{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (q.Acquire(5)) {
          ++acquired;
          q.Release(5);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(q.available(), 500);
  EXPECT_EQ(acquired.load(), 80000);  // 8 threads x 5 tokens never exceed 500
}

}  // namespace
}  // namespace drsnap::aws
