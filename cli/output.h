// Renderers for the CLI: plans, apply results and status reports as text
// tables, JSON and Prometheus exposition text. Pure functions of their
// inputs (times are rendered relative to `now` where it matters).
//
// Thread safety: pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/executor.h"
#include "engine/model.h"
#include "engine/reconcile.h"
#include "engine/status.h"

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
// Prometheus text format 0.0.4: drsnap_rpo_seconds, drsnap_recovery_point_age_seconds,
// drsnap_recovery_point_timestamp_seconds, drsnap_rpo_state (one-hot per state),
// drsnap_vaulted_copies, drsnap_copies_in_flight, drsnap_status_overall.
std::string StatusPrometheus(const engine::StatusReport& report);

// "3h5m" / "45s" / "-" for zero.
std::string Age(std::chrono::seconds d);

}  // namespace drsnap::cli
