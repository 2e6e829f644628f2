#include "engine/cloud.h"

#include <utility>

namespace drsnap::engine {

CloudWrapper::CloudWrapper(std::shared_ptr<Cloud> inner) : inner_(std::move(inner)) {}

Result<std::vector<Database>> CloudWrapper::ListDatabases(const Scope& scope) {
  return inner_->ListDatabases(scope);
}

Result<std::vector<Snapshot>> CloudWrapper::ListSnapshots(const Scope& scope) {
  return inner_->ListSnapshots(scope);
}

Result<std::vector<std::string>> CloudWrapper::ListSharedAccounts(const Scope& scope, DbKind kind,
                                                                  const std::string& snapshot_id) {
  return inner_->ListSharedAccounts(scope, kind, snapshot_id);
}

Result<std::string> CloudWrapper::DefaultRdsKeyArn(const Scope& scope) {
  return inner_->DefaultRdsKeyArn(scope);
}

Result<Snapshot> CloudWrapper::DescribeSnapshot(const Scope& scope, DbKind kind,
                                                const std::string& snapshot_id) {
  return inner_->DescribeSnapshot(scope, kind, snapshot_id);
}

Result<Snapshot> CloudWrapper::CreateSnapshot(const Scope& scope, DbKind kind,
                                              const std::string& db_id,
                                              const std::string& snapshot_id, const Tags& tags) {
  return inner_->CreateSnapshot(scope, kind, db_id, snapshot_id, tags);
}

Result<Snapshot> CloudWrapper::CopySnapshot(const Scope& destination, const CopyRequest& request) {
  return inner_->CopySnapshot(destination, request);
}

Status CloudWrapper::ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                                   const std::vector<std::string>& accounts) {
  return inner_->ShareSnapshot(scope, kind, snapshot_id, accounts);
}

Status CloudWrapper::DeleteSnapshot(const Scope& scope, DbKind kind,
                                    const std::string& snapshot_id) {
  return inner_->DeleteSnapshot(scope, kind, snapshot_id);
}

Result<Database> CloudWrapper::RestoreFromSnapshot(const Scope& scope,
                                                   const RestoreRequest& request) {
  return inner_->RestoreFromSnapshot(scope, request);
}

Result<Database> CloudWrapper::DescribeDatabase(const Scope& scope, DbKind kind,
                                                const std::string& db_id) {
  return inner_->DescribeDatabase(scope, kind, db_id);
}

Status CloudWrapper::DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id) {
  return inner_->DeleteDatabase(scope, kind, db_id);
}

Result<SnapshotQuotas> CloudWrapper::DescribeSnapshotQuotas(const Scope& scope) {
  return inner_->DescribeSnapshotQuotas(scope);
}

Result<Tags> CloudWrapper::ReadLedger(const Scope& scope) { return inner_->ReadLedger(scope); }

Status CloudWrapper::WriteLedger(const Scope& scope, const Tags& put,
                                 const std::vector<std::string>& remove) {
  return inner_->WriteLedger(scope, put, remove);
}

Result<KeyUse> CloudWrapper::CheckKeyUse(const Scope& scope, const std::string& key_arn) {
  return inner_->CheckKeyUse(scope, key_arn);
}

Status CloudWrapper::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                                 const Tags& tags) {
  return inner_->TagSnapshot(scope, snapshot_arn, tags);
}

}  // namespace drsnap::engine
