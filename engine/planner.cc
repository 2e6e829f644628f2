#include "engine/planner.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>

#include "core/memory.h"
#include "core/time_util.h"
#include "engine/delete_guard.h"
#include "engine/lineage_index.h"
#include "engine/naming.h"
#include "engine/retention.h"

namespace drsnap::engine {
namespace {

using naming::NameStage;
using std::chrono::duration_cast;
using std::chrono::seconds;

bool IsLive(SnapshotStatus s) {
  return s == SnapshotStatus::kAvailable || s == SnapshotStatus::kCreating ||
         s == SnapshotStatus::kCopying;
}
bool InFlight(SnapshotStatus s) {
  return s == SnapshotStatus::kCreating || s == SnapshotStatus::kCopying;
}

TimePoint PointOf(const Snapshot& s) {
  return s.recovery_point != TimePoint{} ? s.recovery_point : s.create_time;
}

std::string Iso(TimePoint t) { return FormatIso8601Seconds(t); }

std::string Age(TimePoint now, TimePoint t) {
  return FormatDuration(duration_cast<seconds>(now - t));
}

std::string SnapshotArn(const Snapshot& s) {
  if (!s.arn.empty()) return s.arn;
  return "arn:aws:rds:" + s.scope.region + ":" + s.scope.account_id +
         (s.kind == DbKind::kCluster ? ":cluster-snapshot:" : ":snapshot:") + s.id;
}

std::string Progress(const Snapshot& s) {
  return std::string(SnapshotStatusName(s.status)) + " (" + std::to_string(s.percent_progress) +
         "%)";
}

bool IsAuroraLikeInstance(const Database& d) {
  // Members of Aurora / DocumentDB / Neptune clusters are protected through
  // their cluster; RDS cannot snapshot the instance.
  return d.kind == DbKind::kInstance &&
         (d.engine.starts_with("aurora") || d.engine == "docdb" || d.engine == "neptune");
}

bool CanSnapshot(const Database& d) {
  const std::string& s = d.status;
  return !(s == "creating" || s == "deleting" || s == "failed" || s.starts_with("inaccessible") ||
           s.starts_with("incompatible") || s == "storage-full");
}

enum class KeyPlan { kPlain, kKeep, kReencrypt, kMissingShareKey };

KeyPlan PlanKey(bool encrypted, const std::string& key, const ScopeInventory& src,
                const config::Policy& p) {
  if (!encrypted) return KeyPlan::kPlain;
  bool is_default = key.ends_with("alias/aws/rds") ||
                    (!src.default_rds_key_arn.empty() && key == src.default_rds_key_arn);
  bool unknown = src.default_rds_key_arn.empty() && !is_default;
  if (is_default) return p.share_key.empty() ? KeyPlan::kMissingShareKey : KeyPlan::kReencrypt;
  if (unknown && !p.share_key.empty() && key != p.share_key) return KeyPlan::kReencrypt;
  return KeyPlan::kKeep;
}

bool IsDefaultKey(const std::string& key, const ScopeInventory& src) {
  return key.ends_with("alias/aws/rds") ||
         (!src.default_rds_key_arn.empty() && key == src.default_rds_key_arn);
}

struct TargetRef {
  const config::Target* target = nullptr;
  const config::TargetRegion* region = nullptr;
  Scope scope;               // D
  bool needs_share = false;  // target account differs from the source account
  // Why retention removes a copy here (one text shared by every such delete).
  SharedString retention_reason;
};

// What is planned, in the order planned, until the plan is sorted. A plan
// may hold close to a million actions, nearly all of them deletes, and each
// Action is a few hundred bytes: a delete is recorded here as 24 bytes (the
// snapshot, its database, its reason, its scope) and becomes an Action
// exactly once, in its sorted place in the plan. Other actions are kept
// whole in Lane::full.
struct Planned {
  const Snapshot* deleted = nullptr;  // a delete of this snapshot; null: Lane::full[payload]
  uint32_t db = 0;                    // Planner::dbs_[db]
  uint32_t payload = 0;               // deleted: Lane::reasons[payload]
  uint32_t scope = 0;                 // deleted: where it lives, Lane::delete_scopes[scope]
};

// The database an action is for (policy, kind, id): one entry per database
// planned (DbItem).
struct DbRef {
  SharedString policy;  // PolicyCtx::name
  DbKind kind = DbKind::kInstance;
  SharedString id;
};

// What one planning thread makes (Planner::PlanDatabases): its databases'
// planned actions and findings. Only that thread writes it while planning.
struct Lane {
  // Planned entries never move while planning. Chunks of 6 MB, in huge
  // pages: a large plan's first touch of small pages would cost a page
  // fault per 4 KB (see core/memory.h); a small plan touches one page.
  static constexpr size_t kChunk = size_t{1} << 18;
  // A lane's entries are numbered in 29 bits (Planner::Ref).
  static constexpr size_t kMaxPlanned = size_t{1} << 29;

  std::vector<std::vector<Planned>> planned;
  size_t planned_count = 0;
  std::vector<Action> full;
  std::vector<SharedString> reasons;  // consecutive deletes with one shared reason share an entry
  // The scopes deletes are made in (a handful), and the index's Scope
  // objects already seen (LineageIndex::ScopeOf): a delete's scope is found
  // by address, and its sort key is known without reading the snapshot.
  std::vector<Scope> delete_scopes;
  std::vector<std::pair<const Scope*, uint32_t>> delete_scope_ids;
  std::vector<Finding> findings;
  std::set<const LineageEntry*> kept_failed;  // failed attempts waiting for a retry

  void Record(Planned p) {
    if (planned_count % kChunk == 0) {
      if (planned_count >= kMaxPlanned) throw std::length_error("plan too large");
      planned.emplace_back().reserve(kChunk);
      AdviseHugePages(planned.back().data(), kChunk * sizeof(Planned));
    }
    planned.back().push_back(p);
    ++planned_count;
  }
  const Planned& At(size_t i) const { return planned[i / kChunk][i % kChunk]; }

  // `where`: the snapshot's scope; `stable`: `where` outlives planning and
  // is always the same object for that scope (the index's).
  uint32_t DeleteScopeId(const Scope& where, bool stable) {
    for (const auto& [known, id] : delete_scope_ids)
      if (known == &where) return id;
    uint32_t id = 0;
    while (id < delete_scopes.size() && !(delete_scopes[id] == where)) ++id;
    if (id == delete_scopes.size()) delete_scopes.push_back(where);
    if (stable) delete_scope_ids.emplace_back(&where, id);
    return id;
  }
};

struct PolicyCtx {
  const config::Policy* p = nullptr;
  SharedString name;  // p->name, one copy for all the policy's actions
  Scope source;
  const ScopeInventory* src = nullptr;
  std::vector<TargetRef> targets;           // sorted by scope
  std::vector<std::string> share_accounts;  // sorted, unique
  std::string retention;                    // p->retention.ToString()
};


// One database to plan, in plan order.
struct DbItem {
  const PolicyCtx* pc = nullptr;
  DbKind kind = DbKind::kInstance;
  const Database* live = nullptr;  // null: deleted, or not observed (vault side)
  uint32_t db = 0;                 // Planner::dbs_[db]: the database's name
};

// Threads for planning (PlanOptions::threads): `requested`, or one per CPU
// this process may run on; at least one, at most kMaxLanes.
constexpr size_t kMaxLanes = 8;  // Planner::kLocalBits leaves 3 bits
size_t PlanningThreads(int requested) {
  size_t n = 0;
  if (requested > 0) {
    n = static_cast<size_t>(requested);
  } else {
    cpu_set_t set;
    n = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<size_t>(CPU_COUNT(&set))
                                                     : std::thread::hardware_concurrency();
  }
  return std::clamp<size_t>(n, 1, kMaxLanes);
}

// Plans databases one at a time into its Lane: capture, share, vault and
// expire (design brief). Reads nothing else that changes while planning
// (the inventory, index, guard, the policies' contexts and the database
// names are shared read-only; the guard is safe to call concurrently), so
// one DbPlanner per thread may run at once.
class DbPlanner {
 public:
  DbPlanner(const Inventory& inv, TimePoint now, const LineageIndex& index,
            const DeleteGuard& guard, const std::vector<DbRef>& dbs, Lane& lane)
      : inv_(inv),
        now_(now),
        index_(&index),
        guard_(&guard),
        dbs_(dbs),
        lane_(lane),
        kept_failed_(lane.kept_failed) {}

  void Plan(const DbItem& item) {
    db_ref_ = item.db;
    PlanDatabase(*item.pc, item.kind, dbs_[item.db].id, item.live);
  }

 private:
  struct TargetState {
    const TargetRef* t = nullptr;
    bool needs_hop = false;
    Scope hop_scope;
    std::vector<const LineageEntry*> vaults;        // ours, stage vault
    std::vector<const LineageEntry*> hops;          // ours, stage hop (in hop_scope)
    std::span<const LineageEntry> all_vault_names;  // for attempts
    std::span<const LineageEntry> all_hop_names;
    // Captures shared with the target account, as it sees them in the
    // source region (LineageIndex::SharedCaptures), of this database.
    std::vector<const LineageEntry*> shared;
    std::map<TimePoint, bool> too_old_cache;
  };

  struct DbCtx {
    DbKind kind = DbKind::kInstance;
    std::string id;
    SharedString name;  // id, one copy for all the database's actions
    std::string token;
    const Database* live = nullptr;
    std::span<const LineageEntry> all_src_names;
    std::vector<const LineageEntry*> captures;  // ours
    std::vector<const LineageEntry*> raws;      // ours
    std::vector<TargetState> targets;
  };

  // --- helpers ---------------------------------------------------------------

  static bool Ours(const LineageEntry& e, const DbCtx& db) { return e.OursFor(db.id); }

  // One past the highest attempt any name at (ts, stage) uses; may exceed
  // naming::kMaxAttempt (PlanRetry gives up then).
  static int NextAttempt(std::span<const LineageEntry> names, TimePoint ts, NameStage stage) {
    int next = 0;
    for (const auto& e : names)
      if (e.lineage.recovery_point == ts && e.lineage.stage == stage)
        next = std::max(next, e.lineage.attempt + 1);
    return next;
  }

  // Whether the copy at (point, stage) may be issued now, and under which
  // attempt number. A failed attempt N is AWS's record of the failure: it is
  // kept (kept_failed_) until attempt N+1 is issued, which waits until
  // failed.create_time + RetryBackoff(N); after naming::kMaxAttempt, never.
  // Emits the findings. When allowed, the failed attempt is deleted by
  // Expire() in the same plan.
  struct Retry {
    bool allowed = true;
    int attempt = 0;
    const LineageEntry* failed = nullptr;  // the newest failed attempt, ours
  };
  Retry PlanRetry(const PolicyCtx& pc, const DbCtx& db, const Scope& scope,
                  std::span<const LineageEntry> names, const std::vector<const LineageEntry*>& ours,
                  TimePoint point, NameStage stage, const std::string& what) {
    Retry r;
    r.attempt = NextAttempt(names, point, stage);
    for (const LineageEntry* e : ours)
      if (e->lineage.recovery_point == point && e->lineage.stage == stage &&
          e->status == SnapshotStatus::kFailed &&
          (!r.failed || e->lineage.attempt > r.failed->lineage.attempt))
        r.failed = e;
    if (!r.failed && r.attempt <= naming::kMaxAttempt) return r;
    std::string failed_text;
    if (r.failed) {
      const Snapshot& f = *r.failed->snapshot;
      failed_text = what + " " + f.id + " failed (AWS status '" +
                    (f.status_text.empty() ? std::string("failed") : f.status_text) + "')";
    }
    if (r.attempt > naming::kMaxAttempt) {
      r.allowed = false;
      if (r.failed) kept_failed_.insert(r.failed);
      Find(Finding::Severity::kError, pc, db.id, scope,
           (r.failed ? failed_text + "; " : what + " of " + Iso(point) + ": ") + "gave up after " +
               std::to_string(naming::kMaxAttempt + 1) +
               " attempts; fix the cause and delete the failed snapshot to start over");
      return r;
    }
    const Snapshot& f = *r.failed->snapshot;
    seconds backoff = RetryBackoff(r.failed->lineage.attempt);
    TimePoint not_before = f.create_time + backoff;
    if (now_ < not_before) {
      r.allowed = false;
      kept_failed_.insert(r.failed);
      Find(Finding::Severity::kError, pc, db.id, scope,
           failed_text + "; attempt " + std::to_string(r.attempt + 1) + " not before " +
               Iso(not_before) + " (backoff " + FormatDuration(backoff) + ")");
      return r;
    }
    Find(Finding::Severity::kError, pc, db.id, scope,
         failed_text + "; retrying as attempt " + std::to_string(r.attempt + 1));
    return r;
  }

  // The wait before attempt n+1 after attempt n failed: 10 minutes, doubling,
  // at most 6 hours (a permanently failing region costs a few snapshots a
  // day, not one per reconcile).
  static seconds RetryBackoff(int failed_attempt) {
    seconds backoff = std::chrono::minutes(10);
    const seconds cap = std::chrono::hours(6);
    for (int i = 0; i < failed_attempt && backoff < cap; ++i) backoff *= 2;
    return std::min(backoff, cap);
  }

  // The best live entry at ts: available first, then in flight; highest attempt.
  static const LineageEntry* LiveAt(const std::vector<const LineageEntry*>& entries, TimePoint ts) {
    const LineageEntry* best = nullptr;
    for (const LineageEntry* e : entries) {
      if (e->lineage.recovery_point != ts || !IsLive(e->status)) continue;
      if (!best) {
        best = e;
        continue;
      }
      bool ea = e->status == SnapshotStatus::kAvailable;
      bool ba = best->status == SnapshotStatus::kAvailable;
      if (ea != ba ? ea : e->lineage.attempt > best->lineage.attempt) best = e;
    }
    return best;
  }

  Tags BaseTags(const PolicyCtx& pc, const DbCtx& db, NameStage stage, TimePoint point,
                const std::string& source_arn) const {
    return Tags{{naming::kTagManaged, "true"},
                {naming::kTagPolicy, pc.p->name},
                {naming::kTagDb, db.id},
                {naming::kTagRecoveryPoint, Iso(point)},
                {naming::kTagStage, naming::NameStageName(stage)},
                {naming::kTagSourceAccount, pc.source.account_id},
                {naming::kTagSourceArn, source_arn}};
  }

  void Find(Finding::Severity sev, const PolicyCtx& pc, const std::string& db, const Scope& scope,
            std::string msg) {
    lane_.findings.push_back(Finding{sev, pc.p->name, db, scope, std::move(msg)});
  }

  Action NewAction(ActionKind kind, Stage stage, const PolicyCtx& pc, const DbCtx& db,
                   const Scope& scope, std::string snapshot_id, std::string reason) const {
    Action a;
    a.kind = kind;
    a.stage = stage;
    a.db_kind = db.kind;
    a.scope = scope;
    a.policy = pc.name;
    a.db_id = db.name;
    a.snapshot_id = std::move(snapshot_id);
    a.reason = std::move(reason);
    return a;
  }

  // Plans a delete when the guard agrees; else a Finding. S4 refusals are
  // quiet: the incomplete or missing scope was reported once per policy.
  //
  // The snapshot lives in the scope that listed it (LineageIndex::ScopeOf):
  // that Scope object, and the snapshot's own id string, let the guard and
  // the sort recognise both without reading the snapshot again.
  void Delete(const PolicyCtx& pc, const DbCtx& db, const LineageEntry& e,
              const SharedString& reason) {
    const Snapshot& s = *e.snapshot;
    const Scope* listed_in = index_->ScopeOf(e);
    const Scope& where = listed_in ? *listed_in : s.scope;
    auto ok = guard_->CheckDelete(DeleteRequest{pc.p->name, where, s.id, db.kind, db.id, &e});
    if (!ok && ok.error().message.starts_with("S4:")) return;
    if (!ok) {
      Find(Finding::Severity::kWarning, pc, db.id, where,
           "not deleting " + s.id + ": " + ok.error().message);
      return;
    }
    EmitDelete(s, where, listed_in != nullptr, reason);
  }


  void Emit(Action a) {
    lane_.full.push_back(std::move(a));
    lane_.Record(Planned{nullptr, db_ref_, static_cast<uint32_t>(lane_.full.size() - 1)});
  }
  // `where`: the snapshot's scope; `stable`: `where` outlives planning and
  // is always the same object for that scope (the index's).
  void EmitDelete(const Snapshot& s, const Scope& where, bool stable, const SharedString& reason) {
    std::vector<SharedString>& reasons = lane_.reasons;
    if (reasons.empty() || !reasons.back().SharesWith(reason)) reasons.push_back(reason);
    lane_.Record(Planned{&s, db_ref_, static_cast<uint32_t>(reasons.size() - 1),
                         lane_.DeleteScopeId(where, stable)});
  }

  void PlanDatabase(const PolicyCtx& pc, DbKind kind, const SharedString& name,
                    const Database* live) {
    DbCtx db;
    db.kind = kind;
    db.id = name;
    db.name = name;
    const std::string& id = db.id;
    db.token = naming::DbToken(id);
    db.live = live;
    db.all_src_names = index_->Lineages(pc.source, "", db.token, kind);
    for (const auto& e : db.all_src_names) {
      if (!Ours(e, db)) continue;
      if (e.lineage.stage == NameStage::kCapture) db.captures.push_back(&e);
      if (e.lineage.stage == NameStage::kRaw) db.raws.push_back(&e);
    }
    if (!live && pc.src && pc.src->complete) {
      Find(Finding::Severity::kInfo, pc, id, pc.source,
           std::string(DbKindName(kind)) + " " + id +
               " no longer exists; its copies are kept per retention");
    }
    for (const auto& t : pc.targets) {
      TargetState ts;
      ts.t = &t;
      ts.needs_hop =
          t.needs_share && t.scope.region != pc.source.region &&
          (kind == DbKind::kCluster || std::find(inv_.facts.one_step_copy_refused.begin(),
                                                 inv_.facts.one_step_copy_refused.end(), t.scope) !=
                                           inv_.facts.one_step_copy_refused.end());
      ts.hop_scope = Scope{t.scope.account_id, pc.source.region};
      ts.all_vault_names = index_->Lineages(t.scope, pc.source.account_id, db.token, kind);
      for (const auto& e : ts.all_vault_names)
        if (e.lineage.stage == NameStage::kVault && Ours(e, db)) ts.vaults.push_back(&e);
      ts.all_hop_names = index_->Lineages(ts.hop_scope, pc.source.account_id, db.token, kind);
      for (const auto& e : ts.all_hop_names)
        if (e.lineage.stage == NameStage::kHop && Ours(e, db)) ts.hops.push_back(&e);
      if (t.needs_share) {
        // What the target account sees shared by the source account, in
        // the source region. Tags do not cross accounts: the owner, the
        // name and the DB id on the snapshot are the lineage.
        for (const auto& e :
             index_->SharedCaptures(ts.hop_scope, pc.source.account_id, db.token, kind)) {
          const Snapshot& s = *e.snapshot;
          if (s.scope == pc.source && s.db_id == db.id) ts.shared.push_back(&e);
        }
      }
      db.targets.push_back(std::move(ts));
    }
    for (const auto* e : db.captures) Waiting(pc, db, *e);
    for (const auto* e : db.raws) Waiting(pc, db, *e);

    if (pc.src) {  // the source stages need the source scope
      Capture(pc, db);
      Share(pc, db);
    }
    Vault(pc, db);
    Expire(pc, db);
  }

  void Waiting(const PolicyCtx& pc, const DbCtx& db, const LineageEntry& e) {
    if (!InFlight(e.status)) return;
    Find(Finding::Severity::kInfo, pc, db.id, e.snapshot->scope,
         "waiting: " + e.snapshot->id + " is " + Progress(*e.snapshot));
  }

  // --- capture ---------------------------------------------------------------

  void Capture(const PolicyCtx& pc, DbCtx& db) {
    std::optional<TimePoint> newest_live;
    bool in_flight = false;
    for (const auto* group : {&db.captures, &db.raws}) {
      for (const LineageEntry* e : *group) {
        if (!IsLive(e->status)) continue;
        if (!newest_live || e->lineage.recovery_point > *newest_live)
          newest_live = e->lineage.recovery_point;
        if (InFlight(e->status)) in_flight = true;
      }
    }
    // Raw snapshots waiting for re-encryption (`snapshot` source, default key).
    for (const LineageEntry* raw : db.raws) {
      if (raw->status != SnapshotStatus::kAvailable) continue;
      TimePoint ts = raw->lineage.recovery_point;
      if (LiveAt(db.captures, ts)) continue;
      if (newest_live && ts < *newest_live && HasLiveCaptureAfter(db, ts)) continue;  // superseded
      if (pc.p->share_key.empty()) continue;  // reported below
      Retry retry = PlanRetry(pc, db, pc.source, db.all_src_names, db.captures, ts,
                              NameStage::kCapture, "capture copy");
      if (!retry.allowed) {
        in_flight = true;  // nothing newer is captured while this one waits
        continue;
      }
      int attempt = retry.attempt;
      std::string name = naming::MakeName({NameStage::kCapture, "", db.token, ts, attempt});
      Action a = NewAction(ActionKind::kCopySnapshot, Stage::kCapture, pc, db, pc.source, name,
                           "raw snapshot " + raw->snapshot->id +
                               " uses the default RDS key, which cannot be shared; copy it "
                               "re-encrypted with the share key");
      a.source_arn = raw->snapshot->id;
      a.kms_key_id = pc.p->share_key;
      a.tags = BaseTags(pc, db, NameStage::kCapture, ts, SnapshotArn(*raw->snapshot));
      Emit(std::move(a));
      in_flight = true;
    }
    if (!db.live) return;
    if (pc.p->capture == config::CaptureSource::kAutomated)
      CaptureAutomated(pc, db, newest_live, in_flight);
    else
      CaptureSnapshot(pc, db, newest_live, in_flight);
  }

  bool HasLiveCaptureAfter(const DbCtx& db, TimePoint ts) const {
    for (const LineageEntry* e : db.captures)
      if (e->lineage.recovery_point > ts && IsLive(e->status)) return true;
    return false;
  }

  void CaptureAutomated(const PolicyCtx& pc, const DbCtx& db, std::optional<TimePoint> newest_live,
                        bool in_flight) {
    const Snapshot* newest = nullptr;
    for (const Snapshot* s : index_->Automated(pc.source, db.kind, db.id))
      if (s->status == SnapshotStatus::kAvailable && (!newest || PointOf(*s) >= PointOf(*newest)))
        newest = s;
    if (!newest) {
      Find(Finding::Severity::kWarning, pc, db.id, pc.source,
           "no available automated snapshot of " + db.id + " (backup retention " +
               std::to_string(db.live->backup_retention_days) + " days); nothing to capture");
      return;
    }
    TimePoint ts = naming::NamePoint(PointOf(*newest));
    if (newest_live && ts <= *newest_live) return;  // already captured
    if (in_flight) {
      Find(Finding::Severity::kInfo, pc, db.id, pc.source,
           "waiting: a capture is in flight; automated snapshot " + newest->id +
               " will be captured after it");
      return;
    }
    KeyPlan kp = PlanKey(newest->encrypted, newest->kms_key_id, *pc.src, *pc.p);
    if (kp == KeyPlan::kMissingShareKey) {
      Find(Finding::Severity::kError, pc, db.id, pc.source,
           db.id +
               " is encrypted with the default RDS key, which cannot be shared; set "
               "source.share_key in policy '" +
               pc.p->name + "' to a customer-managed key");
      return;
    }
    Retry retry = PlanRetry(pc, db, pc.source, db.all_src_names, db.captures, ts,
                            NameStage::kCapture, "capture copy");
    if (!retry.allowed) return;
    int attempt = retry.attempt;
    std::string name = naming::MakeName({NameStage::kCapture, "", db.token, ts, attempt});
    std::string reason = "newest automated snapshot " + newest->id + " (" + Iso(PointOf(*newest)) +
                         ") is newer than the newest capture (" +
                         (newest_live ? Iso(*newest_live) : std::string("none")) +
                         "); copy it to a drsnap-owned manual snapshot";
    if (kp == KeyPlan::kReencrypt)
      reason += ", re-encrypted with the share key (the default key cannot be shared)";
    if (attempt > 0) reason += " (attempt " + std::to_string(attempt + 1) + ")";
    Action a = NewAction(ActionKind::kCopySnapshot, Stage::kCapture, pc, db, pc.source, name,
                         std::move(reason));
    a.source_arn = newest->id;
    if (kp == KeyPlan::kReencrypt) a.kms_key_id = pc.p->share_key;
    a.tags = BaseTags(pc, db, NameStage::kCapture, ts, SnapshotArn(*newest));
    Emit(std::move(a));
  }

  void CaptureSnapshot(const PolicyCtx& pc, const DbCtx& db, std::optional<TimePoint> newest_live,
                       bool in_flight) {
    seconds due_after = pc.p->rpo - pc.p->capture_margin;
    if (newest_live && now_ - *newest_live < due_after) return;  // fresh enough
    if (in_flight) {
      Find(Finding::Severity::kInfo, pc, db.id, pc.source,
           "waiting: a capture is in flight; the next snapshot is due");
      return;
    }
    if (!CanSnapshot(*db.live)) {
      Find(Finding::Severity::kWarning, pc, db.id, pc.source,
           "a snapshot of " + db.id + " is due but the database is " + db.live->status);
      return;
    }
    KeyPlan kp = PlanKey(db.live->encrypted, db.live->kms_key_id, *pc.src, *pc.p);
    if (kp == KeyPlan::kMissingShareKey) {
      Find(Finding::Severity::kError, pc, db.id, pc.source,
           db.id +
               " is encrypted with the default RDS key, which cannot be shared; set "
               "source.share_key in policy '" +
               pc.p->name + "' to a customer-managed key");
      return;
    }
    TimePoint ts = naming::NamePoint(now_);
    NameStage stage = kp == KeyPlan::kReencrypt ? NameStage::kRaw : NameStage::kCapture;
    int attempt = std::min(NextAttempt(db.all_src_names, ts, stage), naming::kMaxAttempt);
    std::string name = naming::MakeName({stage, "", db.token, ts, attempt});
    std::string reason = newest_live ? "the newest capture is " + Age(now_, *newest_live) +
                                           " old (" + Iso(*newest_live) + "), due after rpo " +
                                           FormatDuration(pc.p->rpo) + " - margin " +
                                           FormatDuration(pc.p->capture_margin)
                                     : std::string("there is no capture yet");
    reason += "; create a snapshot";
    if (stage == NameStage::kRaw)
      reason += " (default-key database: it is re-encrypted with the share key next)";
    Action a = NewAction(ActionKind::kCreateSnapshot, Stage::kCapture, pc, db, pc.source, name,
                         std::move(reason));
    a.tags = BaseTags(pc, db, stage, ts, db.live->arn);
    Emit(std::move(a));
  }

  // --- vault bookkeeping -------------------------------------------------------

  // True when retention in this target would drop a copy at `ts` right away:
  // there is no point in copying it.
  bool TooOld(const PolicyCtx& pc, TargetState& ts, TimePoint point) {
    auto cached = ts.too_old_cache.find(point);
    if (cached != ts.too_old_cache.end()) return cached->second;
    bool newer = false;
    for (const LineageEntry* e : ts.vaults)
      if (e->status == SnapshotStatus::kAvailable && e->lineage.recovery_point > point)
        newer = true;
    bool result = false;
    if (newer) {  // only then can retention drop it
      // The candidate first: among equal points it wins the tie (as a copy
      // made now would be the newest attempt for that point).
      std::vector<RetentionPoint> points{RetentionPoint{point, true}};
      for (const LineageEntry* e : ts.vaults)
        if (e->status == SnapshotStatus::kAvailable)
          points.push_back(RetentionPoint{e->lineage.recovery_point, true});
      result = !RetentionKeeps(points, pc.p->retention, now_)[0];
    }
    ts.too_old_cache.emplace(point, result);
    return result;
  }

  const LineageEntry* VaultAvailable(const TargetState& ts, TimePoint point) const {
    const LineageEntry* e = LiveAt(ts.vaults, point);
    return e && e->status == SnapshotStatus::kAvailable ? e : nullptr;
  }

  // The point needs nothing more in this target.
  bool VaultDone(const PolicyCtx& pc, TargetState& ts, TimePoint point) {
    return VaultAvailable(ts, point) || TooOld(pc, ts, point);
  }

  // --- share -------------------------------------------------------------------

  void Share(const PolicyCtx& pc, DbCtx& db) {
    if (pc.share_accounts.empty()) return;
    for (const LineageEntry* c : db.captures) {
      const Snapshot& s = *c->snapshot;
      if (s.status != SnapshotStatus::kAvailable) continue;
      TimePoint point = c->lineage.recovery_point;
      const LineageEntry* live = LiveAt(db.captures, point);
      if (live != c) continue;  // another attempt for the same point is the one
      std::vector<std::string> missing, regions;
      for (const auto& account : pc.share_accounts) {
        bool shared = s.shared_with && std::find(s.shared_with->begin(), s.shared_with->end(),
                                                 account) != s.shared_with->end();
        if (shared) continue;
        bool needed = false;
        for (auto& ts : db.targets) {
          if (ts.t->scope.account_id != account) continue;
          if (!VaultDone(pc, ts, point)) {
            needed = true;
            regions.push_back(ts.t->scope.ToString());
          }
        }
        if (needed) missing.push_back(account);
      }
      if (missing.empty()) continue;
      if (s.encrypted && IsDefaultKey(s.kms_key_id, *pc.src)) {
        Find(Finding::Severity::kError, pc, db.id, s.scope,
             s.id +
                 " is encrypted with the default RDS key and cannot be shared; set "
                 "source.share_key so captures are re-encrypted");
        continue;
      }
      std::string acc;
      for (const auto& a : missing) acc += (acc.empty() ? "" : ", ") + a;
      std::string reg;
      for (const auto& r : regions) reg += (reg.empty() ? "" : ", ") + r;
      Action a = NewAction(ActionKind::kShareSnapshot, Stage::kShare, pc, db, s.scope, s.id,
                           "capture " + s.id + " (" + Iso(point) + ") is not yet shared with " +
                               acc + ", which must vault it in " + reg);
      a.share_with = missing;
      Emit(std::move(a));
    }
  }

  // --- vault -------------------------------------------------------------------

  void Vault(const PolicyCtx& pc, DbCtx& db) {
    std::set<std::string> hops_planned;  // "hop scope/point": decided once
    for (auto& ts : db.targets) {
      // Candidate points: available captures, and available hops for this target.
      std::map<TimePoint, VaultSource> points;
      for (const LineageEntry* c : db.captures) {
        if (c->status != SnapshotStatus::kAvailable) continue;
        if (LiveAt(db.captures, c->lineage.recovery_point) != c) continue;
        VaultSource& v = points[c->lineage.recovery_point];
        v.capture = c->snapshot;
        v.visible = !ts.t->needs_share || SharedWith(*c->snapshot, ts.t->scope.account_id);
      }
      // The target account's own view: what it sees shared (the only view
      // on the vault side, where the source scope is not observed). Entries
      // are sorted by attempt, so the highest available attempt wins.
      for (const LineageEntry* c : ts.shared) {
        if (c->status != SnapshotStatus::kAvailable) continue;
        VaultSource& v = points[c->lineage.recovery_point];
        if (v.capture && v.visible && v.capture->scope == pc.source &&
            v.capture->seen_from == pc.source)
          continue;  // the source's own capture, shared with this account
        v.capture = c->snapshot;
        v.visible = true;
      }
      if (ts.needs_hop) {
        for (const LineageEntry* h : ts.hops) {
          if (h->status != SnapshotStatus::kAvailable) continue;
          if (LiveAt(ts.hops, h->lineage.recovery_point) != h) continue;
          points[h->lineage.recovery_point].hop = h;
        }
      }
      for (const auto& [point, src] : points) VaultPoint(pc, db, ts, point, src, hops_planned);
    }
  }

  static bool SharedWith(const Snapshot& s, const std::string& account) {
    return s.shared_with &&
           std::find(s.shared_with->begin(), s.shared_with->end(), account) != s.shared_with->end();
  }

  // What a vault copy at one point can be made from.
  struct VaultSource {
    const Snapshot* capture = nullptr;  // the source's capture (own or as shared with D)
    bool visible = false;               // the target account can read `capture`
    const LineageEntry* hop = nullptr;  // an available hop for this target
  };

  void VaultPoint(const PolicyCtx& pc, DbCtx& db, TargetState& ts, TimePoint point,
                  const VaultSource& src, std::set<std::string>& hops_planned) {
    const TargetRef& t = *ts.t;
    const Snapshot* capture = src.capture;
    const LineageEntry* hop = src.hop;
    if (const LineageEntry* v = LiveAt(ts.vaults, point)) {
      if (InFlight(v->status))
        Find(Finding::Severity::kInfo, pc, db.id, t.scope,
             "waiting: " + v->snapshot->id + " is " + Progress(*v->snapshot));
      return;
    }
    if (TooOld(pc, ts, point)) return;  // retention would remove it right away
    bool direct = !ts.needs_hop || hop;
    if (direct && !hop && t.needs_share && !src.visible) {
      Find(Finding::Severity::kInfo, pc, db.id, t.scope,
           "waiting: " + capture->id + " must be shared with " + t.scope.account_id +
               " before it can be vaulted");
      return;
    }
    Retry retry = PlanRetry(pc, db, t.scope, ts.all_vault_names, ts.vaults, point,
                            NameStage::kVault, "vault copy");
    if (!retry.allowed) return;
    int attempt = retry.attempt;
    const std::string& region = t.scope.region;

    if (direct) {
      std::string name =
          naming::MakeName({NameStage::kVault, pc.source.account_id, db.token, point, attempt});
      const Snapshot* from = hop ? hop->snapshot : capture;
      std::string reason = std::string(hop ? "hop copy " : "capture ") + from->id + " (" +
                           Iso(point) + ") has no vault copy in " + t.scope.ToString() +
                           "; copy it there";
      if (from->encrypted) reason += ", re-encrypted with the DR key";
      if (attempt > 0) reason += " (attempt " + std::to_string(attempt + 1) + ")";
      Action a = NewAction(ActionKind::kCopySnapshot, Stage::kVault, pc, db, t.scope, name,
                           std::move(reason));
      a.source_arn = SnapshotArn(*from);
      if (from->scope.region != region) a.source_region = from->scope.region;
      if (from->encrypted) a.kms_key_id = t.region->kms_key;
      a.option_group = OptionGroup(pc, db, ts);
      a.tags = BaseTags(pc, db, NameStage::kVault, point, SnapshotArn(capture ? *capture : *from));
      Emit(std::move(a));
      return;
    }

    // Via a hop in the target account, in the source region. A failed vault
    // copy stays the record of its attempt until the copy from the hop is
    // issued.
    if (retry.failed) kept_failed_.insert(retry.failed);
    if (const LineageEntry* h = LiveAt(ts.hops, point)) {
      if (InFlight(h->status))
        Find(Finding::Severity::kInfo, pc, db.id, ts.hop_scope,
             "waiting: hop copy " + h->snapshot->id + " is " + Progress(*h->snapshot));
      return;
    }
    const Snapshot& c = *capture;
    if (!src.visible) {
      Find(Finding::Severity::kInfo, pc, db.id, t.scope,
           "waiting: " + c.id + " must be shared with " + t.scope.account_id +
               " before it can be vaulted");
      return;
    }
    if (c.encrypted && t.target->hop_kms_key.empty()) {
      Find(Finding::Severity::kError, pc, db.id, ts.hop_scope,
           "vaulting " + c.id + " into " + t.scope.ToString() +
               " needs a same-region hop copy, but target account '" + t.target->account +
               "' has no hop_kms_key (a key it owns in " + pc.source.region + ")");
      return;
    }
    // Several regions of one account share a hop: decide once per point.
    if (!hops_planned.insert(ts.hop_scope.ToString() + "/" + Iso(point)).second) return;
    Retry hop_retry = PlanRetry(pc, db, ts.hop_scope, ts.all_hop_names, ts.hops, point,
                                NameStage::kHop, "hop copy");
    if (!hop_retry.allowed) return;
    std::string hop_name = naming::MakeName(
        {NameStage::kHop, pc.source.account_id, db.token, point, hop_retry.attempt});
    std::string why = db.kind == DbKind::kCluster
                          ? "Aurora cluster snapshots cannot be copied across account and region "
                            "in one step"
                          : "AWS refused a one-step copy into " + t.scope.ToString();
    Action a = NewAction(
        ActionKind::kCopySnapshot, Stage::kVault, pc, db, ts.hop_scope, hop_name,
        "capture " + c.id + " (" + Iso(point) + ") has no vault copy in " + t.scope.ToString() +
            "; " + why + ", so copy it into the target account in " + pc.source.region + " first");
    a.source_arn = SnapshotArn(c);
    if (c.encrypted) a.kms_key_id = t.target->hop_kms_key;
    a.tags = BaseTags(pc, db, NameStage::kHop, point, SnapshotArn(c));
    Emit(std::move(a));
  }

  std::string OptionGroup(const PolicyCtx& pc, const DbCtx& db, const TargetState& ts) {
    if (db.kind != DbKind::kInstance || !db.live || db.live->option_group.empty()) return "";
    auto it = ts.t->region->option_groups.find(db.live->option_group);
    if (it != ts.t->region->option_groups.end()) return it->second;
    if (ts.t->scope.region != pc.source.region)
      Find(Finding::Severity::kWarning, pc, db.id, ts.t->scope,
           "option group " + db.live->option_group + " has no mapping for " + ts.t->scope.region +
               " (option_groups); the copy gets the default one");
    return "";
  }

  // --- expire ------------------------------------------------------------------

  void Expire(const PolicyCtx& pc, DbCtx& db) {
    // Failed snapshots drsnap made: delete (the retry has a new name).
    // Except the newest failed attempt of a step still waiting for its
    // retry (PlanRetry): it is the record of the failure.
    auto delete_failed = [&](const std::vector<const LineageEntry*>& entries) {
      for (const LineageEntry* e : entries)
        if (e->status == SnapshotStatus::kFailed && !kept_failed_.contains(e))
          Delete(pc, db, *e, FailedReason(*e->snapshot));
    };
    delete_failed(db.captures);
    delete_failed(db.raws);
    std::set<const LineageEntry*> hops_seen;
    for (auto& ts : db.targets) {
      delete_failed(ts.vaults);
      for (const LineageEntry* h : ts.hops)
        if (hops_seen.insert(h).second && h->status == SnapshotStatus::kFailed &&
            !kept_failed_.contains(h))
          Delete(pc, db, *h, FailedReason(*h->snapshot));
    }

    ExpireVaults(pc, db);
    ExpireHops(pc, db);
    ExpireCaptures(pc, db);
  }

  static std::string FailedReason(const Snapshot& s) {
    return "drsnap's snapshot failed (AWS status '" +
           (s.status_text.empty() ? std::string("failed") : s.status_text) +
           "'); it is deleted and the step retried under the next attempt name";
  }

  void ExpireVaults(const PolicyCtx& pc, DbCtx& db) {
    std::vector<RetentionPoint> points;
    std::vector<const LineageEntry*> entries;
    for (auto& ts : db.targets) {
      points.clear();
      entries.clear();
      for (const LineageEntry* e : ts.vaults) {
        SnapshotStatus st = e->status;
        if (st == SnapshotStatus::kFailed || st == SnapshotStatus::kDeleting) continue;
        points.push_back(RetentionPoint{e->lineage.recovery_point, st == SnapshotStatus::kAvailable});
        entries.push_back(e);
      }
      if (points.empty()) continue;
      std::vector<bool> keep = RetentionKeeps(points, pc.p->retention, now_);
      for (size_t i = 0; i < entries.size(); ++i)
        if (!keep[i]) Delete(pc, db, *entries[i], ts.t->retention_reason);
    }
  }

  void ExpireHops(const PolicyCtx& pc, DbCtx& db) {
    // Hops of one target account serve every region of that account that needs one.
    std::map<const LineageEntry*, std::vector<TargetState*>> users;
    for (auto& ts : db.targets) {
      for (const LineageEntry* h : ts.hops) {
        if (h->status != SnapshotStatus::kAvailable) continue;
        auto& u = users[h];
        if (ts.needs_hop) u.push_back(&ts);
      }
    }
    for (auto& [h, targets] : users) {
      TimePoint point = h->lineage.recovery_point;
      std::string pending;
      for (TargetState* ts : targets)
        if (!VaultDone(pc, *ts, point))
          pending += (pending.empty() ? "" : ", ") + ts->t->scope.ToString();
      if (!pending.empty()) continue;
      Delete(pc, db, *h,
             "hop copy is no longer needed: its point is vaulted in every region it serves");
    }
  }

  void ExpireCaptures(const PolicyCtx& pc, DbCtx& db) {
    std::vector<const LineageEntry*> available;
    for (const LineageEntry* c : db.captures)
      if (c->status == SnapshotStatus::kAvailable) available.push_back(c);
    std::sort(available.begin(), available.end(), [](const LineageEntry* a, const LineageEntry* b) {
      return std::tie(a->lineage.recovery_point, a->lineage.attempt) >
             std::tie(b->lineage.recovery_point, b->lineage.attempt);
    });
    for (size_t i = 0; i < available.size(); ++i) {
      const LineageEntry* c = available[i];
      if (static_cast<int>(i) < pc.p->keep_newest) continue;
      TimePoint point = c->lineage.recovery_point;
      bool done = true;
      TimePoint vaulted_at{};
      for (auto& ts : db.targets) {
        if (!VaultDone(pc, ts, point)) {
          done = false;
          break;
        }
        if (const LineageEntry* v = VaultAvailable(ts, point))
          vaulted_at = std::max(vaulted_at, v->snapshot->create_time);
      }
      if (!done) continue;
      if (pc.p->keep_after_vaulted.count() > 0 && now_ - vaulted_at < pc.p->keep_after_vaulted)
        continue;
      // Another (older) attempt for the same point with a live sibling is a leftover too.
      Delete(pc, db, *c,
             "capture is vaulted in every target (" + std::to_string(db.targets.size()) +
                 " region(s)) and is not among the " + std::to_string(pc.p->keep_newest) +
                 " newest captures");
    }
    for (const LineageEntry* r : db.raws) {
      if (r->status != SnapshotStatus::kAvailable) continue;
      TimePoint point = r->lineage.recovery_point;
      const LineageEntry* c = LiveAt(db.captures, point);
      bool captured = c && c->status == SnapshotStatus::kAvailable;
      if (captured || HasLiveCaptureAfter(db, point))
        Delete(pc, db, *r,
               captured ? "raw snapshot was re-encrypted into " + c->snapshot->id
                        : std::string("raw snapshot was superseded by a newer capture"));
    }
  }
  const Inventory& inv_;
  TimePoint now_;
  const LineageIndex* index_;
  const DeleteGuard* guard_;
  const std::vector<DbRef>& dbs_;
  Lane& lane_;
  std::set<const LineageEntry*>& kept_failed_;  // lane_.kept_failed
  uint32_t db_ref_ = 0;                         // the database being planned: dbs_[db_ref_]
};

// Plans every policy: the policies and their databases first, in order
// (PlanPolicy), then the databases, in parallel lanes (PlanDatabases), then
// one sorted plan (SortActions). The plan does not depend on the number of
// lanes: every database is planned by one lane from the same read-only
// inputs, and the lanes' output is put together in the databases' order.
class Planner {
 public:
  Planner(const Inventory& inv, const config::Config& cfg, TimePoint now,
          const PlanOptions& options)
      : inv_(inv), cfg_(cfg), now_(now), options_(options),
        threads_(PlanningThreads(options.threads)) {
    index_.emplace(inv, static_cast<int>(threads_), options.snapshots_per_index_part);
    guard_.emplace(*index_, cfg);
  }

  Plan Run() {
    for (const auto& p : cfg_.policies) PlanPolicy(p);
    PlanDatabases();
    for (Lane& lane : lanes_) lane.kept_failed.clear();  // points into the index
    guard_.reset();
    index_.reset();
    // The findings: the policies' own (made by PlanPolicy, none of them
    // about a planned database), then the databases', in plan order. The
    // sort below keeps that order among equal findings.
    for (const Chunk& ch : chunks_) {
      auto& found = lanes_[ch.lane].findings;
      std::move(found.begin() + static_cast<ptrdiff_t>(ch.findings_begin),
                found.begin() + static_cast<ptrdiff_t>(ch.findings_end),
                std::back_inserter(plan_.findings));
    }
    SortActions();
    std::stable_sort(plan_.findings.begin(), plan_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       return std::tie(a.policy, a.db_id, a.scope, a.message) <
                              std::tie(b.policy, b.db_id, b.scope, b.message);
                     });
    return std::move(plan_);
  }

 private:
  // Consecutive items, planned by one lane: where its output went there.
  struct Chunk {
    uint32_t lane = 0;
    size_t planned_begin = 0, planned_end = 0;
    size_t findings_begin = 0, findings_end = 0;
  };

  // Plans items_ in chunks of options_.databases_per_chunk, each taken by
  // the next free lane; a lane is a thread (the first is this one). An
  // exception in a lane stops the others and is rethrown here.
  void PlanDatabases() {
    const size_t per_chunk = static_cast<size_t>(std::max(1, options_.databases_per_chunk));
    const size_t n_chunks = (items_.size() + per_chunk - 1) / per_chunk;
    chunks_.assign(n_chunks, Chunk{});
    lanes_ = std::vector<Lane>(std::clamp<size_t>(n_chunks, 1, threads_));
    std::atomic<size_t> next_chunk{0};
    std::vector<std::exception_ptr> errors(lanes_.size());
    auto work = [&](uint32_t lane_id) {
      try {
        Lane& lane = lanes_[lane_id];
        DbPlanner planner(inv_, now_, *index_, *guard_, dbs_, lane);
        for (size_t c; (c = next_chunk.fetch_add(1, std::memory_order_relaxed)) < n_chunks;) {
          Chunk& ch = chunks_[c];
          ch.lane = lane_id;
          ch.planned_begin = lane.planned_count;
          ch.findings_begin = lane.findings.size();
          const size_t last = std::min(items_.size(), (c + 1) * per_chunk);
          for (size_t i = c * per_chunk; i < last; ++i) planner.Plan(items_[i]);
          ch.planned_end = lane.planned_count;
          ch.findings_end = lane.findings.size();
        }
      } catch (...) {
        errors[lane_id] = std::current_exception();
        next_chunk.store(n_chunks);  // the others stop after their chunk
      }
    };
    std::vector<std::jthread> helpers;
    for (uint32_t lane_id = 1; lane_id < lanes_.size(); ++lane_id) {
      try {
        helpers.emplace_back(work, lane_id);
      } catch (const std::system_error&) {
        break;  // no thread to be had: the lanes started do all the work
      }
    }
    work(0);
    for (auto& h : helpers) h.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  void Find(Finding::Severity sev, const PolicyCtx& pc, const std::string& db, const Scope& scope,
            std::string msg) {
    plan_.findings.push_back(Finding{sev, pc.p->name, db, scope, std::move(msg)});
  }

  // --- policy ----------------------------------------------------------------

  void PlanPolicy(const config::Policy& p) {
    PolicyCtx& pc = *policies_.emplace_back(std::make_unique<PolicyCtx>());
    pc.p = &p;
    pc.name = p.name;
    pc.retention = p.retention.ToString();
    pc.source = Scope{p.source_account_id, p.source_region};
    pc.src = index_->Find(pc.source);
    std::set<std::string> accounts;
    for (const auto& t : p.targets) {
      for (const auto& r : t.regions) {
        TargetRef ref{&t, &r, Scope{t.account_id, r.region}, t.account_id != p.source_account_id,
                      SharedString()};
        ref.retention_reason = "retention " + pc.retention + " in " + ref.scope.ToString() + ": " +
                               RetentionNotSelected(p.retention);
        pc.targets.push_back(ref);
        if (ref.needs_share) accounts.insert(t.account_id);
      }
    }
    std::sort(pc.targets.begin(), pc.targets.end(),
              [](const TargetRef& a, const TargetRef& b) { return a.scope < b.scope; });
    pc.share_accounts.assign(accounts.begin(), accounts.end());
    for (const Scope& s : PolicyScopes(p)) {
      const ScopeInventory* si = index_->Find(s);
      if (!si && s == pc.source) {
        // The vault side (Side::kVault) never observes the source account.
        Find(Finding::Severity::kInfo, pc, "", s,
             "source scope " + s.ToString() +
                 " not observed (vault side): capture, share and source-side expiry are left "
                 "to the source side");
      } else if (!si) {
        Find(Finding::Severity::kError, pc, "", s,
             "scope " + s.ToString() + " was not observed; no deletes that depend on it");
      } else if (!si->complete) {
        Find(Finding::Severity::kError, pc, "", s,
             "scope " + s.ToString() + " is incomplete (" + si->error +
                 "); no deletes that depend on it");
      }
    }

    // The databases: live matches, plus deleted ones that still have our
    // snapshots (tagged in the source, target or hop scopes). Without the
    // source scope (vault side), also those whose captures the source
    // account shared with a target account: the DR account's own view.
    std::map<std::pair<std::string, DbKind>, const Database*> dbs;
    if (pc.src) {
      for (const auto& d : pc.src->databases) {
        if (IsAuroraLikeInstance(d)) continue;
        if (!p.databases.Matches(d.kind == DbKind::kCluster, d.id, d.engine, d.tags)) continue;
        dbs[{d.id, d.kind}] = &d;
      }
    } else {
      // Tags of the database are not visible from D: the selector is
      // applied without them (kinds, names, engines).
      config::DatabaseSelector untagged = p.databases;
      untagged.tags.clear();
      for (const auto& account : pc.share_accounts) {
        for (const auto& d :
             index_->SharedDatabases(Scope{account, pc.source.region}, pc.source.account_id)) {
          if (!untagged.Matches(d.kind == DbKind::kCluster, d.db_id, d.engine, {})) continue;
          dbs.emplace(std::pair{d.db_id, d.kind}, nullptr);
        }
      }
    }
    std::set<Scope> tagged_scopes{pc.source};
    for (const auto& t : pc.targets) {
      tagged_scopes.insert(t.scope);
      if (t.needs_share) tagged_scopes.insert(Scope{t.scope.account_id, pc.source.region});
    }
    for (const auto& s : tagged_scopes)
      for (const auto& [kind, id] : index_->TaggedDatabases(s, p.name))
        dbs.emplace(std::pair{id, kind}, nullptr);

    for (const auto& [key, live] : dbs) {
      auto claim = claimed_.emplace(std::make_tuple(pc.source, key.second, key.first), p.name);
      if (!claim.second && claim.first->second != p.name) {
        Find(Finding::Severity::kWarning, pc, key.first, pc.source,
             std::string(DbKindName(key.second)) + " " + key.first +
                 " is already protected by policy '" + claim.first->second +
                 "'; this policy leaves it alone");
        continue;
      }
      dbs_.push_back(DbRef{pc.name, key.second, SharedString(key.first)});
      items_.push_back(DbItem{&pc, key.second, live, static_cast<uint32_t>(dbs_.size() - 1)});
    }
  }

  // A planned entry by place: its lane (the top 3 bits) and its index in
  // that lane.
  static constexpr int kLocalBits = 29;
  static constexpr uint32_t kLocalMask = (uint32_t{1} << kLocalBits) - 1;
  const Lane& LaneOf(uint32_t ref) const { return lanes_[ref >> kLocalBits]; }
  const Planned& At(uint32_t ref) const { return LaneOf(ref).At(ref & kLocalMask); }
  // Calls fn(ref) for every planned entry, in plan order: chunk by chunk,
  // as the items were, whichever lane planned them.
  template <typename Fn>
  void ForEachPlanned(Fn fn) const {
    for (const Chunk& ch : chunks_) {
      const uint32_t lane = ch.lane << kLocalBits;
      for (size_t i = ch.planned_begin; i < ch.planned_end; ++i)
        fn(lane | static_cast<uint32_t>(i));
    }
  }

  // Makes plan_.actions: every planned action, sorted by (stage, policy,
  // db kind, db id, scope, snapshot id), stably. The string part of that key
  // is first replaced by ranks (a plan has few distinct databases and
  // scopes); then a counting sort by (stage, database) and a sort of each
  // (small, usually already sorted) bucket by (scope, snapshot id).
  //
  // Deletes (nearly all of a large plan) are sorted without reading their
  // snapshots, which are spread over the inventory's memory and long since
  // out of the cache: their scope is known by rank (DeleteScopeId), and
  // the ids of a database's deletes in one scope are planned in id order
  // almost always, which is checked while the actions are made (when each
  // id is read anyway) and repaired there when it does not hold.
  //
  // All of one database's entries are in one lane, in planned order: within
  // a bucket, the order of refs is the planned order.
  void SortActions() {
    size_t planned_count = 0;
    for (const Lane& lane : lanes_) planned_count += lane.planned_count;
    auto stage_of = [&](uint32_t ref) {
      const Planned& p = At(ref);
      return p.deleted ? Stage::kExpire : LaneOf(ref).full[p.payload].stage;
    };
    // Ranks of the databases by (policy, kind, id) and of the scopes.
    std::vector<uint32_t> by_key(dbs_.size());
    for (uint32_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    std::sort(by_key.begin(), by_key.end(), [&](uint32_t x, uint32_t y) {
      const DbRef& a = dbs_[x];
      const DbRef& b = dbs_[y];
      return std::tie(a.policy, a.kind, a.id, x) < std::tie(b.policy, b.kind, b.id, y);
    });
    std::vector<uint32_t> db_rank(dbs_.size());
    for (uint32_t r = 0; r < by_key.size(); ++r) db_rank[by_key[r]] = r;
    by_key = {};
    std::map<Scope, uint32_t> scope_rank;
    for (const Lane& lane : lanes_) {
      for (const Scope& sc : lane.delete_scopes) scope_rank.emplace(sc, 0);
      for (size_t i = 0; i < lane.full.size(); ++i)
        if (i == 0 || !(lane.full[i].scope == lane.full[i - 1].scope))
          scope_rank.emplace(lane.full[i].scope, 0);
    }
    uint32_t next = 0;
    for (auto& [k, rank] : scope_rank) rank = next++;
    std::vector<std::vector<uint32_t>> delete_rank(lanes_.size()), full_rank(lanes_.size());
    for (size_t l = 0; l < lanes_.size(); ++l) {
      const Lane& lane = lanes_[l];
      for (const Scope& sc : lane.delete_scopes) delete_rank[l].push_back(scope_rank.at(sc));
      std::vector<uint32_t>& ranks = full_rank[l];
      ranks.resize(lane.full.size());
      for (size_t i = 0; i < lane.full.size(); ++i)
        ranks[i] = i > 0 && lane.full[i].scope == lane.full[i - 1].scope
                       ? ranks[i - 1]
                       : scope_rank.at(lane.full[i].scope);
    }
    auto rank_of = [&](uint32_t ref) {
      const Planned& p = At(ref);
      const uint32_t lane = ref >> kLocalBits;
      return p.deleted ? delete_rank[lane][p.scope] : full_rank[lane][p.payload];
    };

    // Counting sort by bucket (stage, database rank), stable.
    constexpr size_t kStages = static_cast<size_t>(Stage::kExpire) + 1;
    const size_t n_db = dbs_.size();
    auto bucket_of = [&](uint32_t ref) {
      return static_cast<size_t>(stage_of(ref)) * n_db + db_rank[At(ref).db];
    };
    std::vector<uint32_t> begin(kStages * n_db + 1, 0);
    ForEachPlanned([&](uint32_t ref) { ++begin[bucket_of(ref) + 1]; });
    for (size_t b = 1; b < begin.size(); ++b) begin[b] += begin[b - 1];
    std::vector<uint32_t> order(planned_count);
    {
      std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
      ForEachPlanned([&](uint32_t ref) { order[fill[bucket_of(ref)]++] = ref; });
    }
    // Within a bucket: (scope, snapshot id), then the planned order. A
    // database's actions come in scope order per step, each part already
    // in id order: a stable sort by scope rank alone (integers) usually
    // finishes the job. Buckets of other stages (few actions, all in
    // Lane::full) are checked and sorted by id here; deletes below.
    struct Keyed {
      uint32_t scope_rank;
      uint32_t ref;
    };
    std::vector<Keyed> keyed;
    const size_t expire_first = static_cast<size_t>(Stage::kExpire) * n_db;
    for (size_t b = 0; b + 1 < begin.size(); ++b) {
      auto first = order.begin() + begin[b], last = order.begin() + begin[b + 1];
      if (last - first < 2) continue;
      keyed.clear();
      bool ranks_sorted = true;
      for (auto it = first; it != last; ++it) {
        uint32_t rank = rank_of(*it);
        if (!keyed.empty() && rank < keyed.back().scope_rank) ranks_sorted = false;
        keyed.push_back(Keyed{rank, *it});
      }
      if (!ranks_sorted)
        std::stable_sort(keyed.begin(), keyed.end(),
                         [](const Keyed& x, const Keyed& y) { return x.scope_rank < y.scope_rank; });
      if (b < expire_first) {
        auto id_of = [&](uint32_t ref) -> const SharedString& {
          return LaneOf(ref).full[At(ref).payload].snapshot_id;
        };
        auto less = [&](const Keyed& x, const Keyed& y) {
          if (x.scope_rank != y.scope_rank) return x.scope_rank < y.scope_rank;
          int c = id_of(x.ref).compare(id_of(y.ref));
          if (c != 0) return c < 0;
          return x.ref < y.ref;
        };
        if (!std::is_sorted(keyed.begin(), keyed.end(), less))
          std::sort(keyed.begin(), keyed.end(), less);
      } else if (ranks_sorted) {
        continue;  // `order` holds it already
      }
      for (size_t k = 0; k < keyed.size(); ++k) first[static_cast<ptrdiff_t>(k)] = keyed[k].ref;
    }
    // Make the actions, each once, in place. A run of deletes of one
    // database in one scope is in planned order; when its ids are not
    // ascending, the run is sorted stably by id: (id, planned order).
    plan_.actions.reserve(planned_count);
    AdviseHugePages(plan_.actions.data(), planned_count * sizeof(Action));
    size_t run_begin = 0;      // in plan_.actions: the current run of deletes
    bool run_sorted = true;
    const Planned* run_key = nullptr;  // the previous delete
    auto end_run = [&](size_t end) {
      if (!run_sorted)
        std::stable_sort(plan_.actions.begin() + static_cast<ptrdiff_t>(run_begin),
                         plan_.actions.begin() + static_cast<ptrdiff_t>(end),
                         [](const Action& x, const Action& y) { return x.snapshot_id < y.snapshot_id; });
      run_sorted = true;
    };
    // The snapshot of a delete a few steps ahead is fetched early: its
    // Snapshot first, its id's shared buffer when the Snapshot is there.
    constexpr size_t kAhead = 8;
    const size_t n = order.size();
    for (size_t k = 0; k < n; ++k) {
      if (k + 2 * kAhead < n) {
        if (const Snapshot* ahead = At(order[k + 2 * kAhead]).deleted) __builtin_prefetch(ahead);
      }
      if (k + kAhead < n) {
        if (const Snapshot* ahead = At(order[k + kAhead]).deleted) ahead->id.Prefetch();
      }
      Lane& lane = lanes_[order[k] >> kLocalBits];
      const Planned& p = lane.At(order[k] & kLocalMask);
      if (!p.deleted) {
        if (run_key) end_run(plan_.actions.size());
        run_key = nullptr;
        plan_.actions.push_back(std::move(lane.full[p.payload]));
        continue;
      }
      // Same database: same lane, so the lane's scope ids compare.
      const bool same_run = run_key && run_key->db == p.db && run_key->scope == p.scope;
      if (!same_run) {
        if (run_key) end_run(plan_.actions.size());
        run_begin = plan_.actions.size();
      }
      const DbRef& db = dbs_[p.db];
      Action& a = plan_.actions.emplace_back();
      a.kind = ActionKind::kDeleteSnapshot;
      a.stage = Stage::kExpire;
      a.db_kind = db.kind;
      a.scope = lane.delete_scopes[p.scope];
      a.policy = db.policy;
      a.db_id = db.id;
      a.snapshot_id = p.deleted->id;
      a.reason = lane.reasons[p.payload];
      if (same_run && a.snapshot_id < plan_.actions[plan_.actions.size() - 2].snapshot_id)
        run_sorted = false;
      run_key = &p;
    }
    if (run_key) end_run(plan_.actions.size());
    lanes_.clear();
    chunks_.clear();
  }

  const Inventory& inv_;
  const config::Config& cfg_;
  TimePoint now_;
  PlanOptions options_;
  size_t threads_;  // PlanningThreads()
  // Only needed while planning: released before the sorted plan is built
  // (a smaller peak; the index of a million snapshots is ~100 MB).
  std::optional<LineageIndex> index_;
  std::optional<DeleteGuard> guard_;
  Plan plan_;
  std::map<std::tuple<Scope, DbKind, std::string>, std::string> claimed_;
  std::vector<std::unique_ptr<PolicyCtx>> policies_;  // items_ point to them
  std::vector<DbRef> dbs_;     // one per item, same index
  std::vector<DbItem> items_;  // the databases to plan, in plan order
  std::vector<Chunk> chunks_;  // items_ in order, by chunk: which lane planned them
  std::vector<Lane> lanes_;
};


}  // namespace

std::vector<Scope> PolicyScopes(const config::Policy& p) {
  std::set<Scope> out;
  Scope source{p.source_account_id, p.source_region};
  out.insert(source);
  for (const auto& t : p.targets) {
    bool cross_region = false;
    for (const auto& r : t.regions) {
      out.insert(Scope{t.account_id, r.region});
      if (r.region != p.source_region) cross_region = true;
    }
    if (cross_region && t.account_id != p.source_account_id)
      out.insert(Scope{t.account_id, p.source_region});
  }
  return {out.begin(), out.end()};
}

std::vector<Scope> ScopesToObserve(const config::Config& config, Side side) {
  std::set<Scope> out;
  for (const auto& p : config.policies) {
    std::set<std::string> target_accounts;
    for (const auto& t : p.targets) target_accounts.insert(t.account_id);
    for (const auto& s : PolicyScopes(p))
      if (side != Side::kVault || target_accounts.contains(s.account_id)) out.insert(s);
  }
  return {out.begin(), out.end()};
}

void FilterPlanForSide(Plan& plan, const config::Config& config, Side side) {
  if (side == Side::kAll) return;
  std::map<std::string, Scope, std::less<>> sources;
  for (const auto& p : config.policies)
    sources.emplace(p.name, Scope{p.source_account_id, p.source_region});
  auto mine = [&](const std::string& policy, const Scope& scope) {
    auto it = sources.find(policy);
    if (it == sources.end()) return false;
    return (scope == it->second) == (side == Side::kSource);
  };
  std::erase_if(plan.actions, [&](const Action& a) { return !mine(a.policy, a.scope); });
  std::erase_if(plan.findings, [&](const Finding& f) {
    return !f.db_id.empty() && sources.contains(f.policy) && !mine(f.policy, f.scope);
  });
}

Plan MakePlan(const Inventory& inventory, const config::Config& config, TimePoint now,
              const PlanOptions& options) {
  return Planner(inventory, config, now, options).Run();
}

Status CheckDeleteAllowed(const Inventory& inventory, const config::Config& config,
                          const Action& action, const Snapshot* fresh) {
  LineageIndex index(inventory);
  return DeleteGuard(index, config).Check(action, fresh);
}

}  // namespace drsnap::engine
