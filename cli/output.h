// Renderers for the CLI: plans, apply results and status reports as text
// tables, JSON and Prometheus exposition text. Pure functions of their
// inputs (times are rendered relative to `now` where it matters).
//
// Thread safety: pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/executor.h"
#include "engine/model.h"
#include "engine/reconcile.h"
#include "engine/status.h"
#include "metrics/reconcile_metrics.h"

namespace drsnap::cli {

// "  STAGE    ACTION  KIND      SCOPE  SNAPSHOT  REASON" rows, findings, and
// a summary line; "No changes: ..." when the plan is empty.
// Left-aligned columns separated by two spaces; the last column is not padded.
std::string Table(const std::vector<std::vector<std::string>>& rows);

// "info" | "warning" | "error".
const char* SeverityName(engine::Finding::Severity s);

// Exit codes monitoring can trust (README, "Exit codes"): 1 whenever a scope
// could not be observed or the plan has an error finding (plan), or also an
// action failed (apply); else 0.
int ErrorFindings(const engine::Plan& plan);
int PlanExitCode(const engine::Plan& plan, const engine::Inventory& inventory);
int ApplyExitCode(const engine::ReconcileReport& report);

// The plan as a table. Never "No changes" when a scope could not be observed
// or an error finding stands.
std::string PlanTable(const engine::Plan& plan, const engine::Inventory& inventory);
nlohmann::json PlanJson(const engine::Plan& plan, const engine::Inventory& inventory);

nlohmann::json ActionJson(const engine::Action& a);
nlohmann::json FindingJson(const engine::Finding& f);
nlohmann::json ResultJson(const engine::ActionResult& r);

// One line per result: "done      copy instance snapshot ... (reason)".
std::string ResultLine(const engine::ActionResult& r);
// The apply summary: counts, failures with their errors, incomplete scopes.
std::string ApplySummary(const engine::ReconcileReport& report);
nlohmann::json ApplyJson(const engine::ReconcileReport& report);

std::string StatusTable(const engine::StatusReport& report, TimePoint now);
nlohmann::json StatusJson(const engine::StatusReport& report);
// `drsnap status`'s exit code for a report computed from `inventory`: the
// report's own (0 ok, 1 at risk, 2 breached or unknown), and at least 2 when
// a scope could not be listed (even when no row shows it, e.g. the source).
int StatusExitCode(const engine::StatusReport& report, const engine::Inventory& inventory);

// What only a long-running process knows (`drsnap run`): counters since it
// started and the outcome of its last reconcile.
struct ServiceMetrics {
  metrics::FailureCounts action_failures;   // every failed action since the process started
  int64_t reconciles = 0;                   // reconciles finished since the process started
  std::optional<TimePoint> last_reconcile;  // when the last reconcile finished (none yet: absent)
  bool last_reconcile_success = false;      // metrics::ReconcileSucceeded of that reconcile
};

struct PrometheusInput {
  // Null: no observation yet (a service before its first reconcile): only
  // drsnap_build_info and the service's families.
  const engine::StatusReport* status = nullptr;
  int exit_code = 0;          // StatusExitCode
  int incomplete_scopes = 0;  // Inventory::IncompleteScopes
  // The plan's findings for the same observation (status: the plan drsnap
  // would make now; run: the last reconcile's plan).
  std::vector<engine::Finding> findings;
  // Null for one-shot `drsnap status`: it reconciles nothing, so the
  // reconcile metrics (action failures, last reconcile) are left out rather
  // than reported as 0 (docs/architecture.md, "Metrics").
  const ServiceMetrics* service = nullptr;
};

// Prometheus text format 0.0.4, one HELP and TYPE line per family (label
// values escaped: backslash, double quote, newline). Per database x target:
// drsnap_rpo_seconds, drsnap_recovery_point_age_seconds,
// drsnap_recovery_point_timestamp_seconds, drsnap_rpo_state (one-hot per
// state), drsnap_vaulted_copies, drsnap_copies_in_flight,
// drsnap_last_verification_timestamp_seconds, drsnap_last_verification_ok;
// then drsnap_pairs{state}, drsnap_findings{severity}, drsnap_status_exit_code,
// drsnap_incomplete_scopes, drsnap_build_info{version}; with `service`:
// drsnap_action_failures_total{stage,code} (counter),
// drsnap_reconciles_total (counter), drsnap_last_reconcile_timestamp_seconds and
// drsnap_last_reconcile_success.
std::string StatusPrometheus(const PrometheusInput& input);

// "3h5m" / "45s" / "-" for zero.
std::string Age(std::chrono::seconds d);

}  // namespace drsnap::cli
