#include "engine/executor.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>

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

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool IsAlreadyExists(const Error& e) { return e.code.find("AlreadyExists") != std::string::npos; }

bool IsNotFound(const Error& e) {
  return e.code == "DBSnapshotNotFound" || e.code == "DBSnapshotNotFoundFault" ||
         e.code == "DBClusterSnapshotNotFoundFault" || e.code == "DBClusterSnapshotNotFound";
}

bool IsOneStepCopyRefusal(const Error& e) {
  if (e.code != "InvalidParameterCombination" && e.code != "InvalidParameterValue" &&
      e.code != "InvalidDBSnapshotState" && e.code != "InvalidDBClusterSnapshotStateFault")
    return false;
  std::string m = Lower(e.message);
  if (m.find("kms key") != std::string::npos && m.find("must specify") != std::string::npos)
    return false;  // a missing KmsKeyId is our bug, not the old rule
  return m.find("only be copied within") != std::string::npos ||
         m.find("within its region") != std::string::npos ||
         m.find("within the same region") != std::string::npos ||
         m.find("within the source region") != std::string::npos ||
         m.find("within region") != std::string::npos ||
         (m.find("shared") != std::string::npos && m.find("across region") != std::string::npos);
}

namespace {

bool IsQuotaExceeded(const Error& e) {
  return e.code == "SnapshotQuotaExceeded" || e.code == "SnapshotQuotaExceededFault";
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
        if (s.scope == si.scope && s.status == SnapshotStatus::kCopying) {
          ++copies_[si.scope];
          if (s.kind == DbKind::kCluster) ++cluster_copies_[si.scope];
        }
  }

  ApplyReport Go() {
    std::vector<size_t> first, deletes;
    for (size_t i = 0; i < plan_.actions.size(); ++i)
      (plan_.actions[i].kind == ActionKind::kDeleteSnapshot ? deletes : first).push_back(i);
    ParallelFor(first.size(), opt_.concurrency, [&](size_t k) { RunOne(first[k]); });
    if (!deletes.empty()) {
      std::optional<Inventory> world;
      bool any_to_check = !opt_.dry_run && !StopReason();
      if (any_to_check && opt_.refresh) world = opt_.refresh();
      const Inventory& view = world ? *world : inventory_;
      ParallelFor(deletes.size(), opt_.concurrency, [&](size_t k) { RunDelete(deletes[k], view); });
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
  }

  // Reserves a copy slot in the destination; returns why not when full.
  std::optional<std::string> ReserveCopy(const Action& a) {
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
    if (a.kind == ActionKind::kCopySnapshot) {
      if (auto why = ReserveCopy(a)) return Finish(i, Outcome::kDeferred, *why);
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
    if (st) return Finish(i, Outcome::kDone, "");
    Error e = std::move(st).error();
    if (IsAlreadyExists(e))
      return Finish(i, Outcome::kAlreadyDone, "already exists: " + a.snapshot_id);
    if (a.kind == ActionKind::kCopySnapshot) ReleaseCopy(a);
    if (a.kind == ActionKind::kCopySnapshot && IsOneStepCopyRefusal(e)) {
      {
        std::lock_guard l(mu_);
        auto& refused = report_.facts.one_step_copy_refused;
        if (std::ranges::find(refused, a.scope) == refused.end()) {
          refused.push_back(a.scope);
          report_.facts_changed = true;
        }
      }
      return Finish(
          i, Outcome::kDeferred,
          "AWS refused a one-step cross-region copy of a shared encrypted snapshot into " +
              a.scope.ToString() + ": the next plan uses a same-region hop",
          std::move(e));
    }
    if (IsQuotaExceeded(e)) {
      std::lock_guard l(mu_);
      blocked_.insert({a.kind, a.scope});
    }
    e.With(a.Describe());
    Finish(i, Outcome::kFailed, "", std::move(e));
  }

  void RunDelete(size_t i, const Inventory& world) {
    const Action& a = plan_.actions[i];
    if (auto why = StopReason()) return Finish(i, Outcome::kDeferred, *why);
    if (opt_.dry_run) return Finish(i, Outcome::kDeferred, "dry run: not issued");
    if (!opt_.delete_guard)
      return Finish(i, Outcome::kDeferred, "no delete guard configured: deletes are held back");
    Notify(i, false);
    auto fresh = cloud_.DescribeSnapshot(a.scope, a.db_kind, a.snapshot_id);
    if (!fresh) {
      if (IsNotFound(fresh.error()))
        return Finish(i, Outcome::kAlreadyDone, "already gone: " + a.snapshot_id);
      Error e = std::move(fresh).error();
      e.With("re-checking before delete").With(a.Describe());
      return Finish(i, Outcome::kFailed, "", std::move(e));
    }
    Status allowed = opt_.delete_guard(a, *fresh, world);
    if (!allowed) {
      std::string why = "held back by the safety re-check: " + allowed.error().message;
      return Finish(i, Outcome::kDeferred, std::move(why), std::move(allowed).error());
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
  std::mutex mu_;           // guards copies_, cluster_copies_, blocked_, report_ flags/facts
  std::mutex progress_mu_;  // serialises progress callbacks
  std::map<Scope, int> copies_;
  std::map<Scope, int> cluster_copies_;
  std::set<std::pair<ActionKind, Scope>> blocked_;
  ApplyReport report_;
};

}  // namespace

ApplyReport Apply(Cloud& cloud, const Plan& plan, const Inventory& inventory,
                  const ExecutorOptions& options) {
  return Run(cloud, plan, inventory, options).Go();
}

}  // namespace drsnap::engine
