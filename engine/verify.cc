#include "engine/verify.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/observe.h"
#include "engine/protection.h"

namespace drsnap::engine::verify {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

const std::string* TagOf(const Tags& tags, const char* key) {
  auto it = tags.find(key);
  return it == tags.end() ? nullptr : &it->second;
}

// Statuses from which a restored database never becomes available by itself.
bool IsFailedStatus(std::string_view s) {
  return s == "failed" || s == "storage-full" || s == "restore-error" ||
         s.starts_with("incompatible-") || s.starts_with("inaccessible-");
}

std::optional<Verification> VerificationOf(const Snapshot& s) {
  const std::string* at = TagOf(s.tags, kTagVerifiedAt);
  const std::string* result = TagOf(s.tags, kTagVerifyResult);
  if (at == nullptr || result == nullptr) return std::nullopt;
  auto t = ParseIso8601(*at);
  if (!t) return std::nullopt;
  Verification v;
  v.at = *t;
  v.ok = *result == "ok";
  v.snapshot_id = s.id;
  if (const std::string* d = TagOf(s.tags, kTagVerifyDetail)) v.detail = *d;
  return v;
}

// "12m", "1h5m": how long a restore took, for the result detail.
std::string Took(seconds d) { return FormatDuration(d < seconds(0) ? seconds(0) : d); }

// The vault copies drsnap made of db_id in `target` (stage vault, its tags).
std::vector<const Snapshot*> VaultCopies(const LineageIndex& index, const Scope& target,
                                         const std::string& source_account_id, DbKind kind,
                                         const std::string& db_id, const std::string& policy) {
  std::vector<const Snapshot*> out;
  for (const LineageEntry& e :
       index.Lineages(target, source_account_id, naming::DbToken(db_id), kind)) {
    if (e.lineage.stage != naming::NameStage::kVault || !e.OursFor(db_id, policy)) continue;
    out.push_back(e.snapshot);
  }
  return out;
}

struct DrillKey {
  std::string policy;
  std::string db_id;
  DbKind kind;
  Scope target;
  auto operator<=>(const DrillKey&) const = default;
};

}  // namespace

std::string DrillName(std::string_view db_id, TimePoint recovery_point) {
  return std::string(kDrillPrefix) + naming::DbToken(db_id) + "-" +
         naming::FormatNameTimestamp(recovery_point);
}

bool IsDrillDatabase(const Database& db) {
  if (!db.id.starts_with(kDrillPrefix) || db.id.size() == kDrillPrefix.size()) return false;
  const std::string* managed = TagOf(db.tags, naming::kTagManaged);
  const std::string* verify = TagOf(db.tags, kTagVerify);
  return managed != nullptr && *managed == "true" && verify != nullptr && !verify->empty();
}

std::optional<Verification> LastVerification(const LineageIndex& index, const Scope& target,
                                             const std::string& source_account_id, DbKind kind,
                                             const std::string& db_id, const std::string& policy) {
  std::optional<Verification> best;
  for (const Snapshot* s : VaultCopies(index, target, source_account_id, kind, db_id, policy)) {
    auto v = VerificationOf(*s);
    if (v && (!best || v->at > best->at)) best = std::move(v);
  }
  return best;
}

std::optional<Verification> LastVerification(const Inventory& inventory, const Scope& target,
                                             const std::string& source_account_id, DbKind kind,
                                             const std::string& db_id, const std::string& policy) {
  LineageIndex index(inventory);
  return LastVerification(index, target, source_account_id, kind, db_id, policy);
}

std::string TagValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() == 256) break;
    bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_' ||
                   c == '.' || c == ':' || c == '/' || c == '=' || c == '+' || c == '-' || c == '@';
    out.push_back(allowed ? c : ' ');
  }
  return out;
}

const char* DrillPhaseName(DrillPhase p) {
  switch (p) {
    case DrillPhase::kNotDue:
      return "not-due";
    case DrillPhase::kNoCopy:
      return "no-copy";
    case DrillPhase::kStarting:
      return "starting";
    case DrillPhase::kRunning:
      return "running";
    case DrillPhase::kPassed:
      return "passed";
    case DrillPhase::kFailed:
      return "failed";
    case DrillPhase::kIncomplete:
      return "incomplete";
  }
  return "unknown";
}

const char* DrillActionKindName(DrillActionKind k) {
  switch (k) {
    case DrillActionKind::kRestore:
      return "restore";
    case DrillActionKind::kRecord:
      return "record";
    case DrillActionKind::kDelete:
      return "delete";
  }
  return "unknown";
}

bool DrillState::InProgress() const {
  return phase == DrillPhase::kStarting || phase == DrillPhase::kRunning;
}

bool DrillPlan::InProgress() const {
  return std::ranges::any_of(drills, [](const DrillState& d) { return d.InProgress(); });
}

std::string DrillAction::Describe() const {
  std::string s = std::string(DrillActionKindName(kind)) + " " + scope.ToString() + " ";
  switch (kind) {
    case DrillActionKind::kRestore:
      return s + drill_id + " <- " + snapshot_id;
    case DrillActionKind::kRecord:
      return s + snapshot_id + (ok ? " ok" : " failed");
    case DrillActionKind::kDelete:
      return s + drill_id;
  }
  return s;
}

std::vector<Scope> DrillScopes(const config::Config& config, const DrillOptions& options) {
  std::set<Scope> out;
  for (const auto& p : config.policies)
    for (const auto& t : p.targets)
      for (const auto& r : t.regions) {
        if (!r.verify) continue;
        Scope s{t.account_id, r.region};
        if (options.target && !(*options.target == s)) continue;
        out.insert(s);
      }
  return {out.begin(), out.end()};
}

DrillPlan PlanDrills(const Inventory& inventory, const config::Config& config,
                     const DrillOptions& options) {
  DrillPlan plan;
  LineageIndex index(inventory);
  // Drills restore the databases their policy protects (engine/protection.h):
  // a database another policy claims is drilled under that one.
  std::set<std::tuple<const config::Policy*, DbKind, std::string>> protects;
  for (auto& d : ProtectedDatabases(index, config).databases)
    protects.emplace(d.policy, d.kind, std::move(d.id));
  std::map<DrillKey, DrillState> states;
  std::vector<DrillAction> actions;
  const std::string now_iso = FormatIso8601Seconds(options.now);

  for (const auto& p : config.policies) {
    for (const auto& t : p.targets) {
      for (const auto& r : t.regions) {
        if (!r.verify) continue;
        const config::VerifySettings& vs = *r.verify;
        Scope target{t.account_id, r.region};
        if (options.target && !(*options.target == target)) continue;
        const ScopeInventory* si = index.Find(target);

        // Databases with drsnap's vault copies here, and databases whose
        // drill databases exist here (their copies may be gone).
        std::set<std::pair<std::string, DbKind>> dbs;
        std::map<std::pair<std::string, DbKind>, std::vector<const Database*>> drills;
        if (si != nullptr) {
          for (const auto& [kind, id] : index.TaggedDatabases(target, p.name))
            if (protects.contains({&p, kind, id})) dbs.emplace(id, kind);
          for (const Database& d : si->databases) {
            if (!IsDrillDatabase(d)) continue;
            const std::string* pol = TagOf(d.tags, naming::kTagPolicy);
            const std::string* db = TagOf(d.tags, naming::kTagDb);
            if (pol == nullptr || *pol != p.name || db == nullptr) continue;
            dbs.emplace(*db, d.kind);
            drills[{*db, d.kind}].push_back(&d);
          }
        }
        for (const auto& [db_id, kind] : dbs) {
          if (!options.db_id.empty() && db_id != options.db_id) continue;
          DrillState st;
          st.policy = p.name;
          st.kind = kind;
          st.db_id = db_id;
          st.source_account_id = p.source_account_id;
          st.target = target;
          st.last = LastVerification(index, target, p.source_account_id, kind, db_id, p.name);
          if (si == nullptr || !si->complete) {
            st.phase = DrillPhase::kIncomplete;
            st.message = "target " + target.ToString() + " could not be listed" +
                         (si ? " (" + si->error + ")" : "") + "; no drill step was taken";
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }
          std::vector<const Snapshot*> copies =
              VaultCopies(index, target, p.source_account_id, kind, db_id, p.name);
          auto snapshot_by_id = [&](const std::string& id) -> const Snapshot* {
            for (const Snapshot* s : copies)
              if (s->id == id) return s;
            return nullptr;
          };

          // 1. Drill databases that exist: wait for them, record, delete.
          bool busy = false;  // a drill database occupies this database x target
          std::set<std::string> existing_ids;
          for (const Database* d : drills[{db_id, kind}]) {
            existing_ids.insert(d->id);
            if (d->status == "deleting") continue;  // on its way out
            busy = true;
            const std::string& snap_id = *TagOf(d->tags, kTagVerify);
            const std::string* started_tag = TagOf(d->tags, kTagVerifyStarted);
            // A missing or unreadable start tag: the timeout cannot be told,
            // so it never fires (the drill still ends when AWS says so).
            auto parsed_start = started_tag ? ParseIso8601(*started_tag) : std::nullopt;
            const bool started = parsed_start.has_value();
            const TimePoint started_at = parsed_start.value_or(options.now);
            seconds age = duration_cast<seconds>(options.now - started_at);
            bool available = d->status == "available";
            bool failed = IsFailedStatus(d->status);
            bool timed_out = !available && !failed && started && age >= vs.timeout;
            st.drill_id = d->id;
            st.snapshot_id = snap_id;
            st.db_status = d->status;
            if (!available && !failed && !timed_out) {
              st.phase = DrillPhase::kRunning;
              st.message = "restoring " + snap_id + " to " + d->id + " (" + d->status + ", " +
                           Took(age) + " so far, timeout " + FormatDuration(vs.timeout) + ")";
              continue;
            }
            std::string detail =
                available ? "restored in " + Took(age)
                : failed  ? "the restore ended in status " + d->status + " after " + Took(age)
                          : "not available after " + Took(age) + " (status " + d->status +
                               ", timeout " + FormatDuration(vs.timeout) + ")";
            st.phase = available ? DrillPhase::kPassed : DrillPhase::kFailed;
            st.message = (available ? "restore drill passed: " : "restore drill failed: ") + detail;
            // Record unless this drill's result is already on the snapshot
            // (a run killed between record and delete).
            const Snapshot* snap = snapshot_by_id(snap_id);
            auto recorded = snap ? VerificationOf(*snap) : std::nullopt;
            bool already = recorded && started && recorded->at >= started_at;
            if (snap != nullptr && !already) {
              DrillAction a;
              a.kind = DrillActionKind::kRecord;
              a.scope = target;
              a.policy = p.name;
              a.db_kind = kind;
              a.db_id = db_id;
              a.drill_id = d->id;
              a.snapshot_id = snap->id;
              a.snapshot_arn = snap->arn;
              a.ok = available;
              a.detail = TagValue(detail);
              a.tags = {{kTagVerifiedAt, now_iso},
                        {kTagVerifyResult, available ? "ok" : "failed"},
                        {kTagVerifyDetail, a.detail}};
              a.reason = "record the drill result on " + snap->id;
              actions.push_back(std::move(a));
            } else if (snap == nullptr) {
              st.message +=
                  "; the restored copy " + snap_id + " is gone, so the result is " + "not recorded";
            }
            DrillAction del;
            del.kind = DrillActionKind::kDelete;
            del.scope = target;
            del.policy = p.name;
            del.db_kind = kind;
            del.db_id = db_id;
            del.drill_id = d->id;
            del.reason = std::string("the drill is over (") + (available ? "passed" : "failed") +
                         "): delete its throw-away " + DbKindName(kind);
            actions.push_back(std::move(del));
          }
          if (busy) {
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }

          // 2. No drill running: start one when due.
          // Results carry whole seconds: compare at that precision.
          bool done_this_run =
              st.last && st.last->at >= std::chrono::floor<seconds>(options.run_started);
          if (done_this_run) {
            st.phase = st.last->ok ? DrillPhase::kPassed : DrillPhase::kFailed;
            st.snapshot_id = st.last->snapshot_id;
            st.message = std::string("restore drill ") + (st.last->ok ? "passed" : "failed") +
                         ": " + st.last->detail;
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }
          bool due = options.force || !st.last || st.last->at + vs.every <= options.now;
          if (!due) {
            st.phase = DrillPhase::kNotDue;
            st.message = "not due: last drill " + FormatIso8601Seconds(st.last->at) +
                         (st.last->ok ? " passed" : " failed") + ", next after " +
                         FormatIso8601Seconds(st.last->at + vs.every);
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }
          const Snapshot* newest = nullptr;
          for (const Snapshot* s : copies)
            if (s->status == SnapshotStatus::kAvailable &&
                (newest == nullptr || s->recovery_point > newest->recovery_point ||
                 (s->recovery_point == newest->recovery_point && s->id > newest->id)))
              newest = s;
          if (newest == nullptr) {
            st.phase = DrillPhase::kNoCopy;
            st.message =
                "no available vault copy of " + db_id + " in " + target.ToString() + " to restore";
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }
          std::string name = DrillName(db_id, newest->recovery_point);
          st.drill_id = name;
          st.snapshot_id = newest->id;
          if (existing_ids.contains(name)) {
            // The previous drill of this very point is still being deleted.
            st.phase = DrillPhase::kRunning;
            st.db_status = "deleting";
            st.message = "waiting for the previous drill " + name + " to be deleted";
            states[{p.name, db_id, kind, target}] = std::move(st);
            continue;
          }
          st.phase = DrillPhase::kStarting;
          st.message = "restoring " + newest->id + " (point " +
                       FormatIso8601Seconds(newest->recovery_point) + ") to " + name;
          DrillAction a;
          a.kind = DrillActionKind::kRestore;
          a.scope = target;
          a.policy = p.name;
          a.db_kind = kind;
          a.db_id = db_id;
          a.drill_id = name;
          a.snapshot_id = newest->id;
          a.restore.kind = kind;
          a.restore.db_id = name;
          a.restore.snapshot_id = newest->id;
          a.restore.engine = newest->engine;
          if (kind == DbKind::kInstance) a.restore.instance_class = vs.instance_class;
          a.restore.subnet_group = vs.subnet_group;
          a.restore.security_groups = vs.security_groups;
          a.restore.tags = {
              {naming::kTagManaged, "true"}, {naming::kTagPolicy, p.name},
              {naming::kTagDb, db_id},       {naming::kTagSourceAccount, p.source_account_id},
              {kTagVerify, newest->id},      {kTagVerifyStarted, now_iso}};
          a.reason = st.last ? "a drill is due (last " + FormatIso8601Seconds(st.last->at) +
                                   (options.force ? ", forced" : "") + ")"
                             : std::string("no drill has been recorded yet");
          actions.push_back(std::move(a));
          states[{p.name, db_id, kind, target}] = std::move(st);
        }
      }
    }
  }
  plan.actions = std::move(actions);
  for (auto& [key, st] : states) plan.drills.push_back(std::move(st));
  return plan;
}

std::vector<DrillActionResult> ApplyDrills(Cloud& cloud, const DrillPlan& plan) {
  std::vector<DrillActionResult> results;
  for (const DrillAction& a : plan.actions) {
    DrillActionResult r;
    r.action = a;
    switch (a.kind) {
      case DrillActionKind::kRestore: {
        auto db = cloud.RestoreFromSnapshot(a.scope, a.restore);
        if (db) {
          r.ok = true;
          r.message = "restore of " + a.snapshot_id + " to " + a.drill_id + " started";
        } else if (db.error().code == "DBInstanceAlreadyExists" ||
                   db.error().code == "DBClusterAlreadyExistsFault") {
          // Ours (a retry, or a concurrent run): the drill is running. A
          // database of that name drsnap did not make blocks the drill.
          auto existing = cloud.DescribeDatabase(a.scope, a.db_kind, a.drill_id);
          r.ok = existing && IsDrillDatabase(*existing);
          r.message = r.ok ? a.drill_id + " already exists: the drill is running"
                           : "a database named " + a.drill_id +
                                 " exists that drsnap did not make (no drsnap tags); the drill "
                                 "cannot use that name until it is renamed or removed";
        } else {
          r.message = db.error().ToString();
        }
        break;
      }
      case DrillActionKind::kRecord: {
        auto st = cloud.TagSnapshot(a.scope, a.snapshot_arn, a.tags);
        r.ok = st.has_value();
        r.message = r.ok
                        ? "recorded " + std::string(a.ok ? "ok" : "failed") + " on " + a.snapshot_id
                        : st.error().ToString();
        break;
      }
      case DrillActionKind::kDelete: {
        // Re-check on a fresh read: never delete what is not a drill database.
        auto db = cloud.DescribeDatabase(a.scope, a.db_kind, a.drill_id);
        if (!db) {
          if (db.error().code == "DBInstanceNotFound" ||
              db.error().code == "DBClusterNotFoundFault") {
            r.ok = true;
            r.message = a.drill_id + " is already gone";
          } else {
            r.message = db.error().ToString();
          }
          break;
        }
        if (!IsDrillDatabase(*db)) {
          r.message = "refused to delete " + a.drill_id +
                      ": it is not a drill database drsnap made (needs the drsnap-verify- name "
                      "and drsnap's tags)";
          break;
        }
        if (db->status == "deleting") {
          r.ok = true;
          r.message = a.drill_id + " is already being deleted";
          break;
        }
        auto st = cloud.DeleteDatabase(a.scope, a.db_kind, a.drill_id);
        r.ok = st.has_value();
        r.message = r.ok ? "deleting " + a.drill_id
                         : "could not delete " + a.drill_id + " yet (" + st.error().ToString() +
                               "); the next run retries";
        break;
      }
    }
    results.push_back(std::move(r));
  }
  return results;
}

DrillRun RunDrills(Cloud& cloud, const config::Config& config, Clock& clock,
                   const DrillRunOptions& options) {
  DrillRun run;
  DrillOptions o = options.drill;
  o.run_started = clock.Now();
  ObserveRequest req;
  req.scopes = DrillScopes(config, o);
  for (;;) {
    o.now = clock.Now();
    Inventory inv = Observe(cloud, req, o.now);
    run.last = PlanDrills(inv, config, o);
    std::vector<DrillActionResult> results = ApplyDrills(cloud, run.last);
    ++run.rounds;
    if (options.on_round) options.on_round(run.last, results);
    bool progressed = std::ranges::any_of(results, [](const auto& r) { return r.ok; });
    run.results.insert(run.results.end(), results.begin(), results.end());
    if (!options.wait || run.rounds >= options.max_rounds) break;
    if (options.stop != nullptr && options.stop->load()) {
      run.interrupted = run.last.InProgress();
      break;
    }
    // A restore that failed to start is not waited for (it is reported).
    bool running =
        std::ranges::any_of(run.last.drills,
                            [](const DrillState& d) { return d.phase == DrillPhase::kRunning; }) ||
        std::ranges::any_of(results, [](const DrillActionResult& r) {
          return r.ok && r.action.kind == DrillActionKind::kRestore;
        });
    if (!running && !progressed) break;
    // What was just started needs time; what was just recorded or deleted
    // is confirmed by looking again at once.
    if (running) clock.SleepFor(options.interval);
  }
  return run;
}

}  // namespace drsnap::engine::verify
