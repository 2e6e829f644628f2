#include "engine/model.h"

#include "core/arn.h"
#include "engine/naming.h"

namespace drsnap::engine {

const char* DbKindName(DbKind k) { return k == DbKind::kInstance ? "instance" : "cluster"; }

std::string Scope::ToString() const { return account_id + "/" + region; }

const char* SnapshotTypeName(SnapshotType t) {
  switch (t) {
    case SnapshotType::kAutomated: return "automated";
    case SnapshotType::kManual: return "manual";
    case SnapshotType::kShared: return "shared";
  }
  return "manual";
}

SnapshotStatus ParseSnapshotStatus(const std::string& s) {
  if (s == "available") return SnapshotStatus::kAvailable;
  if (s == "creating" || s == "pending") return SnapshotStatus::kCreating;
  if (s == "copying") return SnapshotStatus::kCopying;
  if (s == "deleting") return SnapshotStatus::kDeleting;
  if (s == "failed") return SnapshotStatus::kFailed;
  return SnapshotStatus::kOther;
}

const char* SnapshotStatusName(SnapshotStatus s) {
  switch (s) {
    case SnapshotStatus::kCreating: return "creating";
    case SnapshotStatus::kCopying: return "copying";
    case SnapshotStatus::kAvailable: return "available";
    case SnapshotStatus::kDeleting: return "deleting";
    case SnapshotStatus::kFailed: return "failed";
    case SnapshotStatus::kOther: return "other";
  }
  return "other";
}

const KeyAccess* Inventory::KeyRefused(std::string_view account_id,
                                       std::string_view key_arn) const {
  for (const auto& k : key_access)
    if (!k.use.usable && k.account_id == account_id && k.key_arn == key_arn) return &k;
  return nullptr;
}

int Inventory::IncompleteScopes() const {
  int n = 0;
  for (const auto& si : scopes) n += si.complete ? 0 : 1;
  return n;
}

const ScopeInventory* Inventory::Find(const Scope& s) const {
  for (const auto& si : scopes)
    if (si.scope == s) return &si;
  return nullptr;
}

const char* ActionKindName(ActionKind k) {
  switch (k) {
    case ActionKind::kCreateSnapshot: return "create";
    case ActionKind::kCopySnapshot: return "copy";
    case ActionKind::kShareSnapshot: return "share";
    case ActionKind::kDeleteSnapshot: return "delete";
  }
  return "unknown";
}

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kCapture: return "capture";
    case Stage::kShare: return "share";
    case Stage::kVault: return "vault";
    case Stage::kExpire: return "expire";
  }
  return "unknown";
}

std::string Action::Describe() const {
  std::string out = std::string(ActionKindName(kind)) + " " + DbKindName(db_kind) + " snapshot ";
  switch (kind) {
    case ActionKind::kCreateSnapshot:
      out += snapshot_id + " of " + db_id + " in " + scope.ToString();
      break;
    case ActionKind::kCopySnapshot:
      out += source_arn.str() + " -> " + scope.ToString() + "/" + snapshot_id;
      break;
    case ActionKind::kShareSnapshot: {
      out += scope.ToString() + "/" + snapshot_id + " with";
      for (const auto& a : share_with) out += " " + a;
      break;
    }
    case ActionKind::kDeleteSnapshot:
      out += scope.ToString() + "/" + snapshot_id;
      break;
  }
  return out;
}

std::string_view ArnAccount(std::string_view arn) {
  auto parsed = ParseArn(arn);
  return parsed ? parsed->account : std::string_view();
}

std::string SnapshotArn(const Scope& scope, DbKind kind, std::string_view id) {
  return MakeArn("rds", scope.region, scope.account_id,
                 std::string(kind == DbKind::kCluster ? "cluster-snapshot:" : "snapshot:") +
                     std::string(id));
}

std::string DatabaseArn(const Scope& scope, DbKind kind, std::string_view id) {
  return MakeArn("rds", scope.region, scope.account_id,
                 std::string(kind == DbKind::kCluster ? "cluster:" : "db:") + std::string(id));
}

bool IsCopyInFlight(const Snapshot& s) {
  if (s.status == SnapshotStatus::kCopying) return true;
  if (!IsInFlight(s.status)) return false;
  if (!s.source_arn.empty()) return true;
  // drsnap's hop and vault copies, whatever the listing says of their source.
  auto lineage = naming::ParseNameView(s.id);
  return lineage &&
         (lineage->stage == naming::NameStage::kHop || lineage->stage == naming::NameStage::kVault);
}

std::string SnapshotArn(const Snapshot& s) {
  return s.arn.empty() ? SnapshotArn(s.scope, s.kind, s.id) : s.arn;
}

}  // namespace drsnap::engine
