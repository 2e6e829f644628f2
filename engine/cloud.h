// The cloud as the engine sees it: observation and the four idempotent
// actions, per scope (account + region), plus what restore drills need
// (engine/verify.h). Implemented over aws/ in
// cloud/aws_cloud.h and by an in-memory fake in tests; decorators add
// logging, dry-run and the like (cloud/), on top of CloudWrapper (below).
//
// Errors: AWS error codes are passed through in Error::code (for example
// "DBSnapshotAlreadyExists", "SnapshotQuotaExceeded") so the executor can
// recognise them; retries and rate limiting have already happened below.
//
// Restore drills: the methods after "Restore drills" below have a default
// implementation that fails with code "NotSupported", so a Cloud that does
// not run drills (test fakes) need not implement them.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/model.h"

namespace drsnap::engine {

struct CopyRequest {
  DbKind kind = DbKind::kInstance;
  std::string source;         // ARN (cross-region / cross-account) or id (same scope)
  std::string source_region;  // set when the source is in another region
  std::string target_id;
  std::string kms_key_id;  // "" keeps the source key (same region, same account only)
  std::string option_group;
  bool copy_tags = false;
  Tags tags;
};

// A restore of a snapshot to a new DB instance, or to a new Aurora DB cluster
// (without instances: the cluster reaching "available" proves the restore).
struct RestoreRequest {
  DbKind kind = DbKind::kInstance;
  std::string db_id;                         // the new instance / cluster identifier
  std::string snapshot_id;                   // an own snapshot of the scope (id, or ARN)
  std::string engine;                        // clusters: REQUIRED (the snapshot's engine)
  std::string instance_class;                // instances: "" = the snapshot's class
  std::string subnet_group;                  // "" = the default VPC's
  std::vector<std::string> security_groups;  // VPC security group ids; empty = default
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
  virtual Status DeleteSnapshot(const Scope& scope, DbKind kind,
                                const std::string& snapshot_id) = 0;

  // ------------------------------------------------------------ Restore drills
  // Each is one AWS call; none waits. Defaults fail with code "NotSupported".

  // RestoreDBInstanceFromDBSnapshot / RestoreDBClusterFromSnapshot (no
  // deletion protection, not publicly accessible). The result is the new
  // database as AWS answered ("creating"). An existing db_id fails with
  // "DBInstanceAlreadyExists" / "DBClusterAlreadyExistsFault".
  virtual Result<Database> RestoreFromSnapshot(const Scope& scope, const RestoreRequest& request);
  // One instance (not a cluster member filter: any instance) or cluster by
  // id, tags included. Absent: "DBInstanceNotFound" / "DBClusterNotFoundFault".
  virtual Result<Database> DescribeDatabase(const Scope& scope, DbKind kind,
                                            const std::string& db_id);
  // DeleteDBInstance / DeleteDBCluster with SkipFinalSnapshot and
  // DeleteAutomatedBackups: nothing of the database remains. REQUIRES: the
  // caller established it is a drill database drsnap made
  // (verify::IsDrillDatabase on a fresh DescribeDatabase); implementations
  // over AWS additionally refuse ids without the "drsnap-verify-" prefix
  // (code "RefusedBySafetyRule").
  virtual Status DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id);
  // AddTagsToResource on an own snapshot (by ARN): adds or overwrites `tags`.
  virtual Status TagSnapshot(const Scope& scope, const std::string& snapshot_arn, const Tags& tags);
  // Whether the account of `scope` may use the KMS key `key_arn` (kms:DescribeKey
  // with that account's credentials, in the key's region = scope.region). AWS
  // refusing, the key missing, disabled or pending deletion: a KeyUse with
  // usable false. An Error means "could not tell" (transient, or a cloud that
  // cannot ask: NotSupported).
  virtual Result<KeyUse> CheckKeyUse(const Scope& scope, const std::string& key_arn);
  // The account's manual snapshot quotas in the scope's region and their use
  // (DescribeAccountAttributes). NotSupported where a cloud cannot tell.
  virtual Result<SnapshotQuotas> DescribeSnapshotQuotas(const Scope& scope);

  // drsnap's ledger in the scope (engine/ledger.h): the tags of the
  // `drsnap-ledger` DB parameter group; empty when it does not exist yet.
  // NotSupported where a cloud keeps none.
  virtual Result<Tags> ReadLedger(const Scope& scope);
  // Sets `put` and removes `remove` (tag keys) on the scope's ledger,
  // creating it when it does not exist. Idempotent.
  virtual Status WriteLedger(const Scope& scope, const Tags& put,
                             const std::vector<std::string>& remove);
};

inline Error NotSupportedError(const char* method) {
  return Error::Terminal("NotSupported", std::string(method) + " is not supported by this cloud");
}
inline Result<SnapshotQuotas> Cloud::DescribeSnapshotQuotas(const Scope&) {
  return Fail(NotSupportedError("DescribeSnapshotQuotas"));
}
inline Result<Tags> Cloud::ReadLedger(const Scope&) {
  return Fail(NotSupportedError("ReadLedger"));
}
inline Status Cloud::WriteLedger(const Scope&, const Tags&, const std::vector<std::string>&) {
  return Fail(NotSupportedError("WriteLedger"));
}
inline Result<KeyUse> Cloud::CheckKeyUse(const Scope&, const std::string&) {
  return Fail(NotSupportedError("CheckKeyUse"));
}
inline Result<Database> Cloud::RestoreFromSnapshot(const Scope&, const RestoreRequest&) {
  return Fail(NotSupportedError("RestoreFromSnapshot"));
}
inline Result<Database> Cloud::DescribeDatabase(const Scope&, DbKind, const std::string&) {
  return Fail(NotSupportedError("DescribeDatabase"));
}
inline Status Cloud::DeleteDatabase(const Scope&, DbKind, const std::string&) {
  return Fail(NotSupportedError("DeleteDatabase"));
}
inline Status Cloud::TagSnapshot(const Scope&, const std::string&, const Tags&) {
  return Fail(NotSupportedError("TagSnapshot"));
}

// A Cloud that forwards every call, unchanged, to another Cloud (as
// LevelDB's EnvWrapper does for Env). A decorator derives from it and
// overrides only the methods it changes; the others reach the wrapped cloud,
// the restore-drill methods included (a wrapper over a cloud that runs
// drills runs them; over one that does not, they fail as there).
//
// Ownership: shares ownership of the wrapped cloud, which must not be null.
// For a wrapper over a cloud owned elsewhere (a test's local), pass a
// non-owning pointer, std::shared_ptr<Cloud>(std::shared_ptr<Cloud>(), &c),
// and keep `c` alive longer than the wrapper.
// Thread safety: CloudWrapper has no state of its own beyond the pointer,
// set once; it is as safe for concurrent use as the wrapped cloud (every
// Cloud must be). A derived class that adds state guards it itself.
class CloudWrapper : public Cloud {
 public:
  explicit CloudWrapper(std::shared_ptr<Cloud> inner);

  // The wrapped cloud.
  Cloud& inner() const { return *inner_; }

  Result<std::vector<Database>> ListDatabases(const Scope& scope) override;
  Result<std::vector<Snapshot>> ListSnapshots(const Scope& scope) override;
  Result<std::vector<std::string>> ListSharedAccounts(const Scope& scope, DbKind kind,
                                                      const std::string& snapshot_id) override;
  Result<std::string> DefaultRdsKeyArn(const Scope& scope) override;
  Result<Snapshot> DescribeSnapshot(const Scope& scope, DbKind kind,
                                    const std::string& snapshot_id) override;
  Result<Snapshot> CreateSnapshot(const Scope& scope, DbKind kind, const std::string& db_id,
                                  const std::string& snapshot_id, const Tags& tags) override;
  Result<Snapshot> CopySnapshot(const Scope& destination, const CopyRequest& request) override;
  Status ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                       const std::vector<std::string>& accounts) override;
  Status DeleteSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id) override;
  Result<Database> RestoreFromSnapshot(const Scope& scope, const RestoreRequest& request) override;
  Result<Database> DescribeDatabase(const Scope& scope, DbKind kind,
                                    const std::string& db_id) override;
  Status DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id) override;
  Status TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                     const Tags& tags) override;
  Result<KeyUse> CheckKeyUse(const Scope& scope, const std::string& key_arn) override;
  Result<SnapshotQuotas> DescribeSnapshotQuotas(const Scope& scope) override;
  Result<Tags> ReadLedger(const Scope& scope) override;
  Status WriteLedger(const Scope& scope, const Tags& put,
                     const std::vector<std::string>& remove) override;

 private:
  const std::shared_ptr<Cloud> inner_;
};

}  // namespace drsnap::engine
