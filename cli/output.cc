#include "cli/output.h"

#include <algorithm>

#include "cli/command.h"
#include "core/time_util.h"

namespace drsnap::cli {

using engine::Action;
using engine::ActionResult;
using engine::Finding;

const char* SeverityName(Finding::Severity s) {
  switch (s) {
    case Finding::Severity::kInfo:
      return "info";
    case Finding::Severity::kWarning:
      return "warning";
    case Finding::Severity::kError:
      return "error";
  }
  return "info";
}

namespace {

std::string Target(const Action& a) { return a.scope.ToString() + "/" + a.snapshot_id; }

std::string PromEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// HELP text: backslash and newline escaped (the exposition format's rule).
std::string PromHelpEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string Age(std::chrono::seconds d) {
  if (d.count() == 0) return "-";
  bool neg = d.count() < 0;
  auto s = neg ? -d : d;
  // Two largest units keep the table narrow.
  int64_t days = s.count() / 86400, hours = (s.count() % 86400) / 3600,
          mins = (s.count() % 3600) / 60, secs = s.count() % 60;
  std::string out;
  if (days > 0)
    out = std::to_string(days) + "d" + (hours ? std::to_string(hours) + "h" : "");
  else if (hours > 0)
    out = std::to_string(hours) + "h" + (mins ? std::to_string(mins) + "m" : "");
  else if (mins > 0)
    out = std::to_string(mins) + "m" + (secs ? std::to_string(secs) + "s" : "");
  else
    out = std::to_string(secs) + "s";
  return neg ? "-" + out : out;
}

nlohmann::json ActionJson(const Action& a) {
  nlohmann::json j = {
      {"kind", engine::ActionKindName(a.kind)},
      {"stage", engine::StageName(a.stage)},
      {"db_kind", engine::DbKindName(a.db_kind)},
      {"account", a.scope.account_id},
      {"region", a.scope.region},
      {"policy", a.policy},
      {"db_id", a.db_id},
      {"snapshot_id", a.snapshot_id},
      {"reason", a.reason},
  };
  if (!a.source_arn.empty()) j["source"] = a.source_arn;
  if (!a.source_region.empty()) j["source_region"] = a.source_region;
  if (!a.kms_key_id.empty()) j["kms_key_id"] = a.kms_key_id;
  if (!a.option_group.empty()) j["option_group"] = a.option_group;
  if (!a.share_with.empty()) j["share_with"] = a.share_with;
  if (!a.tags.empty()) j["tags"] = a.tags;
  return j;
}

nlohmann::json FindingJson(const Finding& f) {
  return {
      {"severity", SeverityName(f.severity)}, {"policy", f.policy},       {"db_id", f.db_id},
      {"account", f.scope.account_id},        {"region", f.scope.region}, {"message", f.message}};
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

int ErrorFindings(const engine::Plan& plan) { return metrics::ErrorFindings(plan.findings); }

int PlanExitCode(const engine::Plan& plan, const engine::Inventory& inventory) {
  return inventory.IncompleteScopes() > 0 || ErrorFindings(plan) > 0 ? 1 : 0;
}

std::string PlanTable(const engine::Plan& plan, const engine::Inventory& inventory) {
  std::string out;
  const int blind = inventory.IncompleteScopes();
  const int errors = ErrorFindings(plan);
  if (plan.actions.empty() && blind > 0) {
    out += "No actions, but the plan is incomplete: " + std::to_string(blind) + " of " +
           std::to_string(inventory.scopes.size()) +
           " scopes could not be observed (below); nothing that depends on them is known.\n";
  } else if (plan.actions.empty() && errors > 0) {
    out +=
        "No actions, but " + std::to_string(errors) + " error finding(s) below need attention.\n";
  } else if (plan.actions.empty()) {
    out += "No changes: every protected database is where the policy wants it.\n";
  } else {
    std::vector<std::vector<std::string>> rows{
        {"STAGE", "ACTION", "KIND", "DB", "TARGET", "REASON"}};
    for (const auto& a : plan.actions)
      rows.push_back({engine::StageName(a.stage), engine::ActionKindName(a.kind),
                      engine::DbKindName(a.db_kind), a.db_id, Target(a), a.reason});
    out += Table(rows);
  }
  if (!plan.findings.empty()) {
    out += "\n";
    std::vector<std::vector<std::string>> rows{{"SEVERITY", "POLICY", "DB", "SCOPE", "FINDING"}};
    for (const auto& f : plan.findings)
      rows.push_back({SeverityName(f.severity), f.policy, f.db_id, f.scope.ToString(), f.message});
    out += Table(rows);
  }
  int incomplete = 0;
  for (const auto& s : inventory.scopes)
    if (!s.complete) {
      ++incomplete;
      out += "warning: " + s.scope.ToString() + " could not be listed completely: " + s.error +
             " (no deletes that depend on it)\n";
    }
  std::map<std::string, int> by_kind;
  for (const auto& a : plan.actions) ++by_kind[engine::ActionKindName(a.kind)];
  out += "\nPlan: " + std::to_string(plan.actions.size()) + " actions";
  if (!by_kind.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [k, n] : by_kind) {
      out += (first ? "" : ", ") + std::to_string(n) + " " + k;
      first = false;
    }
    out += ")";
  }
  out += ", " + std::to_string(plan.findings.size()) + " findings, " +
         std::to_string(inventory.scopes.size()) + " scopes observed";
  if (incomplete > 0) out += " (" + std::to_string(incomplete) + " incomplete)";
  out += ".\n";
  return out;
}

nlohmann::json PlanJson(const engine::Plan& plan, const engine::Inventory& inventory) {
  nlohmann::json j;
  j["observed_at"] = FormatIso8601Seconds(inventory.observed_at);
  j["actions"] = nlohmann::json::array();
  for (const auto& a : plan.actions) j["actions"].push_back(ActionJson(a));
  j["findings"] = nlohmann::json::array();
  for (const auto& f : plan.findings) j["findings"].push_back(FindingJson(f));
  j["scopes"] = nlohmann::json::array();
  for (const auto& s : inventory.scopes)
    j["scopes"].push_back({{"account", s.scope.account_id},
                           {"region", s.scope.region},
                           {"complete", s.complete},
                           {"error", s.error},
                           {"databases", s.databases.size()},
                           {"snapshots", s.snapshots.size()}});
  j["incomplete_scopes"] = inventory.IncompleteScopes();
  j["error_findings"] = ErrorFindings(plan);
  j["exit_code"] = PlanExitCode(plan, inventory);
  return j;
}

nlohmann::json ResultJson(const ActionResult& r) {
  nlohmann::json j = ActionJson(r.action);
  j["outcome"] = engine::OutcomeName(r.outcome);
  if (!r.reason.empty()) j["outcome_reason"] = r.reason;
  if (r.error) {
    j["error"] = {{"code", r.error->code}, {"message", r.error->ToString()}};
  }
  return j;
}

std::string ResultLine(const ActionResult& r) {
  std::string out = engine::OutcomeName(r.outcome);
  out.resize(std::max<size_t>(out.size(), 13), ' ');
  out += r.action.Describe();
  if (r.outcome == engine::Outcome::kFailed && r.error)
    out += ": " + r.error->ToString();
  else if (!r.reason.empty())
    out += " (" + r.reason + ")";
  return out;
}

std::string ApplySummary(const engine::ReconcileReport& report) {
  std::string out;
  for (const auto& r : report.apply.results)
    if (r.outcome == engine::Outcome::kFailed) out += "failed: " + ResultLine(r) + "\n";
  for (const auto& s : report.inventory.scopes)
    if (!s.complete) out += "incomplete: " + s.scope.ToString() + ": " + s.error + "\n";
  if (report.apply.deadline_reached)
    out += "note: the deadline came near; the rest is left for the next run\n";
  if (report.apply.stopped) out += "note: stopped on request; the rest is left for the next run\n";
  if (report.replans > 0)
    out += "note: AWS refused a one-step copy; re-planned with a same-region hop\n";
  out += "Apply: " + report.Summary() + ".\n";
  return out;
}

int ApplyExitCode(const engine::ReconcileReport& report) {
  return metrics::ReconcileSucceeded(report) ? 0 : 1;
}

nlohmann::json ApplyJson(const engine::ReconcileReport& report) {
  nlohmann::json j;
  j["started"] = FormatIso8601Seconds(report.started);
  j["finished"] = FormatIso8601Seconds(report.finished);
  j["results"] = nlohmann::json::array();
  for (const auto& r : report.apply.results) j["results"].push_back(ResultJson(r));
  j["findings"] = nlohmann::json::array();
  for (const auto& f : report.plan.findings) j["findings"].push_back(FindingJson(f));
  j["counts"] = {{"done", report.apply.Count(engine::Outcome::kDone)},
                 {"already_done", report.apply.Count(engine::Outcome::kAlreadyDone)},
                 {"deferred", report.apply.Count(engine::Outcome::kDeferred)},
                 {"failed", report.apply.Count(engine::Outcome::kFailed)}};
  j["incomplete_scopes"] = report.IncompleteScopes();
  j["deadline_reached"] = report.apply.deadline_reached;
  j["stopped"] = report.apply.stopped;
  j["ok"] = report.ok();
  j["error_findings"] = ErrorFindings(report.plan);
  j["exit_code"] = ApplyExitCode(report);
  return j;
}

std::string StatusTable(const engine::StatusReport& report, TimePoint now) {
  (void)now;
  std::string out;
  if (report.rows.empty()) {
    out += "No protected databases found.\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"POLICY", "DB", "KIND", "TARGET", "STATE",
                                                "NEWEST POINT", "AGE", "RPO", "COPIES", "IN FLIGHT",
                                                "VERIFIED", "REASON"}};
    for (const auto& r : report.rows) {
      std::string flight;
      for (const auto& c : r.in_flight) {
        if (!flight.empty()) flight += ", ";
        flight += c.stage + " " + std::to_string(c.percent_progress) + "%";
      }
      rows.push_back(
          {r.policy, r.db_id + (r.database_exists ? "" : " (deleted)"), engine::DbKindName(r.kind),
           r.target.ToString(), engine::RpoStateName(r.state),
           r.newest_point ? FormatIso8601Seconds(*r.newest_point) : "-", Age(r.age), Age(r.rpo),
           std::to_string(r.vaulted_copies), flight.empty() ? "-" : flight,
           r.last_verification ? std::string(r.last_verification->ok ? "ok " : "FAILED ") +
                                     FormatIso8601Seconds(r.last_verification->at)
                               : "never",
           r.reason});
    }
    out += Table(rows);
  }
  for (const auto& f : report.findings)
    out +=
        std::string(SeverityName(f.severity)) + ": " + f.scope.ToString() + ": " + f.message + "\n";
  out += "\nOverall: " + std::string(engine::RpoStateName(report.Overall())) + " (" +
         std::to_string(report.rows.size()) + " database x target pairs).\n";
  return out;
}

nlohmann::json StatusJson(const engine::StatusReport& report) {
  nlohmann::json j;
  j["generated_at"] = FormatIso8601Seconds(report.generated_at);
  j["overall"] = engine::RpoStateName(report.Overall());
  j["exit_code"] = report.ExitCode();
  j["rows"] = nlohmann::json::array();
  for (const auto& r : report.rows) {
    nlohmann::json row = {
        {"policy", r.policy},
        {"db_id", r.db_id},
        {"db_kind", engine::DbKindName(r.kind)},
        {"database_exists", r.database_exists},
        {"source", {{"account", r.source.account_id}, {"region", r.source.region}}},
        {"target", {{"account", r.target.account_id}, {"region", r.target.region}}},
        {"rpo_seconds", r.rpo.count()},
        {"state", engine::RpoStateName(r.state)},
        {"reason", r.reason},
        {"age_seconds", r.age.count()},
        {"vaulted_copies", r.vaulted_copies},
        {"newest_snapshot_id", r.newest_snapshot_id},
    };
    row["newest_point"] = r.newest_point ? nlohmann::json(FormatIso8601Seconds(*r.newest_point))
                                         : nlohmann::json(nullptr);
    row["since"] =
        r.since ? nlohmann::json(FormatIso8601Seconds(*r.since)) : nlohmann::json(nullptr);
    row["in_flight"] = nlohmann::json::array();
    for (const auto& c : r.in_flight)
      row["in_flight"].push_back({{"snapshot_id", c.snapshot_id},
                                  {"account", c.scope.account_id},
                                  {"region", c.scope.region},
                                  {"stage", c.stage},
                                  {"status", c.status},
                                  {"percent_progress", c.percent_progress},
                                  {"recovery_point", FormatIso8601Seconds(c.recovery_point)}});
    row["last_verification"] = nullptr;
    if (const auto& v = r.last_verification)
      row["last_verification"] = {{"at", FormatIso8601Seconds(v->at)},
                                  {"ok", v->ok},
                                  {"snapshot_id", v->snapshot_id},
                                  {"detail", v->detail}};
    row["retention_tiers"] = nlohmann::json::object();
    for (const auto& t : r.tiers) row["retention_tiers"][t.tier] = t.count;
    j["rows"].push_back(std::move(row));
  }
  j["findings"] = nlohmann::json::array();
  for (const auto& f : report.findings) j["findings"].push_back(FindingJson(f));
  return j;
}

namespace {

// "# HELP name help" and "# TYPE name type" lines.
void PromFamily(std::string& out, const std::string& name, const std::string& help,
                const char* type) {
  out += "# HELP " + name + " " + PromHelpEscape(help) + "\n# TYPE " + name + " " + type + "\n";
}

std::string UnixSeconds(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// The families computed from one observation (StatusPrometheus).
void AppendStatusFamilies(const engine::StatusReport& report, const PrometheusInput& in,
                          std::string& out) {
  auto labels = [](const engine::TargetStatus& r) {
    return "policy=\"" + PromEscape(r.policy) + "\",db=\"" + PromEscape(r.db_id) + "\",kind=\"" +
           engine::DbKindName(r.kind) + "\",target_account=\"" + PromEscape(r.target.account_id) +
           "\",target_region=\"" + PromEscape(r.target.region) + "\"";
  };
  auto family = [&out](const std::string& name, const std::string& help) {
    PromFamily(out, name, help, "gauge");
  };
  family("drsnap_rpo_seconds", "The policy's recovery point objective.");
  for (const auto& r : report.rows)
    out += "drsnap_rpo_seconds{" + labels(r) + "} " + std::to_string(r.rpo.count()) + "\n";
  family("drsnap_recovery_point_age_seconds",
         "Age of the newest recoverable point in the target (absent when there is none).");
  for (const auto& r : report.rows)
    if (r.newest_point)
      out += "drsnap_recovery_point_age_seconds{" + labels(r) + "} " +
             std::to_string(r.age.count()) + "\n";
  family("drsnap_recovery_point_timestamp_seconds",
         "Unix time of the newest recoverable point in the target.");
  for (const auto& r : report.rows)
    if (r.newest_point)
      out += "drsnap_recovery_point_timestamp_seconds{" + labels(r) + "} " +
             UnixSeconds(*r.newest_point) + "\n";
  family("drsnap_rpo_state", "1 for the row's state (ok, at-risk, breached, unknown), else 0.");
  for (const auto& r : report.rows)
    for (auto s : {engine::RpoState::kOk, engine::RpoState::kAtRisk, engine::RpoState::kBreached,
                   engine::RpoState::kUnknown})
      out += "drsnap_rpo_state{" + labels(r) + ",state=\"" + engine::RpoStateName(s) + "\"} " +
             (r.state == s ? "1" : "0") + "\n";
  family("drsnap_vaulted_copies", "Available vault copies in the target.");
  for (const auto& r : report.rows)
    out += "drsnap_vaulted_copies{" + labels(r) + "} " + std::to_string(r.vaulted_copies) + "\n";
  family("drsnap_copies_in_flight", "Copies on their way to the target.");
  for (const auto& r : report.rows)
    out +=
        "drsnap_copies_in_flight{" + labels(r) + "} " + std::to_string(r.in_flight.size()) + "\n";
  family("drsnap_last_verification_timestamp_seconds",
         "Unix time of the newest restore drill recorded in the target (absent: never).");
  for (const auto& r : report.rows)
    if (r.last_verification)
      out += "drsnap_last_verification_timestamp_seconds{" + labels(r) + "} " +
             UnixSeconds(r.last_verification->at) + "\n";
  family("drsnap_last_verification_ok", "1 when that drill restored the copy, 0 when it failed.");
  for (const auto& r : report.rows)
    if (r.last_verification)
      out += "drsnap_last_verification_ok{" + labels(r) + "} " +
             (r.last_verification->ok ? "1" : "0") + "\n";
  family("drsnap_pairs", "Database x target pairs in each state.");
  for (const auto& [state, n] : metrics::PairsByState(report))
    out += "drsnap_pairs{state=\"" + std::string(engine::RpoStateName(state)) + "\"} " +
           std::to_string(n) + "\n";
  family("drsnap_findings",
         "Findings of the plan for this observation, by severity (error findings make plan, "
         "apply and run exit 1).");
  for (const auto& [severity, n] : metrics::FindingsBySeverity(in.findings))
    out += "drsnap_findings{severity=\"" + std::string(SeverityName(severity)) + "\"} " +
           std::to_string(n) + "\n";
  family("drsnap_status_exit_code",
         "The exit code of drsnap status: 0 ok, 1 at risk, 2 breached or unknown.");
  out += "drsnap_status_exit_code " + std::to_string(in.exit_code) + "\n";
  family("drsnap_incomplete_scopes", "Scopes (account x region) that could not be listed.");
  out += "drsnap_incomplete_scopes " + std::to_string(in.incomplete_scopes) + "\n";
}

}  // namespace

int StatusExitCode(const engine::StatusReport& report, const engine::Inventory& inventory) {
  return inventory.IncompleteScopes() > 0 ? std::max(report.ExitCode(), 2) : report.ExitCode();
}

std::string StatusPrometheus(const PrometheusInput& in) {
  std::string out;
  auto family = [&out](const std::string& name, const std::string& help,
                       const char* type = "gauge") { PromFamily(out, name, help, type); };
  if (in.status != nullptr) AppendStatusFamilies(*in.status, in, out);
  family("drsnap_build_info", "Always 1; the version label is drsnap's version.");
  out += "drsnap_build_info{version=\"" + PromEscape(std::string(Version())) + "\"} 1\n";
  if (in.service == nullptr) return out;
  const ServiceMetrics& service = *in.service;
  family("drsnap_action_failures_total",
         "Actions that failed since the process started, by stage and AWS error code.", "counter");
  for (const auto& [key, n] : service.action_failures)
    out += "drsnap_action_failures_total{stage=\"" + PromEscape(key.stage) + "\",code=\"" +
           PromEscape(key.code) + "\"} " + std::to_string(n) + "\n";
  family("drsnap_reconciles_total", "Reconciles finished since the process started.", "counter");
  out += "drsnap_reconciles_total " + std::to_string(service.reconciles) + "\n";
  if (service.last_reconcile) {
    family("drsnap_last_reconcile_timestamp_seconds",
           "Unix time at which the last reconcile finished (on the reconcile clock).");
    out += "drsnap_last_reconcile_timestamp_seconds " + UnixSeconds(*service.last_reconcile) + "\n";
    family("drsnap_last_reconcile_success",
           "1 when the last reconcile had no failed action, no incomplete scope and no error "
           "finding, else 0.");
    out += "drsnap_last_reconcile_success " +
           std::string(service.last_reconcile_success ? "1" : "0") + "\n";
  }
  return out;
}

}  // namespace drsnap::cli
