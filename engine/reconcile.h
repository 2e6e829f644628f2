// The reconcile loop's one step: observe -> plan -> apply. Used by the CLI
// (plan/apply/run/status), the Lambda runtime and the demo; they differ only
// in options (dry run, one database for event-driven fast paths, deadline).
//
// A Reconciler keeps LearnedFacts (AWS answers observation cannot show, e.g.
// "one-step copy refused into this target") between runs; they are never
// required for correctness, only to avoid asking twice. When an apply learns
// a fact, the same run re-plans once with it and issues the new actions.
//
// Thread safety: RunOnce/Observe/PlanFor may be called from several threads;
// the facts are guarded. The Cloud must be thread-safe (engine/cloud.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/policy.h"
#include "core/clock.h"
#include "engine/cloud.h"
#include "engine/executor.h"
#include "engine/model.h"
#include "engine/side.h"

namespace drsnap::engine {

struct ReconcileOptions {
  bool dry_run = false;  // plan and report; no mutating call
  // Which half of the pipeline this process runs (engine/side.h): what is
  // observed (ScopesToObserve) and which actions are kept (FilterPlanForSide).
  // kVault never calls the source account.
  Side side = Side::kAll;
  std::string only_db;  // "": every database; else only actions for this DB id
  // only_db is a focus (an event named the database), not a restriction (a
  // person did): the run may widen to every database when only_db's work
  // waits for quota room the plan gives to others (PlanFor, `widened`).
  bool only_db_may_widen = false;
  int concurrency = 8;                // actions in flight
  int observe_parallelism = 8;        // scopes listed at once
  std::optional<TimePoint> deadline;  // start nothing new near it (Lambda)
  Duration deadline_margin = std::chrono::seconds(5);
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM: finish in-flight, start nothing
  std::function<void(const ProgressEvent&)> progress;
  // Called after observe and after each plan (a re-plan too; for CLI
  // progress displays).
  std::function<void(const Inventory&)> on_observed;
  std::function<void(const Plan&)> on_planned;
};

struct ReconcileReport {
  TimePoint started{};
  TimePoint finished{};
  Inventory inventory;
  Plan plan;  // the actions applied (after the only_db filter), incl. a re-plan's
  // Why a run asked for one database (only_db) ran every database (PlanFor);
  // "" when it did not.
  std::string widened;
  ApplyReport apply;  // results align with plan.actions
  int replans = 0;    // 1 when learned facts led to a second plan in this run
  int IncompleteScopes() const;
  // No failed action and every scope observed completely.
  bool ok() const { return apply.ok() && IncompleteScopes() == 0; }
  // "12 actions: 9 done, 1 already done, 2 deferred, 0 failed; 0 incomplete scopes"
  std::string Summary() const;
};

class Reconciler {
 public:
  // REQUIRES: config validated; cloud reaches every account the config names.
  Reconciler(std::shared_ptr<Cloud> cloud, config::Config config, std::shared_ptr<Clock> clock);

  // observe (every scope the config needs on `side`) with the current facts
  // attached.
  Inventory Observe(int parallelism = 8, Side side = Side::kAll);
  // The plan for an inventory, narrowed to `side`'s actions and to one DB
  // when only_db is set. With `widened` given (the caller allows it), a plan
  // is not narrowed when that database's own work is held back for a
  // snapshot quota whose room went to other databases' work (the planner
  // spent it most urgent first): then it is every database's, and *widened
  // says why ("" otherwise). Cutting such a plan would issue nothing and
  // leave the room unused until the next full run.
  Plan PlanFor(const Inventory& inventory, const std::string& only_db = "", Side side = Side::kAll,
               std::string* widened = nullptr) const;
  // One full step.
  ReconcileReport RunOnce(const ReconcileOptions& options);

  LearnedFacts facts() const;
  void set_facts(LearnedFacts facts);
  const config::Config& config() const { return config_; }
  Clock& clock() { return *clock_; }
  // The cloud it observes and acts through (the Lambda handler's restore
  // drills use the same one).
  Cloud& cloud() { return *cloud_; }

 private:
  Inventory ObserveScopes(const std::vector<Scope>& scopes, int parallelism);

  std::shared_ptr<Cloud> cloud_;
  config::Config config_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  LearnedFacts facts_;  // guarded by mu_
};

// Destination scopes where a hop exists for: every (target account, target
// region != source region) of a policy whose target account holds a drsnap
// hop snapshot in the policy's source region. Facts survive process restarts
// this way (AWS is the only state store).
std::vector<Scope> InferOneStepRefusals(const Inventory& inventory, const config::Config& config);

// Whether observe must read the restore attribute of `s`: drsnap's own
// captures (the planner shares those).
bool NeedsShareLookup(const Snapshot& s);

}  // namespace drsnap::engine
