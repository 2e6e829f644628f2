// Which databases each policy protects, and which policy claims each: the one
// rule the planner, the status report, the restore drills and the Lambda
// handler's narrowing share, so that what is planned and what is reported
// can never disagree about what is protected.
//
// A policy protects, in its source scope (account P, region R):
//   - P/R observed (the source side, or one process for both): every live
//     database there that the policy's selector matches, tags included,
//     except the instances of Aurora / DocumentDB / Neptune clusters
//     (IsClusterMemberInstance: RDS snapshots them through their cluster);
//   - P/R not observed (the vault side): every database whose captures P
//     shared with one of the policy's target accounts, as that account sees
//     them in R (LineageIndex::SharedDatabases), matched by the selector
//     without its tags (tags do not cross accounts);
//   - in both cases, databases that no longer exist (or cannot be seen)
//     but still have drsnap snapshots tagged for the policy in its source,
//     target or hop scopes: their copies stay under its retention.
// Claims: a database (source scope, kind, id) is protected by the first
// policy that selects it, in the order of config::Config::policies (sorted
// by name); a later policy that selects it too leaves it alone and says so
// (a warning Finding).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "engine/lineage_index.h"
#include "engine/model.h"

namespace drsnap::engine {

// An instance that is a member of an Aurora, DocumentDB or Neptune cluster.
bool IsClusterMemberInstance(const Database& d);

struct ProtectedDatabase {
  const config::Policy* policy = nullptr;  // the policy that claims it
  DbKind kind = DbKind::kInstance;
  std::string id;
  const Database* live = nullptr;  // null: deleted, or not observable (vault side)
};

struct Protection {
  // Grouped by policy, in the order of config.policies; within a policy
  // by (id, kind).
  std::vector<ProtectedDatabase> databases;
  // One warning per database a later policy selects too (policy: the later
  // one; scope: its source scope).
  std::vector<Finding> findings;
};

// REQUIRES: config validated; `index` indexes the inventory to judge.
Protection ProtectedDatabases(const LineageIndex& index, const config::Config& config);

// The database ids that policies name literally (selector names without
// wildcards, lower-cased) whose naming::DbToken() is `token`, sorted and
// unique: the only databases an event that carries just a name token can
// be narrowed to.
std::vector<std::string> LiteralDbIdsForToken(std::string_view token, const config::Config& config);

}  // namespace drsnap::engine
