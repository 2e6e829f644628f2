#include "sim/faults.h"

#include <algorithm>
#include <utility>

namespace drsnap::sim {

FaultInjector::FaultInjector(FaultConfig config, std::shared_ptr<Clock> real_clock)
    : clock_(real_clock ? std::move(real_clock) : std::make_shared<SystemClock>()),
      config_(std::move(config)) {
  ResetLocked();
}

void FaultInjector::ResetLocked() {
  rng_.seed(config_.seed);
  buckets_.clear();
}

FaultDecision FaultInjector::Decide(std::string_view service, std::string_view account,
                                    std::string_view region) {
  std::lock_guard<std::mutex> lock(mu_);
  FaultDecision d;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (config_.latency_ms > 0 || config_.latency_jitter_ms > 0) {
    int64_t ms = config_.latency_ms;
    if (config_.latency_jitter_ms > 0) {
      ms += std::uniform_int_distribution<int64_t>(0, config_.latency_jitter_ms)(rng_);
    }
    d.delay = std::chrono::milliseconds(ms);
  }
  if (config_.drop_rate > 0 && unit(rng_) < config_.drop_rate) {
    d.action = FaultAction::kDrop;
    return d;
  }
  if (config_.error_rate > 0 && unit(rng_) < config_.error_rate) {
    d.action =
        unit(rng_) < config_.error_503_fraction ? FaultAction::kError503 : FaultAction::kError500;
    return d;
  }
  if (config_.throttle) {
    std::string key;
    key.reserve(service.size() + account.size() + region.size() + 2);
    key.append(service).append("/").append(account).append("/").append(region);
    TimePoint now = clock_->Now();
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      it = buckets_.emplace(std::move(key), Bucket{config_.throttle_burst, now}).first;
    }
    Bucket& b = it->second;
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) {
      b.tokens = std::min(config_.throttle_burst, b.tokens + elapsed * config_.throttle_rate);
      b.last = now;
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
    } else {
      d.action = FaultAction::kThrottle;
    }
  }
  return d;
}

FaultConfig FaultInjector::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

void FaultInjector::Set(const FaultConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
  ResetLocked();
}

void FaultInjector::Clear() { Set(FaultConfig{}); }

nlohmann::json FaultInjector::ToJson(const FaultConfig& c) {
  return nlohmann::json{{"throttle", c.throttle},
                        {"throttle_burst", c.throttle_burst},
                        {"throttle_rate", c.throttle_rate},
                        {"error_rate", c.error_rate},
                        {"error_503_fraction", c.error_503_fraction},
                        {"latency_ms", c.latency_ms},
                        {"latency_jitter_ms", c.latency_jitter_ms},
                        {"drop_rate", c.drop_rate},
                        {"seed", c.seed}};
}

namespace {

Status BadFault(std::string message) {
  Error e = Error::Terminal("InvalidParameterValue", std::move(message));
  e.http_status = 400;
  return Fail(std::move(e));
}

Status ReadProbability(const nlohmann::json& v, std::string_view key, double* out) {
  if (!v.is_number()) return BadFault(std::string(key) + " must be a number");
  double p = v.get<double>();
  if (p < 0 || p > 1) return BadFault(std::string(key) + " must be between 0 and 1");
  *out = p;
  return OkStatus();
}

Status ReadNonNegative(const nlohmann::json& v, std::string_view key, double* out) {
  if (!v.is_number()) return BadFault(std::string(key) + " must be a number");
  double x = v.get<double>();
  if (x < 0) return BadFault(std::string(key) + " must not be negative");
  *out = x;
  return OkStatus();
}

}  // namespace

Status FaultInjector::Update(const nlohmann::json& patch) {
  if (!patch.is_object()) return BadFault("fault settings must be a JSON object");
  FaultConfig c = config();
  for (const auto& [key, v] : patch.items()) {
    if (key == "throttle") {
      if (!v.is_boolean()) return BadFault("throttle must be true or false");
      c.throttle = v.get<bool>();
    } else if (key == "throttle_burst") {
      DRSNAP_RETURN_IF_ERROR(ReadNonNegative(v, key, &c.throttle_burst));
    } else if (key == "throttle_rate") {
      DRSNAP_RETURN_IF_ERROR(ReadNonNegative(v, key, &c.throttle_rate));
    } else if (key == "error_rate") {
      DRSNAP_RETURN_IF_ERROR(ReadProbability(v, key, &c.error_rate));
    } else if (key == "error_503_fraction") {
      DRSNAP_RETURN_IF_ERROR(ReadProbability(v, key, &c.error_503_fraction));
    } else if (key == "drop_rate") {
      DRSNAP_RETURN_IF_ERROR(ReadProbability(v, key, &c.drop_rate));
    } else if (key == "latency_ms" || key == "latency_jitter_ms") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 600000) {
        return BadFault(key + " must be an integer between 0 and 600000");
      }
      (key == "latency_ms" ? c.latency_ms : c.latency_jitter_ms) = v.get<int64_t>();
    } else if (key == "seed") {
      if (!v.is_number_unsigned()) return BadFault("seed must be a non-negative integer");
      c.seed = v.get<uint64_t>();
    } else {
      return BadFault("unknown fault setting '" + key + "'");
    }
  }
  Set(c);
  return OkStatus();
}

}  // namespace drsnap::sim
