// RDS dispatch, shared helpers and the XML shapes of RDS resources.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>

#include "sim/rds_common.h"

namespace drsnap::sim {

std::unexpected<ApiError> SnapshotNotFound(bool cluster, std::string_view id) {
  if (cluster)
    return ApiFail(404, "DBClusterSnapshotNotFoundFault",
                   "DBClusterSnapshot " + std::string(id) + " not found.");
  return ApiFail(404, "DBSnapshotNotFound", "DBSnapshot " + std::string(id) + " not found.");
}

std::unexpected<ApiError> SnapshotAlreadyExists(bool cluster, std::string_view id) {
  if (cluster)
    return ApiFail(400, "DBClusterSnapshotAlreadyExistsFault",
                   "Cannot create the cluster snapshot because one with the identifier " +
                       std::string(id) + " already exists.");
  return ApiFail(400, "DBSnapshotAlreadyExists",
                 "Cannot create the snapshot because a snapshot with the identifier " +
                     std::string(id) + " already exists.");
}

std::unexpected<ApiError> InvalidSnapshotState(bool cluster, std::string msg) {
  return ApiFail(400, cluster ? "InvalidDBClusterSnapshotStateFault" : "InvalidDBSnapshotState",
                 std::move(msg));
}

std::unexpected<ApiError> DbNotFound(bool cluster, std::string_view id) {
  if (cluster)
    return ApiFail(404, "DBClusterNotFoundFault", "DBCluster " + std::string(id) + " not found.");
  return ApiFail(404, "DBInstanceNotFound", "DBInstance " + std::string(id) + " not found.");
}

std::unexpected<ApiError> OptionGroupNotFound(std::string_view name) {
  return ApiFail(404, "OptionGroupNotFoundFault",
                 "Specified OptionGroupName: " + std::string(name) + " not found.");
}

std::expected<std::string, ApiError> ChooseOptionGroup(const Scope& scope, const std::string* name,
                                                       const DbInfo& db, std::string fallback) {
  if (!name || name->empty()) return fallback;
  std::optional<OptionGroup> g = FindOptionGroup(scope, *name);
  if (!g) return OptionGroupNotFound(*name);
  if (!OptionGroupSuits(*g, db.engine, db.engine_version))
    // Not documented; a guess (docs/sim.md).
    return InvalidParameterCombination("The option group " + g->name + " (" + g->engine + " " +
                                       g->major_version + ") cannot be used with " + db.engine +
                                       " " + db.engine_version + ".");
  return g->name;
}

std::expected<bool, ApiError> BoolParam(const Params& p, std::string_view name, bool def) {
  const std::string* v = p.Get(name);
  if (!v) return def;
  std::string l = ToLower(*v);
  if (l == "true") return true;
  if (l == "false") return false;
  return InvalidParameterValue("Invalid boolean value " + *v + " for " + std::string(name));
}

std::expected<int, ApiError> MaxRecordsParam(const Params& p) {
  const std::string* v = p.Get("MaxRecords");
  if (!v) return 100;
  int n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size())
    return InvalidParameterValue("Invalid value " + *v + " for MaxRecords.");
  if (n < 20 || n > 100)
    return InvalidParameterValue("Invalid value " + *v +
                                 " for MaxRecords. Must be between 20 and 100");
  return n;
}

std::expected<void, ApiError> CheckTags(const std::vector<Tag>& tags) {
  for (const auto& [k, v] : tags) {
    if (k.empty()) return InvalidParameterValue("Tag keys must not be empty.");
    // Tag.Key: "can't be prefixed with aws: or rds:" (the RDS API reference).
    std::string lower = ToLower(k);
    if (lower.starts_with("aws:") || lower.starts_with("rds:"))
      return InvalidParameterValue(
          "Tag keys cannot start with the reserved prefixes 'aws:' or "
          "'rds:' (" +
          k + ").");
  }
  return {};
}

void MergeTags(std::vector<Tag>* into, const std::vector<Tag>& add) {
  for (const auto& t : add) {
    auto it =
        std::find_if(into->begin(), into->end(), [&](const Tag& e) { return e.first == t.first; });
    if (it != into->end())
      it->second = t.second;
    else
      into->push_back(t);
  }
}

Snapshot* ResolveSnapshot(RdsCall& c, bool cluster, std::string_view ref) {
  if (ref.starts_with("arn:")) {
    auto a = ParseArn(ref);
    if (!a || a->service != "rds" ||
        a->resource_type != (cluster ? "cluster-snapshot" : "snapshot"))
      return nullptr;
    Scope* s = c.w.FindScope(a->account, a->region);
    if (!s) return nullptr;
    Snapshot* snap = c.w.FindSnap(*s, cluster, a->resource);
    if (!snap) return nullptr;
    if (a->account != c.req.account_id && !snap->SharedWith(c.req.account_id)) return nullptr;
    return snap;
  }
  return c.w.FindSnap(c.scope, cluster, ref);
}

void WriteTagList(XmlWriter& x, const std::vector<Tag>& tags) {
  if (tags.empty()) {
    x.Empty("TagList");
    return;
  }
  x.Open("TagList");
  for (const auto& [k, v] : tags) {
    x.Open("Tag");
    x.Text("Key", k);
    x.Text("Value", v);
    x.Close("Tag");
  }
  x.Close("TagList");
}

namespace {

std::string VpcId(std::string_view account, std::string_view region) {
  // A stable fake VPC id per account-region.
  size_t h = std::hash<std::string>{}(std::string(account) + "/" + std::string(region));
  char buf[32];
  std::snprintf(buf, sizeof buf, "vpc-%017llx",
                static_cast<unsigned long long>(h) & 0xfffffffffffffffULL);
  return std::string(buf, 21);
}

}  // namespace

namespace {

// The DB-derived fields of a snapshot, rendered once per DbInfo.
const std::string& DbFragment(const DbInfo& db, bool cluster) {
  if (!db.xml_cache.empty()) return db.xml_cache;
  XmlWriter x;
  if (!cluster) {
    x.Text("DBInstanceIdentifier", db.db_id);
    x.Text("Engine", db.engine);
    x.Int("AllocatedStorage", db.size_gb);
    x.Int("Port", db.port);
    x.Time("InstanceCreateTime", db.create_time);
    x.Text("MasterUsername", db.master_username);
    x.Text("EngineVersion", db.engine_version);
    x.Text("LicenseModel", db.license_model);
    x.Text("OptionGroupName", db.option_group);
    x.Text("StorageType", db.storage_type);
    x.Bool("IAMDatabaseAuthenticationEnabled", false);
    x.Empty("ProcessorFeatures");
    x.Text("DbiResourceId", db.resource_id);
    x.Text("SnapshotTarget", "region");
    x.Bool("DedicatedLogVolume", false);
  } else {
    // Aurora cluster snapshots show 0 for storage and port, and the engine as
    // the license model (the awscli examples of copy- and
    // delete-db-cluster-snapshot); Multi-AZ DB clusters show their values.
    bool aurora = db.engine.starts_with("aurora");
    x.Text("DBClusterIdentifier", db.db_id);
    x.Text("Engine", db.engine);
    x.Text("EngineMode", "provisioned");
    x.Int("AllocatedStorage", aurora ? 0 : db.size_gb);
    x.Int("Port", aurora ? 0 : db.port);
    x.Time("ClusterCreateTime", db.create_time);
    x.Text("MasterUsername", db.master_username);
    x.Text("EngineVersion", db.engine_version);
    x.Text("LicenseModel", aurora ? db.engine : db.license_model);
    x.Bool("IAMDatabaseAuthenticationEnabled", false);
    x.Text("DbClusterResourceId", db.resource_id);
  }
  db.xml_cache = x.Take();
  return db.xml_cache;
}

// The placement fields (AZ, VPC) of snapshots owned by a scope.
const std::string& PlaceFragment(Scope& owner, bool cluster) {
  std::string& cache = owner.xml_place[cluster ? 1 : 0];
  if (!cache.empty()) return cache;
  XmlWriter x;
  if (!cluster) {
    x.Text("AvailabilityZone", owner.region + "a");
  } else {
    x.Open("AvailabilityZones");
    for (const char* z : {"a", "b", "c"}) x.Text("AvailabilityZone", owner.region + z);
    x.Close("AvailabilityZones");
  }
  x.Text("VpcId", VpcId(owner.account, owner.region));
  cache = x.Take();
  return cache;
}

void AppendSnapshotArn(std::string* out, const Snapshot& s) {
  out->append("arn:aws:rds:");
  out->append(s.scope->region);
  out->push_back(':');
  out->append(s.scope->account);
  out->append(s.cluster ? ":cluster-snapshot:" : ":snapshot:");
  AppendXmlEscaped(out, s.id);
}

}  // namespace

std::string_view ShownStatus(const Snapshot& s, const World& w) {
  if (s.status != SnapStatus::kCopying) return SnapStatusName(s.status);
  const Settings& st = w.settings;
  bool queued = s.queued(w.now);
  if (s.cluster) return queued ? st.cluster_copy_status_queued : st.cluster_copy_status;
  if (queued) return st.copy_status_queued;
  return s.cross_region() ? st.copy_status_cross_region : st.copy_status_same_region;
}

void WriteSnapshot(XmlWriter& x, const Snapshot& s, const World& w, std::string_view viewer,
                   std::string_view element) {
  TimePoint now = w.now;
  Scope& owner = *s.scope;
  bool foreign = viewer != owner.account;
  std::string_view type = s.automated ? "automated" : "manual";
  if (foreign) {
    bool named =
        std::find(s.shared_with.begin(), s.shared_with.end(), viewer) != s.shared_with.end();
    type = named ? "shared" : "public";
  }
  std::string& out = x.str();
  bool cluster = s.cluster;
  std::string_view el = element.empty() ? (cluster ? "DBClusterSnapshot" : "DBSnapshot") : element;
  x.Open(el);
  out.append(cluster ? "<DBClusterSnapshotIdentifier>" : "<DBSnapshotIdentifier>");
  if (foreign)
    AppendSnapshotArn(&out, s);
  else
    AppendXmlEscaped(&out, s.id);
  out.append(cluster ? "</DBClusterSnapshotIdentifier>" : "</DBSnapshotIdentifier>");
  x.Time("SnapshotCreateTime", s.create_time);
  x.Text("Status", ShownStatus(s, w));
  x.Text("SnapshotType", type);
  x.Int("PercentProgress", s.PercentProgress(now));
  out.append(PlaceFragment(owner, cluster));
  out.append(DbFragment(*s.db, cluster));
  if (!cluster) {
    if (!s.source_arn.empty()) {
      // A copy. Across regions both fields; within a region what the
      // same_region_copy_source setting says (docs/sim.md).
      const std::string& mode = w.settings.same_region_copy_source;
      bool cross = s.cross_region();
      auto src = ParseArn(s.source_arn);
      bool cross_account = src && src->account != owner.account;
      if (cross || mode != "identifier")
        x.Text("SourceRegion", s.source_region.empty() ? owner.region : s.source_region);
      if (cross || cross_account || mode != "model")
        x.Text("SourceDBSnapshotIdentifier", s.source_arn);
    }
    x.Bool("Encrypted", s.encrypted());
  } else {
    x.Bool("StorageEncrypted", s.encrypted());
    if (!s.source_arn.empty()) x.Text("SourceDBClusterSnapshotArn", s.source_arn);
  }
  if (s.encrypted()) x.Text("KmsKeyId", s.kms_key_arn);
  out.append(cluster ? "<DBClusterSnapshotArn>" : "<DBSnapshotArn>");
  AppendSnapshotArn(&out, s);
  out.append(cluster ? "</DBClusterSnapshotArn>" : "</DBSnapshotArn>");
  if (foreign || s.tags.empty())
    x.Empty("TagList");
  else
    WriteTagList(x, s.tags);
  if (!cluster) x.Time("OriginalSnapshotCreateTime", s.original_create_time);
  x.Close(el);
}

void WriteDatabase(XmlWriter& x, const Scope& scope, const Database& d, TimePoint now,
                   std::string_view element) {
  const DbInfo& db = *d.info;
  std::string arn = DbArn(scope.region, scope.account, d.cluster, db.db_id);
  std::string host_suffix =
      "." + scope.account.substr(0, 12) + "." + scope.region + ".rds.amazonaws.com";
  bool ready = d.status == "available";
  if (!d.cluster) {
    x.Open(element.empty() ? "DBInstance" : element);
    x.Text("DBInstanceIdentifier", db.db_id);
    x.Text("DBInstanceClass", d.instance_class);
    x.Text("Engine", db.engine);
    x.Text("DBInstanceStatus", d.status);
    x.Text("MasterUsername", db.master_username);
    if (ready) {
      x.Open("Endpoint");
      x.Text("Address", db.db_id + host_suffix);
      x.Int("Port", db.port);
      x.Text("HostedZoneId", "Z2R2ITUGPM61AM");
      x.Close("Endpoint");
    }
    x.Int("AllocatedStorage", db.size_gb);
    x.Time("InstanceCreateTime", db.create_time);
    x.Text("PreferredBackupWindow", d.backup_window);
    x.Int("BackupRetentionPeriod", d.retention_days);
    x.Empty("DBSecurityGroups");
    x.Empty("VpcSecurityGroups");
    x.Empty("DBParameterGroups");
    x.Text("AvailabilityZone", scope.region + "a");
    x.Text("PreferredMaintenanceWindow", "sun:05:00-sun:05:30");
    x.Empty("PendingModifiedValues");
    if (ready) x.Time("LatestRestorableTime", now - std::chrono::minutes(5));
    x.Bool("MultiAZ", false);
    x.Text("EngineVersion", db.engine_version);
    x.Bool("AutoMinorVersionUpgrade", true);
    x.Empty("ReadReplicaDBInstanceIdentifiers");
    x.Text("LicenseModel", db.license_model);
    x.Open("OptionGroupMemberships");
    x.Open("OptionGroupMembership");
    x.Text("OptionGroupName", db.option_group);
    x.Text("Status", "in-sync");
    x.Close("OptionGroupMembership");
    x.Close("OptionGroupMemberships");
    x.Bool("PubliclyAccessible", false);
    x.Text("StorageType", db.storage_type);
    x.Int("DbInstancePort", 0);
    if (!d.cluster_id.empty()) x.Text("DBClusterIdentifier", d.cluster_id);
    x.Bool("StorageEncrypted", !d.kms_key_arn.empty());
    if (!d.kms_key_arn.empty()) x.Text("KmsKeyId", d.kms_key_arn);
    x.Text("DbiResourceId", db.resource_id);
    x.Text("CACertificateIdentifier", "rds-ca-rsa2048-g1");
    x.Empty("DomainMemberships");
    x.Bool("CopyTagsToSnapshot", false);
    x.Int("MonitoringInterval", 0);
    x.Text("DBInstanceArn", arn);
    x.Bool("IAMDatabaseAuthenticationEnabled", false);
    x.Bool("PerformanceInsightsEnabled", false);
    x.Bool("DeletionProtection", false);
    WriteTagList(x, d.tags);
    x.Text("BackupTarget", "region");
    x.Text("NetworkType", "IPV4");
    x.Close(element.empty() ? "DBInstance" : element);
    return;
  }
  x.Open(element.empty() ? "DBCluster" : element);
  x.Int("AllocatedStorage", 1);
  x.Open("AvailabilityZones");
  for (const char* z : {"a", "b", "c"}) x.Text("AvailabilityZone", scope.region + z);
  x.Close("AvailabilityZones");
  x.Int("BackupRetentionPeriod", d.retention_days);
  x.Text("DBClusterIdentifier", db.db_id);
  x.Text("DBClusterParameterGroup", "default." + db.engine);
  x.Text("DBSubnetGroup", "default");
  x.Text("Status", d.status);
  if (ready) x.Time("EarliestRestorableTime", db.create_time);
  x.Text("Endpoint", db.db_id + ".cluster-abc" + host_suffix);
  x.Text("ReaderEndpoint", db.db_id + ".cluster-ro-abc" + host_suffix);
  x.Bool("MultiAZ", d.members.size() > 1);
  x.Text("Engine", db.engine);
  x.Text("EngineVersion", db.engine_version);
  if (ready) x.Time("LatestRestorableTime", now - std::chrono::minutes(5));
  x.Int("Port", db.port);
  x.Text("MasterUsername", db.master_username);
  x.Empty("DBClusterOptionGroupMemberships");
  x.Text("PreferredBackupWindow", d.backup_window);
  x.Text("PreferredMaintenanceWindow", "sun:05:00-sun:05:30");
  x.Empty("ReadReplicaIdentifiers");
  if (d.members.empty()) {
    x.Empty("DBClusterMembers");
  } else {
    x.Open("DBClusterMembers");
    for (size_t i = 0; i < d.members.size(); ++i) {
      x.Open("DBClusterMember");
      x.Text("DBInstanceIdentifier", d.members[i]);
      x.Bool("IsClusterWriter", i == 0);
      x.Text("DBClusterParameterGroupStatus", "in-sync");
      x.Int("PromotionTier", 1);
      x.Close("DBClusterMember");
    }
    x.Close("DBClusterMembers");
  }
  x.Empty("VpcSecurityGroups");
  x.Text("HostedZoneId", "Z2R2ITUGPM61AM");
  x.Bool("StorageEncrypted", !d.kms_key_arn.empty());
  if (!d.kms_key_arn.empty()) x.Text("KmsKeyId", d.kms_key_arn);
  x.Text("DbClusterResourceId", db.resource_id);
  x.Text("DBClusterArn", arn);
  x.Empty("AssociatedRoles");
  x.Bool("IAMDatabaseAuthenticationEnabled", false);
  x.Time("ClusterCreateTime", db.create_time);
  x.Text("EngineMode", "provisioned");
  x.Bool("DeletionProtection", false);
  x.Bool("HttpEndpointEnabled", false);
  x.Bool("CopyTagsToSnapshot", false);
  x.Bool("CrossAccountClone", false);
  x.Empty("DomainMemberships");
  WriteTagList(x, d.tags);
  x.Close(element.empty() ? "DBCluster" : element);
}

SimResponse World::HandleRds(const SimRequest& req) {
  std::string request_id = NewRequestId();
  SimResponse resp;
  resp.content_type = "text/xml";
  resp.request_id = request_id;
  auto fail = [&](const ApiError& e) {
    resp.status = e.status;
    resp.body = QueryError(kRdsXmlns, e.type, e.code, e.message, request_id);
    return resp;
  };
  if (req.account_id.empty())
    return fail(
        ApiError{403, "MissingAuthenticationToken", "Request is missing Authentication Token"});
  RdsCall c{*this, req, Params(req.params), GetScope(req.account_id, req.region)};
  const std::string& a = req.action;
  OpResult r;
  bool has_result = true;
  if (a == "DescribeDBSnapshots")
    r = DescribeSnapshots(c, false);
  else if (a == "DescribeDBClusterSnapshots")
    r = DescribeSnapshots(c, true);
  else if (a == "CreateDBSnapshot")
    r = CreateSnapshot(c, false);
  else if (a == "CreateDBClusterSnapshot")
    r = CreateSnapshot(c, true);
  else if (a == "CopyDBSnapshot")
    r = CopySnapshot(c, false);
  else if (a == "CopyDBClusterSnapshot")
    r = CopySnapshot(c, true);
  else if (a == "DeleteDBSnapshot")
    r = DeleteSnapshot(c, false);
  else if (a == "DeleteDBClusterSnapshot")
    r = DeleteSnapshot(c, true);
  else if (a == "ModifyDBSnapshotAttribute")
    r = ModifySnapshotAttribute(c, false);
  else if (a == "ModifyDBClusterSnapshotAttribute")
    r = ModifySnapshotAttribute(c, true);
  else if (a == "DescribeDBSnapshotAttributes")
    r = DescribeSnapshotAttributes(c, false);
  else if (a == "DescribeDBClusterSnapshotAttributes")
    r = DescribeSnapshotAttributes(c, true);
  else if (a == "DescribeDBInstances")
    r = DescribeDatabases(c, false);
  else if (a == "DescribeDBClusters")
    r = DescribeDatabases(c, true);
  else if (a == "CreateDBInstance")
    r = CreateDatabase(c, false);
  else if (a == "CreateDBCluster")
    r = CreateDatabase(c, true);
  else if (a == "DeleteDBInstance")
    r = DeleteDatabase(c, false);
  else if (a == "DeleteDBCluster")
    r = DeleteDatabase(c, true);
  else if (a == "RestoreDBInstanceFromDBSnapshot")
    r = RestoreFromSnapshot(c, false);
  else if (a == "RestoreDBClusterFromSnapshot")
    r = RestoreFromSnapshot(c, true);
  else if (a == "AddTagsToResource")
    r = AddTagsToResource(c), has_result = false;
  else if (a == "RemoveTagsFromResource")
    r = RemoveTagsFromResource(c), has_result = false;
  else if (a == "ListTagsForResource")
    r = ListTagsForResource(c);
  else if (a == "DescribeEvents")
    r = DescribeEvents(c);
  else if (a == "DescribeAccountAttributes")
    r = DescribeAccountAttributes(c);
  else if (a == "CreateOptionGroup")
    r = CreateOptionGroup(c);
  else if (a == "DescribeOptionGroups")
    r = DescribeOptionGroups(c);
  else if (a == "DeleteOptionGroup")
    r = DeleteOptionGroup(c), has_result = false;
  else if (a == "CreateDBParameterGroup")
    r = CreateDBParameterGroup(c);
  else if (a == "DescribeDBParameterGroups")
    r = DescribeDBParameterGroups(c);
  else if (a == "DeleteDBParameterGroup")
    r = DeleteDBParameterGroup(c), has_result = false;
  else
    return fail(
        ApiError{400, "InvalidAction", "The action " + a + " is not valid for this web service."});
  if (!r) return fail(r.error());
  resp.body = QueryResponse(kRdsXmlns, a, *r, request_id, has_result);
  return resp;
}

}  // namespace drsnap::sim
