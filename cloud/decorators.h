// Decorators over engine::Cloud: logging, dry-run, and call counting (for
// API-call benchmarks), plus a counting HTTP transport that counts the AWS
// requests themselves (pages included) per Action. The Cloud decorators are
// engine::CloudWrappers: each shares ownership of the cloud it wraps and
// overrides only what it changes; the rest is forwarded.
//
// Thread safety: all are safe for concurrent use when the inner one is.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"
#include "core/log.h"
#include "engine/cloud.h"

namespace drsnap::cloud {

// An API trace: every call at debug level with scope, ids, outcome and
// milliseconds; failed reads also at info (the executor and the CLI report
// action outcomes themselves).
class LoggingCloud final : public engine::CloudWrapper {
 public:
  explicit LoggingCloud(std::shared_ptr<engine::Cloud> inner, Logger* logger = nullptr);

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
  Status DeleteDatabase(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& db_id) override;
  Status TagSnapshot(const engine::Scope& scope, const std::string& snapshot_arn,
                     const engine::Tags& tags) override;
  Status WriteLedger(const engine::Scope& scope, const engine::Tags& put,
                     const std::vector<std::string>& remove) override;

 private:
  Logger* log_;
};

// Reads go to the inner cloud; mutating calls are recorded and answered
// as AWS would accept them (a snapshot in "creating"/"copying", a restored
// database in "creating"), never sent: restore drills' restores, deletes and
// result tags included.
class DryRunCloud final : public engine::CloudWrapper {
 public:
  explicit DryRunCloud(std::shared_ptr<engine::Cloud> inner);
  // "create 111/us-east-1 id", "copy 222/eu-west-1 id <- source", "share ...", "delete ...",
  // "restore 222/eu-west-1 db <- snapshot", "delete-db ...", "tag 222/eu-west-1 arn k=v,..."
  std::vector<std::string> Recorded() const;

  // The mutations; reads (listings, describes) are forwarded.

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
  Status DeleteDatabase(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& db_id) override;
  Status TagSnapshot(const engine::Scope& scope, const std::string& snapshot_arn,
                     const engine::Tags& tags) override;
  // "ledger 222/eu-west-1 +k=v,... -k,..."
  Status WriteLedger(const engine::Scope& scope, const engine::Tags& put,
                     const std::vector<std::string>& remove) override;

 private:
  void Record(std::string line);
  mutable std::mutex mu_;
  std::vector<std::string> recorded_;  // guarded by mu_
};

// Counts calls per Cloud method name ("ListSnapshots", "CopySnapshot", ...).
class CountingCloud final : public engine::CloudWrapper {
 public:
  explicit CountingCloud(std::shared_ptr<engine::Cloud> inner);
  std::map<std::string, int64_t> Counts() const;
  int64_t Total() const;
  void Reset();

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
  Status DeleteDatabase(const engine::Scope& scope, engine::DbKind kind,
                        const std::string& db_id) override;
  Status TagSnapshot(const engine::Scope& scope, const std::string& snapshot_arn,
                     const engine::Tags& tags) override;

 private:
  void Count(const char* method);
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;  // guarded by mu_
};

// Counts HTTP requests by their Query "Action" (RDS, STS) or X-Amz-Target
// operation (KMS): the real number of AWS API calls, pages included.
class CountingTransport final : public aws::HttpTransport {
 public:
  explicit CountingTransport(std::shared_ptr<aws::HttpTransport> inner);
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override;
  std::map<std::string, int64_t> Counts() const;
  int64_t Total() const;
  void Reset();

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;  // guarded by mu_
};

}  // namespace drsnap::cloud
