// observe: the first step of a reconcile. Lists databases and snapshots of
// every scope (account x region) in parallel and returns an Inventory: plain
// data the planner reasons about.
//
// Costs (per scope): the Cloud's list calls walk every page and take tags
// from each record's TagList (never one ListTagsForResource per snapshot);
// the default key is read only for the scopes that need it. The restore
// attribute of the snapshots the caller names (needs_shares: drsnap's own
// captures) is inferred at no cost from the other observed accounts in the
// same region (an account a snapshot is shared with lists it as "shared");
// only when one of those scopes is incomplete is it read per snapshot
// (ListSharedAccounts). Inferred lists name observed accounts only, which
// is all the planner asks about (its target accounts are always observed).
//
// Failure: a scope whose listing fails is kept with complete=false and the
// error (never dropped), so the planner makes no deletes that depend on it.
// A failed attribute or default-key lookup also marks its scope incomplete.
//
// Thread safety: Observe() may be called concurrently; it uses `cloud` from
// up to `parallelism` threads at once (Cloud is thread-safe).
#pragma once

#include <functional>
#include <vector>

#include "core/clock.h"
#include "engine/cloud.h"
#include "engine/model.h"

namespace drsnap::engine {

struct ObserveRequest {
  std::vector<Scope> scopes;              // every scope to list (duplicates are ignored)
  std::vector<Scope> default_key_scopes;  // scopes whose alias/aws/rds key ARN is needed
  // Snapshots (owned, manual) whose restore attribute the planner needs;
  // null: none are looked up.
  std::function<bool(const Snapshot&)> needs_shares;
  int parallelism = 8;  // threads listing at once; >= 1
  // false: always read the restore attribute per snapshot (ListSharedAccounts).
  bool infer_shares = true;
};

// Never fails as a whole: failures are recorded per scope. The result's
// scopes are in the order of request.scopes; observed_at = now.
Inventory Observe(Cloud& cloud, const ObserveRequest& request, TimePoint now);

// Runs fn(0) .. fn(n-1) on up to `parallelism` threads (the caller's thread
// is one of them) and returns when all are done. fn must not throw.
void ParallelFor(size_t n, int parallelism, const std::function<void(size_t)>& fn);

}  // namespace drsnap::engine
