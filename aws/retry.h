// Retries the way the AWS SDKs' "standard" mode does them: a bounded number
// of attempts, exponential backoff with full jitter and a cap, and a retry
// quota that stops retry storms when a service is having a bad time (every
// retry spends tokens, every success earns some back; no tokens, no retry).
//
// Thread safety: RetryQuota and RetryStrategy are safe for concurrent use;
// one RetryStrategy is shared by all calls of one client.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "aws/client.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

// botocore's RetryQuota: a bucket of retry tokens.
class RetryQuota {
 public:
  static constexpr int kRetryCost = 5;
  static constexpr int kTimeoutRetryCost = 10;
  static constexpr int kNoRetryIncrement = 1;

  explicit RetryQuota(int capacity);
  // Takes `amount` tokens and returns true, or returns false and takes none.
  bool Acquire(int amount);
  // Gives back `amount` tokens (never above the capacity).
  void Release(int amount);
  int available() const;
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  mutable std::mutex mu_;
  int available_;  // guarded by mu_
};

// A uniform [0,1) source that is safe to call from any thread.
double DefaultJitter();

class RetryStrategy {
 public:
  // jitter: uniform [0,1); null: DefaultJitter.
  explicit RetryStrategy(RetryOptions options, std::function<double()> jitter = {});

  struct Decision {
    bool retry = false;
    Duration delay{0};        // sleep this long before the next attempt
    int quota_cost = 0;       // tokens taken for this retry (returned on success)
    std::string stop_reason;  // why not, when !retry
  };

  // Attempt number `attempt` (1-based) failed with `error`. Decides whether to
  // try again; a positive decision takes its cost from the quota.
  Decision OnFailure(const Error& error, int attempt);

  // A call succeeded; last_retry_cost is the cost of its last retry (0 when
  // it succeeded on the first attempt). Refunds the quota like botocore.
  void OnSuccess(int last_retry_cost);

  // The full-jitter delay before retry number `attempt` (1 = after the first
  // failure): jitter() * min(max_backoff, base_delay * 2^(attempt-1)).
  Duration Backoff(int attempt) const;

  const RetryOptions& options() const { return options_; }
  RetryQuota& quota() { return quota_; }

 private:
  const RetryOptions options_;
  const std::function<double()> jitter_;
  RetryQuota quota_;
};

// Runs attempt(n) for n = 1, 2, ... until it succeeds, fails terminally, or
// the strategy says stop; sleeps between attempts through `clock`. The final
// error, when retries happened, carries "after N attempts" in its context.
template <class T, class Fn>
Result<T> RunWithRetries(RetryStrategy& strategy, Clock& clock, Fn&& attempt) {
  int last_cost = 0;
  for (int n = 1;; ++n) {
    Result<T> r = attempt(n);
    if (r) {
      strategy.OnSuccess(last_cost);
      return r;
    }
    RetryStrategy::Decision d = strategy.OnFailure(r.error(), n);
    if (!d.retry) {
      Error e = std::move(r).error();
      if (n > 1 || !d.stop_reason.empty()) {
        e.With("after " + std::to_string(n) + (n == 1 ? " attempt" : " attempts") +
               (d.stop_reason.empty() ? "" : " (" + d.stop_reason + ")"));
      }
      return Fail(std::move(e));
    }
    last_cost = d.quota_cost;
    clock.SleepFor(d.delay);
  }
}

}  // namespace drsnap::aws
