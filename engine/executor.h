// apply: executes a Plan against a Cloud. Every action is idempotent (its
// target identifier is deterministic), so the executor can be killed at any
// point and the next reconcile converges.
//
// Order: creates, copies and shares first (bounded concurrency), deletes
// last, each one re-checked right before it is issued: the snapshot is
// described afresh and the delete guard (the planner's CheckDeleteAllowed)
// judges it against a fresh view of the world (ExecutorOptions::refresh).
//
// Quotas: at most `max_copies_in_flight` copies in flight per destination
// scope, counting those already running (copying snapshots in the
// inventory); the rest are deferred to the next reconcile, never blocked on.
// A SnapshotQuotaExceeded answer stops that kind of action into that scope
// for the rest of this apply (reported, no spinning). API rate limiting and
// retries happen below the Cloud (aws/), shared per account-region.
//
// Thread safety: Apply() may be called concurrently with different options;
// callbacks are called one at a time (serialised by the executor).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "engine/cloud.h"
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
  std::optional<Error> error;        // kFailed (and a refused delete re-check)
  std::string reason;                // kDeferred / kAlreadyDone: why, one sentence
  std::optional<Snapshot> snapshot;  // create/copy kDone: what AWS returned
};

struct ApplyReport {
  std::vector<ActionResult> results;  // in plan order
  // Facts learned from AWS's answers (one-step copy refused), merged with the
  // facts passed in ExecutorOptions::facts.
  LearnedFacts facts;
  bool facts_changed = false;
  bool deadline_reached = false;  // actions were deferred because of the deadline
  bool stopped = false;           // actions were deferred because stop was requested
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

// The re-check before a delete: `fresh` is the snapshot as described just
// now, `world` a fresh view (see refresh). Return an error to refuse.
using DeleteGuard =
    std::function<Status(const Action& action, const Snapshot& fresh, const Inventory& world)>;

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
  DeleteGuard delete_guard;                 // null: deletes are refused (fail safe)
  // A fresh view of the world for the delete re-checks, taken once after the
  // other actions were issued and before the first delete. Null: the
  // inventory passed to Apply (then only the described snapshot is fresh).
  std::function<Inventory()> refresh;
  std::function<void(const ProgressEvent&)> progress;
};

// REQUIRES: plan was made from `inventory`. Never fails as a whole.
ApplyReport Apply(Cloud& cloud, const Plan& plan, const Inventory& inventory,
                  const ExecutorOptions& options);

// True when `e` is AWS refusing a one-step cross-region copy of a shared
// encrypted snapshot (the older rule: copy within the source region first).
bool IsOneStepCopyRefusal(const Error& e);
bool IsAlreadyExists(const Error& e);
bool IsNotFound(const Error& e);

}  // namespace drsnap::engine
