// The planner: a pure function (Inventory, Config, now) -> Plan. No I/O, no
// clock reads, no randomness; the same inputs give the same plan, in the same
// order. This is where the pipeline lives (capture, share, vault, expire);
// the executor only carries the actions out.
//
// Where things are: the rules below are engine/planner.cc, read top to
// bottom per database; which databases a policy protects is
// engine/protection.h; the safety rules every delete passes are
// engine/delete_guard.h; how the plan is put together (threads, the sort) is
// engine/plan_assembly.cc.
//
// Per policy, per database it protects (engine/protection.h), per target
// (account x region):
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
//   vault    (target accounts) every available capture that the target
//     account can read and that has no vault copy in a target region is
//     copied there as VaultName(srcacct, db, point), re-encrypted with the
//     region's kms_key. "Can read": for a target account D other than the
//     source account P, the capture is shared with D — either P's own
//     capture lists D in shared_with, or D's observation of (D, source
//     region) lists it as a shared snapshot (LineageIndex::SharedCaptures)
//     owned by P, in the source region, whose name parses as a capture of
//     the database and whose DBInstanceIdentifier / DBClusterIdentifier is
//     the database (tags do not cross accounts; a shared snapshot owned by
//     anyone but P is never used). For D == P, P's own captures. Or P's own
//     capture that this plan shares with D (the share stage above): its
//     copy (or hop) is planned with Action::after_share, and the executor
//     issues it once that share succeeded in the same apply.
//     Exceptions: a capture older than every vault copy already in the region
//     that retention would remove at once is skipped ("too old"). Via a
//     same-region hop (HopName, in the target account in the source region,
//     hop_kms_key) when the target account differs from the source account,
//     the region differs from the source region, and the target scope is in
//     facts.one_step_copy_refused (DB instances and Aurora clusters alike).
//     Then the vault copy is made from the hop.
//   vault side (the source scope is absent from the inventory, Side::kVault)
//     the databases are those whose captures P shared with a target account
//     (selector applied without tags, which D cannot see) plus those tagged
//     on the target and hop scopes' own copies; capture, share and source
//     expiry are skipped (one info Finding per policy); vault, hop, DR-side
//     retention and failed-copy cleanup work as above. Option groups are
//     not mapped (that needs the live database).
//   expire   (both sides)
//     source: a capture is deleted when it is vaulted (available copy) in
//       every target region, its newest vault copy is keep_after_vaulted old,
//       it is not among the keep_newest newest captures, and no copy reads it.
//       Hops go once every vault copy made from them is available.
//     DR: vault copies of a database in a target region follow
//       policy.retention (retention.h).
//   failures  a failed copy (capture copy, hop, vault copy) is retried under
//     the next attempt name (naming.h "-rN"), but only once now >= the
//     failed attempt N's create_time + backoff(N) (10 min, doubling, at most
//     6 h). Until then the newest failed attempt is kept: it is AWS's record
//     of the failure (AWS is the only state store); it is deleted in the plan
//     that issues the retry, or once a later attempt exists or the point no
//     longer needs a copy; older failed attempts go at once. After attempt
//     naming::kMaxAttempt nothing more is tried and the failed one stays.
//     Each state is a Finding (error). A failed CreateSnapshot (`snapshot`
//     source) is deleted; the next one is due at a new point anyway.
//   waiting   creating/copying snapshots produce Findings (with progress),
//     never actions.
//
// Safety: every delete is planned only when the delete guard allows it
// (engine/delete_guard.h, rules S1-S7), and the executor asks the guard
// again right before the call. A refusal by S4 (a scope not observed
// completely) is quiet: the scope is reported once per policy; any other
// refusal is a warning Finding.
//
// Ordering: actions sorted by (stage, policy, db kind, db id, scope,
// snapshot id), then each stage's creates, copies and shares stably by the
// urgency, scarcity and size of their database (engine/schedule.h: who gets the
// copy slots and a quota's room); findings by (policy, db id, scope,
// message).
//
// Quotas: at most as many new snapshots in a scope as its observed manual
// snapshot quota has room for, in plan order (the rest held back, with a
// finding). No capture while every target of its policy has no room left
// in its quota of the capture's kind (it could not be vaulted, and would
// only hold the source scope's quota): held back, with a finding. While a
// source scope's quota binds, the captures of policies that leave
// keep_newest unset are transient: deleted once vaulted in every target, so
// the room serves the next wave.
//
// Thread safety: pure functions. MakePlan plans the databases of a large
// estate on several threads (PlanOptions) and indexes a large scope in parts
// the same way; each database is planned by one thread from inputs no thread
// changes, and the results are joined in the order one thread would make
// them, so the plan is the same for any number of threads.
#pragma once

#include <cstddef>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/model.h"
#include "engine/side.h"

namespace drsnap::engine {

// Every scope the planner needs observed for `config` on `side`, sorted and
// unique:
//   kAll     PolicyScopes() of every policy.
//   kSource  the same: the source scopes, plus the DR scopes listed
//            read-only to know what is vaulted and what copy is in flight
//            (when such a listing fails, captures are simply not expired: S4).
//   kVault   the scopes of each policy whose account is one of the policy's
//            target accounts: the target regions and the target account's
//            view of the source region (where it sees the shared captures,
//            needed even when no hop is).
std::vector<Scope> ScopesToObserve(const config::Config& config, Side side = Side::kAll);

// The scopes of one policy (source, targets, hop scopes): what a capture's
// expiry depends on (S4).
std::vector<Scope> PolicyScopes(const config::Policy& policy);

// How MakePlan spends the machine; never what it plans.
struct PlanOptions {
  // Threads that plan databases at once; 0: one per CPU the process may run
  // on. At most 8, and one for a plan of few databases. The plan is the
  // same for every value.
  int threads = 0;
  // Databases a thread takes at a time, and the fewest snapshots of one
  // scope a thread indexes (LineageIndex). Tests make them small, so that
  // a small plan is spread over the threads too.
  int databases_per_chunk = 32;
  size_t snapshots_per_index_part = size_t{1} << 15;
};

// REQUIRES: config was validated (LoadConfigFile / ParseConfig).
// Thread safety: may run concurrently with itself; it starts threads of its
// own (PlanOptions) and joins them before it returns. An exception in one
// of them (std::bad_alloc) is rethrown here.
Plan MakePlan(const Inventory& inventory, const config::Config& config, TimePoint now,
              const PlanOptions& options = {});

// Keeps the part of `plan` one side carries out. kSource: actions in their
// policy's source scope (capture, share, expiry there); kVault: the others
// (vault copies, hops, DR-side expiry). Findings about one database go with
// the side of their scope the same way; policy-wide ones (db_id "") stay on
// both. kAll: unchanged. Actions of unknown policies are dropped by both.
void FilterPlanForSide(Plan& plan, const config::Config& config, Side side);

}  // namespace drsnap::engine
