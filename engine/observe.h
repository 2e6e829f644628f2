// observe: the first step of a reconcile. Lists databases and snapshots of
// every scope (account x region) in parallel and returns an Inventory: plain
// data the planner reasons about.
//
// Costs (per scope): the Cloud's list calls walk every page and take tags
// from each record's TagList (never one ListTagsForResource per snapshot);
// the default key is read only for the scopes that need it.
//
// Shares. The planner needs the restore attribute of the snapshots the
// caller names (needs_shares: drsnap's own captures) for their target
// accounts (share_targets). Reading it costs one DescribeDBSnapshotAttributes
// per snapshot, so observe infers it where the listings already answer, and
// reads it (ListSharedAccounts) only where they cannot. For a snapshot S
// owned by account A in region R and a target account T != A:
//   1. T observed completely in R (scope T/R listed without error): S is
//      shared with T when T/R lists S as shared (IncludeShared=true).
//   2. T not observed in R, or its listing failed (a source-side run that
//      cannot list the DR account): the listings cannot say; S's attribute
//      is read.
//   3. T/R does not list S, but lists some other snapshot of A as shared:
//      T/R demonstrably reports A's shares, so S is not shared with T.
//   4. T/R lists no snapshot of A as shared: either nothing of A's is shared
//      with T yet (the first share), or the endpoint ignores IncludeShared
//      (moto does) and would make the planner share again on every run.
//      Observe reads the attribute of ONE snapshot of the (A, R, T) group,
//      the oldest (create_time, then id): the first one drsnap would have
//      shared. If it names T, the listing does not report shares: every
//      other snapshot of the group is read. If not, the listing and the
//      attribute agree that nothing of A's is shared with T (rule 3 holds
//      for the rest).
//   5. Audit (audit_shares): the listings show only the target accounts'
//      view, never a share with a third account or with everyone, which
//      the planner reports (a compromised production account's doing). So
//      every available snapshot whose shares were inferred is also read
//      once a day: in the hour of the (UTC) day that ShareAuditHour(id,
//      day) picks, every observation reads it. With drsnap running at least
//      hourly each such share is found within a day.
// Reads (rules 2, 4 and 5) are made only for snapshots in status available (the
// planner neither shares nor copies others); a snapshot that is read gets
// the attribute's list, every other one the accounts of rule 1.
// Cost: zero reads in the steady state (everything shared and visible) and
// while a share of A is visible to T (rule 3); at most one read per (A, R, T)
// and observation while nothing of A's is visible to T (rule 4: the first
// share of a deployment, or after every shared snapshot of A was deleted);
// rule 5 adds one read per available snapshot per day and per observation
// made in its hour (six a day when drsnap runs every ten minutes);
// one read per available snapshot per observation against an endpoint that
// ignores IncludeShared, or when T is not observed (rule 2). A wrong "not
// shared" costs one idempotent share call, a wrong "shared" is impossible
// (AWS lists only what is shared).
//
// Failure: a scope whose listing fails is kept with complete=false and the
// error (never dropped), so the planner makes no deletes that depend on it.
// A failed attribute or default-key lookup also marks its scope incomplete.
//
// Thread safety: Observe() may be called concurrently; it uses `cloud` from
// up to `parallelism` threads at once (Cloud is thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

#include "config/policy.h"
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
  // The accounts the planner would share such a snapshot with (the target
  // accounts of its policy; ShareTargetsFor). The owner account is ignored.
  // Null: every other account observed in the snapshot's region.
  std::function<std::vector<std::string>(const Snapshot&)> share_targets;
  int parallelism = 8;  // threads listing at once; >= 1
  // false: always read the restore attribute of every snapshot needs_shares
  // names, whatever its status (ListSharedAccounts; no inference).
  bool infer_shares = true;
  // Rule 5 (the daily audit of inferred shares); off for callers that only
  // need the target accounts' view.
  bool audit_shares = false;
  // Read drsnap's ledger in every scope (engine/ledger.h; one
  // ListTagsForResource per scope). A failure to read it leaves the ledger
  // empty with ScopeInventory::ledger_error set; the scope stays complete.
  bool read_ledgers = false;
};

// Rule 5: the hour (0..23, UTC) of `day` (days since the epoch) in which the
// restore attribute of snapshot `snapshot_id` is read; spread evenly and
// different from day to day, so no schedule misses a snapshot for ever.
int ShareAuditHour(std::string_view snapshot_id, int64_t day);

// share_targets for `config`: the target accounts, other than the source
// account, of the policy named by the snapshot's drsnap:policy tag; for a
// snapshot without a known policy tag, of every policy whose source scope
// holds it. The result does not refer to `config` (it copies what it needs).
std::function<std::vector<std::string>(const Snapshot&)> ShareTargetsFor(
    const config::Config& config);

// Never fails as a whole: failures are recorded per scope. The result's
// scopes are in the order of request.scopes; observed_at = now.
Inventory Observe(Cloud& cloud, const ObserveRequest& request, TimePoint now);

// Runs fn(0) .. fn(n-1) on up to `parallelism` threads (the caller's thread
// is one of them) and returns when all are done. fn must not throw.
void ParallelFor(size_t n, int parallelism, const std::function<void(size_t)>& fn);

}  // namespace drsnap::engine
