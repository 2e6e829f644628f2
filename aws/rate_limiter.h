// Client-side rate limiting per account and region, like the AWS SDKs'
// "adaptive" retry mode. AWS meters API calls with one token bucket per
// account-region shared by every caller (RDS: burst ~300, refill ~12/s), so
// drsnap keeps its own bucket in front of it, shared by all its threads, and
// slows down when the service says it is throttling.
//
// The fill rate follows CUBIC congestion control (botocore's CubicCalculator):
// a throttling response cuts the rate to beta * (the rate we were actually
// sending at), and successes grow it back along a cubic curve that reaches the
// old rate after K = cbrt(w_max * (1 - beta) / C) seconds and then probes
// above it, never beyond max_rate. The bucket's capacity (burst) scales with
// the fill rate, and a throttle drains it to one token: the service's bucket
// is empty, so bursting would only earn more throttles.
//
// Thread safety: RateLimiter and RateLimiterRegistry are safe for concurrent
// use. Acquire() blocks only through Clock::SleepFor.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace drsnap::aws {

struct RateLimiterOptions {
  double max_rate = 12.0;       // tokens per second with no throttling (the ceiling)
  double burst = 300.0;         // bucket capacity at max_rate; the bucket starts full
  double min_rate = 0.5;        // the fill rate never drops below this
  double beta = 0.7;            // multiplicative decrease on throttling
  double scale_constant = 0.4;  // CUBIC's C: how fast the rate grows back
};

class RateLimiter {
 public:
  // REQUIRES: options.max_rate >= options.min_rate > 0, burst >= 1, clock != null.
  RateLimiter(RateLimiterOptions options, std::shared_ptr<Clock> clock);

  // Takes one token, sleeping through the clock until one is available.
  void Acquire();
  // Takes one token if one is available now.
  bool TryAcquire();

  // Feedback from a response: OnThrottle() for a throttling error, OnSuccess()
  // for anything else the service answered.
  void OnSuccess();
  void OnThrottle();

  // Snapshots for tests and metrics.
  double fill_rate() const;      // tokens per second
  double capacity() const;       // current burst size
  double tokens() const;         // tokens available now
  double measured_rate() const;  // smoothed rate of Acquire()s, per second
  const RateLimiterOptions& options() const { return options_; }

 private:
  double Seconds(TimePoint t) const;
  void RefillLocked(double now);
  void RecordSendLocked(double now);
  void SetRateLocked(double rate);
  double CubicZeroPointLocked() const;

  const RateLimiterOptions options_;
  const std::shared_ptr<Clock> clock_;
  const TimePoint epoch_;

  mutable std::mutex mu_;
  // Token bucket.
  double fill_rate_;
  double capacity_;
  double tokens_;
  double last_refill_;
  // CUBIC state.
  double w_max_;
  double last_throttle_;
  bool throttled_ = false;  // any throttle seen yet
  // Measured send rate: counts in half-second buckets, smoothed.
  double measured_rate_ = 0;
  double bucket_start_ = 0;
  double bucket_count_ = 0;
};

// One RateLimiter per (account, region), created on first use and shared by
// every client of that scope.
class RateLimiterRegistry {
 public:
  RateLimiterRegistry(RateLimiterOptions options, std::shared_ptr<Clock> clock);

  // The limiter of this account-region (account may be "" when unknown).
  std::shared_ptr<RateLimiter> ForScope(std::string_view account, std::string_view region);

  // A process-wide registry on the system clock with default options.
  static RateLimiterRegistry& Default();

 private:
  const RateLimiterOptions options_;
  const std::shared_ptr<Clock> clock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<RateLimiter>, std::less<>> limiters_;  // guarded by mu_
};

}  // namespace drsnap::aws
