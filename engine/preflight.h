// Checks before acting: what AWS would refuse for sure, asked before the plan
// is made so that it says so instead of issuing the call on every run.
// Two checks: the manual snapshot quotas of every observed scope
// (ReadSnapshotQuotas), and whether each DR account may use each KMS key that
// encrypts what it must copy (the source databases' keys, the policies'
// share keys, the captures shared with it). A key the DR account may not
// use makes every vault copy fail with KMSKeyNotAccessibleFault; asked
// first, with the DR account's own kms:DescribeKey, the planner reports it
// as an error finding on the database x target and issues no copy that
// would be refused, and status names the key as the cause. Level-based:
// asked afresh at every observation, so nothing needs remembering between
// processes.
//
// Thread safety: CheckKeyAccess calls `cloud` from up to `parallelism`
// threads.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "engine/cloud.h"
#include "engine/model.h"

namespace drsnap::engine {

// The (account, key) pairs to check: for every policy and target account
// other than the source account whose view of the source region was
// observed completely, the customer-managed keys of the source databases
// (the share key for default-key ones), the policy's share key, and the
// keys of the source account's snapshots the target account sees shared.
std::vector<KeyAccess> KeyChecksFor(const Inventory& inventory, const config::Config& config);

// The account's default RDS key, by its alias or by the key ARN behind the
// alias in the source scope (when the observation resolved it; `source` may
// be null).
bool IsDefaultRdsKey(std::string_view key, const ScopeInventory* source);

// What keeps `account` from copying a database's captures, when the checks
// found it (nullptr: nothing known): the key of one of its captures
// (`capture_keys`, as the account sees them), else the key its captures are
// made with — the database's own, or the policy's share key for a database
// on the default RDS key. The one rule the planner (no copy, an error
// finding) and status (the cause of a breach) ask.
const KeyAccess* CaptureKeyRefused(const Inventory& inventory, std::string_view account,
                                   std::span<const std::string_view> capture_keys,
                                   const Database* live, const config::Policy& policy,
                                   const ScopeInventory* source);

// Runs the checks (Cloud::CheckKeyUse from Scope{account, source region});
// returns the answered ones. A check that could not be answered (Error) is
// left out: unknown, not refused.
std::vector<KeyAccess> CheckKeyAccess(Cloud& cloud, const Inventory& inventory,
                                      const config::Config& config, int parallelism);

// The other check before acting: every completely observed scope's manual
// snapshot quotas (Cloud::DescribeSnapshotQuotas) into
// ScopeInventory::snapshot_quota, for the planner to spend (it holds back
// what would be refused with SnapshotQuotaExceeded). A quota that cannot be
// read stays unset (unknown).
void ReadSnapshotQuotas(Cloud& cloud, Inventory& inventory, int parallelism);

}  // namespace drsnap::engine
