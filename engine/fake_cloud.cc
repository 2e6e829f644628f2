#include "engine/fake_cloud.h"

#include <algorithm>

#include "core/arn.h"

namespace drsnap::engine {
namespace {

const char* AlreadyExistsCode(DbKind k) {
  return k == DbKind::kInstance ? "DBSnapshotAlreadyExists" : "DBClusterSnapshotAlreadyExistsFault";
}
const char* NotFoundCode(DbKind k) {
  return k == DbKind::kInstance ? "DBSnapshotNotFound" : "DBClusterSnapshotNotFoundFault";
}
const char* InvalidStateCode(DbKind k) {
  return k == DbKind::kInstance ? "InvalidDBSnapshotState" : "InvalidDBClusterSnapshotStateFault";
}

// Splits "arn:aws:rds:region:account:snapshot:id".
struct ParsedArn {
  Scope scope;
  std::string id;
};
std::optional<ParsedArn> ParseSnapshotArn(const std::string& text) {
  auto arn = ParseArn(text);
  if (!arn) return std::nullopt;
  size_t colon = arn->resource.find(':');  // "snapshot:<id>"
  if (colon == std::string_view::npos) return std::nullopt;
  return ParsedArn{Scope{std::string(arn->account), std::string(arn->region)},
                   std::string(arn->resource.substr(colon + 1))};
}

}  // namespace

FakeCloud::FakeCloud() = default;

void FakeCloud::AddDatabase(Database db) {
  std::lock_guard l(mu_);
  if (db.arn.empty()) db.arn = DatabaseArn(db.scope, db.kind, db.id);
  databases_.push_back(std::move(db));
}

void FakeCloud::RemoveDatabase(const Scope& scope, const std::string& db_id) {
  std::lock_guard l(mu_);
  std::erase_if(databases_, [&](const Database& d) { return d.scope == scope && d.id == db_id; });
}

void FakeCloud::AddSnapshot(Snapshot s) {
  std::lock_guard l(mu_);
  if (s.arn.empty()) s.arn = SnapshotArn(s.scope, s.kind, s.id);
  s.seen_from = s.scope;
  if (s.recovery_point == TimePoint{}) s.recovery_point = s.create_time;
  if (s.status_text.empty()) s.status_text = SnapshotStatusName(s.status);
  std::vector<std::string> shared = s.shared_with.value_or(std::vector<std::string>{});
  s.shared_with.reset();
  Scope scope = s.scope;
  std::string id = s.id;
  snapshots_[scope][id] = Stored{std::move(s), std::move(shared)};
}

void FakeCloud::SetDefaultKey(const Scope& scope, std::string arn) {
  std::lock_guard l(mu_);
  default_keys_[scope] = std::move(arn);
}

void FakeCloud::SetNow(TimePoint now) {
  std::lock_guard l(mu_);
  now_ = now;
}

void FakeCloud::FailListing(const Scope& scope, Error error) {
  std::lock_guard l(mu_);
  listing_failures_[scope] = std::move(error);
}

void FakeCloud::ClearListingFailures() {
  std::lock_guard l(mu_);
  listing_failures_.clear();
}

void FakeCloud::FailNext(const std::string& method, Error error, int count) {
  std::lock_guard l(mu_);
  for (int i = 0; i < count; ++i) fail_next_[method].push_back(error);
}

void FakeCloud::CompleteAll() {
  std::lock_guard l(mu_);
  for (auto& [scope, snaps] : snapshots_)
    for (auto& [id, st] : snaps)
      if (st.snap.status == SnapshotStatus::kCreating ||
          st.snap.status == SnapshotStatus::kCopying) {
        st.snap.status = SnapshotStatus::kAvailable;
        st.snap.status_text = "available";
        st.snap.percent_progress = 100;
      }
}

void FakeCloud::SetStatus(const Scope& scope, const std::string& snapshot_id,
                          const std::string& status) {
  std::lock_guard l(mu_);
  Stored* st = FindLocked(scope, snapshot_id);
  if (st == nullptr) return;
  st->snap.status = ParseSnapshotStatus(status);
  st->snap.status_text = status;
  if (st->snap.status == SnapshotStatus::kAvailable) st->snap.percent_progress = 100;
}

void FakeCloud::SetDatabaseStatus(const Scope& scope, const std::string& db_id,
                                  const std::string& status) {
  std::lock_guard l(mu_);
  for (auto& d : databases_)
    if (d.scope == scope && d.id == db_id) d.status = status;
}

std::optional<Database> FakeCloud::FindDatabase(const Scope& scope,
                                                const std::string& db_id) const {
  std::lock_guard l(mu_);
  for (const auto& d : databases_)
    if (d.scope == scope && d.id == db_id) return d;
  return std::nullopt;
}

std::vector<Snapshot> FakeCloud::OwnedSnapshots(const Scope& scope) const {
  std::lock_guard l(mu_);
  std::vector<Snapshot> out;
  auto it = snapshots_.find(scope);
  if (it == snapshots_.end()) return out;
  for (const auto& [id, st] : it->second) out.push_back(st.snap);
  return out;
}

std::optional<Snapshot> FakeCloud::Find(const Scope& scope, const std::string& snapshot_id) const {
  std::lock_guard l(mu_);
  auto it = snapshots_.find(scope);
  if (it == snapshots_.end()) return std::nullopt;
  auto jt = it->second.find(snapshot_id);
  if (jt == it->second.end()) return std::nullopt;
  Snapshot s = jt->second.snap;
  s.shared_with = jt->second.shared_with;
  return s;
}

int FakeCloud::Calls(const std::string& method) const {
  std::lock_guard l(mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

std::vector<std::string> FakeCloud::MutationLog() const {
  std::lock_guard l(mu_);
  return mutations_;
}

int FakeCloud::MaxCopiesInFlight(const Scope& scope) const {
  std::lock_guard l(mu_);
  auto it = max_in_flight_.find(scope);
  return it == max_in_flight_.end() ? 0 : it->second;
}

int FakeCloud::CopiesInFlight(const Scope& scope) const {
  std::lock_guard l(mu_);
  int n = 0;
  auto it = snapshots_.find(scope);
  if (it == snapshots_.end()) return 0;
  for (const auto& [id, st] : it->second)
    if (st.snap.status == SnapshotStatus::kCopying) ++n;  // a copy, not a create
  return n;
}

std::optional<Error> FakeCloud::Enter(const std::string& method) {
  ++calls_[method];
  auto it = fail_next_.find(method);
  if (it == fail_next_.end() || it->second.empty()) return std::nullopt;
  Error e = it->second.front();
  it->second.erase(it->second.begin());
  return e;
}

FakeCloud::Stored* FakeCloud::FindLocked(const Scope& scope, const std::string& id) {
  auto it = snapshots_.find(scope);
  if (it == snapshots_.end()) return nullptr;
  auto jt = it->second.find(id);
  return jt == it->second.end() ? nullptr : &jt->second;
}

const FakeCloud::Stored* FakeCloud::FindByArnLocked(const std::string& arn) const {
  auto parsed = ParseSnapshotArn(arn);
  if (!parsed) return nullptr;
  auto it = snapshots_.find(parsed->scope);
  if (it == snapshots_.end()) return nullptr;
  auto jt = it->second.find(parsed->id);
  return jt == it->second.end() ? nullptr : &jt->second;
}

int FakeCloud::CountLocked(const Scope& scope, DbKind kind, SnapshotStatus only,
                           bool any_status) const {
  int n = 0;
  auto it = snapshots_.find(scope);
  if (it == snapshots_.end()) return 0;
  for (const auto& [id, st] : it->second) {
    if (st.snap.kind != kind || st.snap.type != SnapshotType::kManual) continue;
    if (any_status || st.snap.status == only) ++n;
  }
  return n;
}

void FakeCloud::TrackInFlightLocked(const Scope& scope) {
  int n = 0;
  for (const auto& [id, st] : snapshots_[scope])
    if (st.snap.status == SnapshotStatus::kCopying) ++n;
  max_in_flight_[scope] = std::max(max_in_flight_[scope], n);
}

Result<std::vector<Database>> FakeCloud::ListDatabases(const Scope& scope) {
  std::lock_guard l(mu_);
  if (auto e = Enter("ListDatabases")) return Fail(*e);
  if (auto it = listing_failures_.find(scope); it != listing_failures_.end())
    return Fail(it->second);
  std::vector<Database> out;
  for (const auto& d : databases_)
    if (d.scope == scope) out.push_back(d);
  return out;
}

Result<std::vector<Snapshot>> FakeCloud::ListSnapshots(const Scope& scope) {
  std::lock_guard l(mu_);
  if (auto e = Enter("ListSnapshots")) return Fail(*e);
  if (auto it = listing_failures_.find(scope); it != listing_failures_.end())
    return Fail(it->second);
  std::vector<Snapshot> out;
  for (const auto& [owner, snaps] : snapshots_) {
    if (owner.region != scope.region) continue;
    for (const auto& [id, st] : snaps) {
      if (owner == scope) {
        out.push_back(st.snap);
      } else if (std::ranges::find(st.shared_with, scope.account_id) != st.shared_with.end()) {
        Snapshot s = st.snap;
        s.type = SnapshotType::kShared;
        s.seen_from = scope;
        s.tags.clear();  // tags do not cross accounts
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

Result<std::vector<std::string>> FakeCloud::ListSharedAccounts(const Scope& scope, DbKind kind,
                                                               const std::string& snapshot_id) {
  std::lock_guard l(mu_);
  if (auto e = Enter("ListSharedAccounts")) return Fail(*e);
  Stored* st = FindLocked(scope, snapshot_id);
  if (st == nullptr || st->snap.kind != kind)
    return Fail(Error::Terminal(NotFoundCode(kind), "Snapshot " + snapshot_id + " not found."));
  return st->shared_with;
}

Result<std::string> FakeCloud::DefaultRdsKeyArn(const Scope& scope) {
  std::lock_guard l(mu_);
  if (auto e = Enter("DefaultRdsKeyArn")) return Fail(*e);
  auto it = default_keys_.find(scope);
  return it == default_keys_.end() ? std::string() : it->second;
}

Result<Snapshot> FakeCloud::DescribeSnapshot(const Scope& scope, DbKind kind,
                                             const std::string& snapshot_id) {
  std::lock_guard l(mu_);
  if (auto e = Enter("DescribeSnapshot")) return Fail(*e);
  Stored* st = FindLocked(scope, snapshot_id);
  if (st == nullptr || st->snap.kind != kind)
    return Fail(Error::Terminal(NotFoundCode(kind), "Snapshot " + snapshot_id + " not found."));
  Snapshot s = st->snap;
  s.shared_with = st->shared_with;
  return s;
}

Result<Snapshot> FakeCloud::CreateSnapshot(const Scope& scope, DbKind kind,
                                           const std::string& db_id, const std::string& snapshot_id,
                                           const Tags& tags) {
  std::lock_guard l(mu_);
  if (auto e = Enter("CreateSnapshot")) return Fail(*e);
  const Database* db = nullptr;
  for (const auto& d : databases_)
    if (d.scope == scope && d.id == db_id && d.kind == kind) db = &d;
  if (db == nullptr)
    return Fail(
        Error::Terminal(kind == DbKind::kInstance ? "DBInstanceNotFound" : "DBClusterNotFoundFault",
                        "Database " + db_id + " not found."));
  if (FindLocked(scope, snapshot_id) != nullptr)
    return Fail(
        Error::Terminal(AlreadyExistsCode(kind),
                        "Cannot create the snapshot because a snapshot with the identifier " +
                            snapshot_id + " already exists."));
  if (CountLocked(scope, kind, SnapshotStatus::kOther, true) >= manual_quota_)
    return Fail(Error::Terminal(
        "SnapshotQuotaExceeded",
        "Cannot create more than " + std::to_string(manual_quota_) + " manual snapshots"));
  Snapshot s;
  s.kind = kind;
  s.id = snapshot_id;
  s.arn = SnapshotArn(scope, kind, snapshot_id);
  s.scope = scope;
  s.seen_from = scope;
  s.db_id = db_id;
  s.type = SnapshotType::kManual;
  s.status = SnapshotStatus::kCreating;
  s.status_text = "creating";
  s.create_time = now_;
  s.recovery_point = now_;
  s.encrypted = db->encrypted;
  s.kms_key_id = db->kms_key_id;
  s.engine = db->engine;
  s.allocated_gb = db->allocated_gb;
  s.tags = tags;
  snapshots_[scope][snapshot_id] = Stored{s, {}};
  mutations_.push_back("CreateSnapshot " + scope.ToString() + " " + snapshot_id);
  return s;
}

Result<Snapshot> FakeCloud::CopySnapshot(const Scope& destination, const CopyRequest& request) {
  std::lock_guard l(mu_);
  if (auto e = Enter("CopySnapshot")) return Fail(*e);
  const Stored* src = request.source.rfind("arn:", 0) == 0
                          ? FindByArnLocked(request.source)
                          : FindLocked(destination, request.source);
  if (src == nullptr || src->snap.kind != request.kind)
    return Fail(
        Error::Terminal(NotFoundCode(request.kind), "Snapshot " + request.source + " not found."));
  const Scope& src_scope = src->snap.scope;
  bool cross_account = src_scope.account_id != destination.account_id;
  bool cross_region = src_scope.region != destination.region;
  if (cross_account &&
      std::ranges::find(src->shared_with, destination.account_id) == src->shared_with.end())
    return Fail(
        Error::Terminal(NotFoundCode(request.kind), "Snapshot " + request.source + " not found."));
  if (src->snap.status != SnapshotStatus::kAvailable)
    return Fail(Error::Terminal(InvalidStateCode(request.kind),
                                "Snapshot " + request.source + " is not in available state."));
  if (src->snap.encrypted && (cross_account || cross_region) && request.kms_key_id.empty())
    return Fail(
        Error::Terminal("InvalidParameterValue",
                        "Must specify new KMS key for cross region encrypted snapshot copy"));
  if (strict_copy_rule_ && cross_account && cross_region && src->snap.encrypted)
    return Fail(Error::Terminal(
        "InvalidParameterCombination",
        "Cannot copy encrypted snapshot across regions: a shared encrypted snapshot can only be "
        "copied within its region."));
  if (cross_region && request.source_region.empty())
    return Fail(Error::Terminal("InvalidParameterValue", "SourceRegion is required."));
  if (FindLocked(destination, request.target_id) != nullptr)
    return Fail(
        Error::Terminal(AlreadyExistsCode(request.kind),
                        "Cannot create the snapshot because a snapshot with the identifier " +
                            request.target_id + " already exists."));
  int in_flight = 0;
  for (const auto& [id, st] : snapshots_[destination])
    if (st.snap.status == SnapshotStatus::kCopying) ++in_flight;
  if (in_flight >= copies_quota_)
    return Fail(Error::Terminal("SnapshotQuotaExceeded", "Cannot have more than " +
                                                             std::to_string(copies_quota_) +
                                                             " snapshot copies in progress."));
  if (CountLocked(destination, request.kind, SnapshotStatus::kOther, true) >= manual_quota_)
    return Fail(Error::Terminal(
        "SnapshotQuotaExceeded",
        "Cannot create more than " + std::to_string(manual_quota_) + " manual snapshots"));
  Snapshot s = src->snap;
  s.id = request.target_id;
  s.arn = SnapshotArn(destination, request.kind, request.target_id);
  s.scope = destination;
  s.seen_from = destination;
  s.type = SnapshotType::kManual;
  s.status = SnapshotStatus::kCopying;
  s.status_text = "copying";
  s.percent_progress = 0;
  s.create_time = now_;
  s.recovery_point = src->snap.recovery_point;
  if (!request.kms_key_id.empty()) s.kms_key_id = request.kms_key_id;
  s.source_arn = src->snap.arn;
  s.source_region = cross_region ? src_scope.region : "";
  s.tags = request.tags;
  if (request.copy_tags && !cross_account)
    for (const auto& [k, v] : src->snap.tags) s.tags.emplace(k, v);
  snapshots_[destination][request.target_id] = Stored{s, {}};
  TrackInFlightLocked(destination);
  mutations_.push_back("CopySnapshot " + destination.ToString() + " " + request.target_id);
  return s;
}

Status FakeCloud::ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                                const std::vector<std::string>& accounts) {
  std::lock_guard l(mu_);
  if (auto e = Enter("ShareSnapshot")) return Fail(*e);
  Stored* st = FindLocked(scope, snapshot_id);
  if (st == nullptr || st->snap.kind != kind)
    return Fail(Error::Terminal(NotFoundCode(kind), "Snapshot " + snapshot_id + " not found."));
  if (st->snap.type == SnapshotType::kAutomated)
    return Fail(Error::Terminal("InvalidParameterValue",
                                "The parameter DBSnapshotIdentifier is not a valid identifier: "
                                "automated snapshots cannot be shared."));
  auto it = default_keys_.find(scope);
  if (st->snap.encrypted && it != default_keys_.end() && st->snap.kms_key_id == it->second)
    return Fail(Error::Terminal("InvalidParameterValue",
                                "Snapshots encrypted with the default KMS key cannot be shared."));
  for (const auto& a : accounts)
    if (std::ranges::find(st->shared_with, a) == st->shared_with.end())
      st->shared_with.push_back(a);
  mutations_.push_back("ShareSnapshot " + scope.ToString() + " " + snapshot_id);
  return OkStatus();
}

Status FakeCloud::DeleteSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id) {
  std::lock_guard l(mu_);
  if (auto e = Enter("DeleteSnapshot")) return Fail(*e);
  Stored* st = FindLocked(scope, snapshot_id);
  if (st == nullptr || st->snap.kind != kind)
    return Fail(Error::Terminal(NotFoundCode(kind), "Snapshot " + snapshot_id + " not found."));
  if (st->snap.type == SnapshotType::kAutomated)
    return Fail(Error::Terminal(InvalidStateCode(kind), "Automated snapshots cannot be deleted."));
  snapshots_[scope].erase(snapshot_id);
  mutations_.push_back("DeleteSnapshot " + scope.ToString() + " " + snapshot_id);
  return OkStatus();
}

Database* FakeCloud::FindDatabaseLocked(const Scope& scope, DbKind kind, const std::string& db_id) {
  for (auto& d : databases_)
    if (d.scope == scope && d.kind == kind && d.id == db_id) return &d;
  return nullptr;
}

namespace {
Error DbNotFound(DbKind kind, const std::string& id) {
  return kind == DbKind::kInstance
             ? Error::Terminal("DBInstanceNotFound", "DBInstance " + id + " not found.")
             : Error::Terminal("DBClusterNotFoundFault", "DBCluster " + id + " not found.");
}
}  // namespace

Result<Database> FakeCloud::RestoreFromSnapshot(const Scope& scope, const RestoreRequest& request) {
  std::lock_guard l(mu_);
  if (auto e = Enter("RestoreFromSnapshot")) return Fail(*e);
  const Stored* src = request.snapshot_id.rfind("arn:", 0) == 0
                          ? FindByArnLocked(request.snapshot_id)
                          : FindLocked(scope, request.snapshot_id);
  if (src == nullptr || src->snap.kind != request.kind || !(src->snap.scope == scope))
    return Fail(Error::Terminal(NotFoundCode(request.kind),
                                "Snapshot " + request.snapshot_id + " not found."));
  if (src->snap.status != SnapshotStatus::kAvailable)
    return Fail(Error::Terminal(InvalidStateCode(request.kind),
                                "Snapshot " + request.snapshot_id + " is not in available state."));
  if (request.kind == DbKind::kCluster && request.engine.empty())
    return Fail(Error::Terminal("MissingParameter", "Engine is required."));
  if (FindDatabaseLocked(scope, request.kind, request.db_id) != nullptr)
    return Fail(request.kind == DbKind::kInstance
                    ? Error::Terminal("DBInstanceAlreadyExists", "DB instance already exists")
                    : Error::Terminal("DBClusterAlreadyExistsFault", "DB Cluster already exists"));
  Database d;
  d.kind = request.kind;
  d.id = request.db_id;
  d.arn = DatabaseArn(scope, d.kind, d.id);
  d.scope = scope;
  d.engine = src->snap.engine;
  d.status = "creating";
  d.encrypted = src->snap.encrypted;
  d.kms_key_id = src->snap.kms_key_id;
  d.allocated_gb = src->snap.allocated_gb;
  d.tags = request.tags;
  databases_.push_back(d);
  mutations_.push_back("RestoreFromSnapshot " + scope.ToString() + " " + d.id);
  return d;
}

Result<Database> FakeCloud::DescribeDatabase(const Scope& scope, DbKind kind,
                                             const std::string& db_id) {
  std::lock_guard l(mu_);
  if (auto e = Enter("DescribeDatabase")) return Fail(*e);
  if (auto it = listing_failures_.find(scope); it != listing_failures_.end())
    return Fail(it->second);
  Database* d = FindDatabaseLocked(scope, kind, db_id);
  if (d == nullptr) return Fail(DbNotFound(kind, db_id));
  return *d;
}

Status FakeCloud::DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id) {
  std::lock_guard l(mu_);
  if (auto e = Enter("DeleteDatabase")) return Fail(*e);
  Database* d = FindDatabaseLocked(scope, kind, db_id);
  if (d == nullptr) return Fail(DbNotFound(kind, db_id));
  if (d->status == "creating")
    return Fail(kind == DbKind::kInstance
                    ? Error::Terminal("InvalidDBInstanceState",
                                      "Instance " + db_id + " is not in available state.")
                    : Error::Terminal("InvalidDBClusterStateFault",
                                      "DBCluster " + db_id + " is not in available state."));
  std::erase_if(databases_, [&](const Database& x) {
    return x.scope == scope && x.kind == kind && x.id == db_id;
  });
  mutations_.push_back("DeleteDatabase " + scope.ToString() + " " + db_id);
  return OkStatus();
}

void FakeCloud::SetKeyUsers(const std::string& key_arn, std::vector<std::string> accounts) {
  std::lock_guard<std::mutex> lock(mu_);
  key_users_[key_arn] = std::move(accounts);
}

void FakeCloud::SetSnapshotQuotas(const Scope& scope, long long instance_max,
                                  long long cluster_max) {
  std::lock_guard<std::mutex> lock(mu_);
  quotas_[scope] = {instance_max, cluster_max};
}

Result<SnapshotQuotas> FakeCloud::DescribeSnapshotQuotas(const Scope& scope) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = Enter("DescribeSnapshotQuotas")) return Fail(*e);
  auto q = quotas_.find(scope);
  if (q == quotas_.end()) return Fail(NotSupportedError("DescribeSnapshotQuotas"));
  SnapshotQuotas out;
  out.instance_max = q->second.first;
  out.cluster_max = q->second.second;
  if (auto it = snapshots_.find(scope); it != snapshots_.end())
    for (const auto& [id, st] : it->second)
      if (st.snap.type == SnapshotType::kManual && st.snap.scope == scope)
        ++(st.snap.kind == DbKind::kCluster ? out.cluster_used : out.instance_used);
  return out;
}

Result<Tags> FakeCloud::ReadLedger(const Scope& scope) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = Enter("ReadLedger")) return Fail(*e);
  auto it = ledgers_.find(scope);
  return it == ledgers_.end() ? Tags{} : it->second;
}

Status FakeCloud::WriteLedger(const Scope& scope, const Tags& put,
                              const std::vector<std::string>& remove) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = Enter("WriteLedger")) return Fail(*e);
  Tags& tags = ledgers_[scope];
  for (const auto& k : remove) tags.erase(k);
  for (const auto& [k, v] : put) tags[k] = v;
  mutations_.push_back("WriteLedger " + scope.ToString());
  return OkStatus();
}

Tags FakeCloud::LedgerTags(const Scope& scope) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ledgers_.find(scope);
  return it == ledgers_.end() ? Tags{} : it->second;
}

Result<KeyUse> FakeCloud::CheckKeyUse(const Scope& scope, const std::string& key_arn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = Enter("CheckKeyUse")) return Fail(*e);
  KeyUse use;
  auto it = key_users_.find(key_arn);
  if (it == key_users_.end() || ArnAccount(key_arn) == scope.account_id ||
      std::ranges::find(it->second, scope.account_id) != it->second.end())
    return use;
  use.usable = false;
  use.code = "AccessDeniedException";
  use.message = "User: arn:aws:iam::" + scope.account_id +
                ":role/drsnap is not authorized to perform: kms:DescribeKey on resource: " +
                key_arn;
  return use;
}

Status FakeCloud::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                              const Tags& tags) {
  std::lock_guard l(mu_);
  if (auto e = Enter("TagSnapshot")) return Fail(*e);
  auto parsed = ParseSnapshotArn(snapshot_arn);
  Stored* st = parsed && parsed->scope == scope ? FindLocked(scope, parsed->id) : nullptr;
  if (st == nullptr)
    return Fail(Error::Terminal("DBSnapshotNotFound", "Snapshot " + snapshot_arn + " not found."));
  for (const auto& [k, v] : tags) st->snap.tags[k] = v;
  mutations_.push_back("TagSnapshot " + scope.ToString() + " " + st->snap.id);
  return OkStatus();
}

}  // namespace drsnap::engine
