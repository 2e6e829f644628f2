// Request counters of drsnap-sim: per service x operation x account x region,
// how many requests arrived and how they ended. Read through the admin API
// (GET /_sim/stats) so tests can assert, for example, that a reconcile never
// called ListTagsForResource per snapshot.
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tuple>

namespace drsnap::sim {

enum class RequestOutcome {
  kOk,         // 2xx
  kFailed,     // an AWS error answered by the simulator or the auth check (4xx/5xx)
  kThrottled,  // refused by the throttling bucket
  kFaulted,    // an injected 500/503 or dropped connection
};

struct RequestCounts {
  uint64_t total = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t throttled = 0;
  uint64_t faulted = 0;
};

class RequestStats {
 public:
  // account/region may be "" (unsigned or unauthenticated requests).
  void Record(std::string_view service, std::string_view operation, std::string_view account,
              std::string_view region, RequestOutcome outcome);

  // Counts for one key; zeros when never seen.
  RequestCounts Get(std::string_view service, std::string_view operation, std::string_view account,
                    std::string_view region) const;
  // The sum over every key.
  RequestCounts Total() const;

  // {"total":{...counts...},"requests":[{"service":..,"operation":..,
  //   "account":..,"region":..,"total":N,"ok":N,"failed":N,"throttled":N,
  //   "faulted":N}, ...]} sorted by service, operation, account, region.
  nlohmann::json ToJson() const;

  void Reset();

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  mutable std::mutex mu_;
  std::map<Key, RequestCounts> counts_;  // guarded by mu_
};

}  // namespace drsnap::sim
