#include "aws/retry.h"

#include <algorithm>
#include <random>

namespace drsnap::aws {

RetryQuota::RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}

bool RetryQuota::Acquire(int amount) {
  std::lock_guard lock(mu_);
  if (amount > available_) return false;
  available_ -= amount;
  return true;
}

void RetryQuota::Release(int amount) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + amount);
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

double DefaultJitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

RetryStrategy::RetryStrategy(RetryOptions options, std::function<double()> jitter)
    : options_(options),
      jitter_(jitter ? std::move(jitter) : std::function<double()>(DefaultJitter)),
      quota_(options.retry_quota) {}

Duration RetryStrategy::Backoff(int attempt) const {
  using Ms = std::chrono::duration<double, std::milli>;
  double base = Ms(options_.base_delay).count();
  double cap = Ms(options_.max_backoff).count();
  int exp = std::clamp(attempt - 1, 0, 62);
  double ceiling = std::min(cap, base * static_cast<double>(1ULL << exp));
  double j = std::clamp(jitter_(), 0.0, 1.0);
  return std::chrono::duration_cast<Duration>(Ms(j * ceiling));
}

RetryStrategy::Decision RetryStrategy::OnFailure(const Error& error, int attempt) {
  Decision d;
  if (!error.retryable()) return d;
  if (attempt >= options_.max_attempts) {
    if (options_.max_attempts > 1) d.stop_reason = "max attempts reached";
    return d;
  }
  // botocore charges more for timeouts (no response at all) than for errors.
  bool timeout = error.http_status == 0 && error.code == "RequestTimeout";
  int cost = timeout ? RetryQuota::kTimeoutRetryCost : RetryQuota::kRetryCost;
  if (!quota_.Acquire(cost)) {
    d.stop_reason = "retry quota exhausted";
    return d;
  }
  d.retry = true;
  d.quota_cost = cost;
  d.delay = Backoff(attempt);
  return d;
}

void RetryStrategy::OnSuccess(int last_retry_cost) {
  quota_.Release(last_retry_cost > 0 ? last_retry_cost : RetryQuota::kNoRetryIncrement);
}

}  // namespace drsnap::aws
