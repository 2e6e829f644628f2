#include "lambda/handler.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
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
#include "engine/status.h"
#include "engine/verify.h"
#include "metrics/emf.h"
#include "metrics/reconcile_metrics.h"

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

// A copy the handler watches: AWS emits no event when it ends.
struct WatchedCopy {
  engine::Scope scope;
  std::string id;
  bool operator==(const WatchedCopy&) const = default;
};

// The copies of this side's stages (source: capture, raw; vault: hop,
// vault; all: every stage) that are in flight after a run and whose end
// AWS announces with no event: DB cluster snapshot copies (the RDS event
// catalogue has copy-finished and cancelled events for DB snapshots only).
// Those in flight when the run observed, and those the run issued.
std::vector<WatchedCopy> WatchedCopies(const engine::ReconcileReport& report, Side side) {
  using engine::naming::NameStage;
  auto ours = [side](std::string_view id) {
    auto lineage = engine::naming::ParseName(id);
    if (!lineage) return false;
    bool source_stage = lineage->stage == NameStage::kCapture || lineage->stage == NameStage::kRaw;
    return side == Side::kAll || (side == Side::kSource) == source_stage;
  };
  std::vector<WatchedCopy> out;
  auto add = [&out](WatchedCopy w) {
    if (std::ranges::find(out, w) == out.end()) out.push_back(std::move(w));
  };
  for (const auto& scope : report.inventory.scopes) {
    for (const auto& s : scope.snapshots) {
      if (s.kind != engine::DbKind::kCluster || !(s.scope == scope.scope)) continue;
      if (!engine::IsCopyInFlight(s) || !ours(s.id)) continue;
      add({s.scope, std::string(s.id)});
    }
  }
  for (const auto& r : report.apply.results) {
    const auto& a = r.action;
    if (a.kind != engine::ActionKind::kCopySnapshot || a.db_kind != engine::DbKind::kCluster)
      continue;
    if (r.outcome != engine::Outcome::kDone && r.outcome != engine::Outcome::kAlreadyDone) continue;
    if (ours(a.snapshot_id)) add({a.scope, std::string(a.snapshot_id)});
  }
  return out;
}

std::string WatchKey(const WatchedCopy& w) { return w.scope.ToString() + " " + w.id; }

// PercentProgress samples by WatchKey.
using ProgressLog = CopyProgress;

// The samples EstimateCopyEnd rests on: the anchor (the last sample still
// at the first sample's percent) and the last; for a copy that has not
// moved, the first and the last (how long it has not). All a wake-up
// carries on.
std::vector<ProgressSample> EstimateBasis(const std::vector<ProgressSample>& samples) {
  if (samples.size() < 2) return samples;
  const ProgressSample* anchor = &samples.front();
  for (const auto& s : samples) {
    if (s.percent != samples.front().percent) break;
    anchor = &s;
  }
  if (anchor == &samples.back()) return {samples.front(), samples.back()};
  return {*anchor, samples.back()};
}

// Appends a reading of `key`, keeping each copy's readings in time order.
void AddSample(ProgressLog& log, const std::string& key, ProgressSample sample) {
  auto& samples = log[key];
  if (samples.empty() || samples.back().at < sample.at) samples.push_back(sample);
}

// The run's view of the cluster copies in flight it observed.
void AddObservedProgress(const engine::ReconcileReport& report, ProgressLog& log) {
  for (const auto& scope : report.inventory.scopes) {
    for (const auto& s : scope.snapshots) {
      if (s.kind != engine::DbKind::kCluster || !(s.scope == scope.scope)) continue;
      if (!engine::IsCopyInFlight(s)) continue;
      AddSample(log, WatchKey({s.scope, std::string(s.id)}),
                {report.inventory.observed_at, s.percent_progress});
    }
  }
}

// How many of `now` are not in `before`.
size_t NewOnes(const std::vector<WatchedCopy>& now, const std::vector<WatchedCopy>& before) {
  return static_cast<size_t>(std::ranges::count_if(
      now, [&](const WatchedCopy& w) { return std::ranges::find(before, w) == before.end(); }));
}

// Asks options.wake_at for the one wake-up of an invocation that ends with
// `watched` copies in flight ("The wake-up", handler.h); `keys` are their
// WatchKeys. Returns the summary's "wake_up". Never fails: an error is
// logged and reported.
json ScheduleWakeUp(const HandlerOptions& options, TimePoint now, const Invocation& inv,
                    const std::vector<WatchedCopy>& watched, const ProgressLog& progress,
                    const std::vector<std::string>& keys) {
  // The earliest copy to end decides; one with no estimate may end any time.
  std::optional<TimePoint> wake;
  std::string why;
  size_t estimated = 0;
  for (const auto& w : watched) {
    auto it = progress.find(WatchKey(w));
    auto e = it == progress.end() ? std::nullopt : EstimateCopyEnd(it->second);
    // No estimate: soon, unless the copy was seen not moving for longer (queued
    // behind other copies, or very slow): then after about as long again, so
    // that a copy stuck at its percent does not wake the function every few
    // minutes (the readings carried from wake-up to wake-up make it double).
    Duration no_estimate_delay = options.wake_default_delay;
    if (!e && it != progress.end() && it->second.size() >= 2)
      no_estimate_delay = std::max(no_estimate_delay, it->second.back().at - it->second.front().at);
    TimePoint at = e ? e->end - options.watch_first_poll : now + no_estimate_delay;
    if (e) ++estimated;
    if (!wake || at < *wake) {
      wake = at;
      if (e) {
        why = "copy " + WatchKey(w) + " expected to end at " + FormatIso8601Seconds(e->end) + " (" +
              std::to_string(it->second.back().percent) + "% at " +
              FormatIso8601Seconds(it->second.back().at) + ")";
      } else if (no_estimate_delay > options.wake_default_delay) {
        why = "copy " + WatchKey(w) + " has stayed at " +
              std::to_string(it->second.back().percent) + "% since " +
              FormatIso8601Seconds(it->second.front().at);
      } else {
        why = "copy " + WatchKey(w) + " has no progress estimate yet";
      }
    }
  }
  TimePoint at = std::clamp(*wake, now + options.wake_min_delay, now + options.wake_max_delay);
  if (watched.size() > 1)
    why += "; " + std::to_string(watched.size()) + " copies in flight, " +
           std::to_string(estimated) + " with an estimate";
  WakeUpRequest request;
  request.at = at;
  request.name = WakeUpScheduleName(options.side, at);
  request.why = why;
  request.function_arn = inv.function_arn;
  ProgressLog carried;
  for (const auto& key : keys) {
    auto it = progress.find(key);
    carried[key] = it == progress.end() ? std::vector<ProgressSample>{} : EstimateBasis(it->second);
  }
  request.payload =
      WatchWakeUpPayload(SideName(options.side), FormatIso8601Seconds(at), why, carried);
  json out = {{"at", FormatIso8601Seconds(at)}, {"why", why}, {"schedule", request.name}};
  Status st = options.wake_at(request);
  if (st) {
    out["scheduled"] = true;
    LogInfo("copies still in flight: wake-up scheduled", {{"request_id", inv.request_id},
                                                          {"at", FormatIso8601Seconds(at)},
                                                          {"schedule", request.name},
                                                          {"why", why},
                                                          {"count", watched.size()}});
  } else {
    out["scheduled"] = false;
    out["error"] = st.error().ToString();
    LogError(
        "cannot schedule the watch's wake-up: the copies in flight wait for the next invocation "
        "(or the schedule)",
        {{"request_id", inv.request_id},
         {"at", FormatIso8601Seconds(at)},
         {"schedule", request.name},
         {"error", st.error().ToString()}});
  }
  return out;
}

}  // namespace

std::string WakeUpScheduleName(Side side, TimePoint at) {
  std::string iso = FormatIso8601Seconds(at);  // "2026-11-23T05:30:43Z"
  std::string minute;
  for (char c : iso.substr(0, 16))  // "2026-11-23T05:30"
    if (c != '-' && c != ':') minute += c;
  return std::string("drsnap-wake-") + SideName(side) + "-" + minute;
}

std::optional<CopyEndEstimate> EstimateCopyEnd(const std::vector<ProgressSample>& samples) {
  const std::vector<ProgressSample> basis = EstimateBasis(samples);
  if (basis.size() < 2) return std::nullopt;
  const ProgressSample& anchor = basis.front();
  const ProgressSample& last = basis.back();
  const int points = last.percent - anchor.percent;
  const double seconds = std::chrono::duration<double>(last.at - anchor.at).count();
  if (points <= 0 || seconds <= 0) return std::nullopt;
  const double rate = points / seconds;  // percent per second
  const double left = std::max(0.0, 100.0 - (last.percent + 0.5));
  CopyEndEstimate e;
  e.end =
      last.at + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(left / rate));
  e.settled = points >= kSettledProgressPoints;
  return e;
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
        if (known(t) && t.frees_copy_slot) {
          // A copy into this scope finished or was cancelled: its slot of the
          // copies-in-flight quota is free, and copies the executor deferred
          // for the quota may belong to any database. Only a run of every
          // database issues them (the run still starts at most the free
          // slots' worth; the rest waits for the next copy to end).
          full = true;
          line += " (a copy slot of " + t.account_id + "/" + t.region +
                  " is free: full reconcile, so deferred copies of every database start)";
        } else if (known(t) && !t.db_id.empty()) {
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
  Clock& clock = reconciler_->clock();
  engine::ReconcileOptions opt;
  opt.only_db = req.only_db;
  opt.only_db_may_widen = true;  // an event named it: a focus, not a restriction
  opt.side = options_.side;
  opt.concurrency = options_.concurrency;
  opt.deadline = clock.Now() + left;
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

  // Announce the shares (source side) so the DR account copies at once;
  // after every run, not once at the end: a watch below may take minutes.
  int emitted = 0, emit_failed = 0;
  auto announce = [&](const engine::ReconcileReport& report) {
    if (options_.side == Side::kVault || !options_.emit) return;
    std::vector<aws::EventEntry> entries = SharedEventEntries(report);
    if (entries.empty()) return;
    Status st = options_.emit(entries);
    if (st) {
      emitted += static_cast<int>(entries.size());
    } else {
      emit_failed += static_cast<int>(entries.size());
      LogError("cannot announce shared snapshots; the vault's schedule will find them",
               {{"request_id", inv.request_id}, {"error", st.error().ToString()}});
    }
  };

  std::vector<engine::ReconcileReport> reports;
  reports.push_back(reconciler_->RunOnce(opt));
  announce(reports.back());
  if (!reports.back().widened.empty()) {
    body["run"] = "full";
    body["widened"] = reports.back().widened;
    LogInfo("reconcile widened to every database",
            {{"request_id", inv.request_id}, {"why", reports.back().widened}});
  }

  // The watch: copies AWS announces no end of (WatchedCopies) are polled
  // while the invocation has time, and each end (available, failed or gone)
  // is a freed copy slot and maybe a next hop: one more full run, as the
  // event would have asked for. The poll starts short and doubles up to
  // watch_max_poll (a copy takes minutes to hours; the first ones to end are the
  // small ones); it restarts short after each end, and polls at a copy's
  // expected end when that comes sooner (EstimateCopyEnd). With a wake-up scheduler,
  // the watch hands off to it as soon as the progress samples say (settled)
  // that no watched copy ends before the deadline.
  const bool watching = options_.watch_first_poll > Duration::zero();
  json watch = {{"copies", 0}, {"polls", 0}, {"runs", 0}, {"still_copying", json::array()}};
  std::vector<WatchedCopy> watched = WatchedCopies(reports.back(), options_.side);
  // A wake-up carries the progress the invocation before it saw: the
  // estimate spans both invocations (and may settle at once).
  ProgressLog progress = WatchWakeUpProgress(inv.payload);
  AddObservedProgress(reports.back(), progress);
  watch["copies"] = watched.size();
  // The earliest expected end of the watched copies that have an estimate,
  // and whether every one has a settled estimate.
  auto earliest_end = [&](bool* all_settled) {
    std::optional<TimePoint> earliest;
    *all_settled = true;
    for (const auto& w : watched) {
      auto e = EstimateCopyEnd(progress[WatchKey(w)]);
      if (!e || !e->settled) *all_settled = false;
      if (e && (!earliest || e->end < *earliest)) earliest = e->end;
    }
    return earliest;
  };
  const TimePoint last_poll_by = *opt.deadline - options_.deadline_margin;
  bool handed_off = false;
  Duration poll = options_.watch_first_poll;
  while (!watched.empty() && watching) {
    if (options_.wake_at) {
      bool all_settled = false;
      auto earliest = earliest_end(&all_settled);
      if (all_settled && earliest && *earliest > last_poll_by) {
        handed_off = true;
        LogInfo("no watched copy ends before the deadline: handing off to a wake-up",
                {{"request_id", inv.request_id},
                 {"expected_end", FormatIso8601Seconds(*earliest)},
                 {"copies", watched.size()}});
        break;
      }
    }
    // Poll no later than the earliest expected end (at least watch_first_poll
    // on): a copy the samples say is due is seen ending within
    // watch_first_poll of its end, not of the doubling interval.
    Duration wait = poll;
    bool at_estimate = false;
    {
      bool all_settled = false;
      auto earliest = earliest_end(&all_settled);
      if (earliest && *earliest > clock.Now() && *earliest - clock.Now() < poll) {
        wait = std::max<Duration>(*earliest - clock.Now(), options_.watch_first_poll);
        at_estimate = true;
      }
    }
    if (clock.Now() + wait + options_.deadline_margin >= opt.deadline) break;
    clock.SleepFor(wait);
    watch["polls"] = watch["polls"].get<int>() + 1;
    bool ended = false;
    for (const auto& w : watched) {
      auto snap = reconciler_->cloud().DescribeSnapshot(w.scope, engine::DbKind::kCluster, w.id);
      // Not found: deleted or its copy cancelled; also a freed slot. Any
      // other error: keep watching (the next poll or the schedule decides).
      bool gone = !snap && (snap.error().code == "DBClusterSnapshotNotFoundFault" ||
                            snap.error().code == "DBSnapshotNotFound");
      if (gone || (snap && !engine::IsInFlight(snap->status))) {
        ended = true;
        LogInfo("watched copy ended",
                {{"request_id", inv.request_id},
                 {"snapshot", w.id},
                 {"scope", w.scope.ToString()},
                 {"status", snap ? engine::SnapshotStatusName(snap->status) : "gone"}});
      } else if (snap) {
        AddSample(progress, WatchKey(w), {clock.Now(), snap->percent_progress});
      }
    }
    if (!ended) {
      // Due but not ended: poll short again, then doubling.
      poll = at_estimate ? options_.watch_first_poll
                         : std::min<Duration>(poll * 2, options_.watch_max_poll);
      continue;
    }
    engine::ReconcileOptions again = opt;
    again.only_db.clear();
    reports.push_back(reconciler_->RunOnce(again));
    announce(reports.back());
    AddObservedProgress(reports.back(), progress);
    watch["runs"] = watch["runs"].get<int>() + 1;
    std::vector<WatchedCopy> next = WatchedCopies(reports.back(), options_.side);
    watch["copies"] = watch["copies"].get<size_t>() + NewOnes(next, watched);
    watched = std::move(next);
    poll = options_.watch_first_poll;
  }
  std::vector<std::string> still;
  for (const auto& w : watched) still.push_back(WatchKey(w));
  watch["still_copying"] = still;
  watch["handed_off"] = handed_off;
  if (!watched.empty() && watching && options_.wake_at) {
    watch["wake_up"] = ScheduleWakeUp(options_, clock.Now(), inv, watched, progress, still);
  } else if (!watched.empty()) {
    LogInfo("copies still in flight are left to the next invocation (or the schedule)",
            {{"request_id", inv.request_id}, {"count", watched.size()}});
  }

  // The summary covers every run of the invocation; the scopes not observed
  // are those of its last run (the latest view).
  const engine::ReconcileReport& last = reports.back();
  auto count = [&reports](engine::Outcome o) {
    int n = 0;
    for (const auto& r : reports) n += r.apply.Count(o);
    return n;
  };
  size_t actions = 0;
  bool deadline_reached = false;
  for (const auto& r : reports) {
    actions += r.plan.actions.size();
    deadline_reached = deadline_reached || r.apply.deadline_reached;
  }
  std::string summary = last.Summary();
  if (reports.size() > 1) summary = std::to_string(reports.size()) + " runs; last: " + summary;
  body["summary"] = summary;
  body["actions"] = actions;
  body["done"] = count(engine::Outcome::kDone);
  body["already_done"] = count(engine::Outcome::kAlreadyDone);
  body["deferred"] = count(engine::Outcome::kDeferred);
  body["failed"] = count(engine::Outcome::kFailed);
  body["incomplete_scopes"] = last.IncompleteScopes();
  body["deadline_reached"] = deadline_reached;
  json left_list = json::array();
  json failures = json::array();
  std::string first_failure;
  for (const auto& report : reports) {
    for (const auto& r : report.apply.results) {
      if (r.outcome == engine::Outcome::kDeferred) {
        left_list.push_back({{"action", r.action.Describe()}, {"reason", r.reason}});
      } else if (r.outcome == engine::Outcome::kFailed) {
        std::string err = r.error ? r.error->ToString() : "failed";
        if (first_failure.empty()) first_failure = r.action.Describe() + ": " + err;
        failures.push_back({{"action", r.action.Describe()}, {"error", err}});
      }
    }
  }
  body["left"] = std::move(left_list);
  body["failures"] = std::move(failures);
  json incomplete = json::array();
  for (const auto& s : last.inventory.scopes)
    if (!s.complete) incomplete.push_back({{"scope", s.scope.ToString()}, {"error", s.error}});
  body["incomplete"] = incomplete;
  body["watch"] = std::move(watch);
  body["events"] = {{"emitted", emitted}, {"failed", emit_failed}};
  body["duration_ms"] = MillisBetween(wall_start, options_.wall_clock->Now());

  std::string text = Dump(body);
  bool ok = true;
  for (const auto& r : reports) ok = ok && r.apply.ok();
  ok = ok && last.IncompleteScopes() == 0;
  WriteMetrics(reports, ok && metrics::ReconcileSucceeded(last));
  LogFields f{{"request_id", inv.request_id},
              {"summary", summary},
              {"deadline_reached", deadline_reached},
              {"events_emitted", emitted}};
  Log().Log(ok ? LogLevel::kInfo : LogLevel::kError, "reconcile finished", f);

  int failed = count(engine::Outcome::kFailed);
  if (failed > 0) {
    return HandlerResult{false, text, "drsnap.ActionsFailed",
                         std::to_string(failed) + " of " + std::to_string(actions) +
                             " actions failed; first: " + first_failure};
  }
  if (last.IncompleteScopes() > 0) {
    const auto& s = incomplete.front();
    return HandlerResult{false, text, "drsnap.ObserveIncomplete",
                         std::to_string(last.IncompleteScopes()) +
                             " scopes could not be observed; first: " +
                             s["scope"].get<std::string>() + ": " + s["error"].get<std::string>()};
  }
  return HandlerResult{true, std::move(text), "", ""};
}

void InvocationHandler::WriteMetrics(const std::vector<engine::ReconcileReport>& reports,
                                     bool success) {
  const engine::ReconcileReport& last = reports.back();
  const engine::StatusReport status =
      engine::ComputeStatus(last.inventory, reconciler_->config(), last.inventory.observed_at);
  metrics::EmfInput in;
  in.timestamp = options_.wall_clock->Now();
  in.side = SideName(options_.side);
  in.status = &status;
  in.findings = last.plan.findings;
  for (const auto& r : reports) metrics::AddActionFailures(r.apply, in.failures);
  in.incomplete_scopes = last.IncompleteScopes();
  in.success = success;
  for (const std::string& line : metrics::EmfLines(in)) {
    if (options_.write_metrics) {
      options_.write_metrics(line);
    } else {
      std::fputs((line + "\n").c_str(), stdout);
      std::fflush(stdout);
    }
  }
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
          {{"request_id", inv.request_id}, {"scopes", req.scopes.size()}});
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
              {"drills", plan.drills.size()},
              {"steps", results.size()},
              {"failed", failed}};
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
