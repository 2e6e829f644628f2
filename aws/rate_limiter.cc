#include "aws/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace drsnap::aws {

namespace {
constexpr double kMeasureBucketSeconds = 0.5;
constexpr double kMeasureSmoothing = 0.8;
}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options, std::shared_ptr<Clock> clock)
    : options_(options),
      clock_(std::move(clock)),
      epoch_(clock_->Now()),
      fill_rate_(options.max_rate),
      capacity_(options.burst),
      tokens_(options.burst),
      last_refill_(0),
      w_max_(options.max_rate),
      last_throttle_(0) {}

double RateLimiter::Seconds(TimePoint t) const {
  return std::chrono::duration<double>(t - epoch_).count();
}

void RateLimiter::RefillLocked(double now) {
  if (now > last_refill_) {
    tokens_ = std::min(capacity_, tokens_ + (now - last_refill_) * fill_rate_);
    last_refill_ = now;
  }
}

void RateLimiter::RecordSendLocked(double now) {
  double bucket = std::floor(now / kMeasureBucketSeconds) * kMeasureBucketSeconds;
  bucket_count_ += 1;
  if (bucket > bucket_start_) {
    double rate = bucket_count_ / (bucket - bucket_start_);
    measured_rate_ = rate * kMeasureSmoothing + measured_rate_ * (1 - kMeasureSmoothing);
    bucket_count_ = 0;
    bucket_start_ = bucket;
  }
}

void RateLimiter::SetRateLocked(double rate) {
  fill_rate_ = std::clamp(rate, options_.min_rate, options_.max_rate);
  capacity_ = std::max(1.0, options_.burst * fill_rate_ / options_.max_rate);
  tokens_ = std::min(tokens_, capacity_);
}

double RateLimiter::CubicZeroPointLocked() const {
  return std::cbrt(w_max_ * (1 - options_.beta) / options_.scale_constant);
}

bool RateLimiter::TryAcquire() {
  std::lock_guard lock(mu_);
  double now = Seconds(clock_->Now());
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  RecordSendLocked(now);
  return true;
}

void RateLimiter::Acquire() {
  for (;;) {
    Duration wait;
    {
      std::lock_guard lock(mu_);
      double now = Seconds(clock_->Now());
      RefillLocked(now);
      if (tokens_ >= 1) {
        tokens_ -= 1;
        RecordSendLocked(now);
        return;
      }
      double seconds = (1 - tokens_) / fill_rate_;
      wait = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
      if (wait <= Duration::zero()) wait = Duration(1);
    }
    clock_->SleepFor(wait);
  }
}

void RateLimiter::OnSuccess() {
  std::lock_guard lock(mu_);
  if (!throttled_) return;  // still at max_rate
  double now = Seconds(clock_->Now());
  RefillLocked(now);
  double dt = now - last_throttle_;
  double k = CubicZeroPointLocked();
  SetRateLocked(options_.scale_constant * std::pow(dt - k, 3) + w_max_);
}

void RateLimiter::OnThrottle() {
  std::lock_guard lock(mu_);
  double now = Seconds(clock_->Now());
  RefillLocked(now);
  // The rate we were really sending at, when known: a slow sender that gets
  // throttled (others use the same AWS bucket) must drop below its own pace.
  double rate = measured_rate_ > 0 ? std::min(measured_rate_, fill_rate_) : fill_rate_;
  w_max_ = rate;
  last_throttle_ = now;
  throttled_ = true;
  SetRateLocked(rate * options_.beta);
  tokens_ = std::min(tokens_, 1.0);
}

double RateLimiter::fill_rate() const {
  std::lock_guard lock(mu_);
  return fill_rate_;
}

double RateLimiter::capacity() const {
  std::lock_guard lock(mu_);
  return capacity_;
}

double RateLimiter::tokens() const {
  std::lock_guard lock(mu_);
  double now = Seconds(clock_->Now());
  double t = tokens_;
  if (now > last_refill_) t = std::min(capacity_, t + (now - last_refill_) * fill_rate_);
  return t;
}

double RateLimiter::measured_rate() const {
  std::lock_guard lock(mu_);
  return measured_rate_;
}

RateLimiterRegistry::RateLimiterRegistry(RateLimiterOptions options, std::shared_ptr<Clock> clock)
    : options_(options), clock_(std::move(clock)) {}

std::shared_ptr<RateLimiter> RateLimiterRegistry::ForScope(std::string_view account,
                                                           std::string_view region) {
  std::string key = std::string(account) + "/" + std::string(region);
  std::lock_guard lock(mu_);
  auto it = limiters_.find(key);
  if (it != limiters_.end()) return it->second;
  auto limiter = std::make_shared<RateLimiter>(options_, clock_);
  limiters_.emplace(std::move(key), limiter);
  return limiter;
}

RateLimiterRegistry& RateLimiterRegistry::Default() {
  static auto* registry = new RateLimiterRegistry(RateLimiterOptions{}, DefaultClock());
  return *registry;
}

}  // namespace drsnap::aws
