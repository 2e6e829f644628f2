// engine::Cloud over the typed AWS clients (aws/rds.h, aws/kms.h): one
// AwsCloud per AWS account, one RDS/KMS client per region (made on first
// use), and MultiAccountCloud routing each scope to its account's cloud.
// MakeAwsClouds() builds them from the policy file's accounts (profile,
// role_arn + external_id, endpoint_url override -> drsnap-sim or moto).
//
// Observation cost per scope: DescribeDBInstances + DescribeDBClusters +
// DescribeDBSnapshots(IncludeShared) + DescribeDBClusterSnapshots
// (IncludeShared), 100 records a page, tags from each record's TagList
// (never ListTagsForResource).
//
// Thread safety: every Cloud method may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/client.h"
#include "aws/kms.h"
#include "aws/rds.h"
#include "aws/rds_types.h"
#include "aws/session.h"
#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "engine/cloud.h"

namespace drsnap::cloud {

// The shared rate limiter of one account-region (null: none). One source
// must serve every Cloud of a process so all workers share one bucket per
// account-region (AWS's bucket is per account-region).
using RateLimiterSource = std::function<std::shared_ptr<aws::RateLimiter>(
    const std::string& account_id, const std::string& region)>;

struct AwsCloudOptions {
  std::string account_id;                 // the account this cloud acts in (12 digits)
  std::shared_ptr<aws::Session> session;  // credentials, endpoint resolution
  std::string endpoint_url;               // non-empty: every service of every region goes here
  aws::RetryOptions retry;
  RateLimiterSource rate_limiters;
  std::string user_agent = "drsnap/0.1";
  int page_size = 100;  // MaxRecords (20..100)
  // Before the first call, ask STS whose credentials these are and refuse
  // every call (code "WrongAccount", not retryable) when they belong to
  // another account than account_id. Without it, credentials of the wrong
  // account would list that account's snapshots as if they were this one's.
  bool verify_account = false;
};

class AwsCloud final : public engine::Cloud {
 public:
  explicit AwsCloud(AwsCloudOptions options);

  Result<std::vector<engine::Database>> ListDatabases(const engine::Scope& scope) override;
  Result<std::vector<engine::Snapshot>> ListSnapshots(const engine::Scope& scope) override;
  Result<std::vector<std::string>> ListSharedAccounts(const engine::Scope& scope,
                                                      engine::DbKind kind,
                                                      const std::string& snapshot_id) override;
  Result<std::string> DefaultRdsKeyArn(const engine::Scope& scope) override;
  Result<engine::Snapshot> DescribeSnapshot(const engine::Scope& scope, engine::DbKind kind,
                                            const std::string& snapshot_id) override;
  Result<engine::Snapshot> CreateSnapshot(const engine::Scope& scope, engine::DbKind kind,
                                          const std::string& db_id, const std::string& snapshot_id,
                                          const engine::Tags& tags) override;
  Result<engine::Snapshot> CopySnapshot(const engine::Scope& destination,
                                        const engine::CopyRequest& request) override;
  Status ShareSnapshot(const engine::Scope& scope, engine::DbKind kind,
                       const std::string& snapshot_id,
                       const std::vector<std::string>& accounts) override;
  Status DeleteSnapshot(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& snapshot_id) override;
  Result<engine::Database> RestoreFromSnapshot(const engine::Scope& scope,
                                               const engine::RestoreRequest& request) override;
  Result<engine::Database> DescribeDatabase(const engine::Scope& scope, engine::DbKind kind,
                                            const std::string& db_id) override;
  // Refuses ids without the drill prefix (code "RefusedBySafetyRule").
  Status DeleteDatabase(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& db_id) override;
  Status TagSnapshot(const engine::Scope& scope, const std::string& snapshot_arn,
                     const engine::Tags& tags) override;
  Result<engine::KeyUse> CheckKeyUse(const engine::Scope& scope,
                                     const std::string& key_arn) override;
  Result<engine::SnapshotQuotas> DescribeSnapshotQuotas(const engine::Scope& scope) override;
  Result<engine::Tags> ReadLedger(const engine::Scope& scope) override;
  Status WriteLedger(const engine::Scope& scope, const engine::Tags& put,
                     const std::vector<std::string>& remove) override;

  // The typed clients of one region (tests, verify).
  Result<std::shared_ptr<aws::RdsClient>> Rds(const std::string& region);
  Result<std::shared_ptr<aws::KmsClient>> Kms(const std::string& region);

 private:
  struct RegionClients {
    std::shared_ptr<aws::RdsClient> rds;
    std::shared_ptr<aws::KmsClient> kms;
  };
  Result<RegionClients> Clients(const std::string& region);
  Result<aws::ServiceEndpoint> EndpointFor(const std::string& service,
                                           const std::string& region) const;
  Status CheckAccount(const engine::Scope& scope) const;
  // verify_account: the STS check, once per cloud (a retryable failure is
  // tried again on the next call). REQUIRES: mu_ held.
  Status VerifyIdentityLocked(const std::string& region);

  AwsCloudOptions opt_;
  std::mutex mu_;
  std::map<std::string, RegionClients> regions_;  // guarded by mu_
  std::optional<Status> identity_;                // guarded by mu_; set once decided
};

// Routes each call to the Cloud of the scope's account.
class MultiAccountCloud final : public engine::Cloud {
 public:
  void Add(const std::string& account_id, std::shared_ptr<engine::Cloud> cloud);
  std::shared_ptr<engine::Cloud> For(const std::string& account_id) const;

  Result<std::vector<engine::Database>> ListDatabases(const engine::Scope& scope) override;
  Result<std::vector<engine::Snapshot>> ListSnapshots(const engine::Scope& scope) override;
  Result<std::vector<std::string>> ListSharedAccounts(const engine::Scope& scope,
                                                      engine::DbKind kind,
                                                      const std::string& snapshot_id) override;
  Result<std::string> DefaultRdsKeyArn(const engine::Scope& scope) override;
  Result<engine::Snapshot> DescribeSnapshot(const engine::Scope& scope, engine::DbKind kind,
                                            const std::string& snapshot_id) override;
  Result<engine::Snapshot> CreateSnapshot(const engine::Scope& scope, engine::DbKind kind,
                                          const std::string& db_id, const std::string& snapshot_id,
                                          const engine::Tags& tags) override;
  Result<engine::Snapshot> CopySnapshot(const engine::Scope& destination,
                                        const engine::CopyRequest& request) override;
  Status ShareSnapshot(const engine::Scope& scope, engine::DbKind kind,
                       const std::string& snapshot_id,
                       const std::vector<std::string>& accounts) override;
  Status DeleteSnapshot(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& snapshot_id) override;
  Result<engine::Database> RestoreFromSnapshot(const engine::Scope& scope,
                                               const engine::RestoreRequest& request) override;
  Result<engine::Database> DescribeDatabase(const engine::Scope& scope, engine::DbKind kind,
                                            const std::string& db_id) override;
  // Refuses ids without the drill prefix (code "RefusedBySafetyRule").
  Status DeleteDatabase(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& db_id) override;
  Status TagSnapshot(const engine::Scope& scope, const std::string& snapshot_arn,
                     const engine::Tags& tags) override;
  Result<engine::KeyUse> CheckKeyUse(const engine::Scope& scope,
                                     const std::string& key_arn) override;
  Result<engine::SnapshotQuotas> DescribeSnapshotQuotas(const engine::Scope& scope) override;
  Result<engine::Tags> ReadLedger(const engine::Scope& scope) override;
  Status WriteLedger(const engine::Scope& scope, const engine::Tags& put,
                     const std::vector<std::string>& remove) override;

 private:
  Result<engine::Cloud*> Route(const engine::Scope& scope) const;
  std::map<std::string, std::shared_ptr<engine::Cloud>> clouds_;  // immutable after setup
};

struct AwsCloudFactoryOptions {
  std::shared_ptr<Environment> env;               // null: the process environment
  std::shared_ptr<Clock> clock;                   // null: the system clock
  std::shared_ptr<aws::HttpTransport> transport;  // null: libcurl
  aws::RetryOptions retry;
  RateLimiterSource rate_limiters;  // null: no client-side rate limiting
  // The account this process runs in (a Lambda function's own account,
  // DRSNAP_ACCOUNT_ID). That account is reached with the ambient
  // credentials: its profile and role_arn are for the OTHER side (e.g. the
  // read-only role the source function assumes in the DR account).
  std::string own_account_id;
  // Each account's cloud checks with STS GetCallerIdentity, before its first
  // call, that its credentials belong to that account (AwsCloudOptions).
  bool verify_accounts = true;
};

// One AwsCloud per account of `config`, behind a MultiAccountCloud. Each
// account's session: its profile (or the default chain), its role_arn +
// external_id assumed on top, its endpoint_url for RDS, KMS and STS; the
// account equal to options.own_account_id uses the default chain only.
// Fails (naming the account) for an unknown profile or a malformed AWS
// config file; credentials themselves are fetched lazily.
Result<std::shared_ptr<MultiAccountCloud>> MakeAwsClouds(const config::Config& config,
                                                         const AwsCloudFactoryOptions& options);

// Conversions (exposed for tests).
engine::Snapshot ToSnapshot(const aws::DBSnapshot& s, const engine::Scope& seen_from);
engine::Snapshot ToSnapshot(const aws::DBClusterSnapshot& s, const engine::Scope& seen_from);
engine::Database ToDatabase(const aws::DBInstance& i, const engine::Scope& scope);
engine::Database ToDatabase(const aws::DBCluster& c, const engine::Scope& scope);

}  // namespace drsnap::cloud
