#include "lambda/handler.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/endpoints.h"
#include "core/log.h"
#include "engine/naming.h"
#include "engine/planner.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;

constexpr char kSharedDetailType[] = "drsnap Snapshot Shared";
constexpr char kSource[] = "drsnap";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string SnapshotArn(const engine::Action& a) {
  return "arn:" + aws::PartitionForRegion(a.scope.region).name + ":rds:" + a.scope.region + ":" +
         a.scope.account_id + ":" +
         (a.db_kind == engine::DbKind::kCluster ? "cluster-snapshot:" : "snapshot:") +
         a.snapshot_id;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

long long MillisBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

std::vector<std::string> LiteralDbIdsForToken(std::string_view token,
                                              const config::Config& config) {
  std::set<std::string> ids;
  for (const auto& p : config.policies) {
    for (const auto& name : p.databases.names) {
      if (name.empty() || name.find_first_of("*?") != std::string::npos) continue;
      std::string id = Lower(name);
      if (engine::naming::DbToken(id) == token) ids.insert(std::move(id));
    }
  }
  return {ids.begin(), ids.end()};
}

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
          std::vector<std::string> ids = LiteralDbIdsForToken(t.db_token, config);
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

}  // namespace drsnap::lambda
