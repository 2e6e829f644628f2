// Transport-level fault injection for drsnap-sim: API throttling (a token
// bucket per service x account x region, like AWS's), random 500/503
// responses, added latency and dropped connections. World-level faults
// (failed copies, failed snapshots) belong to Simulator::InjectFault.
//
// Everything here runs in REAL time (the throttling bucket refills with the
// wall clock), not on the simulator's virtual clock: throttling protects a
// service from a client's request rate, which is a real-time quantity.
//
// Randomness comes from one seeded PRNG, so a sequence of decisions is
// reproducible for a given seed and a given order of calls.
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace drsnap::sim {

struct FaultConfig {
  // Throttling: off by default; when on, AWS's documented behaviour of about
  // 300 requests of burst and 12 requests per second of refill.
  bool throttle = false;
  double throttle_burst = 300;
  double throttle_rate = 12;  // tokens per real second
  // Probability in [0,1] that a request is answered with a 5xx instead of
  // being executed; error_503_fraction of those are 503, the rest 500.
  double error_rate = 0;
  double error_503_fraction = 1.0;
  // Added real latency before answering: latency_ms + uniform[0, jitter_ms].
  int64_t latency_ms = 0;
  int64_t latency_jitter_ms = 0;
  // Probability in [0,1] that the connection is closed without an answer.
  double drop_rate = 0;
  uint64_t seed = 1;
};

enum class FaultAction { kNone, kThrottle, kError500, kError503, kDrop };

struct FaultDecision {
  FaultAction action = FaultAction::kNone;
  std::chrono::milliseconds delay{0};  // sleep this long first (any action)
};

class FaultInjector {
 public:
  // real_clock: the clock the throttling bucket refills with (null: the wall
  // clock). Tests pass a FakeClock.
  explicit FaultInjector(FaultConfig config = {}, std::shared_ptr<Clock> real_clock = nullptr);

  // Decides what happens to one authenticated request. Consumes a throttling
  // token when throttling is on (a throttled request consumes none).
  // Order: drop, then 5xx, then throttling; the delay applies to all.
  FaultDecision Decide(std::string_view service, std::string_view account, std::string_view region);

  FaultConfig config() const;
  // Replaces the configuration; buckets are reset and the PRNG is reseeded.
  void Set(const FaultConfig& config);
  // Merges a JSON object of FaultConfig fields ("throttle", "throttle_burst",
  // "throttle_rate", "error_rate", "error_503_fraction", "latency_ms",
  // "latency_jitter_ms", "drop_rate", "seed") into the configuration. Unknown
  // keys and out-of-range values are refused (nothing is changed then).
  // Buckets are reset and the PRNG reseeded, as with Set().
  Status Update(const nlohmann::json& patch);
  // Back to FaultConfig{} (everything off).
  void Clear();

  static nlohmann::json ToJson(const FaultConfig& config);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last;
  };
  void ResetLocked();

  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  FaultConfig config_;                                  // guarded by mu_
  std::mt19937_64 rng_;                                 // guarded by mu_
  std::map<std::string, Bucket, std::less<>> buckets_;  // guarded by mu_
};

}  // namespace drsnap::sim
