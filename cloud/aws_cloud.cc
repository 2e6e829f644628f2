#include "cloud/aws_cloud.h"

#include <set>

#include "aws/endpoints.h"
#include "aws/sts.h"
#include "core/arn.h"
#include "core/time_util.h"
#include "engine/ledger.h"
#include "engine/naming.h"

namespace drsnap::cloud {

using engine::Database;
using engine::DbKind;
using engine::Scope;
using engine::Snapshot;
using engine::SnapshotType;

namespace {

// "arn:<partition>:rds:<region>:<account>:<type>:<id>" -> owner scope;
// nullopt otherwise.
std::optional<Scope> ScopeOfArn(const std::string& arn) {
  auto parsed = ParseArn(arn);
  if (!parsed) return std::nullopt;
  return Scope{std::string(parsed->account), std::string(parsed->region)};
}

engine::Tags ToTags(const std::vector<aws::Tag>& list) {
  engine::Tags t;
  for (const auto& tag : list) t[tag.key] = tag.value;
  return t;
}

std::vector<aws::Tag> FromTags(const engine::Tags& tags) {
  std::vector<aws::Tag> out;
  for (const auto& [k, v] : tags) out.push_back(aws::Tag{k, v});
  return out;
}

SnapshotType ToType(const std::string& t, const Scope& owner, const Scope& seen_from) {
  if (t == "automated") return SnapshotType::kAutomated;
  if (t == "shared" || owner.account_id != seen_from.account_id) return SnapshotType::kShared;
  return SnapshotType::kManual;
}

// The point in time a snapshot restores to: AWS's OriginalSnapshotCreateTime
// on instance copies; for cluster copies (no such field) the lineage drsnap
// wrote into the tag or the name; else the snapshot's own time.
TimePoint RecoveryPoint(const std::optional<TimePoint>& original,
                        const std::optional<TimePoint>& created, const engine::Tags& tags,
                        const std::string& id) {
  if (original) return *original;
  if (auto it = tags.find(engine::naming::kTagRecoveryPoint); it != tags.end())
    if (auto t = ParseIso8601(it->second)) return *t;
  if (auto lineage = engine::naming::ParseName(id)) return lineage->recovery_point;
  return created.value_or(TimePoint{});
}

std::string OptionGroup(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (n.rfind("default:", 0) != 0) return n;
  return "";
}

Error NotFound(DbKind kind, const std::string& id) {
  return Error::Terminal(
      kind == DbKind::kInstance ? "DBSnapshotNotFound" : "DBClusterSnapshotNotFoundFault",
      (kind == DbKind::kInstance ? "DBSnapshot " : "DBClusterSnapshot ") + id + " not found.");
}

}  // namespace

Snapshot ToSnapshot(const aws::DBSnapshot& s, const Scope& seen_from) {
  Snapshot out;
  out.kind = DbKind::kInstance;
  out.id = s.db_snapshot_identifier;
  out.arn = s.db_snapshot_arn;
  out.scope = ScopeOfArn(s.db_snapshot_arn).value_or(seen_from);
  out.seen_from = seen_from;
  out.db_id = s.db_instance_identifier;
  out.type = ToType(s.snapshot_type, out.scope, seen_from);
  out.status = engine::ParseSnapshotStatus(s.status);
  out.status_text = s.status;
  out.percent_progress = s.percent_progress;
  out.create_time = s.snapshot_create_time.value_or(TimePoint{});
  out.encrypted = s.encrypted;
  out.kms_key_id = s.kms_key_id;
  out.source_arn = s.source_db_snapshot_identifier;
  out.source_region = s.source_region;
  out.engine = s.engine;
  out.allocated_gb = s.allocated_storage;
  out.tags = ToTags(s.tag_list);
  out.recovery_point =
      RecoveryPoint(s.original_snapshot_create_time, s.snapshot_create_time, out.tags, out.id);
  return out;
}

Snapshot ToSnapshot(const aws::DBClusterSnapshot& s, const Scope& seen_from) {
  Snapshot out;
  out.kind = DbKind::kCluster;
  out.id = s.db_cluster_snapshot_identifier;
  out.arn = s.db_cluster_snapshot_arn;
  out.scope = ScopeOfArn(s.db_cluster_snapshot_arn).value_or(seen_from);
  out.seen_from = seen_from;
  out.db_id = s.db_cluster_identifier;
  out.type = ToType(s.snapshot_type, out.scope, seen_from);
  out.status = engine::ParseSnapshotStatus(s.status);
  out.status_text = s.status;
  out.percent_progress = s.percent_progress;
  out.create_time = s.snapshot_create_time.value_or(TimePoint{});
  out.encrypted = s.storage_encrypted;
  out.kms_key_id = s.kms_key_id;
  out.source_arn = s.source_db_cluster_snapshot_arn;
  if (auto src = ScopeOfArn(s.source_db_cluster_snapshot_arn);
      src && src->region != out.scope.region)
    out.source_region = src->region;
  out.engine = s.engine;
  out.allocated_gb = s.allocated_storage;
  out.tags = ToTags(s.tag_list);
  out.recovery_point = RecoveryPoint(std::nullopt, s.snapshot_create_time, out.tags, out.id);
  return out;
}

Database ToDatabase(const aws::DBInstance& i, const Scope& scope) {
  Database d;
  d.kind = DbKind::kInstance;
  d.id = i.db_instance_identifier;
  d.arn = i.db_instance_arn;
  d.scope = scope;
  d.engine = i.engine;
  d.status = i.db_instance_status;
  d.encrypted = i.storage_encrypted;
  d.kms_key_id = i.kms_key_id;
  d.backup_retention_days = i.backup_retention_period;
  d.option_group = OptionGroup(i.option_group_names);
  d.allocated_gb = i.allocated_storage;
  d.tags = ToTags(i.tag_list);
  return d;
}

Database ToDatabase(const aws::DBCluster& c, const Scope& scope) {
  Database d;
  d.kind = DbKind::kCluster;
  d.id = c.db_cluster_identifier;
  d.arn = c.db_cluster_arn;
  d.scope = scope;
  d.engine = c.engine;
  d.status = c.status;
  d.encrypted = c.storage_encrypted;
  d.kms_key_id = c.kms_key_id;
  d.backup_retention_days = c.backup_retention_period;
  d.option_group = OptionGroup(c.option_group_names);
  d.allocated_gb = c.allocated_storage;
  d.tags = ToTags(c.tag_list);
  return d;
}

// ---------------------------------------------------------------- AwsCloud

AwsCloud::AwsCloud(AwsCloudOptions options) : opt_(std::move(options)) {}

Status AwsCloud::CheckAccount(const Scope& scope) const {
  if (scope.account_id == opt_.account_id) return OkStatus();
  return Fail(Error::Terminal("WrongAccount", "this cloud acts in account " + opt_.account_id +
                                                  ", not " + scope.account_id));
}

Result<aws::ServiceEndpoint> AwsCloud::EndpointFor(const std::string& service,
                                                   const std::string& region) const {
  if (!opt_.endpoint_url.empty()) {
    std::string url = opt_.endpoint_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return aws::ServiceEndpoint{url, region, service};
  }
  return opt_.session->Endpoint(service, region);
}

Status AwsCloud::VerifyIdentityLocked(const std::string& region) {
  if (identity_) return *identity_;
  const auto& factory = opt_.session->sts_factory();
  if (!factory) {
    identity_ = OkStatus();  // nothing to ask (tests without STS)
    return *identity_;
  }
  auto sts = factory(opt_.session->credentials(), region);
  auto who = sts->GetCallerIdentity();
  if (!who) {
    Error e = std::move(who).error().With("checking whose credentials account " +
                                          opt_.account_id + " uses (sts:GetCallerIdentity)");
    if (!e.retryable()) identity_ = Fail(e);
    return Fail(std::move(e));
  }
  if (who->account != opt_.account_id) {
    identity_ = Fail(Error::Terminal(
        "WrongAccount", "the credentials drsnap has for account " + opt_.account_id +
                            " belong to account " + who->account + " (" + who->arn +
                            "); give that account a profile or role_arn in the policy file"));
  } else {
    identity_ = OkStatus();
  }
  return *identity_;
}

Result<AwsCloud::RegionClients> AwsCloud::Clients(const std::string& region) {
  std::lock_guard l(mu_);
  if (auto it = regions_.find(region); it != regions_.end()) return it->second;
  DRSNAP_RETURN_IF_ERROR(aws::ValidateRegion(region));
  if (opt_.verify_account) DRSNAP_RETURN_IF_ERROR(VerifyIdentityLocked(region));
  aws::ClientContext ctx;
  ctx.transport = opt_.session->transport();
  ctx.credentials = opt_.session->credentials();
  ctx.clock = opt_.session->clock();
  ctx.retry = opt_.retry;
  ctx.user_agent = opt_.user_agent;
  if (opt_.rate_limiters) ctx.rate_limiter = opt_.rate_limiters(opt_.account_id, region);
  DRSNAP_ASSIGN_OR_RETURN(auto rds_ep, EndpointFor("rds", region));
  DRSNAP_ASSIGN_OR_RETURN(auto kms_ep, EndpointFor("kms", region));
  RegionClients c;
  aws::RdsEndpointResolver resolver = [this](const std::string& r) {
    return EndpointFor("rds", r);
  };
  c.rds =
      std::make_shared<aws::RdsClient>(std::make_shared<aws::ServiceClient>(ctx, rds_ep), resolver);
  c.kms = std::make_shared<aws::KmsClient>(std::make_shared<aws::ServiceClient>(ctx, kms_ep));
  regions_[region] = c;
  return c;
}

Result<std::shared_ptr<aws::RdsClient>> AwsCloud::Rds(const std::string& region) {
  DRSNAP_ASSIGN_OR_RETURN(auto c, Clients(region));
  return c.rds;
}

Result<std::shared_ptr<aws::KmsClient>> AwsCloud::Kms(const std::string& region) {
  DRSNAP_ASSIGN_OR_RETURN(auto c, Clients(region));
  return c.kms;
}

#define DRSNAP_CLOUD_PRELUDE(scope)                                                     \
  DRSNAP_RETURN_IF_ERROR(CheckAccount(scope));                                          \
  auto clients_or = Clients((scope).region);                                            \
  if (!clients_or) return Fail(std::move(clients_or).error().With((scope).ToString())); \
  aws::RdsClient& rds = *clients_or->rds

Result<std::vector<Database>> AwsCloud::ListDatabases(const Scope& scope) {
  DRSNAP_CLOUD_PRELUDE(scope);
  std::vector<Database> out;
  aws::DescribeDBInstancesRequest ireq;
  ireq.max_records = opt_.page_size;
  auto instances = rds.DescribeDBInstancesAll(ireq);
  if (!instances)
    return Fail(std::move(instances).error().With("listing DB instances in " + scope.ToString()));
  for (const auto& i : *instances) {
    if (!i.db_cluster_identifier.empty()) continue;  // Aurora members: the cluster is the unit
    Database d;
    d.kind = DbKind::kInstance;
    d.id = i.db_instance_identifier;
    d.arn = i.db_instance_arn;
    d.scope = scope;
    d.engine = i.engine;
    d.status = i.db_instance_status;
    d.encrypted = i.storage_encrypted;
    d.kms_key_id = i.kms_key_id;
    d.backup_retention_days = i.backup_retention_period;
    d.option_group = OptionGroup(i.option_group_names);
    d.allocated_gb = i.allocated_storage;
    d.tags = ToTags(i.tag_list);
    out.push_back(std::move(d));
  }
  aws::DescribeDBClustersRequest creq;
  creq.max_records = opt_.page_size;
  auto clusters = rds.DescribeDBClustersAll(creq);
  if (!clusters)
    return Fail(std::move(clusters).error().With("listing DB clusters in " + scope.ToString()));
  for (const auto& c : *clusters) {
    Database d;
    d.kind = DbKind::kCluster;
    d.id = c.db_cluster_identifier;
    d.arn = c.db_cluster_arn;
    d.scope = scope;
    d.engine = c.engine;
    d.status = c.status;
    d.encrypted = c.storage_encrypted;
    d.kms_key_id = c.kms_key_id;
    d.backup_retention_days = c.backup_retention_period;
    d.option_group = OptionGroup(c.option_group_names);
    d.allocated_gb = c.allocated_storage;
    d.tags = ToTags(c.tag_list);
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Snapshot>> AwsCloud::ListSnapshots(const Scope& scope) {
  DRSNAP_CLOUD_PRELUDE(scope);
  std::vector<Snapshot> out;
  aws::DescribeDBSnapshotsRequest sreq;
  sreq.max_records = opt_.page_size;
  sreq.include_shared = true;
  auto snaps = rds.DescribeDBSnapshotsAll(sreq);
  if (!snaps)
    return Fail(std::move(snaps).error().With("listing DB snapshots in " + scope.ToString()));
  for (const auto& s : *snaps) {
    if (s.snapshot_type == "public" || s.snapshot_type == "awsbackup") continue;
    out.push_back(ToSnapshot(s, scope));
  }
  aws::DescribeDBClusterSnapshotsRequest creq;
  creq.max_records = opt_.page_size;
  creq.include_shared = true;
  auto csnaps = rds.DescribeDBClusterSnapshotsAll(creq);
  if (!csnaps)
    return Fail(
        std::move(csnaps).error().With("listing DB cluster snapshots in " + scope.ToString()));
  for (const auto& s : *csnaps) {
    if (s.snapshot_type == "public" || s.snapshot_type == "awsbackup") continue;
    out.push_back(ToSnapshot(s, scope));
  }
  return out;
}

Result<std::vector<std::string>> AwsCloud::ListSharedAccounts(const Scope& scope, DbKind kind,
                                                              const std::string& snapshot_id) {
  DRSNAP_CLOUD_PRELUDE(scope);
  auto r = kind == DbKind::kInstance ? rds.DescribeDBSnapshotAttributes(snapshot_id)
                                     : rds.DescribeDBClusterSnapshotAttributes(snapshot_id);
  if (!r) return Fail(std::move(r).error().With("reading the restore attribute of " + snapshot_id));
  return r->Values("restore");
}

Result<std::string> AwsCloud::DefaultRdsKeyArn(const Scope& scope) {
  DRSNAP_RETURN_IF_ERROR(CheckAccount(scope));
  auto clients = Clients(scope.region);
  if (!clients) return Fail(std::move(clients).error());
  auto key = clients->kms->DescribeKey("alias/aws/rds");
  if (key) return key->arn;
  if (key.error().code == "NotFoundException") return std::string();
  return Fail(std::move(key).error().With("describing alias/aws/rds in " + scope.ToString()));
}

Result<engine::SnapshotQuotas> AwsCloud::DescribeSnapshotQuotas(const Scope& scope) {
  DRSNAP_CLOUD_PRELUDE(scope);
  auto quotas = rds.DescribeAccountAttributes();
  if (!quotas) return Fail(std::move(quotas).error().With("quotas of " + scope.ToString()));
  engine::SnapshotQuotas out;
  for (const auto& q : *quotas) {
    if (q.account_quota_name == "ManualSnapshots") {
      out.instance_used = q.used;
      out.instance_max = q.max;
    } else if (q.account_quota_name == "ManualClusterSnapshots") {
      out.cluster_used = q.used;
      out.cluster_max = q.max;
    }
  }
  return out;
}

Result<engine::KeyUse> AwsCloud::CheckKeyUse(const Scope& scope, const std::string& key_arn) {
  DRSNAP_RETURN_IF_ERROR(CheckAccount(scope));
  auto clients = Clients(scope.region);
  if (!clients) return Fail(std::move(clients).error());
  auto key = clients->kms->DescribeKey(key_arn);
  engine::KeyUse use;
  if (key) {
    if (!key->enabled || key->key_state != "Enabled") {
      use.usable = false;
      use.code = key->key_state == "PendingDeletion" ? "KeyPendingDeletion" : "KeyDisabled";
      use.message = "key " + key_arn + " is " + key->key_state;
    }
    return use;
  }
  const Error& e = key.error();
  if (e.code == "AccessDeniedException" || e.code == "NotFoundException" ||
      e.code == "KMSInvalidStateException") {
    use.usable = false;
    use.code = e.code;
    use.message = e.message;
    return use;
  }
  return Fail(std::move(key).error().With("describing " + key_arn + " as " + scope.ToString()));
}

Result<Snapshot> AwsCloud::DescribeSnapshot(const Scope& scope, DbKind kind,
                                            const std::string& snapshot_id) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    aws::DescribeDBSnapshotsRequest req;
    req.db_snapshot_identifier = snapshot_id;
    auto page = rds.DescribeDBSnapshots(req);
    if (!page) return Fail(std::move(page).error().With("describing " + snapshot_id));
    for (const auto& s : page->items)
      if (s.db_snapshot_identifier == snapshot_id) return ToSnapshot(s, scope);
  } else {
    aws::DescribeDBClusterSnapshotsRequest req;
    req.db_cluster_snapshot_identifier = snapshot_id;
    auto page = rds.DescribeDBClusterSnapshots(req);
    if (!page) return Fail(std::move(page).error().With("describing " + snapshot_id));
    for (const auto& s : page->items)
      if (s.db_cluster_snapshot_identifier == snapshot_id) return ToSnapshot(s, scope);
  }
  return Fail(NotFound(kind, snapshot_id));
}

Result<Snapshot> AwsCloud::CreateSnapshot(const Scope& scope, DbKind kind, const std::string& db_id,
                                          const std::string& snapshot_id,
                                          const engine::Tags& tags) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    aws::CreateDBSnapshotRequest req;
    req.db_snapshot_identifier = snapshot_id;
    req.db_instance_identifier = db_id;
    req.tags = FromTags(tags);
    auto r = rds.CreateDBSnapshot(req);
    if (!r) return Fail(std::move(r).error());
    return ToSnapshot(*r, scope);
  }
  aws::CreateDBClusterSnapshotRequest req;
  req.db_cluster_snapshot_identifier = snapshot_id;
  req.db_cluster_identifier = db_id;
  req.tags = FromTags(tags);
  auto r = rds.CreateDBClusterSnapshot(req);
  if (!r) return Fail(std::move(r).error());
  return ToSnapshot(*r, scope);
}

Result<Snapshot> AwsCloud::CopySnapshot(const Scope& destination,
                                        const engine::CopyRequest& request) {
  DRSNAP_CLOUD_PRELUDE(destination);
  std::string source_region =
      request.source_region == destination.region ? "" : request.source_region;
  if (request.kind == DbKind::kInstance) {
    aws::CopyDBSnapshotRequest req;
    req.source_db_snapshot_identifier = request.source;
    req.target_db_snapshot_identifier = request.target_id;
    req.kms_key_id = request.kms_key_id;
    req.tags = FromTags(request.tags);
    if (request.copy_tags) req.copy_tags = true;
    req.option_group_name = request.option_group;
    req.source_region = source_region;
    auto r = rds.CopyDBSnapshot(req);
    if (!r) return Fail(std::move(r).error());
    return ToSnapshot(*r, destination);
  }
  aws::CopyDBClusterSnapshotRequest req;
  req.source_db_cluster_snapshot_identifier = request.source;
  req.target_db_cluster_snapshot_identifier = request.target_id;
  req.kms_key_id = request.kms_key_id;
  req.tags = FromTags(request.tags);
  if (request.copy_tags) req.copy_tags = true;
  req.source_region = source_region;
  auto r = rds.CopyDBClusterSnapshot(req);
  if (!r) return Fail(std::move(r).error());
  return ToSnapshot(*r, destination);
}

Status AwsCloud::ShareSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id,
                               const std::vector<std::string>& accounts) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    aws::ModifyDBSnapshotAttributeRequest req;
    req.db_snapshot_identifier = snapshot_id;
    req.values_to_add = accounts;
    auto r = rds.ModifyDBSnapshotAttribute(req);
    if (!r) return Fail(std::move(r).error());
    return OkStatus();
  }
  aws::ModifyDBClusterSnapshotAttributeRequest req;
  req.db_cluster_snapshot_identifier = snapshot_id;
  req.values_to_add = accounts;
  auto r = rds.ModifyDBClusterSnapshotAttribute(req);
  if (!r) return Fail(std::move(r).error());
  return OkStatus();
}

Status AwsCloud::DeleteSnapshot(const Scope& scope, DbKind kind, const std::string& snapshot_id) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    auto r = rds.DeleteDBSnapshot(snapshot_id);
    if (!r) return Fail(std::move(r).error());
    return OkStatus();
  }
  auto r = rds.DeleteDBClusterSnapshot(snapshot_id);
  if (!r) return Fail(std::move(r).error());
  return OkStatus();
}

// ------------------------------------------------------------ restore drills

Result<Database> AwsCloud::RestoreFromSnapshot(const Scope& scope,
                                               const engine::RestoreRequest& request) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (request.kind == DbKind::kInstance) {
    aws::RestoreDBInstanceFromDBSnapshotRequest req;
    req.db_instance_identifier = request.db_id;
    req.db_snapshot_identifier = request.snapshot_id;
    req.db_instance_class = request.instance_class;
    req.db_subnet_group_name = request.subnet_group;
    req.vpc_security_group_ids = request.security_groups;
    req.multi_az = false;
    req.publicly_accessible = false;
    req.deletion_protection = false;
    req.tags = FromTags(request.tags);
    auto r = rds.RestoreDBInstanceFromDBSnapshot(req);
    if (!r) return Fail(std::move(r).error());
    return ToDatabase(*r, scope);
  }
  aws::RestoreDBClusterFromSnapshotRequest req;
  req.db_cluster_identifier = request.db_id;
  req.snapshot_identifier = request.snapshot_id;
  req.engine = request.engine;
  req.db_subnet_group_name = request.subnet_group;
  req.vpc_security_group_ids = request.security_groups;
  req.deletion_protection = false;
  req.tags = FromTags(request.tags);
  auto r = rds.RestoreDBClusterFromSnapshot(req);
  if (!r) return Fail(std::move(r).error());
  return ToDatabase(*r, scope);
}

Result<Database> AwsCloud::DescribeDatabase(const Scope& scope, DbKind kind,
                                            const std::string& db_id) {
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    aws::DescribeDBInstancesRequest req;
    req.db_instance_identifier = db_id;
    auto page = rds.DescribeDBInstances(req);
    if (!page) return Fail(std::move(page).error().With("describing " + db_id));
    for (const auto& i : page->items)
      if (i.db_instance_identifier == db_id) return ToDatabase(i, scope);
    return Fail(Error::Terminal("DBInstanceNotFound", "DBInstance " + db_id + " not found."));
  }
  aws::DescribeDBClustersRequest req;
  req.db_cluster_identifier = db_id;
  auto page = rds.DescribeDBClusters(req);
  if (!page) return Fail(std::move(page).error().With("describing " + db_id));
  for (const auto& c : page->items)
    if (c.db_cluster_identifier == db_id) return ToDatabase(c, scope);
  return Fail(Error::Terminal("DBClusterNotFoundFault", "DBCluster " + db_id + " not found."));
}

Status AwsCloud::DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id) {
  // Defence in depth below the drill planner's rule: this layer never
  // deletes a database that is not named like a restore drill.
  if (!db_id.starts_with("drsnap-verify-"))
    return Fail(Error::Terminal(
        "RefusedBySafetyRule",
        "drsnap deletes only its restore-drill databases (drsnap-verify-*), not " + db_id));
  DRSNAP_CLOUD_PRELUDE(scope);
  if (kind == DbKind::kInstance) {
    aws::DeleteDBInstanceRequest req;
    req.db_instance_identifier = db_id;
    req.skip_final_snapshot = true;
    req.delete_automated_backups = true;
    auto r = rds.DeleteDBInstance(req);
    if (!r) return Fail(std::move(r).error());
    return OkStatus();
  }
  aws::DeleteDBClusterRequest req;
  req.db_cluster_identifier = db_id;
  req.skip_final_snapshot = true;
  req.delete_automated_backups = true;
  auto r = rds.DeleteDBCluster(req);
  if (!r) return Fail(std::move(r).error());
  return OkStatus();
}

Status AwsCloud::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                             const engine::Tags& tags) {
  DRSNAP_CLOUD_PRELUDE(scope);
  auto owner = ScopeOfArn(snapshot_arn);
  if (!owner || !(*owner == scope))
    return Fail(Error::Terminal("InvalidParameterValue",
                                "not a snapshot ARN of " + scope.ToString() + ": " + snapshot_arn));
  if (tags.empty()) return OkStatus();
  return rds.AddTagsToResource(snapshot_arn, FromTags(tags));
}

// drsnap's ledger (engine/ledger.h): the tags of one DB parameter group.
Result<engine::Tags> AwsCloud::ReadLedger(const Scope& scope) {
  DRSNAP_CLOUD_PRELUDE(scope);
  const std::string arn =
      MakeArn("rds", scope.region, scope.account_id, "pg:" + std::string(engine::kLedgerName));
  auto tags = rds.ListTagsForResource(arn);
  if (tags) return ToTags(*tags);
  if (tags.error().code == "DBParameterGroupNotFound") return engine::Tags{};
  return Fail(std::move(tags).error().With("reading drsnap's ledger in " + scope.ToString()));
}

Status AwsCloud::WriteLedger(const Scope& scope, const engine::Tags& put,
                             const std::vector<std::string>& remove) {
  DRSNAP_CLOUD_PRELUDE(scope);
  const std::string name(engine::kLedgerName);
  const std::string arn = MakeArn("rds", scope.region, scope.account_id, "pg:" + name);
  if (!remove.empty()) {
    auto removed = rds.RemoveTagsFromResource(arn, remove);
    if (!removed && removed.error().code != "DBParameterGroupNotFound")
      return Fail(std::move(removed).error().With("updating drsnap's ledger in " + scope.ToString()));
  }
  if (put.empty()) return OkStatus();
  auto added = rds.AddTagsToResource(arn, FromTags(put));
  if (added || added.error().code != "DBParameterGroupNotFound") {
    if (!added)
      return Fail(std::move(added).error().With("updating drsnap's ledger in " + scope.ToString()));
    return OkStatus();
  }
  // The first entry here: create the group with it.
  engine::Tags tags = put;
  tags["drsnap:managed"] = "true";
  auto created = rds.CreateDBParameterGroup(
      name, std::string(engine::kLedgerFamily),
      "drsnap's ledger of what AWS refused (tags); attach no database", FromTags(tags));
  if (created) return OkStatus();
  if (created.error().code == "DBParameterGroupAlreadyExists")  // another run, just now
    return rds.AddTagsToResource(arn, FromTags(put));
  return Fail(std::move(created).error().With("creating drsnap's ledger in " + scope.ToString()));
}

#undef DRSNAP_CLOUD_PRELUDE

// ---------------------------------------------------------------- routing

void MultiAccountCloud::Add(const std::string& account_id, std::shared_ptr<engine::Cloud> cloud) {
  clouds_[account_id] = std::move(cloud);
}

std::shared_ptr<engine::Cloud> MultiAccountCloud::For(const std::string& account_id) const {
  auto it = clouds_.find(account_id);
  return it == clouds_.end() ? nullptr : it->second;
}

Result<engine::Cloud*> MultiAccountCloud::Route(const Scope& scope) const {
  auto it = clouds_.find(scope.account_id);
  if (it == clouds_.end())
    return Fail(Error::Terminal(
        "UnknownAccount", "account " + scope.account_id + " is not configured under accounts:"));
  return it->second.get();
}

Result<std::vector<Database>> MultiAccountCloud::ListDatabases(const Scope& scope) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->ListDatabases(scope);
}
Result<std::vector<Snapshot>> MultiAccountCloud::ListSnapshots(const Scope& scope) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->ListSnapshots(scope);
}
Result<std::vector<std::string>> MultiAccountCloud::ListSharedAccounts(
    const Scope& scope, DbKind kind, const std::string& snapshot_id) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->ListSharedAccounts(scope, kind, snapshot_id);
}
Result<engine::SnapshotQuotas> MultiAccountCloud::DescribeSnapshotQuotas(const Scope& scope) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DescribeSnapshotQuotas(scope);
}
Result<engine::KeyUse> MultiAccountCloud::CheckKeyUse(const Scope& scope,
                                                     const std::string& key_arn) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->CheckKeyUse(scope, key_arn);
}
Result<std::string> MultiAccountCloud::DefaultRdsKeyArn(const Scope& scope) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DefaultRdsKeyArn(scope);
}
Result<Snapshot> MultiAccountCloud::DescribeSnapshot(const Scope& scope, DbKind kind,
                                                     const std::string& snapshot_id) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DescribeSnapshot(scope, kind, snapshot_id);
}
Result<Snapshot> MultiAccountCloud::CreateSnapshot(const Scope& scope, DbKind kind,
                                                   const std::string& db_id,
                                                   const std::string& snapshot_id,
                                                   const engine::Tags& tags) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->CreateSnapshot(scope, kind, db_id, snapshot_id, tags);
}
Result<Snapshot> MultiAccountCloud::CopySnapshot(const Scope& destination,
                                                 const engine::CopyRequest& request) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(destination));
  return c->CopySnapshot(destination, request);
}
Status MultiAccountCloud::ShareSnapshot(const Scope& scope, DbKind kind,
                                        const std::string& snapshot_id,
                                        const std::vector<std::string>& accounts) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->ShareSnapshot(scope, kind, snapshot_id, accounts);
}
Status MultiAccountCloud::DeleteSnapshot(const Scope& scope, DbKind kind,
                                         const std::string& snapshot_id) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DeleteSnapshot(scope, kind, snapshot_id);
}
Result<Database> MultiAccountCloud::RestoreFromSnapshot(const Scope& scope,
                                                        const engine::RestoreRequest& request) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->RestoreFromSnapshot(scope, request);
}
Result<Database> MultiAccountCloud::DescribeDatabase(const Scope& scope, DbKind kind,
                                                     const std::string& db_id) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DescribeDatabase(scope, kind, db_id);
}
Status MultiAccountCloud::DeleteDatabase(const Scope& scope, DbKind kind,
                                         const std::string& db_id) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->DeleteDatabase(scope, kind, db_id);
}
Status MultiAccountCloud::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                                      const engine::Tags& tags) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->TagSnapshot(scope, snapshot_arn, tags);
}

Result<engine::Tags> MultiAccountCloud::ReadLedger(const Scope& scope) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->ReadLedger(scope);
}
Status MultiAccountCloud::WriteLedger(const Scope& scope, const engine::Tags& put,
                                      const std::vector<std::string>& remove) {
  DRSNAP_ASSIGN_OR_RETURN(auto* c, Route(scope));
  return c->WriteLedger(scope, put, remove);
}

// ---------------------------------------------------------------- factory

Result<std::shared_ptr<MultiAccountCloud>> MakeAwsClouds(const config::Config& config,
                                                         const AwsCloudFactoryOptions& options) {
  auto env = options.env ? options.env : DefaultEnvironment();
  auto clock = options.clock ? options.clock : DefaultClock();
  auto transport = options.transport ? options.transport : aws::NewCurlTransport();
  auto multi = std::make_shared<MultiAccountCloud>();
  for (const auto& acct : config.accounts) {
    // A region the account is used in (the session needs one; every call
    // names its own region anyway).
    std::string region;
    for (const auto& p : config.policies) {
      if (p.source_account == acct.name && region.empty()) region = p.source_region;
      for (const auto& t : p.targets)
        if (t.account == acct.name && region.empty() && !t.regions.empty())
          region = t.regions.front().region;
    }
    if (region.empty()) region = env->GetNonEmpty("AWS_REGION").value_or("us-east-1");

    aws::ClientContext base;
    base.transport = transport;
    base.clock = clock;
    base.retry = options.retry;
    if (options.rate_limiters) base.rate_limiter = options.rate_limiters(acct.id, region);
    std::string endpoint_url = acct.endpoint_url;
    aws::StsEndpointResolver sts_resolver =
        [endpoint_url, env](const std::string& r) -> Result<aws::ServiceEndpoint> {
      std::string reg = r.empty() ? "us-east-1" : r;
      if (!endpoint_url.empty()) return aws::ServiceEndpoint{endpoint_url, reg, "sts"};
      return aws::ResolveEndpoint("sts", reg, *env, nullptr);
    };
    aws::SessionOptions so;
    so.region = region;
    // Our own account: the function's (or host's) own credentials. The
    // profile / role_arn in the file are how the other side reaches it.
    if (options.own_account_id != acct.id) {
      so.profile = acct.profile;
      so.role_arn = acct.role_arn;
      so.external_id = acct.external_id;
    }
    auto session =
        aws::Session::Create(so, env, clock, transport, aws::MakeStsFactory(base, sts_resolver));
    if (!session)
      return Fail(std::move(session).error().With("setting up account '" + acct.name + "' (" +
                                                  acct.id + ") from " + acct.where.ToString()));
    AwsCloudOptions ao;
    ao.account_id = acct.id;
    ao.session = *session;
    ao.endpoint_url = acct.endpoint_url;
    ao.retry = options.retry;
    ao.rate_limiters = options.rate_limiters;
    ao.verify_account = options.verify_accounts;
    multi->Add(acct.id, std::make_shared<AwsCloud>(std::move(ao)));
  }
  return multi;
}

}  // namespace drsnap::cloud
