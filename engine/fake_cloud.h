// An in-memory Cloud for tests of everything above the AWS layer (observe,
// executor, reconcile, CLI). It models one world of many accounts and
// regions: databases, owned and shared snapshots with their states, the
// restore attribute, AWS's error codes for duplicates ("...AlreadyExists"),
// quotas ("SnapshotQuotaExceeded" for manual snapshots and for copies in
// flight), the older "shared encrypted snapshots copy within their region"
// rule, failures on demand and failing listings.
//
// Snapshots start as "creating"/"copying" and become "available" only when
// the test says so (CompleteAll / Complete), so tests control time. The same
// holds for databases restored by RestoreFromSnapshot (SetDatabaseStatus);
// like AWS, a database still "creating" cannot be deleted
// ("InvalidDBInstanceState" / "InvalidDBClusterStateFault").
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/cloud.h"

namespace drsnap::engine {

class FakeCloud final : public Cloud {
 public:
  FakeCloud();

  // ------------------------------------------------------------ world setup
  void AddDatabase(Database db);  // fills arn when empty
  void RemoveDatabase(const Scope& scope, const std::string& db_id);
  // Adds a snapshot owned by s.scope (fills arn, seen_from, recovery_point).
  void AddSnapshot(Snapshot s);
  void SetDefaultKey(const Scope& scope, std::string arn);
  // Time stamped on what CreateSnapshot/CopySnapshot make.
  void SetNow(TimePoint now);

  // ------------------------------------------------------------ behaviour
  // Every listing call (ListDatabases, ListSnapshots) of `scope` fails with `error`.
  void FailListing(const Scope& scope, Error error);
  void ClearListingFailures();
  // The key policy of `key_arn`: only these accounts (and the key's own)
  // may use it (CheckKeyUse answers AccessDeniedException for the others).
  // A key without a policy set is usable by every account.
  void SetKeyUsers(const std::string& key_arn, std::vector<std::string> accounts);
  // Manual snapshot quotas of a scope (instances, clusters): what
  // DescribeSnapshotQuotas reports, with the scope's manual snapshots as the
  // use. Unset: NotSupported, as a cloud that cannot tell.
  void SetSnapshotQuotas(const Scope& scope, long long instance_max, long long cluster_max);
  // The next `count` calls of `method` ("CreateSnapshot", "CopySnapshot",
  // "ShareSnapshot", "DeleteSnapshot", "DescribeSnapshot", "ListSharedAccounts",
  // "DefaultRdsKeyArn", "RestoreFromSnapshot", "DescribeDatabase",
  // "DeleteDatabase", "TagSnapshot") fail with `error`.
  void FailNext(const std::string& method, Error error, int count = 1);
  // Manual snapshots (instances and clusters counted separately) per scope.
  void SetManualSnapshotQuota(int quota) {
    std::lock_guard l(mu_);
    manual_quota_ = quota;
  }
  // Copies in status "copying" per destination scope.
  void SetCopiesInFlightQuota(int quota) {
    std::lock_guard l(mu_);
    copies_quota_ = quota;
  }
  // true (default): a shared encrypted snapshot can only be copied within its
  // region (AWS's older rule): cross-region copies of one are refused with
  // InvalidParameterCombination.
  void SetStrictSharedCopyRule(bool strict) {
    std::lock_guard l(mu_);
    strict_copy_rule_ = strict;
  }

  // ------------------------------------------------------------ time
  // Moves every creating/copying snapshot to available (100%).
  void CompleteAll();
  // Moves one snapshot to `status` ("available", "failed", ...).
  void SetStatus(const Scope& scope, const std::string& snapshot_id, const std::string& status);
  // Moves one database to `status` ("available", "incompatible-restore", ...).
  void SetDatabaseStatus(const Scope& scope, const std::string& db_id, const std::string& status);

  // ------------------------------------------------------------ inspection
  std::vector<Snapshot> OwnedSnapshots(const Scope& scope) const;
  std::optional<Snapshot> Find(const Scope& scope, const std::string& snapshot_id) const;
  std::optional<Database> FindDatabase(const Scope& scope, const std::string& db_id) const;
  // Calls per method name, and mutating calls as "Method scope id" lines in order.
  int Calls(const std::string& method) const;
  std::vector<std::string> MutationLog() const;
  // The most copies ever in status "copying" at once in `scope`.
  int MaxCopiesInFlight(const Scope& scope) const;
  int CopiesInFlight(const Scope& scope) const;

  // ------------------------------------------------------------ Cloud
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
  // The ledger's tags in `scope` as written (none: empty).
  Tags LedgerTags(const Scope& scope) const;

 private:
  struct Stored {
    Snapshot snap;
    std::vector<std::string> shared_with;
  };
  // REQUIRES: mu_ held. Counts the call and returns an injected failure.
  std::optional<Error> Enter(const std::string& method);
  Stored* FindLocked(const Scope& scope, const std::string& id);
  const Stored* FindByArnLocked(const std::string& arn) const;
  int CountLocked(const Scope& scope, DbKind kind, SnapshotStatus only, bool any_status) const;
  void TrackInFlightLocked(const Scope& scope);
  Database* FindDatabaseLocked(const Scope& scope, DbKind kind, const std::string& db_id);

  mutable std::mutex mu_;
  TimePoint now_{};
  std::vector<Database> databases_;
  std::map<Scope, std::map<std::string, Stored>> snapshots_;
  std::map<Scope, std::string> default_keys_;
  std::map<Scope, Error> listing_failures_;
  std::map<std::string, std::vector<std::string>> key_users_;
  std::map<Scope, std::pair<long long, long long>> quotas_;
  std::map<Scope, Tags> ledgers_;
  std::map<std::string, std::vector<Error>> fail_next_;
  std::map<std::string, int> calls_;
  std::vector<std::string> mutations_;
  std::map<Scope, int> max_in_flight_;
  int manual_quota_ = 100;
  int copies_quota_ = 20;
  bool strict_copy_rule_ = true;
};

}  // namespace drsnap::engine
