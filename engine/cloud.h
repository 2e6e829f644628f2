// The cloud as the engine sees it: observation and the four idempotent
// actions, per scope (account + region). Implemented over aws/ in
// cloud/aws_cloud.h and by an in-memory fake in tests; decorators add
// logging, dry-run and the like (cloud/).
//
// Errors: AWS error codes are passed through in Error::code (for example
// "DBSnapshotAlreadyExists", "SnapshotQuotaExceeded") so the executor can
// recognise them; retries and rate limiting have already happened below.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "engine/model.h"

namespace drsnap::engine {

struct CopyRequest {
  DbKind kind = DbKind::kInstance;
  std::string source;          // ARN (cross-region / cross-account) or id (same scope)
  std::string source_region;   // set when the source is in another region
  std::string target_id;
  std::string kms_key_id;      // "" keeps the source key (same region, same account only)
  std::string option_group;
  bool copy_tags = false;
  Tags tags;
};

class Cloud {
 public:
  virtual ~Cloud() = default;

  // Observation. Each walks every page.
  virtual Result<std::vector<Database>> ListDatabases(const Scope& scope) = 0;
  // Owned snapshots (automated and manual) and snapshots shared with the
  // scope's account, instances and clusters, with tags from TagList.
  virtual Result<std::vector<Snapshot>> ListSnapshots(const Scope& scope) = 0;
  // Accounts in the snapshot's restore attribute.
  virtual Result<std::vector<std::string>> ListSharedAccounts(const Scope& scope, DbKind kind,
                                                              const std::string& snapshot_id) = 0;
  // ARN of the key behind alias/aws/rds in the scope ("" when it does not exist yet).
  virtual Result<std::string> DefaultRdsKeyArn(const Scope& scope) = 0;
  // One snapshot by id in its own scope; Error code "DBSnapshotNotFound" /
  // "DBClusterSnapshotNotFoundFault" when absent. Used to re-check before deletes.
  virtual Result<Snapshot> DescribeSnapshot(const Scope& scope, DbKind kind,
                                            const std::string& snapshot_id) = 0;

  // Actions. Each is one AWS call; none waits for the snapshot to be ready.
  virtual Result<Snapshot> CreateSnapshot(const Scope& scope, DbKind kind, const std::string& db_id,
                                          const std::string& snapshot_id, const Tags& tags) = 0;
  virtual Result<Snapshot> CopySnapshot(const Scope& destination, const CopyRequest& request) = 0;
  virtual Status ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                               const std::vector<std::string>& accounts) = 0;
  virtual Status DeleteSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id) = 0;
};

}  // namespace drsnap::engine
