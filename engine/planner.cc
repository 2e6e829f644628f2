#include "engine/planner.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "core/arn.h"
#include "core/strings.h"
#include "core/time_util.h"
#include "engine/anomaly.h"
#include "engine/ledger.h"
#include "engine/delete_guard.h"
#include "engine/lineage_index.h"
#include "engine/naming.h"
#include "engine/plan_assembly_internal.h"
#include "engine/preflight.h"
#include "engine/protection.h"
#include "engine/retention.h"
#include "engine/schedule.h"

namespace drsnap::engine {
namespace {

using naming::NameStage;
using std::chrono::duration_cast;
using std::chrono::seconds;

bool IsLive(SnapshotStatus s) { return s == SnapshotStatus::kAvailable || IsInFlight(s); }

TimePoint PointOf(const Snapshot& s) {
  return s.recovery_point != TimePoint{} ? s.recovery_point : s.create_time;
}

std::string Iso(TimePoint t) { return FormatIso8601Seconds(t); }

std::string Age(TimePoint now, TimePoint t) {
  return FormatDuration(duration_cast<seconds>(now - t));
}

std::string Progress(const Snapshot& s) {
  return std::string(SnapshotStatusName(s.status)) + " (" + std::to_string(s.percent_progress) +
         "%)";
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
  bool is_default = IsDefaultRdsKey(key, &src);
  bool unknown = src.default_rds_key_arn.empty() && !is_default;
  if (is_default) return p.share_key.empty() ? KeyPlan::kMissingShareKey : KeyPlan::kReencrypt;
  if (unknown && !p.share_key.empty() && key != p.share_key) return KeyPlan::kReencrypt;
  return KeyPlan::kKeep;
}

struct TargetRef {
  const config::Target* target = nullptr;
  const config::TargetRegion* region = nullptr;
  Scope scope;               // D
  bool needs_share = false;  // target account differs from the source account
  // Why retention removes a copy here (one text shared by every such delete).
  SharedString retention_reason;
};

struct PolicyCtx {
  const config::Policy* p = nullptr;
  SharedString name;  // p->name, one copy for all the policy's actions
  Scope source;
  const ScopeInventory* src = nullptr;
  std::vector<TargetRef> targets;           // sorted by scope
  std::vector<std::string> share_accounts;  // sorted, unique
  std::string retention;                    // p->retention.ToString()
  std::vector<Scope> scopes;                // PolicyScopes(*p), sorted
  // Per DbKind: the source scope's manual snapshot quota binds and the
  // policy does not set keep_newest, so captures are kept only until
  // vaulted everywhere (Planner::MarkTransientCaptures).
  bool transient[2] = {false, false};

  bool observes(const Scope& scope) const {
    return std::binary_search(scopes.begin(), scopes.end(), scope);
  }
};

// One database to plan, in plan order.
struct DbItem {
  const PolicyCtx* pc = nullptr;
  DbKind kind = DbKind::kInstance;
  SharedString id;                 // one copy for all the database's actions
  const Database* live = nullptr;  // null: deleted, or not observed (vault side)
};

// Plans one database: capture, share, vault, expire, in that order, each
// telling `sink` its actions (with their reasons) and findings. Reads
// nothing that changes while planning (the inventory, the index, the guard
// and the policies' contexts are shared read-only; the guard is safe to
// call concurrently), so DbPlanners on several threads may run at once.
class DbPlanner {
 public:
  DbPlanner(const Inventory& inv, TimePoint now, const LineageIndex& index,
            const DeleteGuard& guard, PlanSink& sink, WorkPriority* priority = nullptr)
      : inv_(inv), now_(now), index_(&index), guard_(&guard), sink_(sink), priority_(priority) {}

  void Plan(const DbItem& item) { PlanDatabase(*item.pc, item.kind, item.id, item.live); }

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
    SharedString id;
    std::string_view policy;  // the policy planning it (its drsnap:policy tag)
    std::string token;
    const Database* live = nullptr;
    std::span<const LineageEntry> all_src_names;
    std::vector<const LineageEntry*> captures;  // ours
    std::vector<const LineageEntry*> raws;      // ours
    std::vector<TargetState> targets;
    // Failed attempts kept as AWS's record of the failure while their
    // retry waits (PlanRetry): Expire leaves them.
    std::set<const LineageEntry*> kept_failed;
    // (capture id, account): the shares this plan makes (Share()); a copy
    // of such a capture into that account is planned after its share.
    std::set<std::pair<std::string, std::string>> shared_by_this_plan;
  };

  // --- helpers ---------------------------------------------------------------

  static bool Ours(const LineageEntry& e, const DbCtx& db) { return e.OursFor(db.id, db.policy); }

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
  // kept (DbCtx::kept_failed) until attempt N+1 is issued, which waits until
  // failed.create_time + RetryBackoff(N); after naming::kMaxAttempt, never.
  // Emits the findings. When allowed, the failed attempt is deleted by
  // Expire() in the same plan.
  struct Retry {
    bool allowed = true;
    int attempt = 0;
    const LineageEntry* failed = nullptr;  // the newest failed attempt, ours
  };
  Retry PlanRetry(const PolicyCtx& pc, DbCtx& db, const Scope& scope,
                  std::span<const LineageEntry> names, const std::vector<const LineageEntry*>& ours,
                  TimePoint point, NameStage stage, const std::string& what) {
    Retry r;
    r.attempt = NextAttempt(names, point, stage);
    for (const LineageEntry* e : ours)
      if (e->lineage.recovery_point == point && e->lineage.stage == stage &&
          e->status == SnapshotStatus::kFailed &&
          (!r.failed || e->lineage.attempt > r.failed->lineage.attempt))
        r.failed = e;
    // The name of the highest attempt, when it is not ours: a look-alike, or
    // drsnap's own copy whose name AWS's facts contradict (naming::
    // WhyNotDrsnapCreated; e.g. drsnap's clock is far from AWS's). It used
    // up an attempt number without giving a usable copy, so the next attempt
    // waits as after a failure: without this, every reconcile would make one
    // more snapshot under the next number, until the account's quota.
    const LineageEntry* blocker = nullptr;
    if (r.attempt > 0)
      for (const auto& e : names)
        if (e.lineage.recovery_point == point && e.lineage.stage == stage &&
            e.lineage.attempt == r.attempt - 1 && std::ranges::find(ours, &e) == ours.end())
          blocker = &e;
    if (blocker && r.attempt <= naming::kMaxAttempt &&
        (!r.failed || r.failed->lineage.attempt < blocker->lineage.attempt)) {
      const Snapshot& b = *blocker->snapshot;
      TimePoint not_before = b.create_time + RetryBackoff(blocker->lineage.attempt);
      if (now_ < not_before) {
        r.allowed = false;
        Find(Finding::Severity::kError, pc, db.id, scope,
             what + " of " + Iso(point) + ": " + b.id +
                 " holds the name but is not a copy drsnap can use; attempt " +
                 std::to_string(r.attempt + 1) + " not before " + Iso(not_before));
        return r;
      }
    }
    if (!r.failed && r.attempt <= naming::kMaxAttempt) return r;
    std::string failed_text;
    if (r.failed) {
      const Snapshot& f = *r.failed->snapshot;
      failed_text = what + " " + f.id + " failed (AWS status '" +
                    (f.status_text.empty() ? std::string("failed") : f.status_text) + "')";
    }
    if (r.attempt > naming::kMaxAttempt) {
      r.allowed = false;
      if (r.failed) db.kept_failed.insert(r.failed);
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
      db.kept_failed.insert(r.failed);
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
    sink_.Find(Finding{sev, pc.p->name, db, scope, std::move(msg)});
  }

  Action NewAction(ActionKind kind, Stage stage, const PolicyCtx& pc, const DbCtx& db,
                   const Scope& scope, std::string snapshot_id, std::string reason) const {
    Action a;
    a.kind = kind;
    a.stage = stage;
    a.db_kind = db.kind;
    a.scope = scope;
    a.policy = pc.name;
    a.db_id = db.id;
    a.snapshot_id = std::move(snapshot_id);
    a.reason = std::move(reason);
    return a;
  }

  // Plans a delete when the guard agrees; else a Finding. S4 refusals are
  // quiet: the incomplete or missing scope was reported once per policy.
  // The snapshot lives in the scope that listed it (LineageIndex::ScopeOf,
  // an object the guard and the sink recognise by address).
  void Delete(const PolicyCtx& pc, const DbCtx& db, const LineageEntry& e,
              const SharedString& reason) {
    const Snapshot& s = *e.snapshot;
    const Scope* listed_in = index_->ScopeOf(e);
    const Scope& where = listed_in ? *listed_in : s.scope;
    DeleteVerdict verdict =
        guard_->CheckDelete(DeleteRequest{pc.p->name, where, s.id, db.kind, db.id, &e});
    if (!verdict) {
      if (verdict.rule() != SafetyRule::kIncompleteObservation)
        Find(Finding::Severity::kWarning, pc, db.id, where,
             "not deleting " + s.id + ": " + verdict.ToString());
      return;
    }
    sink_.Delete(s, where, reason);
  }

  void Emit(Action a) {
    // What AWS refused before (drsnap's ledger where the call is made) waits
    // for its backoff: a refusal leaves nothing else to observe.
    if (a.kind != ActionKind::kDeleteSnapshot)
      if (const ScopeInventory* si = index_->Find(a.scope); si && !si->ledger.refusals.empty())
        if (const Refusal* r = si->ledger.Find(RefusalKey(a))) {
          const TimePoint retry = RetryAfter(*r);
          const bool waits = now_ < retry;
          sink_.Find(Finding{Finding::Severity::kError, std::string(a.policy.str()),
                             std::string(a.db_id.str()), a.scope,
                             DescribeRefusal(*r) +
                                 (waits ? "; drsnap asks again after " + Iso(retry)
                                        : std::string("; asking again now")) +
                                 ". What AWS says decides what to fix (docs/configuration.md, "
                                 "\"When AWS refuses\")"});
          if (waits) return;
        }
    sink_.Add(std::move(a));
  }

  void PlanDatabase(const PolicyCtx& pc, DbKind kind, const SharedString& db_id,
                    const Database* live) {
    DbCtx db;
    db.kind = kind;
    db.id = db_id;
    db.policy = pc.p->name;
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
      ts.needs_hop = t.needs_share && t.scope.region != pc.source.region &&
                     std::find(inv_.facts.one_step_copy_refused.begin(),
                               inv_.facts.one_step_copy_refused.end(),
                               t.scope) != inv_.facts.one_step_copy_refused.end();
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
          // Its point must be one AWS's facts allow (naming.h): a forged
          // point is reported (ReportUntrusted), never vaulted.
          if (s.scope == pc.source && s.db_id == db.id && e.point_trusted) ts.shared.push_back(&e);
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
    if (priority_) *priority_ = Priority(pc, db);
  }

  // engine/schedule.h: how urgent and how scarce this database's work is.
  WorkPriority Priority(const PolicyCtx& pc, const DbCtx& db) const {
    std::optional<TimePoint> deadline;
    bool unvaulted = false, scarce = false;
    for (const auto& ts : db.targets) {
      scarce |= db.kind == DbKind::kCluster && ts.t->scope.region != pc.source.region;
      std::optional<TimePoint> newest;
      for (const LineageEntry* e : ts.vaults)
        if (e->status == SnapshotStatus::kAvailable &&
            (!newest || e->lineage.recovery_point > *newest))
          newest = e->lineage.recovery_point;
      if (!newest) {
        unvaulted = true;
        continue;
      }
      TimePoint d = *newest + pc.p->rpo;
      if (!deadline || d < *deadline) deadline = d;
    }
    return MakeWorkPriority(unvaulted ? std::nullopt : deadline, now_, scarce,
                            db.live ? db.live->allocated_gb : 0);
  }

  // The newest point with an available vault copy in every target.
  std::optional<TimePoint> NewestVaultedEverywhere(const DbCtx& db) const {
    std::optional<TimePoint> best;
    if (db.targets.empty()) return best;
    for (const LineageEntry* e : db.targets.front().vaults) {
      TimePoint point = e->lineage.recovery_point;
      if (e->status != SnapshotStatus::kAvailable || (best && point <= *best)) continue;
      if (std::ranges::all_of(db.targets, [&](const TargetState& ts) {
            return VaultAvailable(ts, point) != nullptr;
          }))
        best = point;
    }
    return best;
  }

  void Waiting(const PolicyCtx& pc, const DbCtx& db, const LineageEntry& e) {
    if (!IsInFlight(e.status)) return;
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
        if (IsInFlight(e->status)) in_flight = true;
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

  // A default-key database and no share key to re-encrypt its captures:
  // nothing can be shared, so nothing is captured.
  void MissingShareKey(const PolicyCtx& pc, const DbCtx& db) {
    Find(Finding::Severity::kError, pc, db.id, pc.source,
         db.id +
             " is encrypted with the default RDS key, which cannot be shared; set "
             "source.share_key in policy '" +
             pc.p->name + "' to a customer-managed key");
  }

  void CaptureAutomated(const PolicyCtx& pc, DbCtx& db, std::optional<TimePoint> newest_live,
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
    if (newest_live && ts <= *newest_live) {  // already captured
      if (!in_flight) BackfillFailedPoint(pc, db);
      return;
    }
    // Vaulted everywhere already (its capture was deleted: keep_newest 0).
    if (auto vaulted = NewestVaultedEverywhere(db); vaulted && ts <= *vaulted) {
      if (!in_flight) BackfillFailedPoint(pc, db);
      return;
    }
    if (in_flight) {
      Find(Finding::Severity::kInfo, pc, db.id, pc.source,
           "waiting: a capture is in flight; automated snapshot " + newest->id +
               " will be captured after it");
      return;
    }
    PlanAutomatedCapture(pc, db, *newest, ts,
                         "newest automated snapshot " + newest->id + " (" +
                             Iso(PointOf(*newest)) + ") is newer than the newest capture (" +
                             (newest_live ? Iso(*newest_live) : std::string("none")) + ")");
  }

  // A capture copy of automated snapshot `automated` (point `ts`), unless its
  // retry waits (PlanRetry). `why`: the first half of the reason.
  void PlanAutomatedCapture(const PolicyCtx& pc, DbCtx& db, const Snapshot& automated,
                            TimePoint ts, std::string why) {
    KeyPlan kp = PlanKey(automated.encrypted, automated.kms_key_id, *pc.src, *pc.p);
    if (kp == KeyPlan::kMissingShareKey) return MissingShareKey(pc, db);
    Retry retry = PlanRetry(pc, db, pc.source, db.all_src_names, db.captures, ts,
                            NameStage::kCapture, "capture copy");
    if (!retry.allowed) return;
    int attempt = retry.attempt;
    std::string name = naming::MakeName({NameStage::kCapture, "", db.token, ts, attempt});
    std::string reason = std::move(why) + "; copy it to a drsnap-owned manual snapshot";
    if (kp == KeyPlan::kReencrypt)
      reason += ", re-encrypted with the share key (the default key cannot be shared)";
    if (attempt > 0) reason += " (attempt " + std::to_string(attempt + 1) + ")";
    Action a = NewAction(ActionKind::kCopySnapshot, Stage::kCapture, pc, db, pc.source, name,
                         std::move(reason));
    a.source_arn = automated.id;
    if (kp == KeyPlan::kReencrypt) a.kms_key_id = pc.p->share_key;
    a.tags = BaseTags(pc, db, NameStage::kCapture, ts, SnapshotArn(automated));
    Emit(std::move(a));
  }

  // `from: automated` takes the newest automated snapshot; a point whose
  // capture failed before a newer one was taken would leave a gap in the DR
  // points. So, once the newest point is captured and no capture is in
  // flight, the newest such point (a failed capture, no live one) that some
  // target still lacks and its retention would keep (VaultDone) is captured
  // again from its automated snapshot, one at a time; when that snapshot no
  // longer exists, the gap is a finding (and the failed capture, AWS's record
  // of it, is deleted as usual).
  void BackfillFailedPoint(const PolicyCtx& pc, DbCtx& db) {
    std::vector<TimePoint> failed;
    for (const LineageEntry* c : db.captures)
      if (c->status == SnapshotStatus::kFailed) failed.push_back(c->lineage.recovery_point);
    std::sort(failed.rbegin(), failed.rend());
    failed.erase(std::unique(failed.begin(), failed.end()), failed.end());
    for (TimePoint point : failed) {
      if (LiveAt(db.captures, point)) continue;
      bool lacking = false;
      for (auto& ts : db.targets) lacking = lacking || !VaultDone(pc, ts, point);
      if (!lacking) continue;
      const Snapshot* automated = nullptr;
      for (const Snapshot* s : index_->Automated(pc.source, db.kind, db.id))
        if (s->status == SnapshotStatus::kAvailable && naming::NamePoint(PointOf(*s)) == point)
          automated = s;
      if (!automated) {
        Find(Finding::Severity::kWarning, pc, db.id, pc.source,
             "recovery point " + Iso(point) + " of " + std::string(db.id.str()) +
                 " has a gap in the vault: its capture failed and its automated snapshot no "
                 "longer exists, so it cannot be captured again");
        continue;
      }
      return PlanAutomatedCapture(
          pc, db, *automated, point,
          "the capture of " + Iso(point) + " failed and a target still lacks that point; "
          "automated snapshot " + automated->id + " still exists");
    }
  }

  void CaptureSnapshot(const PolicyCtx& pc, DbCtx& db, std::optional<TimePoint> newest_live,
                       bool in_flight) {
    seconds due_after = pc.p->rpo - pc.p->capture_margin;
    if (newest_live && now_ - *newest_live < due_after) return;  // fresh enough
    // A point vaulted everywhere counts as captured (its capture may be
    // gone: keep_newest 0).
    if (auto vaulted = NewestVaultedEverywhere(db); vaulted && now_ - *vaulted < due_after) return;
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
    if (kp == KeyPlan::kMissingShareKey) return MissingShareKey(pc, db);
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
    ReportSharedBeyondTargets(pc, db);
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
      if (s.encrypted && IsDefaultRdsKey(s.kms_key_id, pc.src)) {
        Find(Finding::Severity::kError, pc, db.id, s.scope,
             s.id +
                 " is encrypted with the default RDS key and cannot be shared; set "
                 "source.share_key so captures are re-encrypted");
        continue;
      }
      const std::string acc = Join(missing), reg = Join(regions);
      Action a = NewAction(ActionKind::kShareSnapshot, Stage::kShare, pc, db, s.scope, s.id,
                           "capture " + s.id + " (" + Iso(point) + ") is not yet shared with " +
                               acc + ", which must vault it in " + reg);
      a.share_with = missing;
      for (const auto& account : missing) db.shared_by_this_plan.emplace(s.id.str(), account);
      Emit(std::move(a));
    }
  }

  // A capture is a full copy of the database: shared with an account that
  // is not one of the policy's DR accounts, or public, it is readable by
  // whoever holds that account. IAM cannot limit the accounts a snapshot is
  // shared with (docs/deploy.md gives the SCP); this finding is the check.
  void ReportSharedBeyondTargets(const PolicyCtx& pc, const DbCtx& db) {
    for (const LineageEntry* c : db.captures) {
      const Snapshot& s = *c->snapshot;
      if (!s.shared_with) continue;
      std::vector<std::string> beyond;
      bool is_public = false;
      for (const auto& account : *s.shared_with) {
        if (AsciiEqualsIgnoreCase(account, "all")) {
          is_public = true;
        } else if (std::ranges::find(pc.share_accounts, account) == pc.share_accounts.end()) {
          beyond.push_back(account);
        }
      }
      if (!is_public && beyond.empty()) continue;
      std::string who = is_public ? std::string("every AWS account (public)") : "";
      if (!beyond.empty())
        who += (who.empty() ? "" : " and ") + Join(beyond) + " (not a DR account of the policy)";
      Find(Finding::Severity::kError, pc, db.id, s.scope,
           "capture " + s.id + " is shared with " + who +
               "; remove the share (aws rds modify-db-snapshot-attribute --attribute-name restore "
               "--values-to-remove ...) and find out who added it");
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
      // A key the target account may not use (engine/preflight.h): every
      // copy would be refused; say so, and issue none.
      if (ReportKeyRefused(pc, db, ts, points)) continue;
      // The newest point this target still needs: while it is pending, the
      // failed copies of older points are not retried (a failing region
      // would otherwise pile up a retry of every old point at once).
      std::optional<TimePoint> newest_needed;
      for (const auto& [point, src] : points)
        if (!VaultAvailable(ts, point) && !TooOld(pc, ts, point)) newest_needed = point;
      for (const auto& [point, src] : points)
        VaultPoint(pc, db, ts, point, src, hops_planned,
                   newest_needed && point < *newest_needed ? newest_needed : std::nullopt);
      // AWS encrypts an unencrypted instance snapshot on copy (VaultPoint);
      // not a cluster snapshot: say so once per database and target.
      if (db.kind == DbKind::kCluster &&
          std::ranges::any_of(points, [](const auto& p) {
            return p.second.capture && !p.second.capture->encrypted;
          }))
        Find(Finding::Severity::kWarning, pc, db.id, ts.t->scope,
             "cluster " + db.id.str() +
                 " is unencrypted, and AWS cannot encrypt a DB cluster snapshot on copy: its "
                 "vault copies in " + ts.t->scope.ToString() +
                 " are unencrypted; to vault it encrypted, restore a snapshot into a cluster "
                 "encrypted with a customer-managed key and protect that cluster instead");
    }
  }

  // The key the target account must use to copy this database's captures
  // (the capture's own; before there is one, the database's, or the share
  // key that re-encrypts a default-key database), when the key check said
  // that account may not use it: an error finding naming the key, the
  // account and AWS's answer. True when so (no copy is planned).
  template <typename Points>
  bool ReportKeyRefused(const PolicyCtx& pc, const DbCtx& db, const TargetState& ts,
                        const Points& points) {
    if (!ts.t->needs_share || inv_.key_access.empty()) return false;
    const std::string& account = ts.t->scope.account_id;
    std::vector<std::string_view> capture_keys;
    for (const auto& [point, src] : points)
      if (!src.hop && src.capture && src.capture->encrypted)
        capture_keys.push_back(src.capture->kms_key_id);
    const KeyAccess* refused =
        CaptureKeyRefused(inv_, account, capture_keys, db.live, *pc.p, pc.src);
    const std::string what = "the captures of " + db.id.str();
    if (!refused) return false;
    Find(Finding::Severity::kError, pc, db.id, ts.t->scope,
         "account " + account + " may not use key " + refused->key_arn + " that encrypts " + what +
             ", so no copy into " + ts.t->scope.ToString() + " can succeed (AWS: " +
             refused->use.code + ": " + refused->use.message +
             "); allow account " + account +
             " in the key's policy (kms:DescribeKey, kms:CreateGrant, kms:Decrypt) and give its "
             "drsnap role kms:DescribeKey on the key");
    return true;
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

  // `newer_needed`: a newer point this target still needs (Vault()); then a
  // point whose copy failed is not retried.
  void VaultPoint(const PolicyCtx& pc, DbCtx& db, TargetState& ts, TimePoint point,
                  const VaultSource& src, std::set<std::string>& hops_planned,
                  std::optional<TimePoint> newer_needed) {
    const TargetRef& t = *ts.t;
    const Snapshot* capture = src.capture;
    const LineageEntry* hop = src.hop;
    // Nothing is copied into a scope whose listing is not complete: a live
    // copy there (under any attempt name) may be the one it does not show,
    // and a second full copy would be made (the scope is reported once per
    // policy).
    if (!index_->Complete(t.scope)) return;
    if (const LineageEntry* v = LiveAt(ts.vaults, point)) {
      if (IsInFlight(v->status))
        Find(Finding::Severity::kInfo, pc, db.id, t.scope,
             "waiting: " + v->snapshot->id + " is " + Progress(*v->snapshot));
      return;
    }
    if (TooOld(pc, ts, point)) return;  // retention would remove it right away
    if (newer_needed && std::ranges::any_of(ts.vaults, [&](const LineageEntry* e) {
          return e->lineage.recovery_point == point && e->status == SnapshotStatus::kFailed;
        })) {
      Find(Finding::Severity::kInfo, pc, db.id, t.scope,
           "the failed vault copy of " + Iso(point) + " is not retried while the newer point " +
               Iso(*newer_needed) + " is pending in " + t.scope.ToString());
      return;
    }
    bool direct = !ts.needs_hop || hop;
    // The source's own capture, not yet shared with the target account but
    // shared by this plan: its copy (or hop) is planned after the share, in
    // the same apply (Action::after_share), rather than at the next one.
    const bool shared_now =
        capture && !src.visible && capture->scope == pc.source &&
        db.shared_by_this_plan.contains(std::pair{capture->id.str(), t.scope.account_id});
    if (direct && !hop && t.needs_share && !src.visible && !shared_now) {
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
      // Vault copies are encrypted with the DR key: an encrypted source is
      // re-encrypted, an unencrypted instance snapshot encrypted
      // (CopyDBSnapshot does that with KmsKeyId); AWS cannot encrypt a
      // cluster snapshot on copy (reported by Vault()).
      const bool encrypt = from->encrypted || db.kind == DbKind::kInstance;
      if (encrypt)
        reason += from->encrypted ? ", re-encrypted with the DR key" : ", encrypted with the DR key";
      if (attempt > 0) reason += " (attempt " + std::to_string(attempt + 1) + ")";
      if (!hop && shared_now) reason += ", once this plan's share with the account succeeded";
      Action a = NewAction(ActionKind::kCopySnapshot, Stage::kVault, pc, db, t.scope, name,
                           std::move(reason));
      a.source_arn = SnapshotArn(*from);
      if (from->scope.region != region) a.source_region = from->scope.region;
      if (encrypt) a.kms_key_id = t.region->kms_key;
      a.option_group = OptionGroup(pc, db, ts);
      a.tags = BaseTags(pc, db, NameStage::kVault, point, SnapshotArn(capture ? *capture : *from));
      if (!hop && shared_now) a.after_share = capture->id;
      Emit(std::move(a));
      return;
    }

    // Via a hop in the target account, in the source region. A failed vault
    // copy stays the record of its attempt until the copy from the hop is
    // issued.
    if (retry.failed) db.kept_failed.insert(retry.failed);
    if (const LineageEntry* h = LiveAt(ts.hops, point)) {
      if (IsInFlight(h->status))
        Find(Finding::Severity::kInfo, pc, db.id, ts.hop_scope,
             "waiting: hop copy " + h->snapshot->id + " is " + Progress(*h->snapshot));
      return;
    }
    const Snapshot& c = *capture;
    if (!src.visible && !shared_now) {
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
    if (!index_->Complete(ts.hop_scope)) return;  // as for the target scope above
    // Several regions of one account share a hop: decide once per point.
    if (!hops_planned.insert(ts.hop_scope.ToString() + "/" + Iso(point)).second) return;
    Retry hop_retry = PlanRetry(pc, db, ts.hop_scope, ts.all_hop_names, ts.hops, point,
                                NameStage::kHop, "hop copy");
    if (!hop_retry.allowed) return;
    std::string hop_name = naming::MakeName(
        {NameStage::kHop, pc.source.account_id, db.token, point, hop_retry.attempt});
    std::string why = "AWS refused a one-step copy into " + t.scope.ToString();
    Action a = NewAction(
        ActionKind::kCopySnapshot, Stage::kVault, pc, db, ts.hop_scope, hop_name,
        "capture " + c.id + " (" + Iso(point) + ") has no vault copy in " + t.scope.ToString() +
            "; " + why + ", so copy it into the target account in " + pc.source.region + " first" +
            (shared_now ? ", once this plan's share with the account succeeded" : ""));
    a.source_arn = SnapshotArn(c);
    if (c.encrypted) a.kms_key_id = t.target->hop_kms_key;
    a.tags = BaseTags(pc, db, NameStage::kHop, point, SnapshotArn(c));
    if (shared_now) a.after_share = c.id;
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
        if (e->status == SnapshotStatus::kFailed && !db.kept_failed.contains(e))
          Delete(pc, db, *e, FailedReason(*e->snapshot));
    };
    delete_failed(db.captures);
    delete_failed(db.raws);
    std::set<const LineageEntry*> hops_seen;
    for (auto& ts : db.targets) {
      delete_failed(ts.vaults);
      for (const LineageEntry* h : ts.hops)
        if (hops_seen.insert(h).second && h->status == SnapshotStatus::kFailed &&
            !db.kept_failed.contains(h))
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
    // What retention would delete, per target; then, only when something
    // would go, whether an anomaly freezes the database's vault retention.
    std::vector<RetentionPoint> points;
    std::vector<const LineageEntry*> entries;
    std::vector<std::pair<const LineageEntry*, const TargetState*>> expired;
    for (auto& ts : db.targets) {
      points.clear();
      entries.clear();
      for (const LineageEntry* e : ts.vaults) {
        SnapshotStatus st = e->status;
        if (st == SnapshotStatus::kFailed || st == SnapshotStatus::kDeleting) continue;
        points.push_back(
            RetentionPoint{e->lineage.recovery_point, st == SnapshotStatus::kAvailable});
        entries.push_back(e);
      }
      if (points.empty()) continue;
      std::vector<bool> keep = RetentionKeeps(points, pc.p->retention, now_);
      for (size_t i = 0; i < entries.size(); ++i)
        if (!keep[i] && !WithinMinRetention(*pc.p, *entries[i]->snapshot, inv_.observed_at))
          expired.emplace_back(entries[i], &ts);
    }
    if (expired.empty()) return;
    // The delete guard asks the same (S7), so a plan made while frozen and
    // an executor re-check agree.
    std::vector<Anomaly> anomalies = AnomaliesOf(*index_, *pc.p, db.kind, db.id.str());
    if (!anomalies.empty()) {
      Find(Finding::Severity::kError, pc, db.id, db.targets.front().t->scope,
           FrozenRetentionSentence(db.id.str(), anomalies));
      return;
    }
    for (const auto& [e, ts] : expired) Delete(pc, db, *e, ts->t->retention_reason);
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
      bool pending = false;
      for (TargetState* ts : targets) pending = pending || !VaultDone(pc, *ts, point);
      if (pending) continue;
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
    const bool transient = pc.transient[db.kind == DbKind::kCluster ? 1 : 0];
    const int keep_newest = transient ? 0 : pc.p->keep_newest;
    for (size_t i = 0; i < available.size(); ++i) {
      const LineageEntry* c = available[i];
      if (static_cast<int>(i) < keep_newest) continue;
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
      Delete(
          pc, db, *c,
          "capture is vaulted in every target (" + std::to_string(db.targets.size()) +
              " region(s)) and " +
              (transient ? "the manual snapshot quota of " + pc.source.ToString() +
                               " binds: captures are kept only until vaulted"
                         : "is not among the " + std::to_string(keep_newest) + " newest captures"));
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
  PlanSink& sink_;
  WorkPriority* priority_;  // where Plan() writes the database's; null: nowhere
};

// Plans every policy: first the policies (their contexts and findings,
// and which databases each protects), then each database with DbPlanner,
// on the threads PlanAssembly provides, which makes the sorted plan.
class Planner {
 public:
  Planner(const Inventory& inv, const config::Config& cfg, TimePoint now,
          const PlanOptions& options)
      : inv_(inv),
        cfg_(cfg),
        now_(now),
        options_(options),
        threads_(PlanningThreads(options.threads)) {}

  Plan Run() {
    std::optional<PlanAssembly> assembly;
    {
      // Only needed while planning: released before the sorted plan is
      // made (a smaller peak; the index of a million snapshots is ~100 MB).
      LineageIndex index(inv_, static_cast<int>(threads_), options_.snapshots_per_index_part);
      DeleteGuard guard(index, cfg_);
      index_ = &index;
      Protection protection = ProtectedDatabases(index, cfg_);
      findings_ = std::move(protection.findings);
      protection_ = &protection;
      for (const auto& p : cfg_.policies) PlanPolicy(p);
      MarkTransientCaptures();
      WarnTargetQuotasTooSmall();
      ReportUntrusted();
      std::vector<PlannedDatabase> keys;
      keys.reserve(items_.size());
      for (const DbItem& item : items_)
        keys.push_back(PlannedDatabase{item.pc->name, item.kind, item.id});
      assembly.emplace(std::move(keys), threads_,
                       static_cast<size_t>(std::max(1, options_.databases_per_chunk)));
      priorities_.assign(items_.size(), WorkPriority{});
      assembly->PlanDatabases([&](size_t i, PlanSink& sink) {
        DbPlanner(inv_, now_, index, guard, sink, &priorities_[i]).Plan(items_[i]);
      });
      index_ = nullptr;
      protection_ = nullptr;
    }
    Plan plan = assembly->Finish(std::move(findings_));
    OrderScarceFirst(plan);
    HoldBackOverQuota(plan);
    HoldBackUnvaultableCaptures(plan);
    return plan;
  }

  // engine/schedule.h: each stage's work by urgency and scarcity, before
  // the quota is spent in plan order (HoldBackOverQuota) and the executor
  // hands out copy slots in plan order.
  void OrderScarceFirst(Plan& plan) const {
    if (std::ranges::all_of(priorities_,
                            [&](const WorkPriority& p) { return p == priorities_.front(); }))
      return;  // nothing to reorder by
    using Key = std::tuple<std::string_view, DbKind, std::string_view>;
    std::map<Key, WorkPriority> by_db;
    for (size_t i = 0; i < items_.size(); ++i)
      by_db.emplace(Key{items_[i].pc->name.str(), items_[i].kind, items_[i].id.str()},
                    priorities_[i]);
    OrderByPriority(plan, [&](const Action& a) {
      auto it = by_db.find(Key{a.policy.str(), a.db_kind, a.db_id.str()});
      return it == by_db.end() ? WorkPriority{} : it->second;
    });
  }

  // Whether `policy`'s captures of kind `k` in `scope` are transient.
  bool TransientIn(const std::string& policy, const Scope& scope, int k) const {
    for (const auto& pc : policies_)
      if (pc->p->name == policy && pc->source == scope) return pc->transient[k];
    return false;
  }

  // A source scope's manual snapshot quota binds for a kind when the
  // snapshots there that are not drsnap's captures, plus one capture per
  // database protected from there, do not fit (AWS's default is 100 per
  // kind). Then the captures of the policies there that leave keep_newest
  // unset are transient: deleted as soon as every target vaulted them (by
  // the same rules and guard as any capture expiry), so that the quota's
  // room serves the next wave of captures (HoldBackOverQuota).
  void MarkTransientCaptures() {
    std::map<std::pair<Scope, int>, long long> demand;
    for (const DbItem& item : items_)
      ++demand[{item.pc->source, item.kind == DbKind::kCluster ? 1 : 0}];
    for (auto& pc : policies_) {
      if (pc->p->keep_newest_set || !pc->src) continue;
      for (int k = 0; k < 2; ++k) {
        const auto& q = pc->src->snapshot_quota[k];
        auto d = demand.find({pc->source, k});
        if (!q || d == demand.end() || q->max - q->used >= d->second) continue;
        long long captures = 0;  // drsnap's captures and raws there, of any policy
        for (const Snapshot& s : pc->src->snapshots) {
          if (s.scope != pc->source || (s.kind == DbKind::kCluster ? 1 : 0) != k ||
              s.type != SnapshotType::kManual)
            continue;
          auto l = naming::ParseNameView(s.id);
          captures += l && (l->stage == NameStage::kCapture || l->stage == NameStage::kRaw);
        }
        pc->transient[k] = q->used - captures + d->second > q->max;
      }
    }
  }

  // A capture is made only to be vaulted. When every target of its policy
  // has no room left in its manual snapshot quota of the capture's kind
  // (used, minus what this plan deletes there, plus the copies this plan
  // makes there, reaches the quota AWS reported; after HoldBackOverQuota,
  // whose findings name a full source scope first), no vault copy of it could
  // be made: it would only take room in the source scope (the production
  // account's own quota) for as long as the targets stay full (a DR account
  // that keeps `daily: 7` copies of 100 databases under AWS's default quota
  // of 100 is full after the first day, for good). Such captures (and raws)
  // are held back, with one error finding per policy, kind and target; they
  // resume as soon as a target has room. A target whose quota was not
  // reported counts as having room.
  void HoldBackUnvaultableCaptures(Plan& plan) const {
    std::map<std::pair<Scope, int>, long long> room;  // targets with a reported quota
    for (const auto& pc : policies_)
      for (const TargetRef& t : pc->targets)
        if (const ScopeInventory* si = inv_.Find(t.scope))
          for (int k = 0; k < 2; ++k)
            if (const auto& q = si->snapshot_quota[k]) room[{t.scope, k}] = q->max - q->used;
    if (room.empty()) return;
    for (const Action& a : plan.actions) {
      auto it = room.find({a.scope, a.db_kind == DbKind::kCluster ? 1 : 0});
      if (it == room.end()) continue;
      if (a.kind == ActionKind::kDeleteSnapshot) ++it->second;
      if (a.kind == ActionKind::kCopySnapshot || a.kind == ActionKind::kCreateSnapshot)
        --it->second;
    }
    // Per policy and kind: whether every target is full, and how many
    // captures that holds back.
    std::map<std::pair<std::string_view, int>, int> held;
    auto full = [&](const PolicyCtx& pc, int k) {
      if (pc.targets.empty()) return false;
      for (const TargetRef& t : pc.targets) {
        auto it = room.find({t.scope, k});
        if (it == room.end() || it->second > 0) return false;
      }
      return true;
    };
    std::erase_if(plan.actions, [&](const Action& a) {
      if (a.stage != Stage::kCapture || a.kind == ActionKind::kDeleteSnapshot) return false;
      const int k = a.db_kind == DbKind::kCluster ? 1 : 0;
      for (const auto& pc : policies_)
        if (pc->p->name == a.policy && pc->source == a.scope && full(*pc, k)) {
          ++held[{pc->name.str(), k}];
          return true;
        }
      return false;
    });
    for (const auto& [key, n] : held)
      for (const auto& pc : policies_) {
        if (pc->name.str() != key.first) continue;
        for (const TargetRef& t : pc->targets) {
          const ScopeInventory::SnapshotQuota& q = *inv_.Find(t.scope)->snapshot_quota[key.second];
          const std::string kind = key.second == 1 ? "cluster" : "instance";
          plan.findings.push_back(Finding{
              Finding::Severity::kError, pc->p->name, "", t.scope,
              "the manual " + kind + " snapshot quota of " + t.scope.ToString() + " is full (" +
                  std::to_string(q.used) + " of " + std::to_string(q.max) +
                  " used), as is that of every other target of policy '" + pc->p->name +
                  "': no vault copy can be made, so " + std::to_string(n) +
                  " capture(s) are held back rather than take room in " + pc->source.ToString() +
                  "; raise the quota (Service Quotas, Amazon RDS, 'Manual " +
                  (key.second == 1 ? "DB cluster" : "DB instance") +
                  " snapshots') or keep fewer copies there"});
        }
      }
  }

  // The fewest vault copies `r` keeps of one database once there is
  // history: each tier keeps its N newest periods that have a point, so at
  // least the largest N (`within` and min_retention can only add).
  static long long KeptAtSteadyState(const config::Retention& r) {
    if (r.KeepsOnlyNewest()) return 1;
    return std::max({1, r.last, r.hourly, r.daily, r.weekly, r.monthly, r.yearly});
  }

  // Before a target fills: when the vault copies retention keeps there at
  // steady state, plus the manual snapshots there that are not drsnap's
  // vault copies, do not fit the target's manual snapshot quota, a warning
  // says so while there is still room (once it is full, HoldBackOverQuota
  // holds copies back with an error and the pairs breach). A lower bound:
  // no warning that a tidy schedule could prove wrong.
  void WarnTargetQuotasTooSmall() {
    struct Need {
      long long copies = 0;
      int databases = 0;
      const PolicyCtx* first = nullptr;
    };
    std::map<std::pair<Scope, int>, Need> needs;
    for (const DbItem& item : items_) {
      const int k = item.kind == DbKind::kCluster ? 1 : 0;
      const long long kept = KeptAtSteadyState(item.pc->p->retention);
      for (const TargetRef& t : item.pc->targets) {
        Need& n = needs[{t.scope, k}];
        n.copies += kept;
        ++n.databases;
        if (!n.first) n.first = item.pc;
      }
    }
    for (const auto& [key, n] : needs) {
      const auto& [scope, k] = key;
      const ScopeInventory* si = inv_.Find(scope);
      if (!si || !si->complete || !si->snapshot_quota[k]) continue;
      const auto& q = *si->snapshot_quota[k];
      long long vault_copies = 0;
      for (const Snapshot& s : si->snapshots) {
        if (s.scope != scope || (s.kind == DbKind::kCluster ? 1 : 0) != k ||
            s.type != SnapshotType::kManual)
          continue;
        auto l = naming::ParseNameView(s.id);
        vault_copies += l && l->stage == NameStage::kVault;
      }
      const long long others = std::max(0LL, q.used - vault_copies);
      if (others + n.copies <= q.max) continue;
      const std::string kind = k == 1 ? "cluster" : "instance";
      Find(Finding::Severity::kWarning, *n.first, "", scope,
           "at steady state the " + std::to_string(n.databases) + " " + kind +
               " database(s) vaulted into " + scope.ToString() + " keep at least " +
               std::to_string(n.copies) + " vault copies there (their retention's largest tier "
               "per database), and " + std::to_string(others) +
               " other manual snapshots are there: more than its manual " + kind +
               " snapshot quota of " + std::to_string(q.max) +
               "; raise the quota (Service Quotas, Amazon RDS, 'Manual " +
               (k == 1 ? std::string("DB cluster") : std::string("DB instance")) +
               " snapshots') or keep fewer copies before it fills and vault copies are held back");
    }
  }

  // Checks before acting: a snapshot drsnap would make in a scope whose
  // manual snapshot quota is full would be refused (SnapshotQuotaExceeded)
  // on every reconcile. The quota AWS reported when the scope was observed
  // (ScopeInventory::snapshot_quota) is spent in plan order; what does not
  // fit is held back, with one error finding per scope and kind. Deletes in
  // the same plan are not counted as room: they may run after the copies.
  void HoldBackOverQuota(Plan& plan) const {
    struct Budget {
      long long left = 0;
      long long used = 0, max = 0;
      int held = 0;
      std::string policy;
      bool waves = true;  // every one held is a capture that waits for the next wave
    };
    std::map<std::pair<Scope, int>, Budget> budgets;
    for (const auto& si : inv_.scopes)
      for (int k = 0; k < 2; ++k)
        if (const auto& q = si.snapshot_quota[k])
          budgets[{si.scope, k}] = Budget{q->max - q->used, q->used, q->max, 0, ""};
    if (budgets.empty()) return;
    std::erase_if(plan.actions, [&](const Action& a) {
      if (a.kind != ActionKind::kCreateSnapshot && a.kind != ActionKind::kCopySnapshot)
        return false;
      auto it = budgets.find({a.scope, a.db_kind == DbKind::kCluster ? 1 : 0});
      if (it == budgets.end()) return false;
      Budget& b = it->second;
      if (b.left > 0) {
        --b.left;
        return false;
      }
      if (b.held++ == 0) b.policy = a.policy;
      b.waves =
          b.waves && a.stage == Stage::kCapture && TransientIn(a.policy, a.scope, it->first.second);
      plan.held_back.push_back(a);
      return true;
    });
    for (const auto& [key, b] : budgets) {
      if (b.held == 0) continue;
      const std::string full = "the manual " +
                               std::string(key.second == 1 ? "cluster" : "instance") +
                               " snapshot quota of " + key.first.ToString() + " is full (" +
                               std::to_string(b.used) + " of " + std::to_string(b.max) +
                               " used): " + std::to_string(b.held);
      if (b.waves) {  // expected while the quota binds: not an error
        plan.findings.push_back(Finding{
            Finding::Severity::kWarning, b.policy, "", key.first,
            full + " capture(s) wait for the next wave (captures here are deleted once vaulted "
                   "while the quota binds); a higher quota would vault them sooner"});
        continue;
      }
      plan.findings.push_back(Finding{
          Finding::Severity::kError, b.policy, "", key.first,
          full +
              " snapshot(s) drsnap would make here are held back instead of being refused "
              "(SnapshotQuotaExceeded); raise the quota (Service Quotas, Amazon RDS, 'Manual " +
              (key.second == 1 ? std::string("DB cluster") : std::string("DB instance")) +
              " snapshots') or keep fewer copies there"});
    }
  }

 private:
  void Find(Finding::Severity sev, const PolicyCtx& pc, const std::string& db, const Scope& scope,
            std::string msg) {
    findings_.push_back(Finding{sev, pc.p->name, db, scope, std::move(msg)});
  }

  // --- snapshots drsnap does not trust ------------------------------------------

  // Every snapshot with a drsnap name that is not drsnap's (naming.h's
  // rule: a look-alike, a forged or stale tag, a point AWS's facts do not
  // allow), once: under the policy its drsnap:policy tag names when that
  // policy observes the scope, else the first policy that does (for a
  // shared capture: that shares from its owner). It is never adopted nor
  // deleted; a person decides what it is.
  void ReportUntrusted() {
    for (const ScopeInventory& si : inv_.scopes) {
      for (const LineageEntry* e : index_->Untrusted(si.scope)) {
        const Snapshot& s = *e->snapshot;
        const bool shared = s.type == SnapshotType::kShared || !(s.scope == si.scope);
        if (!reported_.insert(si.scope.ToString() + "/" + s.id.str()).second) continue;
        const PolicyCtx* owner = nullptr;
        for (const auto& pc : policies_) {
          if (shared ? pc->source.account_id != s.scope.account_id ||
                           pc->source.region != si.scope.region
                     : !pc->observes(si.scope))
            continue;
          if (!owner || (e->policy_tag && *e->policy_tag == pc->p->name)) owner = pc.get();
        }
        if (!owner) continue;  // no policy looks there
        // A point AWS's facts do not allow is an error (someone may be
        // forging recovery points); a look-alike by its tags a warning.
        const std::string point_why = naming::WhyPointUntrusted(s, e->lineage, inv_.observed_at);
        const std::string why =
            shared ? point_why
                   : naming::WhyNotDrsnapCreated(s, e->lineage, naming::FindDrsnapTags(s.tags),
                                                 inv_.observed_at);
        if (why.empty()) continue;
        Find(point_why.empty() ? Finding::Severity::kWarning : Finding::Severity::kError, *owner,
             e->db_tag ? *e->db_tag : s.db_id, si.scope,
             (shared ? "shared capture " + s.id.str() + " of " + s.scope.account_id
                     : s.id.str()) +
                 " is not drsnap's to " + (shared ? "vault" : "adopt or delete") + ": " + why +
                 (shared ? "; a production account that shares such a snapshot may be "
                           "compromised"
                         : "; drsnap leaves it alone"));
      }
    }
  }

  // --- policy ----------------------------------------------------------------

  void PlanPolicy(const config::Policy& p) {
    PolicyCtx& pc = *policies_.emplace_back(std::make_unique<PolicyCtx>());
    pc.p = &p;
    pc.name = p.name;
    pc.retention = p.retention.ToString();
    pc.source = Scope{p.source_account_id, p.source_region};
    pc.src = index_->Find(pc.source);
    pc.scopes = PolicyScopes(p);
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
    for (const Scope& s : pc.scopes) {
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
      } else if (std::vector<std::string> twice = index_->ListedTwice(s); !twice.empty()) {
        Find(Finding::Severity::kError, pc, "", s,
             "the listing of scope " + s.ToString() + " holds " + Join(twice) +
                 " listed twice, so it cannot be trusted; no deletes that depend on it until "
                 "a listing agrees with itself");
      }
    }

    // The databases it protects (engine/protection.h), in order.
    for (; next_protected_ < protection_->databases.size() &&
           protection_->databases[next_protected_].policy == &p;
         ++next_protected_) {
      const ProtectedDatabase& d = protection_->databases[next_protected_];
      items_.push_back(DbItem{&pc, d.kind, SharedString(d.id), d.live});
    }
  }

  const Inventory& inv_;
  const config::Config& cfg_;
  TimePoint now_;
  PlanOptions options_;
  size_t threads_;                                    // PlanningThreads()
  const LineageIndex* index_ = nullptr;               // while planning
  const Protection* protection_ = nullptr;            // while planning: which policy protects what
  size_t next_protected_ = 0;                         // protection_->databases: the next to plan
  std::vector<Finding> findings_;                     // the policies' own
  std::vector<std::unique_ptr<PolicyCtx>> policies_;  // items_ point to them
  std::set<std::string> reported_;                    // ReportUntrusted: scope/id
  std::vector<DbItem> items_;                         // the databases to plan, in plan order
  std::vector<WorkPriority> priorities_;              // items_'s (engine/schedule.h)
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
  std::erase_if(plan.held_back, [&](const Action& a) { return !mine(a.policy, a.scope); });
  std::erase_if(plan.findings, [&](const Finding& f) {
    return !f.db_id.empty() && sources.contains(f.policy) && !mine(f.policy, f.scope);
  });
}

Plan MakePlan(const Inventory& inventory, const config::Config& config, TimePoint now,
              const PlanOptions& options) {
  return Planner(inventory, config, now, options).Run();
}

}  // namespace drsnap::engine
