#include "sim/request_stats.h"

namespace drsnap::sim {

namespace {

void Add(RequestCounts* c, RequestOutcome outcome) {
  ++c->total;
  switch (outcome) {
    case RequestOutcome::kOk:
      ++c->ok;
      break;
    case RequestOutcome::kFailed:
      ++c->failed;
      break;
    case RequestOutcome::kThrottled:
      ++c->throttled;
      break;
    case RequestOutcome::kFaulted:
      ++c->faulted;
      break;
  }
}

void Sum(RequestCounts* into, const RequestCounts& c) {
  into->total += c.total;
  into->ok += c.ok;
  into->failed += c.failed;
  into->throttled += c.throttled;
  into->faulted += c.faulted;
}

nlohmann::json CountsJson(const RequestCounts& c) {
  return nlohmann::json{{"total", c.total},
                        {"ok", c.ok},
                        {"failed", c.failed},
                        {"throttled", c.throttled},
                        {"faulted", c.faulted}};
}

}  // namespace

void RequestStats::Record(std::string_view service, std::string_view operation,
                          std::string_view account, std::string_view region,
                          RequestOutcome outcome) {
  Key key{std::string(service), std::string(operation), std::string(account), std::string(region)};
  std::lock_guard<std::mutex> lock(mu_);
  Add(&counts_[std::move(key)], outcome);
}

RequestCounts RequestStats::Get(std::string_view service, std::string_view operation,
                                std::string_view account, std::string_view region) const {
  Key key{std::string(service), std::string(operation), std::string(account), std::string(region)};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  return it == counts_.end() ? RequestCounts{} : it->second;
}

RequestCounts RequestStats::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  RequestCounts total;
  for (const auto& [key, c] : counts_) Sum(&total, c);
  return total;
}

nlohmann::json RequestStats::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  RequestCounts total;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [key, c] : counts_) {
    Sum(&total, c);
    nlohmann::json row = CountsJson(c);
    row["service"] = std::get<0>(key);
    row["operation"] = std::get<1>(key);
    row["account"] = std::get<2>(key);
    row["region"] = std::get<3>(key);
    rows.push_back(std::move(row));
  }
  return nlohmann::json{{"total", CountsJson(total)}, {"requests", std::move(rows)}};
}

void RequestStats::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  counts_.clear();
}

}  // namespace drsnap::sim
