#include "engine/reconcile.h"

#include <algorithm>
#include <set>

#include "engine/delete_guard.h"
#include "engine/ledger.h"
#include "engine/naming.h"
#include "engine/observe.h"
#include "engine/planner.h"
#include "engine/preflight.h"

namespace drsnap::engine {

bool NeedsShareLookup(const Snapshot& s) {
  if (s.type != SnapshotType::kManual) return false;
  auto lineage = naming::ParseName(s.id);
  if (!lineage || lineage->stage != naming::NameStage::kCapture) return false;
  auto it = s.tags.find(naming::kTagManaged);
  return it != s.tags.end() && it->second == "true";
}

int ReconcileReport::IncompleteScopes() const { return inventory.IncompleteScopes(); }

std::string ReconcileReport::Summary() const {
  return std::to_string(plan.actions.size()) +
         " actions: " + std::to_string(apply.Count(Outcome::kDone)) + " done, " +
         std::to_string(apply.Count(Outcome::kAlreadyDone)) + " already done, " +
         std::to_string(apply.Count(Outcome::kDeferred)) + " deferred, " +
         std::to_string(apply.Count(Outcome::kFailed)) + " failed; " +
         std::to_string(IncompleteScopes()) + " incomplete scopes";
}

Reconciler::Reconciler(std::shared_ptr<Cloud> cloud, config::Config config,
                       std::shared_ptr<Clock> clock)
    : cloud_(std::move(cloud)), config_(std::move(config)), clock_(std::move(clock)) {
  if (!clock_) clock_ = DefaultClock();
}

LearnedFacts Reconciler::facts() const {
  std::lock_guard l(mu_);
  return facts_;
}

void Reconciler::set_facts(LearnedFacts facts) {
  std::lock_guard l(mu_);
  facts_ = std::move(facts);
}

Inventory Reconciler::ObserveScopes(const std::vector<Scope>& scopes, int parallelism) {
  ObserveRequest req;
  req.scopes = scopes;
  for (const auto& p : config_.policies)
    req.default_key_scopes.push_back(Scope{p.source_account_id, p.source_region});
  req.needs_shares = NeedsShareLookup;
  req.share_targets = ShareTargetsFor(config_);
  req.audit_shares = true;  // a share beyond the DR accounts is a finding
  req.read_ledgers = true;  // what AWS refused before, in any process
  req.parallelism = parallelism;
  Inventory inv = engine::Observe(*cloud_, req, clock_->Now());
  inv.facts = facts();
  // AWS is the only state store: a hop that exists, or the ledger
  // (engine/ledger.h), tells a fresh process what an earlier one learned
  // (the one-step copy was refused there).
  auto& refused = inv.facts.one_step_copy_refused;
  auto learn = [&refused](const Scope& scope) {
    if (std::ranges::find(refused, scope) == refused.end()) refused.push_back(scope);
  };
  for (const auto& scope : InferOneStepRefusals(inv, config_)) learn(scope);
  for (const auto& si : inv.scopes)
    if (si.ledger.one_step_copy_refused &&
        inv.observed_at - *si.ledger.one_step_copy_refused < kOneStepFactLifetime)
      learn(si.scope);
  return inv;
}

std::vector<Scope> InferOneStepRefusals(const Inventory& inventory, const config::Config& config) {
  std::vector<Scope> out;
  for (const auto& si : inventory.scopes) {
    bool has_hop = false;
    for (const auto& s : si.snapshots) {
      // Instance hops only: a cluster hop may be one an older drsnap made
      // whatever AWS allowed (it hopped every cluster), and the fact is per
      // scope, so it would put the scope's instances on hops too. A
      // cluster's refusal is found in the ledger.
      if (s.scope != si.scope || s.kind != DbKind::kInstance) continue;
      auto lineage = naming::ParseName(s.id);
      if (lineage && lineage->stage == naming::NameStage::kHop) {
        has_hop = true;
        break;
      }
    }
    if (!has_hop) continue;
    for (const auto& p : config.policies) {
      if (p.source_region != si.scope.region) continue;
      for (const auto& t : p.targets) {
        if (t.account_id != si.scope.account_id || t.account_id == p.source_account_id) continue;
        for (const auto& r : t.regions) {
          Scope dest{t.account_id, r.region};
          if (r.region != p.source_region && std::ranges::find(out, dest) == out.end())
            out.push_back(dest);
        }
      }
    }
  }
  return out;
}

Inventory Reconciler::Observe(int parallelism, Side side) {
  Inventory inv = ObserveScopes(ScopesToObserve(config_, side), parallelism);
  // The sides that make vault copies ask, with the DR accounts' own
  // credentials, whether those may use the keys (engine/preflight.h). The
  // source side alone would ask through a read role whose IAM, not the key
  // policy, decides: its answer would not be the DR account's.
  if (side != Side::kSource) inv.key_access = CheckKeyAccess(*cloud_, inv, config_, parallelism);
  ReadSnapshotQuotas(*cloud_, inv, parallelism);
  return inv;
}

Plan Reconciler::PlanFor(const Inventory& inventory, const std::string& only_db, Side side,
                         std::string* widened) const {
  Plan plan = MakePlan(inventory, config_, inventory.observed_at);
  FilterPlanForSide(plan, config_, side);
  if (widened) widened->clear();
  if (only_db.empty()) return plan;
  // Its own create or copy waits for a quota whose room the plan gave to
  // another database's create or copy in the same scope and kind: run those.
  for (const Action& held : plan.held_back) {
    if (widened == nullptr || held.db_id != only_db) continue;
    auto other = std::ranges::find_if(plan.actions, [&](const Action& a) {
      return a.db_id != only_db && a.scope == held.scope && a.db_kind == held.db_kind &&
             (a.kind == ActionKind::kCreateSnapshot || a.kind == ActionKind::kCopySnapshot);
    });
    if (other == plan.actions.end()) continue;
    *widened = "the manual snapshot quota of " + held.scope.ToString() + " has no room for " +
               only_db + "'s " + StageName(held.stage) +
               " while its room goes to more urgent work of other databases (" +
               std::string(other->db_id) + " first): every database runs, not " + only_db +
               " alone";
    return plan;
  }
  std::erase_if(plan.actions, [&](const Action& a) { return a.db_id != only_db; });
  std::erase_if(plan.findings,
                [&](const Finding& f) { return !f.db_id.empty() && f.db_id != only_db; });
  return plan;
}

namespace {

std::string ActionKey(const Action& a) {
  return std::string(ActionKindName(a.kind)) + "|" + a.scope.ToString() + "|" + a.snapshot_id +
         "|" + a.source_arn.str();
}

}  // namespace

ReconcileReport Reconciler::RunOnce(const ReconcileOptions& options) {
  ReconcileReport report;
  report.started = clock_->Now();
  report.inventory = Observe(options.observe_parallelism, options.side);
  if (options.on_observed) options.on_observed(report.inventory);
  report.plan = PlanFor(report.inventory, options.only_db, options.side,
                        options.only_db_may_widen ? &report.widened : nullptr);
  if (options.on_planned) options.on_planned(report.plan);

  ExecutorOptions ex;
  ex.concurrency = options.concurrency;
  ex.dry_run = options.dry_run;
  ex.clock = clock_;
  ex.deadline = options.deadline;
  ex.deadline_margin = options.deadline_margin;
  ex.stop = options.stop;
  ex.facts = report.inventory.facts;
  ex.progress = options.progress;
  // One guard (one index of the view) per version of the view, however
  // many deletes it judges.
  ex.delete_guard = [this](std::shared_ptr<const Inventory> world) -> DeleteCheck {
    auto guard = std::make_shared<const DeleteGuard>(*world, config_);
    return
        [world, guard](const Action& a, const Snapshot& fresh) { return guard->Check(a, &fresh); };
  };
  // The delete re-checks (executor.h). The scopes that can hold a copy
  // reading a snapshot, or based on it: a raw's and a vault copy's own scope
  // (the capture made from the raw; the next incremental vault copy); a
  // capture's hop and target scopes, a hop's target scopes (the S4 set
  // without the snapshot's own scope, unless a target lives there too).
  ex.recheck_scopes = [this](const Action& a) {
    const config::Policy* policy = nullptr;
    for (const auto& p : config_.policies)
      if (p.name == a.policy) policy = &p;
    auto lineage = naming::ParseName(a.snapshot_id);
    if (policy == nullptr || !lineage) return std::vector<Scope>{a.scope};  // the guard refuses
    std::vector<Scope> scopes =
        DeleteDependencies(*policy, lineage->stage, a.scope, /*failed=*/false);
    bool own_holds_readers =
        lineage->stage == naming::NameStage::kRaw || lineage->stage == naming::NameStage::kVault;
    for (const auto& t : policy->targets)
      for (const auto& r : t.regions) own_holds_readers |= Scope{t.account_id, r.region} == a.scope;
    if (!own_holds_readers) std::erase(scopes, a.scope);
    return scopes;
  };
  // Split deployments: the other side writes the scopes this side does not
  // (the vault side copies captures into the DR scopes while the source side
  // expires them; the source side makes captures from raws). The vault side
  // may also run as several functions at once (deploy/vault.yaml in every DR
  // region, all of them reconciling the same DR account), so to it every
  // scope may have been written by someone else.
  if (options.side != Side::kAll) {
    std::set<Scope> sources;
    for (const auto& p : config_.policies)
      sources.insert(Scope{p.source_account_id, p.source_region});
    bool vault_side = options.side == Side::kVault;
    ex.written_by_others = [sources, vault_side](const Scope& s) {
      return vault_side || !sources.contains(s);
    };
  }
  report.apply = Apply(*cloud_, report.plan, report.inventory, ex);

  if (report.apply.facts_changed) {
    {
      std::lock_guard l(mu_);
      facts_ = report.apply.facts;
    }
    if (!options.dry_run && !report.apply.stopped && !report.apply.deadline_reached) {
      // Re-plan once with what AWS just told us, on a fresh observation (the
      // first apply changed the world); issue only actions not tried yet.
      Inventory again = Observe(options.observe_parallelism, options.side);
      Plan second = PlanFor(again, report.widened.empty() ? options.only_db : "", options.side);
      std::set<std::string> seen;
      for (const auto& a : report.plan.actions) seen.insert(ActionKey(a));
      std::erase_if(second.actions, [&](const Action& a) { return seen.contains(ActionKey(a)); });
      if (!second.actions.empty()) {
        ++report.replans;
        if (options.on_planned) options.on_planned(second);
        ex.facts = report.apply.facts;
        ApplyReport more = Apply(*cloud_, second, again, ex);
        for (auto& a : second.actions) report.plan.actions.push_back(a);
        for (auto& r : more.results) report.apply.results.push_back(std::move(r));
        report.apply.recheck_describes += more.recheck_describes;
        report.apply.recheck_listings.insert(report.apply.recheck_listings.end(),
                                             more.recheck_listings.begin(),
                                             more.recheck_listings.end());
        report.apply.deadline_reached |= more.deadline_reached;
        report.apply.stopped |= more.stopped;
        if (more.facts_changed) {
          report.apply.facts = more.facts;
          std::lock_guard l(mu_);
          facts_ = more.facts;
        }
      }
    }
  }
  report.finished = clock_->Now();
  return report;
}

}  // namespace drsnap::engine
