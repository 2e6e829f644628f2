#include "lambda/handler.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/endpoints.h"
#include "core/log.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/observe.h"
#include "engine/planner.h"
#include "engine/protection.h"
#include "engine/verify.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;

constexpr char kSharedDetailType[] = "drsnap Snapshot Shared";
constexpr char kSource[] = "drsnap";

std::string SnapshotArn(const engine::Action& a) {
  return engine::SnapshotArn(a.scope, a.db_kind, a.snapshot_id);
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

long long MillisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// What a drill came to, in one word for the summary.
const char* DrillResult(engine::verify::DrillPhase phase) {
  using engine::verify::DrillPhase;
  switch (phase) {
    case DrillPhase::kPassed:
      return "ok";
    case DrillPhase::kFailed:
      return "failed";
    case DrillPhase::kStarting:
    case DrillPhase::kRunning:
      return "running";
    case DrillPhase::kNotDue:
      return "not-due";
    case DrillPhase::kNoCopy:
      return "no-copy";
    case DrillPhase::kIncomplete:
      return "unknown";
  }
  return "unknown";
}

std::string DrillKey(const std::string& policy, engine::DbKind kind, const std::string& db,
                     const engine::Scope& target) {
  return policy + "/" + db + "/" + engine::DbKindName(kind) + "/" + target.ToString();
}

}  // namespace

RunRequest ChooseRun(const std::vector<Trigger>& triggers, const config::Config& config) {
  std::vector<engine::Scope> scopes = engine::ScopesToObserve(config);
  auto known = [&](const Trigger& t) {
    return std::ranges::find(scopes, engine::Scope{t.account_id, t.region}) != scopes.end();
  };
  RunRequest out;
  bool full = false;
  std::set<std::string> dbs;
  for (const auto& t : triggers) {
    std::string line = std::string(TriggerKindName(t.kind)) + ": " + t.reason;
    switch (t.kind) {
      case TriggerKind::kIgnore:
        break;
      case TriggerKind::kFullReconcile:
        full = true;
        break;
      case TriggerKind::kVerify:
        out.verify = true;
        break;
      case TriggerKind::kScope:
        if (known(t)) {
          full = true;  // the database is unknown: reconcile everything
        } else {
          line +=
              " (ignored: " + t.account_id + "/" + t.region + " is no scope of the policy file)";
        }
        break;
      case TriggerKind::kDatabase:
        if (known(t) && !t.db_id.empty()) {
          dbs.insert(t.db_id);
        } else if (known(t)) {
          std::vector<std::string> ids = engine::LiteralDbIdsForToken(t.db_token, config);
          if (ids.size() == 1) {
            line += " (the policy file names " + ids.front() + ")";
            dbs.insert(ids.front());
          } else {
            full = true;
            line += ids.empty() ? " (token " + t.db_token +
                                      " may stand for several ids and the policy file names none "
                                      "of them: full reconcile)"
                                : " (" + std::to_string(ids.size()) +
                                      " databases the policy file names have token " + t.db_token +
                                      ": full reconcile)";
          }
        } else {
          line +=
              " (ignored: " + t.account_id + "/" + t.region + " is no scope of the policy file)";
        }
        break;
    }
    out.reasons.push_back(std::move(line));
  }
  out.run = full || !dbs.empty();
  if (!full && dbs.size() == 1) out.only_db = *dbs.begin();
  return out;
}

std::vector<aws::EventEntry> SharedEventEntries(const engine::ReconcileReport& report) {
  std::vector<aws::EventEntry> out;
  for (const auto& r : report.apply.results) {
    if (r.action.kind != engine::ActionKind::kShareSnapshot) continue;
    if (r.outcome != engine::Outcome::kDone) continue;
    aws::EventEntry e;
    e.source = kSource;
    e.detail_type = kSharedDetailType;
    std::string arn = SnapshotArn(r.action);
    e.detail =
        SnapshotSharedDetail(arn, r.action.db_id, r.action.db_kind == engine::DbKind::kCluster,
                             r.action.scope.account_id, r.action.scope.region);
    e.resources.push_back(std::move(arn));
    out.push_back(std::move(e));
  }
  return out;
}

InvocationHandler::InvocationHandler(engine::Reconciler* reconciler, HandlerOptions options)
    : reconciler_(reconciler), options_(std::move(options)) {
  if (!options_.wall_clock) options_.wall_clock = DefaultClock();
}

HandlerResult InvocationHandler::Handle(const Invocation& inv) {
  const TimePoint wall_start = options_.wall_clock->Now();
  std::vector<Trigger> triggers = DecodeEvent(inv.payload);
  RunRequest req = ChooseRun(triggers, reconciler_->config());

  json body;
  body["request_id"] = inv.request_id;
  body["side"] = SideName(options_.side);
  json tj = json::array();
  for (size_t i = 0; i < triggers.size(); ++i) {
    json one;
    one["kind"] = TriggerKindName(triggers[i].kind);
    if (!triggers[i].event_id.empty()) one["event_id"] = triggers[i].event_id;
    if (!triggers[i].db_id.empty()) one["db"] = triggers[i].db_id;
    if (!triggers[i].db_token.empty()) one["db_token"] = triggers[i].db_token;
    one["reason"] = req.reasons[i];
    tj.push_back(std::move(one));
  }
  body["triggers"] = std::move(tj);

  if (req.verify && !req.run) return HandleVerify(inv, wall_start, std::move(body));
  if (!req.run) {
    body["run"] = "none";
    for (const auto& r : req.reasons)
      LogInfo("event ignored", {{"request_id", inv.request_id}, {"why", r}});
    return HandlerResult{true, Dump(body), "", ""};
  }
  body["run"] = req.only_db.empty() ? "full" : "database";
  if (!req.only_db.empty()) body["only_db"] = req.only_db;
  LogInfo("reconcile started", {{"request_id", inv.request_id},
                                {"run", req.only_db.empty() ? "full" : "database"},
                                {"db", req.only_db},
                                {"why", req.reasons.empty() ? "" : req.reasons.front()}});

  // Lambda's deadline is wall time; carry the time left over to the
  // reconciler's clock (the same clock in production, a virtual one in tests).
  Duration left = inv.deadline - wall_start;
  engine::ReconcileOptions opt;
  opt.only_db = req.only_db;
  opt.side = options_.side;
  opt.concurrency = options_.concurrency;
  opt.deadline = reconciler_->clock().Now() + left;
  opt.deadline_margin = options_.deadline_margin;
  opt.progress = [&inv](const engine::ProgressEvent& ev) {
    if (ev.result == nullptr) return;
    const auto& r = *ev.result;
    LogFields f{{"request_id", inv.request_id},
                {"outcome", engine::OutcomeName(r.outcome)},
                {"action", r.action.Describe()}};
    if (r.error) f.emplace_back("error", r.error->ToString());
    if (!r.reason.empty()) f.emplace_back("reason", r.reason);
    Log().Log(r.outcome == engine::Outcome::kFailed ? LogLevel::kWarn : LogLevel::kInfo,
              "action finished", f);
  };
  engine::ReconcileReport report = reconciler_->RunOnce(opt);

  body["summary"] = report.Summary();
  body["actions"] = report.plan.actions.size();
  body["done"] = report.apply.Count(engine::Outcome::kDone);
  body["already_done"] = report.apply.Count(engine::Outcome::kAlreadyDone);
  body["deferred"] = report.apply.Count(engine::Outcome::kDeferred);
  body["failed"] = report.apply.Count(engine::Outcome::kFailed);
  body["incomplete_scopes"] = report.IncompleteScopes();
  body["deadline_reached"] = report.apply.deadline_reached;
  json left_list = json::array();
  json failures = json::array();
  std::string first_failure;
  for (const auto& r : report.apply.results) {
    if (r.outcome == engine::Outcome::kDeferred) {
      left_list.push_back({{"action", r.action.Describe()}, {"reason", r.reason}});
    } else if (r.outcome == engine::Outcome::kFailed) {
      std::string err = r.error ? r.error->ToString() : "failed";
      if (first_failure.empty()) first_failure = r.action.Describe() + ": " + err;
      failures.push_back({{"action", r.action.Describe()}, {"error", err}});
    }
  }
  body["left"] = std::move(left_list);
  body["failures"] = std::move(failures);
  json incomplete = json::array();
  for (const auto& s : report.inventory.scopes)
    if (!s.complete) incomplete.push_back({{"scope", s.scope.ToString()}, {"error", s.error}});
  body["incomplete"] = incomplete;

  // Announce the shares (source side) so the DR account copies at once.
  int emitted = 0, emit_failed = 0;
  if (options_.side != Side::kVault && options_.emit) {
    std::vector<aws::EventEntry> entries = SharedEventEntries(report);
    if (!entries.empty()) {
      Status st = options_.emit(entries);
      if (st) {
        emitted = static_cast<int>(entries.size());
      } else {
        emit_failed = static_cast<int>(entries.size());
        LogError("cannot announce shared snapshots; the vault's schedule will find them",
                 {{"request_id", inv.request_id}, {"error", st.error().ToString()}});
      }
    }
  }
  body["events"] = {{"emitted", emitted}, {"failed", emit_failed}};
  body["duration_ms"] = MillisBetween(wall_start, options_.wall_clock->Now());

  std::string text = Dump(body);
  LogFields f{{"request_id", inv.request_id},
              {"summary", report.Summary()},
              {"deadline_reached", report.apply.deadline_reached ? "true" : "false"},
              {"events_emitted", std::to_string(emitted)}};
  Log().Log(report.ok() ? LogLevel::kInfo : LogLevel::kError, "reconcile finished", f);

  int failed = report.apply.Count(engine::Outcome::kFailed);
  if (failed > 0) {
    return HandlerResult{false, text, "drsnap.ActionsFailed",
                         std::to_string(failed) + " of " +
                             std::to_string(report.plan.actions.size()) +
                             " actions failed; first: " + first_failure};
  }
  if (report.IncompleteScopes() > 0) {
    const auto& s = incomplete.front();
    return HandlerResult{false, text, "drsnap.ObserveIncomplete",
                         std::to_string(report.IncompleteScopes()) +
                             " scopes could not be observed; first: " +
                             s["scope"].get<std::string>() + ": " + s["error"].get<std::string>()};
  }
  return HandlerResult{true, std::move(text), "", ""};
}

HandlerResult InvocationHandler::HandleVerify(const Invocation& inv, TimePoint wall_start,
                                              json body) {
  namespace verify = engine::verify;
  if (options_.side == Side::kSource) {
    body["run"] = "none";
    LogInfo("restore drill trigger ignored: drills run on the vault side",
            {{"request_id", inv.request_id}, {"side", SideName(options_.side)}});
    return HandlerResult{true, Dump(body), "", ""};
  }
  body["run"] = "verify";
  const config::Config& config = reconciler_->config();
  Clock& clock = reconciler_->clock();
  // Lambda's deadline is wall time; carry the time left to the reconciler's clock.
  const TimePoint deadline = clock.Now() + (inv.deadline - wall_start);

  verify::DrillOptions o;
  o.now = clock.Now();
  o.run_started = o.now;
  engine::ObserveRequest req;
  req.scopes = verify::DrillScopes(config, o);
  req.parallelism = std::max(1, options_.concurrency);
  LogInfo("restore drills started",
          {{"request_id", inv.request_id}, {"scopes", std::to_string(req.scopes.size())}});
  engine::Inventory inventory = engine::Observe(reconciler_->cloud(), req, o.now);
  o.now = clock.Now();
  verify::DrillPlan plan = verify::PlanDrills(inventory, config, o);

  // Start no restore near the deadline: a restore is one call, but the
  // invocation must still record its answer. Records and deletes finish
  // drills and are left in (each is one call too).
  json left = json::array();
  if (clock.Now() + options_.deadline_margin >= deadline) {
    std::erase_if(plan.actions, [&left](const verify::DrillAction& a) {
      if (a.kind != verify::DrillActionKind::kRestore) return false;
      left.push_back({{"action", a.Describe()}, {"reason", "too close to the deadline"}});
      return true;
    });
  }
  std::vector<verify::DrillActionResult> results = verify::ApplyDrills(reconciler_->cloud(), plan);

  json steps = json::array();
  std::map<std::string, std::string> step_errors;  // drill key -> last failed step
  std::string first_step_error;
  for (const auto& r : results) {
    Log().Log(r.ok ? LogLevel::kInfo : LogLevel::kWarn, "drill step",
              {{"request_id", inv.request_id},
               {"step", verify::DrillActionKindName(r.action.kind)},
               {"scope", r.action.scope.ToString()},
               {"db", r.action.db_id},
               {"drill", r.action.drill_id},
               {"outcome", r.ok ? "done" : "failed"},
               {"message", r.message}});
    steps.push_back({{"step", verify::DrillActionKindName(r.action.kind)},
                     {"db", r.action.db_id},
                     {"target", r.action.scope.ToString()},
                     {"drill", r.action.drill_id},
                     {"ok", r.ok},
                     {"message", r.message}});
    if (!r.ok) {
      step_errors[DrillKey(r.action.policy, r.action.db_kind, r.action.db_id, r.action.scope)] =
          r.message;
      if (first_step_error.empty()) first_step_error = r.action.Describe() + ": " + r.message;
    }
  }

  json drills = json::array();
  int failed = 0;
  std::string first_failed;
  for (const auto& d : plan.drills) {
    json x = {{"policy", d.policy},
              {"db", d.db_id},
              {"kind", engine::DbKindName(d.kind)},
              {"target", d.target.ToString()},
              {"phase", verify::DrillPhaseName(d.phase)},
              {"result", DrillResult(d.phase)},
              {"message", d.message}};
    if (!d.drill_id.empty()) x["drill"] = d.drill_id;
    if (!d.snapshot_id.empty()) x["snapshot"] = d.snapshot_id;
    if (auto it = step_errors.find(DrillKey(d.policy, d.kind, d.db_id, d.target));
        it != step_errors.end())
      x["error"] = it->second;
    if (d.last)
      x["last"] = {{"at", FormatIso8601Seconds(d.last->at)},
                   {"ok", d.last->ok},
                   {"snapshot", d.last->snapshot_id},
                   {"detail", d.last->detail}};
    if (d.phase == verify::DrillPhase::kFailed) {
      ++failed;
      if (first_failed.empty())
        first_failed = d.db_id + " in " + d.target.ToString() + ": " + d.message;
    }
    drills.push_back(std::move(x));
  }
  json incomplete = json::array();
  for (const auto& s : inventory.scopes)
    if (!s.complete) incomplete.push_back({{"scope", s.scope.ToString()}, {"error", s.error}});
  const size_t incomplete_count = incomplete.size();
  body["drills"] = std::move(drills);
  body["steps"] = std::move(steps);
  body["left"] = std::move(left);
  body["incomplete"] = incomplete;
  body["duration_ms"] = MillisBetween(wall_start, options_.wall_clock->Now());
  std::string text = Dump(body);

  LogFields f{{"request_id", inv.request_id},
              {"drills", std::to_string(plan.drills.size())},
              {"steps", std::to_string(results.size())},
              {"failed", std::to_string(failed)}};
  if (plan.drills.empty() && req.scopes.empty())
    f.emplace_back("note", "no DR target region has a verify: block in the policy file");
  Log().Log(failed > 0 || !step_errors.empty() || incomplete_count > 0 ? LogLevel::kError
                                                                       : LogLevel::kInfo,
            "restore drills finished", f);
  if (failed > 0)
    return HandlerResult{false, std::move(text), "drsnap.DrillFailed",
                         std::to_string(failed) + " restore drill(s) failed: those DR copies did " +
                             "not restore; first: " + first_failed};
  if (!step_errors.empty())
    return HandlerResult{
        false, std::move(text), "drsnap.DrillStepFailed",
        std::to_string(step_errors.size()) +
            " drill(s) had a failed step (retried next invocation); first: " + first_step_error};
  if (incomplete_count > 0)
    return HandlerResult{false, std::move(text), "drsnap.ObserveIncomplete",
                         std::to_string(incomplete_count) +
                             " scopes could not be observed; first: " +
                             incomplete.front()["scope"].get<std::string>() + ": " +
                             incomplete.front()["error"].get<std::string>()};
  return HandlerResult{true, std::move(text), "", ""};
}

}  // namespace drsnap::lambda
