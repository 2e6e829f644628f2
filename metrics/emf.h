// CloudWatch Embedded Metric Format (EMF): the metrics of one Lambda
// invocation's reconcile as JSON log lines that CloudWatch Logs turns into
// metrics, without any API call. Each line is one JSON object:
//
//   {"_aws": {"Timestamp": <ms since epoch>,
//             "CloudWatchMetrics": [{"Namespace": "drsnap",
//                                    "Dimensions": [["Side"]],
//                                    "Metrics": [{"Name": "PairsBreached", "Unit": "Count"},
//                                    ...]}]},
//    "Side": "vault", "PairsBreached": 2, ...}
//
// The first line (dimensions [["Side"]]) carries, for the reconcile:
//   PairsOk, PairsAtRisk, PairsBreached, PairsUnknown  database x target pairs by state
//                                                      (metrics::PairsByState)
//   FindingsInfo, FindingsWarning, FindingsError       the plan's findings by severity
//   ActionFailures                                     failed actions (all stages and codes)
//   IncompleteScopes                                   scopes that could not be listed
//   ReconcileSuccess                                   1 or 0 (metrics::ReconcileSucceeded)
// then one line per (stage, code) of the failed actions, dimensions
// [["Side", "Stage", "Code"]], metric ActionFailures. The same numbers as the
// Prometheus text of `drsnap run --listen` (cli/output.h), named as
// CloudWatch names metrics.
//
// Thread safety: pure.
#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/model.h"
#include "engine/status.h"
#include "metrics/reconcile_metrics.h"

namespace drsnap::metrics {

inline constexpr char kEmfNamespace[] = "drsnap";

struct EmfInput {
  TimePoint timestamp{};
  std::string side;                              // "source" | "vault" | "all": the Side dimension
  const engine::StatusReport* status = nullptr;  // REQUIRED
  std::vector<engine::Finding> findings;
  FailureCounts failures;
  int incomplete_scopes = 0;
  bool success = false;
};

// The lines, without their newlines.
std::vector<std::string> EmfLines(const EmfInput& input);

}  // namespace drsnap::metrics
