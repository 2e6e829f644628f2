#include "engine/executor.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <tuple>

#include "core/strings.h"
#include "core/time_util.h"
#include "engine/ledger.h"
#include "engine/observe.h"

namespace drsnap::engine {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kDone:
      return "done";
    case Outcome::kAlreadyDone:
      return "already-done";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kDeferred:
      return "deferred";
  }
  return "unknown";
}

int ApplyReport::Count(Outcome o) const {
  return static_cast<int>(
      std::ranges::count_if(results, [o](const auto& r) { return r.outcome == o; }));
}

bool IsAlreadyExists(const Error& e) { return e.code.find("AlreadyExists") != std::string::npos; }

bool IsNotFound(const Error& e) {
  return e.code == "DBSnapshotNotFound" || e.code == "DBSnapshotNotFoundFault" ||
         e.code == "DBClusterSnapshotNotFoundFault" || e.code == "DBClusterSnapshotNotFound";
}

// A copy of the kind AWS's older rule refuses: an encrypted snapshot shared
// from another account, copied across regions in one step.
static bool IsOneStepSharedCopy(const Action& a) {
  if (a.kind != ActionKind::kCopySnapshot || a.kms_key_id.empty()) return false;
  if (a.source_region.empty() || a.source_region == a.scope.region) return false;
  std::string_view owner = ArnAccount(a.source_arn);
  return !owner.empty() && owner != a.scope.account_id;
}

bool IsOneStepCopyRefusal(const Action& a, const Error& e) {
  // Decided by what was asked and the class of the error, not by AWS's
  // wording (which drsnap-sim can only guess): a parameter refusal of a
  // one-step cross-region copy of another account's encrypted snapshot.
  if (e.code != "InvalidParameterCombination" && e.code != "InvalidParameterValue" &&
      e.code != "InvalidDBSnapshotState" && e.code != "InvalidDBClusterSnapshotStateFault")
    return false;
  return IsOneStepSharedCopy(a);
}

namespace {

bool IsQuotaExceeded(const Error& e) {
  return e.code == "SnapshotQuotaExceeded" || e.code == "SnapshotQuotaExceededFault";
}


// ListSnapshots calls for `scope`: one page per 100 records, per kind.
int64_t ListCost(const ScopeInventory& si) {
  int64_t instances = 0, clusters = 0;
  for (const auto& s : si.snapshots) (s.kind == DbKind::kInstance ? instances : clusters)++;
  auto pages = [](int64_t n) { return std::max<int64_t>(1, (n + 99) / 100); };
  return pages(instances) + pages(clusters);
}

// What this apply made, as the observation would have shown it: the Cloud's
// answer, completed from the action where the answer leaves fields out.
Snapshot MadeByThisApply(const Action& a, Snapshot s) {
  s.kind = a.db_kind;
  if (s.id.empty()) s.id = a.snapshot_id;
  if (s.scope.account_id.empty()) s.scope = a.scope;
  s.seen_from = a.scope;
  s.type = SnapshotType::kManual;
  if (s.db_id.empty()) s.db_id = a.db_id;
  if (s.tags.empty()) s.tags = a.tags;
  if (s.source_arn.empty()) s.source_arn = a.source_arn;
  if (s.source_region.empty()) s.source_region = a.source_region;
  if (s.status != SnapshotStatus::kAvailable && s.status != SnapshotStatus::kFailed &&
      s.status != SnapshotStatus::kDeleting)
    s.status =
        a.kind == ActionKind::kCopySnapshot ? SnapshotStatus::kCopying : SnapshotStatus::kCreating;
  return s;
}

// Adds (or replaces by id and kind) `made` in its scope of `world`.
void Merge(Inventory& world, const Snapshot& made) {
  for (auto& si : world.scopes) {
    if (si.scope != made.scope) continue;
    for (auto& s : si.snapshots)
      if (s.scope == made.scope && s.kind == made.kind && s.id == made.id) {
        s = made;
        return;
      }
    si.snapshots.push_back(made);
    return;
  }
}

class Run {
 public:
  Run(Cloud& cloud, const Plan& plan, const Inventory& inventory, const ExecutorOptions& options)
      : cloud_(cloud), plan_(plan), inventory_(inventory), opt_(options) {
    clock_ = opt_.clock ? opt_.clock : DefaultClock();
    report_.facts = opt_.facts;
    report_.results.resize(plan.actions.size());
    for (size_t i = 0; i < plan.actions.size(); ++i) report_.results[i].action = plan.actions[i];
    // Copies already running count against the per-destination quota.
    for (const auto& si : inventory.scopes)
      for (const auto& s : si.snapshots)
        if (s.scope == si.scope && IsCopyInFlight(s)) {
          ++copies_[si.scope];
          if (s.kind == DbKind::kCluster) ++cluster_copies_[si.scope];
        }
  }

  ApplyReport Go() {
    std::vector<size_t> first, deletes;
    for (size_t i = 0; i < plan_.actions.size(); ++i)
      (plan_.actions[i].kind == ActionKind::kDeleteSnapshot ? deletes : first).push_back(i);
    FindSharesFirst(first);
    AdmitCopies(first);
    ParallelFor(first.size(), opt_.concurrency, [&](size_t k) { RunOne(first[k]); });
    if (!deletes.empty()) {
      bool any_to_check = !opt_.dry_run && !StopReason() && opt_.delete_guard;
      if (any_to_check) StartDeletePhase(deletes);
      ParallelFor(deletes.size(), opt_.concurrency, [&](size_t k) { RunDelete(deletes[k]); });
    }
    return std::move(report_);
  }

 private:
  std::optional<std::string> StopReason() {
    if (opt_.stop != nullptr && opt_.stop->load()) {
      std::lock_guard l(mu_);
      report_.stopped = true;
      return "stop requested: left for the next reconcile";
    }
    if (opt_.deadline && clock_->Now() >= *opt_.deadline - opt_.deadline_margin) {
      std::lock_guard l(mu_);
      report_.deadline_reached = true;
      return "deadline near: left for the next reconcile";
    }
    return std::nullopt;
  }

  void Notify(size_t i, bool finished) {
    if (!opt_.progress) return;
    std::lock_guard l(progress_mu_);
    ProgressEvent ev;
    ev.index = i;
    ev.total = plan_.actions.size();
    ev.action = &plan_.actions[i];
    ev.result = finished ? &report_.results[i] : nullptr;
    opt_.progress(ev);
  }

  void Finish(size_t i, Outcome o, std::string reason, std::optional<Error> error = std::nullopt) {
    auto& r = report_.results[i];
    r.outcome = o;
    r.reason = std::move(reason);
    r.error = std::move(error);
    Notify(i, true);
    {
      std::lock_guard l(mu_);
      finished_[i] = true;
    }
    finished_cv_.notify_all();
  }

  // For each copy with Action::after_share: the share, earlier in `first`,
  // that shares its source with the copy's account (the workers take the
  // actions in `first`'s order, so that share is under way, or done, when
  // the copy waits for it: no worker waits for one not yet taken).
  void FindSharesFirst(const std::vector<size_t>& first) {
    finished_.assign(plan_.actions.size(), false);
    share_first_.assign(plan_.actions.size(), std::nullopt);
    // (where, kind, snapshot, account it is shared with) -> the share
    using Key = std::tuple<Scope, DbKind, std::string, std::string>;
    std::map<Key, size_t> shares;
    for (size_t i : first) {
      const Action& a = plan_.actions[i];
      if (a.kind == ActionKind::kShareSnapshot) {
        for (const auto& account : a.share_with)
          shares.emplace(Key{a.scope, a.db_kind, a.snapshot_id.str(), account}, i);
        continue;
      }
      if (a.kind != ActionKind::kCopySnapshot || a.after_share.empty()) continue;
      const Scope source{std::string(ArnAccount(a.source_arn)),
                         a.source_region.empty() ? a.scope.region : a.source_region.str()};
      auto it = shares.find(Key{source, a.db_kind, a.after_share.str(), a.scope.account_id});
      if (it != shares.end()) share_first_[i] = it->second;
    }
  }

  // Why the copy `i` may not be issued yet because of the share it needs
  // (Action::after_share); waits for that share to finish. nullopt: go.
  std::optional<std::string> ShareNotDone(size_t i) {
    const Action& a = plan_.actions[i];
    if (a.after_share.empty()) return std::nullopt;
    const std::string what = a.after_share.str() + " with " + a.scope.account_id;
    if (!share_first_[i])
      return "reads " + what + ", which is not shared yet and not shared by this plan: waits " +
             "for the next reconcile";
    const size_t share = *share_first_[i];
    {
      std::unique_lock l(mu_);
      finished_cv_.wait(l, [&] { return finished_[share] != 0; });
    }
    const Outcome o = report_.results[share].outcome;
    if (o == Outcome::kDone || o == Outcome::kAlreadyDone) return std::nullopt;
    return "the share of " + what + " it reads did not succeed in this apply (" + OutcomeName(o) +
           "): not issued; waits for the next reconcile";
  }

  // Which copies may take a slot, decided in plan order before any worker
  // starts: the plan's order says whose work goes first (engine/schedule.h),
  // and a worker that overtakes another must not take its slot. Counts the
  // copies already in flight, as ReserveCopy does.
  void AdmitCopies(const std::vector<size_t>& first) {
    std::map<Scope, int> copies = copies_, clusters = cluster_copies_;
    admitted_.assign(plan_.actions.size(), true);
    no_slot_.assign(plan_.actions.size(), std::string());
    for (size_t i : first) {
      const Action& a = plan_.actions[i];
      if (a.kind != ActionKind::kCopySnapshot) continue;
      if (!a.after_share.empty() && !share_first_[i]) continue;  // not issued (ShareNotDone)
      int& n = copies[a.scope];
      bool cluster_cross_region = a.db_kind == DbKind::kCluster && !a.source_region.empty() &&
                                  a.source_region != a.scope.region;
      if (n >= opt_.max_copies_in_flight) {
        no_slot_[i] = std::to_string(n) + " copies already in flight into " + a.scope.ToString() +
                      " (quota " + std::to_string(opt_.max_copies_in_flight) +
                      "), counting those this run issues before it: waits for the next reconcile";
      } else if (cluster_cross_region && clusters[a.scope] >= opt_.max_cluster_copies_in_flight) {
        no_slot_[i] = std::to_string(clusters[a.scope]) +
                      " cluster snapshot copies already in flight into " + a.scope.ToString() +
                      ", counting those this run issues before it: waits for the next reconcile";
      } else {
        ++n;
        if (cluster_cross_region) ++clusters[a.scope];
        continue;
      }
      admitted_[i] = false;
    }
  }

  // Reserves a copy slot in the destination; returns why not when full.
  std::optional<std::string> ReserveCopy(size_t i) {
    const Action& a = plan_.actions[i];
    if (!admitted_[i]) return no_slot_[i];
    std::lock_guard l(mu_);
    int& n = copies_[a.scope];
    if (n >= opt_.max_copies_in_flight)
      return std::to_string(n) + " copies already in flight into " + a.scope.ToString() +
             " (quota " + std::to_string(opt_.max_copies_in_flight) +
             "): waits for the next reconcile";
    bool cluster_cross_region = a.db_kind == DbKind::kCluster && !a.source_region.empty() &&
                                a.source_region != a.scope.region;
    if (cluster_cross_region) {
      int& c = cluster_copies_[a.scope];
      if (c >= opt_.max_cluster_copies_in_flight)
        return std::to_string(c) + " cluster snapshot copies already in flight into " +
               a.scope.ToString() + ": waits for the next reconcile";
      ++c;
    }
    ++n;
    return std::nullopt;
  }

  void ReleaseCopy(const Action& a) {
    std::lock_guard l(mu_);
    --copies_[a.scope];
    if (a.db_kind == DbKind::kCluster && !a.source_region.empty() &&
        a.source_region != a.scope.region)
      --cluster_copies_[a.scope];
  }

  bool Blocked(const Action& a) {
    std::lock_guard l(mu_);
    return blocked_.contains({a.kind, a.scope});
  }

  void RunOne(size_t i) {
    const Action& a = plan_.actions[i];
    if (auto why = StopReason()) return Finish(i, Outcome::kDeferred, *why);
    if (opt_.dry_run) return Finish(i, Outcome::kDeferred, "dry run: not issued");
    if (Blocked(a))
      return Finish(i, Outcome::kDeferred,
                    std::string("AWS refused an earlier ") + ActionKindName(a.kind) + " into " +
                        a.scope.ToString() + " with SnapshotQuotaExceeded in this run");
    if (IsOneStepSharedCopy(a) && OneStepRefused(a.scope))
      return Finish(
          i, Outcome::kDeferred,
          "AWS refused a one-step cross-region copy of a shared encrypted snapshot into " +
              a.scope.ToString() +
              " earlier in this run: not issued; the re-plan uses a same-region hop");
    if (a.kind == ActionKind::kCopySnapshot) {
      // A slot admitted to a copy whose share then failed stays unused in
      // this apply (the slots were handed out before the workers started).
      if (auto why = ShareNotDone(i)) return Finish(i, Outcome::kDeferred, *why);
      if (!a.after_share.empty()) {  // it waited for the share: a stop or the deadline may be due
        if (auto why = StopReason()) return Finish(i, Outcome::kDeferred, *why);
      }
      if (auto why = ReserveCopy(i)) return Finish(i, Outcome::kDeferred, *why);
    }
    Notify(i, false);
    Status st = OkStatus();
    switch (a.kind) {
      case ActionKind::kCreateSnapshot: {
        auto r = cloud_.CreateSnapshot(a.scope, a.db_kind, a.db_id, a.snapshot_id, a.tags);
        if (r)
          report_.results[i].snapshot = *r;
        else
          st = Fail(r.error());
        break;
      }
      case ActionKind::kCopySnapshot: {
        CopyRequest req;
        req.kind = a.db_kind;
        req.source = a.source_arn;
        req.source_region = a.source_region;
        req.target_id = a.snapshot_id;
        req.kms_key_id = a.kms_key_id;
        req.option_group = a.option_group;
        req.copy_tags = a.copy_tags;
        req.tags = a.tags;
        auto r = cloud_.CopySnapshot(a.scope, req);
        if (r)
          report_.results[i].snapshot = *r;
        else
          st = Fail(r.error());
        break;
      }
      case ActionKind::kShareSnapshot:
        st = cloud_.ShareSnapshot(a.scope, a.db_kind, a.snapshot_id, a.share_with);
        break;
      case ActionKind::kDeleteSnapshot:
        break;  // handled by RunDelete
    }
    if (st) {
      if (report_.results[i].snapshot) Made(MadeByThisApply(a, *report_.results[i].snapshot));
      // AWS accepted what it refused before: the ledger forgets it.
      std::string forgotten;
      if (const Refusal* prior = PriorRefusal(a))
        forgotten = WriteLedger(a.scope, {}, {RefusalTagKey(prior->action)});
      return Finish(i, Outcome::kDone, forgotten);
    }
    Error e = std::move(st).error();
    bool makes = a.kind == ActionKind::kCreateSnapshot || a.kind == ActionKind::kCopySnapshot;
    if (IsAlreadyExists(e)) {
      // Made by someone else, in a state this apply does not know, unless
      // the observation showed it.
      if (makes && !Observed(a.scope, a.db_kind, a.snapshot_id)) Unknown(a.scope);
      return Finish(i, Outcome::kAlreadyDone, "already exists: " + a.snapshot_id);
    }
    if (a.kind == ActionKind::kCopySnapshot) ReleaseCopy(a);
    // AWS's copy rule refusing one step is a parameter refusal about a
    // snapshot AWS could read (shared, encrypted, another region): learned
    // as from any copy (below).
    const bool copy_rule_refusal =
        IsOneStepCopyRefusal(a, e) &&
        (e.code == "InvalidParameterCombination" || e.code == "InvalidParameterValue");
    if (!a.after_share.empty() && !copy_rule_refusal) {
      // Right after the share, AWS may not yet let this account read the
      // snapshot, and its answer may look like any refusal: neither a
      // learned fact nor a ledger entry; the next reconcile asks again as
      // an ordinary copy (and records a refusal then).
      if (IsQuotaExceeded(e)) {
        std::lock_guard l(mu_);
        blocked_.insert({a.kind, a.scope});
      } else {
        Unknown(a.scope);  // a timeout or a server error may still have started it
      }
      e.With(a.Describe());
      return Finish(i, Outcome::kDeferred,
                    "refused right after the share of " + a.after_share.str() +
                        " in this apply: not recorded as AWS's answer; the next reconcile asks "
                        "again",
                    std::move(e));
    }
    if (a.kind == ActionKind::kCopySnapshot && IsOneStepCopyRefusal(a, e)) {
      bool first_here = false;  // the first refusal into a.scope in this apply
      {
        std::lock_guard l(mu_);
        first_here = one_step_refused_.insert(a.scope).second;
        auto& refused = report_.facts.one_step_copy_refused;
        if (std::ranges::find(refused, a.scope) == refused.end()) {
          refused.push_back(a.scope);
          report_.facts_changed = true;
        }
      }
      // Remembered where the next process finds it (engine/ledger.h).
      const Ledger* ledger = LedgerOf(a.scope);
      std::string unrecorded;
      if (first_here && (!ledger || !ledger->one_step_copy_refused))
        unrecorded = WriteLedger(
            a.scope, {{std::string(kOneStepRefusedTag), FormatIso8601Seconds(clock_->Now())}}, {});
      return Finish(
          i, Outcome::kDeferred,
          "AWS refused a one-step cross-region copy of a shared encrypted snapshot into " +
              a.scope.ToString() + ": the next plan uses a same-region hop" + unrecorded,
          std::move(e));
    }
    if (IsQuotaExceeded(e)) {
      std::lock_guard l(mu_);
      blocked_.insert({a.kind, a.scope});
    } else if (makes) {
      Unknown(a.scope);  // a timeout or a server error may still have started it
    }
    std::string unrecorded;
    if (IsPermanentRefusal(e)) {
      // A refusal leaves nothing to observe: the ledger keeps it, so that
      // no process asks again before RetryAfter (engine/ledger.h).
      const std::string key = RefusalKey(a);
      const Ledger* ledger = LedgerOf(a.scope);
      Refusal next = NextRefusal(ledger ? ledger->Find(key) : nullptr, key, e, clock_->Now());
      auto [tag, value] = EncodeRefusal(next);
      unrecorded = WriteLedger(a.scope, {{tag, value}},
                               ledger ? KeysToEvict(*ledger, key) : std::vector<std::string>{});
    }
    e.With(a.Describe());
    Finish(i, Outcome::kFailed, unrecorded, std::move(e));
  }

  // The observed ledger of `scope`, or null.
  const Ledger* LedgerOf(const Scope& scope) const {
    const ScopeInventory* si = inventory_.Find(scope);
    return si ? &si->ledger : nullptr;
  }

  // The observed refusal of `a`, or null.
  const Refusal* PriorRefusal(const Action& a) const {
    const Ledger* ledger = LedgerOf(a.scope);
    if (!ledger || ledger->refusals.empty()) return nullptr;
    return ledger->Find(RefusalKey(a));
  }

  // Writes to the ledger of `scope`; "" when done (or when the cloud keeps
  // no ledger), else a clause for the action's reason saying it was not
  // recorded (the next process will make the refused call again).
  std::string WriteLedger(const Scope& scope, const Tags& put,
                          const std::vector<std::string>& remove) {
    auto st = cloud_.WriteLedger(scope, put, remove);
    if (st || st.error().code == "NotSupported") return "";
    return " (not recorded in drsnap's ledger in " + scope.ToString() + ": " +
           st.error().ToString() + ")";
  }

  bool OneStepRefused(const Scope& scope) {
    std::lock_guard l(mu_);
    return one_step_refused_.contains(scope);
  }

  // Records a snapshot this apply created or started copying.
  void Made(Snapshot s) {
    std::lock_guard l(mu_);
    made_.push_back(std::move(s));
  }

  // Records that `scope` may hold snapshots (copies) this apply cannot see.
  void Unknown(const Scope& scope) {
    std::lock_guard l(mu_);
    unknown_.insert(scope);
  }

  // --- deletes ---------------------------------------------------------------

  // One version of the view the delete re-checks read. Replaced (never
  // changed in place) when a scope is listed again, so a re-check in flight
  // keeps a consistent view.
  struct View {
    std::shared_ptr<const Inventory> world;
    std::map<Scope, TimePoint> listed_at;  // scopes listed during the delete phase
    DeleteCheck check;                     // for `world`, made when first needed
  };

  // REQUIRES: the non-delete actions are finished.
  void StartDeletePhase(const std::vector<size_t>& deletes) {
    std::lock_guard relist(relist_mu_);
    if (opt_.refresh) {
      view_.world = std::make_shared<const Inventory>(opt_.refresh());
      legacy_refresh_ = true;
      return;
    }
    auto world = std::make_shared<Inventory>(inventory_);
    {
      std::lock_guard l(mu_);
      for (const Snapshot& s : made_) Merge(*world, s);
    }
    // (a) for a scope that holds no copies reading the snapshot: listing it
    // when that costs no more calls than describing its snapshots.
    std::map<Scope, int64_t> deletes_in;
    for (size_t i : deletes) ++deletes_in[plan_.actions[i].scope];
    for (const auto& [scope, n] : deletes_in) {
      const ScopeInventory* si = world->Find(scope);
      if (si != nullptr && ListCost(*si) <= n) list_for_fresh_.insert(scope);
    }
    view_.world = std::move(world);
  }

  // Whether another actor may have changed `scope` since its view was
  // taken, as of `now` (executor.h). REQUIRES: relist_mu_ held.
  bool Stale(const Scope& scope, TimePoint now) {
    auto listed = view_.listed_at.find(scope);
    if (listed != view_.listed_at.end()) return now - listed->second > opt_.max_view_age;
    if (now - inventory_.observed_at > opt_.max_view_age) return true;
    if (opt_.written_by_others && opt_.written_by_others(scope)) return true;
    std::lock_guard l(mu_);
    return unknown_.contains(scope);
  }

  struct Recheck {
    View view;
    bool describe = false;  // (a) by DescribeSnapshot
  };

  // The view for one delete's re-check, listing first what must be fresh.
  Recheck RecheckFor(const Action& a) {
    std::lock_guard relist(relist_mu_);
    if (legacy_refresh_) {
      if (!view_.check) view_.check = opt_.delete_guard(view_.world);
      return {view_, true};
    }
    if (!view_.world) view_.world = std::make_shared<const Inventory>(inventory_);
    std::vector<Scope> readers =
        opt_.recheck_scopes ? opt_.recheck_scopes(a) : std::vector<Scope>{a.scope};
    TimePoint now = clock_->Now();
    std::vector<Scope> to_list;
    for (const Scope& s : readers)
      if (std::ranges::find(to_list, s) == to_list.end() && Stale(s, now)) to_list.push_back(s);
    // (a) The snapshot itself is read afresh: from a listing of its scope
    // made in this phase (when listing costs no more calls), else described.
    bool describe = false;
    const bool listed_now = view_.listed_at.contains(a.scope) && !Stale(a.scope, now);
    if (!listed_now && std::ranges::find(to_list, a.scope) == to_list.end()) {
      if (list_for_fresh_.contains(a.scope))
        to_list.push_back(a.scope);
      else
        describe = true;
    }
    if (!to_list.empty()) List(to_list);
    if (!view_.check) view_.check = opt_.delete_guard(view_.world);
    return {view_, describe};
  }

  // Lists `scopes` again into a new version of the view.
  // REQUIRES: relist_mu_ held.
  void List(const std::vector<Scope>& scopes) {
    auto world = std::make_shared<Inventory>(*view_.world);
    for (const Scope& scope : scopes) {
      auto listed = cloud_.ListSnapshots(scope);
      view_.listed_at[scope] = clock_->Now();
      {
        std::lock_guard l(mu_);
        report_.recheck_listings.push_back(scope);
      }
      ScopeInventory* si = nullptr;
      for (auto& x : world->scopes)
        if (x.scope == scope) si = &x;
      if (si == nullptr) continue;  // never observed: the guard refuses (S4)
      if (!listed) {
        si->complete = false;
        si->error += (si->error.empty() ? "" : "; ") +
                     std::string("listing again before deletes: ") + listed.error().ToString();
        continue;
      }
      si->snapshots = std::move(*listed);
      for (auto& s : si->snapshots)
        if (s.seen_from == Scope{}) s.seen_from = scope;
      // A copy this apply started is in flight even if the listing lags.
      std::lock_guard l(mu_);
      for (const Snapshot& made : made_)
        if (made.scope == scope && !Find(*si, made.scope, made.kind, made.id))
          si->snapshots.push_back(made);
    }
    view_.world = std::move(world);
    view_.check = nullptr;  // made for the new version when first needed
  }

  static const Snapshot* Find(const ScopeInventory& si, const Scope& scope, DbKind kind,
                              const std::string& id) {
    for (const auto& s : si.snapshots)
      if (s.scope == scope && s.kind == kind && s.id == id) return &s;
    return nullptr;
  }

  bool Observed(const Scope& scope, DbKind kind, const std::string& id) const {
    const ScopeInventory* si = inventory_.Find(scope);
    return si != nullptr && Find(*si, scope, kind, id) != nullptr;
  }

  void RunDelete(size_t i) {
    const Action& a = plan_.actions[i];
    if (auto why = StopReason()) return Finish(i, Outcome::kDeferred, *why);
    if (opt_.dry_run) return Finish(i, Outcome::kDeferred, "dry run: not issued");
    if (!opt_.delete_guard)
      return Finish(i, Outcome::kDeferred, "no delete guard configured: deletes are held back");
    Notify(i, false);
    Recheck check = RecheckFor(a);
    const Inventory& world = *check.view.world;
    // (a): the snapshot as a listing made in this phase shows it, else
    // described now; never the observation the plan was made from.
    std::optional<Snapshot> seen;
    const ScopeInventory* own = world.Find(a.scope);
    bool listed = check.view.listed_at.contains(a.scope) && own != nullptr && own->complete;
    if (!check.describe && listed) {
      if (const Snapshot* s = Find(*own, a.scope, a.db_kind, a.snapshot_id)) seen = *s;
      if (!seen) return Finish(i, Outcome::kAlreadyDone, "already gone: " + a.snapshot_id);
    }
    if (!seen) {
      std::lock_guard l(mu_);
      ++report_.recheck_describes;
    }
    Result<Snapshot> fresh = seen ? Result<Snapshot>(std::move(*seen))
                                  : cloud_.DescribeSnapshot(a.scope, a.db_kind, a.snapshot_id);
    if (!fresh) {
      if (IsNotFound(fresh.error()))
        return Finish(i, Outcome::kAlreadyDone, "already gone: " + a.snapshot_id);
      Error e = std::move(fresh).error();
      e.With("re-checking before delete").With(a.Describe());
      return Finish(i, Outcome::kFailed, "", std::move(e));
    }
    // The plan judged the snapshot in the state the observation showed: if
    // AWS now says otherwise (a listing that was wrong, a change since), the
    // delete waits for a plan made from the new state.
    if (const ScopeInventory* planned_in = inventory_.Find(a.scope)) {
      const Snapshot* planned = Find(*planned_in, a.scope, a.db_kind, a.snapshot_id);
      if (planned != nullptr && planned->status != fresh->status)
        return Finish(i, Outcome::kDeferred,
                      "changed since it was planned: the observation showed " + a.snapshot_id +
                          " " + SnapshotStatusName(planned->status) + ", AWS now says " +
                          SnapshotStatusName(fresh->status) + "; the next plan decides");
    }
    DeleteVerdict verdict = check.view.check(a, *fresh);
    if (!verdict) {
      report_.results[i].refused_by = verdict.rule();
      return Finish(i, Outcome::kDeferred,
                    "held back by the safety re-check: " + verdict.ToString(),
                    std::move(verdict.ToStatus(a.scope, a.snapshot_id)).error());
    }
    Status st = cloud_.DeleteSnapshot(a.scope, a.db_kind, a.snapshot_id);
    if (st) return Finish(i, Outcome::kDone, "");
    Error e = std::move(st).error();
    if (IsNotFound(e)) return Finish(i, Outcome::kAlreadyDone, "already gone: " + a.snapshot_id);
    e.With(a.Describe());
    Finish(i, Outcome::kFailed, "", std::move(e));
  }

  Cloud& cloud_;
  const Plan& plan_;
  const Inventory& inventory_;
  const ExecutorOptions& opt_;
  std::shared_ptr<Clock> clock_;
  // guards copies_, cluster_copies_, blocked_, one_step_refused_, made_,
  // unknown_, report_ flags/facts
  std::mutex mu_;
  std::mutex progress_mu_;  // serialises progress callbacks
  std::map<Scope, int> copies_;
  std::map<Scope, int> cluster_copies_;
  std::vector<bool> admitted_;        // AdmitCopies: may take a copy slot (set before the workers)
  // FindSharesFirst: the share each copy with after_share waits for (set
  // before the workers); finished_[i]: action i has its result (mu_).
  std::vector<std::optional<size_t>> share_first_;
  std::vector<char> finished_;
  std::condition_variable finished_cv_;  // with mu_: an action finished
  std::vector<std::string> no_slot_;  // AdmitCopies: why not
  std::set<std::pair<ActionKind, Scope>> blocked_;
  std::set<Scope> one_step_refused_;  // learned in this apply
  std::vector<Snapshot> made_;        // created/copied by this apply
  std::set<Scope> unknown_;           // may hold snapshots this apply cannot see
  ApplyReport report_;
  // The delete phase. relist_mu_ guards view_ and serialises listings;
  // list_for_fresh_ and legacy_refresh_ are set before the deletes start.
  std::mutex relist_mu_;
  View view_;
  std::set<Scope> list_for_fresh_;  // (a) by listing, not by describing
  bool legacy_refresh_ = false;
};

}  // namespace

ApplyReport Apply(Cloud& cloud, const Plan& plan, const Inventory& inventory,
                  const ExecutorOptions& options) {
  return Run(cloud, plan, inventory, options).Go();
}

}  // namespace drsnap::engine
