#include "metrics/reconcile_metrics.h"

#include <algorithm>

namespace drsnap::metrics {

std::vector<std::pair<engine::RpoState, int>> PairsByState(const engine::StatusReport& report) {
  std::vector<std::pair<engine::RpoState, int>> out;
  for (auto s : {engine::RpoState::kOk, engine::RpoState::kAtRisk, engine::RpoState::kBreached,
                 engine::RpoState::kUnknown})
    out.emplace_back(
        s, static_cast<int>(std::ranges::count(report.rows, s, &engine::TargetStatus::state)));
  return out;
}

std::vector<std::pair<engine::Finding::Severity, int>> FindingsBySeverity(
    const std::vector<engine::Finding>& findings) {
  using Severity = engine::Finding::Severity;
  std::vector<std::pair<Severity, int>> out;
  for (auto s : {Severity::kInfo, Severity::kWarning, Severity::kError})
    out.emplace_back(s,
                     static_cast<int>(std::ranges::count(findings, s, &engine::Finding::severity)));
  return out;
}

int ErrorFindings(const std::vector<engine::Finding>& findings) {
  return static_cast<int>(
      std::ranges::count(findings, engine::Finding::Severity::kError, &engine::Finding::severity));
}

void AddActionFailures(const engine::ApplyReport& apply, FailureCounts& counts) {
  for (const auto& r : apply.results) {
    if (r.outcome != engine::Outcome::kFailed) continue;
    std::string code = r.error && !r.error->code.empty() ? r.error->code : "Unknown";
    ++counts[FailureKey{engine::StageName(r.action.stage), std::move(code)}];
  }
}

int64_t TotalFailures(const FailureCounts& counts) {
  int64_t n = 0;
  for (const auto& [key, count] : counts) n += count;
  return n;
}

bool ReconcileSucceeded(const engine::ReconcileReport& report) {
  return report.ok() && ErrorFindings(report.plan.findings) == 0;
}

}  // namespace drsnap::metrics
