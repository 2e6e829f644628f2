// The planner: a pure function (Inventory, Config, now) -> Plan. No I/O, no
// clock reads, no randomness; the same inputs give the same plan, in the same
// order. This is where the pipeline lives (design brief: capture, share,
// vault, expire); the executor only carries the actions out.
//
// Per policy, per database it protects (live databases that match the
// selector, plus databases that no longer exist but still have drsnap
// snapshots of this policy), per target (account x region):
//
//   capture  (source scope)
//     automated: when the newest available automated snapshot is newer than
//       the newest capture, copy it to CaptureName(db, its recovery point),
//       re-encrypted with policy.share_key when it uses the default key
//       (ScopeInventory::default_rds_key_arn).
//     snapshot: when the newest capture is older than rpo - capture_margin
//       (or there is none), create CaptureName(db, now). A default-key DB is
//       first snapshotted to RawName(db, now), then copied to the capture
//       name with the share key; the raw snapshot is deleted once that copy
//       is available.
//     Nothing is captured while a capture of the database is in flight, or
//     for a database that is not "available"/"backing-up" (Finding).
//   share    (source scope) every available capture is shared with every
//     target account not yet in shared_with (all pending, not only the
//     newest). Target accounts equal to the source account need no share.
//     shared_with == nullopt is treated as "shared with nobody" (the share
//     call is idempotent).
//   vault    (target accounts) every available capture that is shared with
//     the target account and has no vault copy in a target region is copied
//     there as VaultName(srcacct, db, point), re-encrypted with the region's
//     kms_key. Exceptions: a capture older than every vault copy already in
//     the region that retention would remove at once is skipped ("too old").
//     Via a same-region hop (HopName, in the target account in the source
//     region, hop_kms_key) when the target account differs from the source
//     account, the region differs from the source region, and either the
//     database is an Aurora cluster or the target scope is in
//     facts.one_step_copy_refused. Then the vault copy is made from the hop.
//   expire   (both sides)
//     source: a capture is deleted when it is vaulted (available copy) in
//       every target region, its newest vault copy is keep_after_vaulted old,
//       it is not among the keep_newest newest captures, and no copy reads it.
//       Hops go once every vault copy made from them is available.
//     DR: vault copies of a database in a target region follow
//       policy.retention (retention.h).
//   failures  a failed drsnap-made snapshot is deleted and the step is
//     retried under the next attempt name (naming.h "-rN"); Finding (error).
//   waiting   creating/copying snapshots produce Findings (with progress),
//     never actions.
//
// Safety (enforced here AND by CheckDeleteAllowed, which the executor calls
// right before each delete):
//   S1 never delete a snapshot drsnap did not create (naming::IsDrsnapCreated);
//   S2 never delete the newest available vault copy of a database in a
//      target region;
//   S3 never delete a snapshot an in-flight copy depends on: the source of a
//      creating/copying snapshot (by source_arn, or by lineage: the capture of
//      an in-flight hop/vault copy, the hop of an in-flight vault copy), nor
//      the newest available vault copy older than an in-flight vault copy of
//      the same database in the same region (the incremental-copy base);
//   S4 no deletes at all for a policy any of whose scopes is missing from the
//      inventory or incomplete.
//   S5 only a delete of a snapshot that belongs to the action's policy and
//      database (tags drsnap:policy / drsnap:db) is allowed.
//
// Ordering: actions sorted by (stage, policy, db kind, db id, scope,
// snapshot id); findings by (policy, db id, scope, message).
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/model.h"

namespace drsnap::engine {

// Every scope the planner needs observed for `config`: each policy's source
// scope, each target scope, and for each target account whose regions
// differ from the source region the (target account, source region) scope
// where hops and shared snapshots live. Sorted, unique.
std::vector<Scope> ScopesToObserve(const config::Config& config);

// The scopes one policy depends on (source, targets, hop scopes): the S4 set.
std::vector<Scope> PolicyScopes(const config::Policy& policy);

// REQUIRES: config was validated (LoadConfigFile / ParseConfig).
Plan MakePlan(const Inventory& inventory, const config::Config& config, TimePoint now);

// Re-checks safety rules S1-S5 for one delete action against `inventory`
// (the freshest the executor has). When `fresh` is given (e.g. from
// Cloud::DescribeSnapshot just now) it replaces the inventory's copy of the
// snapshot being deleted. Returns an Error (code "DeleteRefused", message
// naming the rule) when the delete must not happen. Non-delete actions: OK.
// Indexes the whole inventory on each call: to check many deletes against
// one inventory, build one DeleteGuard (engine/delete_guard.h) instead.
Status CheckDeleteAllowed(const Inventory& inventory, const config::Config& config,
                          const Action& action, const Snapshot* fresh = nullptr);

}  // namespace drsnap::engine
