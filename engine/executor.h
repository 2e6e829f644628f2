// apply: executes a Plan against a Cloud. Every action is idempotent (its
// target identifier is deterministic), so the executor can be killed at any
// point and the next reconcile converges.
//
// Order: creates, copies and shares first (bounded concurrency), deletes
// last, each one re-checked right before it is issued (below).
//
// Quotas: at most `max_copies_in_flight` copies in flight per destination
// scope, counting those already running (copying snapshots in the
// inventory); the rest are deferred to the next reconcile, never blocked on.
// The slots go to copies in plan order (decided before the workers start):
// the plan's order says whose work goes first (engine/schedule.h).
// A copy with Action::after_share reads a snapshot a share earlier in the
// same plan makes readable: its worker waits for that share and issues the
// copy only when it succeeded (done, or already done); when it failed, or
// is not in the plan, the copy is deferred, never called. A copy that fails
// right after its share is deferred too, its error reported but neither
// learned as a fact nor recorded in the ledger: AWS may not yet let the
// account read what was just shared; the next reconcile asks again as an
// ordinary copy. Except AWS's copy rule refusing one step with a parameter
// error (InvalidParameterCombination / InvalidParameterValue, about a
// snapshot it could read): learned as from any copy.
// A SnapshotQuotaExceeded answer stops that kind of action into that scope
// for the rest of this apply (reported, no spinning). Once AWS refuses a
// one-step cross-region copy of a shared snapshot into a scope, the other
// one-step copies into that scope are not issued in this apply (deferred:
// the re-plan makes them via a same-region hop). API rate limiting and
// retries happen below the Cloud (aws/), shared per account-region.
//
// The re-check before a delete. Right before each delete, the delete guard
// (the planner's rules S1-S7) judges it again, given (a) the snapshot and
// (b) a view of every scope that can hold a copy reading the snapshot or
// using it as the incremental base (recheck_scopes: for a capture its hop
// and target scopes, for a hop its target scopes, for a raw or a vault copy
// its own scope). The view starts as the observation the plan was made
// from, and is made current as follows:
//   - Creates and copies issued by THIS apply are known exactly (the Cloud
//     returned them): they are merged in (status creating/copying, source,
//     tags), so the guard sees them without any list call.
//   - A scope is listed again (once; the listing then serves every later
//     delete) before a delete that reads it only when something other than
//     this apply may have changed it since its view was taken:
//       * written_by_others(scope): another deployment starts copies there
//         concurrently (the vault side copies captures into the DR scopes
//         while the source side expires them; several vault functions, one
//         per DR region, reconcile the same DR account);
//       * this apply met evidence of an unknown change there: a create or
//         copy answered "...AlreadyExists" for a snapshot the observation
//         did not show, or failed in a way that may still have started it;
//       * its view is older than max_view_age (measured with `clock`): the
//         window in which an unseen copy could have started stays bounded,
//         however long the apply runs.
//     Otherwise nothing else can have started a copy of a snapshot due for
//     deletion: one reconcile per deployment side runs at a time (deploy/:
//     reserved concurrency 1; `drsnap run` is one loop), and the planner
//     deletes a capture or hop only once its vault copies are available, so
//     a drsnap run planning from an older view copies under the same
//     deterministic names and meets "...AlreadyExists" (evidence, above).
//   - (a) The snapshot itself is always read afresh, never taken from the
//     observation the plan was made from (a listing may be wrong: a
//     snapshot listed twice, a copy shown failed): by whichever costs fewer
//     calls, one DescribeSnapshot per snapshot to delete in its scope, or
//     one listing of the scope in this phase (ceil(records / 100) pages per
//     snapshot kind), which then serves every later delete there. A
//     snapshot that such a listing no longer shows is already gone. When
//     AWS's state of it differs from the observation's, the delete waits
//     for the next plan.
// Cost: with a current view (an apply shorter than max_view_age, one
// deployment for both sides) a delete costs its own call plus reading the
// snapshot: one describe, or its share of one listing of its scope
// (docs/benchmarks.md).
// A listing that fails marks its scope incomplete in the view, and the guard
// refuses every delete that depends on it (S4). ExecutorOptions::refresh,
// when set, replaces all of this with one caller-made view taken before the
// first delete, plus one DescribeSnapshot per delete.
//
// Thread safety: Apply() may be called concurrently with different options;
// callbacks are called one at a time (serialised by the executor), except
// delete_guard, recheck_scopes and written_by_others, which may be called
// from several worker threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "engine/cloud.h"
#include "engine/delete_guard.h"
#include "engine/model.h"

namespace drsnap::engine {

enum class Outcome {
  kDone,         // the call succeeded
  kAlreadyDone,  // AWS said "...AlreadyExists" (or the delete target is gone): nothing to do
  kFailed,       // the call failed: see error
  kDeferred,     // not issued this time (quota, deadline, stop, dry run, safety): see reason
};
const char* OutcomeName(Outcome o);  // "done" | "already-done" | "failed" | "deferred"

struct ActionResult {
  Action action;
  Outcome outcome = Outcome::kDeferred;
  std::optional<Error> error;            // kFailed (and a refused delete re-check)
  std::optional<SafetyRule> refused_by;  // a delete the re-check refused (kDeferred)
  std::string reason;                    // kDeferred / kAlreadyDone: why, one sentence
  std::optional<Snapshot> snapshot;      // create/copy kDone: what AWS returned
};

struct ApplyReport {
  std::vector<ActionResult> results;  // in plan order
  // Facts learned from AWS's answers (one-step copy refused), merged with the
  // facts passed in ExecutorOptions::facts.
  LearnedFacts facts;
  bool facts_changed = false;
  // Calls the delete re-checks made besides the deletes (see the top):
  int recheck_describes = 0;            // DescribeSnapshot, one per snapshot
  std::vector<Scope> recheck_listings;  // ListSnapshots, one entry per scope listing
  bool deadline_reached = false;        // actions were deferred because of the deadline
  bool stopped = false;                 // actions were deferred because stop was requested
  int Count(Outcome o) const;
  bool ok() const { return Count(Outcome::kFailed) == 0; }
};

// One progress notification: an action started (result == nullptr) or
// finished. index is the action's position in the plan.
struct ProgressEvent {
  size_t index = 0;
  size_t total = 0;
  const Action* action = nullptr;
  const ActionResult* result = nullptr;  // null when started
};

// The re-check before a delete, for one version of the view (described at
// the top of this file): judges `action` given `fresh`, the snapshot as
// just read. May be called from several worker threads at once.
using DeleteCheck = std::function<DeleteVerdict(const Action& action, const Snapshot& fresh)>;
// Makes the DeleteCheck for a version of the view, once per version (a
// guard indexes the view once, whatever the number of deletes it judges).
// The view stays alive while any check made for it runs. Called one at a
// time.
using DeleteCheckFactory = std::function<DeleteCheck(std::shared_ptr<const Inventory> world)>;

struct ExecutorOptions {
  int concurrency = 8;                   // actions in flight at once; >= 1
  int max_copies_in_flight = 20;         // per destination scope (AWS's quota)
  int max_cluster_copies_in_flight = 5;  // cluster snapshot copies per destination scope
  bool dry_run = false;                  // record what would be done; no mutating call (kDeferred)
  std::shared_ptr<Clock> clock;          // for the deadline; null: the system clock
  std::optional<TimePoint> deadline;     // start nothing new at or after deadline - margin
  Duration deadline_margin = std::chrono::seconds(5);
  const std::atomic<bool>* stop = nullptr;  // when true: start nothing new
  LearnedFacts facts;                       // facts known before this apply
  DeleteCheckFactory delete_guard;          // null: deletes are refused (fail safe)
  // The scopes that can hold a copy reading the snapshot a delete removes,
  // or based on it (see the top; a subset of the guard's S4 set,
  // DeleteDependencies in delete_guard.h). Include the delete's own scope
  // when it can hold one. Null: the delete's own scope.
  std::function<std::vector<Scope>(const Action&)> recheck_scopes;
  // Scopes another deployment writes copies into while this apply runs;
  // listed again before a delete that depends on them. Null: none.
  std::function<bool(const Scope&)> written_by_others;
  // A scope's view (the observation, or a listing made in this apply) older
  // than this at a delete's re-check is listed again first; >= 0.
  Duration max_view_age = std::chrono::minutes(1);
  // Replaces the targeted re-check views: a complete fresh view, taken once
  // after the other actions and before the first delete (each delete still
  // describes its snapshot). Null: the targeted views above.
  std::function<Inventory()> refresh;
  std::function<void(const ProgressEvent&)> progress;
};

// REQUIRES: plan was made from `inventory`. Never fails as a whole.
ApplyReport Apply(Cloud& cloud, const Plan& plan, const Inventory& inventory,
                  const ExecutorOptions& options);

// True when `e` is AWS refusing a one-step cross-region copy of a shared
// encrypted snapshot (the older rule: copy within the source region first):
// `a` is such a copy (another account's snapshot, another region, a KMS key
// given) and `e` is a parameter or state refusal, whatever its wording.
bool IsOneStepCopyRefusal(const Action& a, const Error& e);
bool IsAlreadyExists(const Error& e);
bool IsNotFound(const Error& e);

}  // namespace drsnap::engine
