// The numbers a reconcile comes to, for monitoring: database x target pairs
// by state, findings by severity, failed actions by stage and AWS error
// code, and whether the reconcile succeeded. One definition for every
// output that carries them: the Prometheus text of `drsnap status` and of
// `drsnap run --listen` (cli/output.h, cli/service_endpoints.h), and the
// CloudWatch Embedded Metric Format lines the Lambda handler writes
// (metrics/emf.h).
//
// Thread safety: pure functions; FailureCounts is a plain value (whoever
// shares one guards it).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/executor.h"
#include "engine/model.h"
#include "engine/reconcile.h"
#include "engine/status.h"

namespace drsnap::metrics {

// Every state in the order ok, at-risk, breached, unknown, with the number
// of the report's rows in it (0 included: a metric that vanishes when its
// value is 0 cannot be alarmed on).
std::vector<std::pair<engine::RpoState, int>> PairsByState(const engine::StatusReport& report);

// Every severity in the order info, warning, error, with its count.
std::vector<std::pair<engine::Finding::Severity, int>> FindingsBySeverity(
    const std::vector<engine::Finding>& findings);
int ErrorFindings(const std::vector<engine::Finding>& findings);

// A failed action's stage ("capture", "share", "vault", "expire") and the
// error code AWS (or drsnap) gave it ("Unknown" when it has none).
struct FailureKey {
  std::string stage;
  std::string code;
  auto operator<=>(const FailureKey&) const = default;
};
using FailureCounts = std::map<FailureKey, int64_t>;

// Adds one to `counts` for each failed action of `apply`.
void AddActionFailures(const engine::ApplyReport& apply, FailureCounts& counts);
int64_t TotalFailures(const FailureCounts& counts);

// The reconcile did all it could: no action failed, every scope was observed
// completely, and the plan has no error finding. `drsnap apply` exits 0
// exactly then (README, "Exit codes").
bool ReconcileSucceeded(const engine::ReconcileReport& report);

}  // namespace drsnap::metrics
