// DB instance and cluster operations, restores, tags and events.
#include <algorithm>
#include <charconv>

#include "core/time_util.h"
#include "sim/rds_common.h"

namespace drsnap::sim {

namespace {

const char* P(bool cluster, const char* instance_name, const char* cluster_name) {
  return cluster ? cluster_name : instance_name;
}

std::unexpected<ApiError> DbAlreadyExists(bool cluster) {
  if (cluster) return ApiFail(400, "DBClusterAlreadyExistsFault", "DB Cluster already exists");
  return ApiFail(400, "DBInstanceAlreadyExists", "DB instance already exists");
}

std::string DefaultEngineVersion(std::string_view engine) {
  if (engine == "postgres") return "16.3";
  if (engine == "mysql") return "8.0.39";
  if (engine == "mariadb") return "10.11.9";
  if (engine == "aurora-postgresql") return "16.4";
  if (engine == "aurora-mysql") return "8.0.mysql_aurora.3.07.1";
  return "1.0";
}

int DefaultPort(std::string_view engine) {
  if (engine.find("postgres") != std::string_view::npos) return 5432;
  if (engine.find("sqlserver") != std::string_view::npos) return 1433;
  if (engine.find("oracle") != std::string_view::npos) return 1521;
  return 3306;
}

std::expected<int, ApiError> IntParam(const Params& p, std::string_view name, int def, int lo,
                                      int hi) {
  const std::string* v = p.Get(name);
  if (!v) return def;
  int n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size() || n < lo || n > hi)
    return InvalidParameterValue("Invalid value " + *v + " for " + std::string(name) + ".");
  return n;
}

}  // namespace

// Fills the parts of a new DbInfo that the world decides.
std::shared_ptr<DbInfo> NewDbInfo(World& w, bool cluster, std::string id, std::string engine) {
  auto info = std::make_shared<DbInfo>();
  info->db_id = std::move(id);
  info->resource_id = (cluster ? "cluster-" : "db-") + w.RandomAlnum(26, true);
  info->engine = std::move(engine);
  info->engine_version = DefaultEngineVersion(info->engine);
  info->license_model = info->engine.find("postgres") != std::string::npos
                            ? "postgresql-license"
                            : "general-public-license";
  info->master_username = "admin";
  info->storage_type = cluster ? "aurora" : "gp3";
  info->option_group = DefaultOptionGroupName(info->engine, info->engine_version);
  info->port = DefaultPort(info->engine);
  info->create_time = w.now;
  return info;
}

OpResult DescribeDatabases(RdsCall& c, bool cluster) {
  int k = cluster ? 1 : 0;
  auto max = MaxRecordsParam(c.p);
  if (!max) return std::unexpected(max.error());
  std::set<std::string> ids, engines, cluster_ids;
  const char* id_param = P(cluster, "DBInstanceIdentifier", "DBClusterIdentifier");
  const std::string* id = c.p.Get(id_param);
  auto norm = [](std::string_view v) {
    if (v.starts_with("arn:")) {
      auto a = ParseArn(v);
      if (a) return ToLower(a->resource);
    }
    return ToLower(v);
  };
  for (auto& [name, values] : c.p.Filters()) {
    if (name == (cluster ? "db-cluster-id" : "db-instance-id")) {
      for (auto& v : values) ids.insert(norm(v));
    } else if (name == "engine") {
      for (auto& v : values) engines.insert(v);
    } else if (!cluster && name == "db-cluster-id") {
      for (auto& v : values) cluster_ids.insert(norm(v));
    } else {
      return InvalidParameterValue("Unrecognized filter name: " + name + ".");
    }
  }
  auto& dbs = c.scope.dbs[k];
  const char* list = P(cluster, "DBInstances", "DBClusters");
  XmlWriter x;
  if (id) {
    auto it = dbs.find(norm(*id));
    if (it == dbs.end()) return DbNotFound(cluster, *id);
    x.Open(list);
    WriteDatabase(x, c.scope, it->second, c.w.now);
    x.Close(list);
    return x.Take();
  }
  std::string marker = c.p.GetOr("Marker", "");
  auto it = marker.empty() ? dbs.begin() : dbs.upper_bound(marker);
  std::vector<const Database*> out;
  for (; it != dbs.end() && static_cast<int>(out.size()) <= *max; ++it) {
    const Database& d = it->second;
    if (!ids.empty() && !ids.count(d.info->db_id)) continue;
    if (!engines.empty() && !engines.count(d.info->engine)) continue;
    if (!cluster_ids.empty() && !cluster_ids.count(d.cluster_id)) continue;
    out.push_back(&d);
  }
  std::string next;
  if (static_cast<int>(out.size()) > *max) {
    out.pop_back();
    next = out.back()->info->db_id;
  }
  if (out.empty()) {
    x.Empty(list);
  } else {
    x.Open(list);
    for (const Database* d : out) WriteDatabase(x, c.scope, *d, c.w.now);
    x.Close(list);
  }
  if (!next.empty()) x.Text("Marker", next);
  return x.Take();
}

OpResult CreateDatabase(RdsCall& c, bool cluster) {
  World& w = c.w;
  int k = cluster ? 1 : 0;
  const char* id_param = P(cluster, "DBInstanceIdentifier", "DBClusterIdentifier");
  const std::string* id = c.p.Get(id_param);
  if (!id) return MissingParameter(id_param);
  const std::string* engine = c.p.Get("Engine");
  if (!engine) return MissingParameter("Engine");
  if (!cluster && !c.p.Get("DBInstanceClass")) return MissingParameter("DBInstanceClass");
  if (!ValidIdentifier(*id, 63)) return InvalidParameterValue(InvalidIdentifierMessage(id_param));
  std::string lid = ToLower(*id);
  if (c.scope.dbs[k].count(lid)) return DbAlreadyExists(cluster);
  auto size = IntParam(c.p, "AllocatedStorage", 20, 1, 65536);
  if (!size) return std::unexpected(size.error());
  auto retention = IntParam(c.p, "BackupRetentionPeriod", 1, cluster ? 1 : 0, 35);
  if (!retention) return std::unexpected(retention.error());
  auto encrypted = BoolParam(c.p, "StorageEncrypted", false);
  if (!encrypted) return std::unexpected(encrypted.error());
  std::string window = c.p.GetOr("PreferredBackupWindow", "04:00-04:30");
  if (!ParseWindow(window))
    return InvalidParameterValue("Invalid PreferredBackupWindow: " + window);
  std::vector<Tag> tags = c.p.Tags("Tags");
  if (auto t = CheckTags(tags); !t) return std::unexpected(t.error());

  Database db;
  db.cluster = cluster;
  db.info = NewDbInfo(w, cluster, lid, *engine);
  db.info->size_gb = *size;
  if (const std::string* v = c.p.Get("EngineVersion")) {
    db.info->engine_version = *v;
    db.info->option_group = DefaultOptionGroupName(db.info->engine, *v);
  }
  if (!cluster) {
    auto group =
        ChooseOptionGroup(c.scope, c.p.Get("OptionGroupName"), *db.info, db.info->option_group);
    if (!group) return std::unexpected(group.error());
    db.info->option_group = *group;
  }
  if (const std::string* v = c.p.Get("MasterUsername")) db.info->master_username = *v;
  if (const std::string* v = c.p.Get("DBInstanceClass")) db.instance_class = *v;
  db.retention_days = *retention;
  db.backup_window = window;
  db.tags = std::move(tags);
  const std::string* kms = c.p.Get("KmsKeyId");
  if (*encrypted || kms) {
    const KmsKey* key =
        kms ? w.ResolveKey(c.req.account_id, c.req.region, *kms) : &w.DefaultKey(c.scope);
    if (!key)
      return ApiFail(400, "KMSKeyNotAccessibleFault",
                     "The specified KMS key [" + *kms +
                         "] does not exist, is not enabled or you do not have permissions to "
                         "access it.");
    db.kms_key_arn = key->arn;
  }
  if (!cluster) {
    if (const std::string* v = c.p.Get("DBClusterIdentifier")) {
      auto cl = c.scope.dbs[1].find(ToLower(*v));
      if (cl == c.scope.dbs[1].end()) return DbNotFound(true, *v);
      db.cluster_id = cl->first;
      cl->second.members.push_back(lid);
      db.kms_key_arn = cl->second.kms_key_arn;
    }
  }
  db.status = "creating";
  db.ready_at = w.now + std::chrono::minutes(w.settings.restore_minutes);
  Database& stored = c.scope.dbs[k].emplace(lid, std::move(db)).first->second;
  w.ScheduleDbReady(c.scope, stored);
  XmlWriter x;
  WriteDatabase(x, c.scope, stored, w.now);
  return x.Take();
}

OpResult DeleteDatabase(RdsCall& c, bool cluster) {
  World& w = c.w;
  int k = cluster ? 1 : 0;
  const char* id_param = P(cluster, "DBInstanceIdentifier", "DBClusterIdentifier");
  const std::string* id = c.p.Get(id_param);
  if (!id) return MissingParameter(id_param);
  auto it = c.scope.dbs[k].find(ToLower(*id));
  if (it == c.scope.dbs[k].end()) return DbNotFound(cluster, *id);
  Database& db = it->second;
  auto skip = BoolParam(c.p, "SkipFinalSnapshot", false);
  if (!skip) return std::unexpected(skip.error());
  const std::string* final_id = c.p.Get("FinalDBSnapshotIdentifier");
  if (!cluster && !db.cluster_id.empty()) {
    // Aurora instances: no final snapshot (the cluster has the data).
  } else if (!*skip && !final_id) {
    return InvalidParameterCombination(
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
  } else if (*skip && final_id) {
    return InvalidParameterCombination(
        "FinalDBSnapshotIdentifier can not be specified when deleting a DB instance with "
        "SkipFinalSnapshot=true.");
  }
  if (cluster && !db.members.empty())
    return ApiFail(400, "InvalidDBClusterStateFault",
                   "Cluster cannot be deleted, it still contains DB instances in non-deleting "
                   "state.");
  if (db.status == "creating") {
    if (cluster)
      return ApiFail(400, "InvalidDBClusterStateFault",
                     "DBCluster " + db.info->db_id + " is not in available state.");
    return ApiFail(400, "InvalidDBInstanceState",
                   "Instance " + db.info->db_id + " is not in available state.");
  }
  if (final_id && !*skip && (cluster || db.cluster_id.empty())) {
    if (!ValidIdentifier(*final_id, cluster ? 63 : 255))
      return InvalidParameterValue(InvalidIdentifierMessage("FinalDBSnapshotIdentifier"));
    std::string fid = ToLower(*final_id);
    if (w.FindSnap(c.scope, cluster, fid)) return SnapshotAlreadyExists(cluster, fid);
    int quota = w.settings.ManualSnapshotQuota(c.scope.account, cluster);
    if (c.scope.manual_count[k] >= quota)
      return ApiFail(400, "SnapshotQuotaExceeded",
                     "Cannot create more than " + std::to_string(quota) + " manual snapshots");
    w.TakeSnapshot(c.scope, db, fid, false, w.CreatorOf(c.req));
  }
  db.status = "deleting";
  XmlWriter x;
  WriteDatabase(x, c.scope, db, w.now);
  std::string db_id = db.info->db_id;
  // Automated backups go with the DB (DeleteAutomatedBackups defaults to true).
  auto bd = c.scope.by_db[k].find(db_id);
  if (bd != c.scope.by_db[k].end()) {
    std::vector<Snapshot*> doomed;
    for (std::string_view sid : bd->second) {
      Snapshot* s = c.scope.snaps[k].find(sid)->second.get();
      if (s->automated) doomed.push_back(s);
    }
    for (Snapshot* s : doomed) w.EraseSnap(s);
  }
  if (!cluster && !db.cluster_id.empty()) {
    auto cl = c.scope.dbs[1].find(db.cluster_id);
    if (cl != c.scope.dbs[1].end()) {
      auto& m = cl->second.members;
      m.erase(std::remove(m.begin(), m.end(), db_id), m.end());
    }
  }
  w.Record(c.scope, cluster ? "RDS-EVENT-0171" : "RDS-EVENT-0003", "deletion",
           cluster ? "db-cluster" : "db-instance", db_id,
           DbArn(c.scope.region, c.scope.account, cluster, db_id),
           cluster ? "DB cluster deleted" : "DB instance deleted");
  c.scope.dbs[k].erase(it);
  return x.Take();
}

OpResult RestoreFromSnapshot(RdsCall& c, bool cluster) {
  World& w = c.w;
  int k = cluster ? 1 : 0;
  const char* id_param = P(cluster, "DBInstanceIdentifier", "DBClusterIdentifier");
  const char* snap_param = P(cluster, "DBSnapshotIdentifier", "SnapshotIdentifier");
  const std::string* id = c.p.Get(id_param);
  if (!id) return MissingParameter(id_param);
  const std::string* ref = c.p.Get(snap_param);
  if (!ref) return MissingParameter(snap_param);
  if (!ValidIdentifier(*id, 63)) return InvalidParameterValue(InvalidIdentifierMessage(id_param));
  std::string lid = ToLower(*id);
  Snapshot* s = ResolveSnapshot(c, cluster, *ref);
  if (!s) return SnapshotNotFound(cluster, *ref);
  if (s->status != SnapStatus::kAvailable)
    return InvalidSnapshotState(cluster, "Snapshot " + s->id + " is not in available state.");
  bool foreign = s->scope->account != c.req.account_id;
  if (foreign && s->encrypted())
    return ApiFail(400, "InvalidRestoreFault",
                   "A snapshot encrypted with a KMS key of another AWS account cannot be restored "
                   "directly. Copy it to your account first.");
  if (c.scope.dbs[k].count(lid)) return DbAlreadyExists(cluster);
  std::vector<Tag> tags = c.p.Tags("Tags");
  if (auto t = CheckTags(tags); !t) return std::unexpected(t.error());
  Database db;
  db.cluster = cluster;
  auto info = std::make_shared<DbInfo>(*s->db);
  info->db_id = lid;
  info->resource_id = (cluster ? "cluster-" : "db-") + w.RandomAlnum(26, true);
  info->create_time = w.now;
  info->xml_cache.clear();
  if (!cluster) {
    // The snapshot's group where it exists here, else the default one.
    std::string fallback = s->db->option_group;
    std::optional<OptionGroup> here = FindOptionGroup(c.scope, fallback);
    if (!here || !OptionGroupSuits(*here, info->engine, info->engine_version))
      fallback = DefaultOptionGroupName(info->engine, info->engine_version);
    auto group = ChooseOptionGroup(c.scope, c.p.Get("OptionGroupName"), *info, fallback);
    if (!group) return std::unexpected(group.error());
    info->option_group = *group;
  }
  db.info = info;
  db.kms_key_arn = s->kms_key_arn;
  if (const std::string* kms = c.p.Get("KmsKeyId"); kms && cluster) {
    const KmsKey* key = w.ResolveKey(c.req.account_id, c.req.region, *kms);
    if (!key)
      return ApiFail(400, "KMSKeyNotAccessibleFault",
                     "The specified KMS key [" + *kms +
                         "] does not exist, is not enabled or you do not have permissions to "
                         "access it.");
    db.kms_key_arn = key->arn;
  }
  if (const std::string* v = c.p.Get("DBInstanceClass")) db.instance_class = *v;
  db.tags = std::move(tags);
  db.status = "creating";
  db.restored_from = s->id;
  db.fail_when_ready = w.TakeFault("fail_restores", c.req.account_id, c.req.region);
  int minutes = w.settings.restore_minutes + s->db->size_gb / 100;
  db.ready_at = w.now + std::chrono::minutes(minutes);
  Database& stored = c.scope.dbs[k].emplace(lid, std::move(db)).first->second;
  w.ScheduleDbReady(c.scope, stored);
  XmlWriter x;
  WriteDatabase(x, c.scope, stored, w.now);
  return x.Take();
}

// ------------------------------------------------------------ tags

namespace {

// The tag list of an own resource named by ARN.
std::expected<std::vector<Tag>*, ApiError> TagTarget(RdsCall& c) {
  const std::string* name = c.p.Get("ResourceName");
  if (!name) return MissingParameter("ResourceName");
  auto a = ParseArn(*name);
  if (!a || a->service != "rds") return InvalidParameterValue("Invalid resource name: " + *name);
  const std::string& t = a->resource_type;
  bool own = a->account == c.req.account_id && a->region == c.req.region;
  if (t == "snapshot" || t == "cluster-snapshot") {
    bool cluster = t == "cluster-snapshot";
    Snapshot* s = own ? c.w.FindSnap(c.scope, cluster, a->resource) : nullptr;
    if (!s) return SnapshotNotFound(cluster, a->resource);
    return &s->tags;
  }
  if (t == "pg") {
    auto it =
        own ? c.scope.parameter_groups.find(ToLower(a->resource)) : c.scope.parameter_groups.end();
    if (it == c.scope.parameter_groups.end())
      return ApiFail(404, "DBParameterGroupNotFound", "DBParameterGroup not found: " + a->resource);
    return &it->second.tags;
  }
  if (t == "db" || t == "cluster") {
    bool cluster = t == "cluster";
    auto& dbs = c.scope.dbs[cluster ? 1 : 0];
    auto it = own ? dbs.find(ToLower(a->resource)) : dbs.end();
    if (it == dbs.end()) return DbNotFound(cluster, a->resource);
    return &it->second.tags;
  }
  return InvalidParameterValue("Invalid resource name: " + *name);
}

}  // namespace

OpResult AddTagsToResource(RdsCall& c) {
  std::vector<Tag> tags = c.p.Tags("Tags");
  if (auto t = CheckTags(tags); !t) return std::unexpected(t.error());
  auto target = TagTarget(c);
  if (!target) return std::unexpected(target.error());
  std::vector<Tag> next = **target;
  MergeTags(&next, tags);
  if (next.size() > 50)
    return ApiFail(400, "TagQuotaPerResourceExceeded",
                   "Cannot have more than 50 tags on one resource.");
  **target = std::move(next);
  return std::string();
}

OpResult RemoveTagsFromResource(RdsCall& c) {
  std::vector<std::string> keys = c.p.List("TagKeys");
  auto target = TagTarget(c);
  if (!target) return std::unexpected(target.error());
  auto& tags = **target;
  for (const auto& key : keys)
    tags.erase(
        std::remove_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.first == key; }),
        tags.end());
  return std::string();
}

OpResult ListTagsForResource(RdsCall& c) {
  auto target = TagTarget(c);
  if (!target) return std::unexpected(target.error());
  XmlWriter x;
  WriteTagList(x, **target);
  return x.Take();
}

// ------------------------------------------------------------ account quotas

OpResult DescribeAccountAttributes(RdsCall& c) {
  const Scope& s = c.scope;
  long long storage = 0;
  for (const auto& [id, db] : s.dbs[0])
    if (db.cluster_id.empty()) storage += db.info->size_gb;
  // AccountQuota names as botocore's model lists them; the limits are AWS's
  // documented defaults, the snapshot quotas the world's settings.
  struct Quota {
    const char* name;
    long long used, max;
  };
  const Quota quotas[] = {
      {"DBInstances", static_cast<long long>(s.dbs[0].size()), 40},
      {"ReservedDBInstances", 0, 40},
      {"AllocatedStorage", storage, 100000},
      {"DBSecurityGroups", 0, 25},
      {"AuthorizationsPerDBSecurityGroup", 0, 20},
      {"DBParameterGroups", 0, 50},
      {"ManualSnapshots", s.manual_count[0], c.w.settings.ManualSnapshotQuota(s.account, false)},
      {"EventSubscriptions", 0, 20},
      {"DBSubnetGroups", 0, 50},
      {"OptionGroups", static_cast<long long>(s.option_groups.size()), 20},
      {"SubnetsPerDBSubnetGroup", 0, 20},
      {"ReadReplicasPerMaster", 0, 15},
      {"DBClusters", static_cast<long long>(s.dbs[1].size()), 40},
      {"DBClusterParameterGroups", 0, 50},
      {"DBClusterRoles", 0, 5},
      {"ManualClusterSnapshots", s.manual_count[1],
       c.w.settings.ManualSnapshotQuota(s.account, true)},
  };
  XmlWriter x;
  x.Open("AccountQuotas");
  for (const Quota& q : quotas) {
    x.Open("AccountQuota");
    x.Text("AccountQuotaName", q.name);
    x.Text("Used", std::to_string(q.used));
    x.Text("Max", std::to_string(q.max));
    x.Close("AccountQuota");
  }
  x.Close("AccountQuotas");
  return x.Take();
}

// ------------------------------------------------------------ option groups

namespace {

void WriteOptionGroup(XmlWriter& x, const Scope& s, const OptionGroup& g) {
  x.Open("OptionGroup");
  x.Text("OptionGroupName", g.name);
  x.Text("OptionGroupDescription", g.description);
  x.Text("EngineName", g.engine);
  x.Text("MajorEngineVersion", g.major_version);
  x.Empty("Options");
  x.Bool("AllowsVpcAndNonVpcInstanceMemberships", true);
  x.Text("OptionGroupArn", "arn:aws:rds:" + s.region + ":" + s.account + ":og:" + g.name);
  x.Close("OptionGroup");
}

}  // namespace

OpResult CreateOptionGroup(RdsCall& c) {
  for (const char* p :
       {"OptionGroupName", "EngineName", "MajorEngineVersion", "OptionGroupDescription"})
    if (!c.p.Get(p)) return MissingParameter(p);
  std::string name = ToLower(*c.p.Get("OptionGroupName"));
  if (!ValidIdentifier(name, 255))
    return InvalidParameterValue(InvalidIdentifierMessage("OptionGroupName"));
  if (c.scope.option_groups.count(name))
    return ApiFail(400, "OptionGroupAlreadyExistsFault",
                   "Option group " + name + " already exists.");
  if (c.scope.option_groups.size() >= 20)
    return ApiFail(400, "OptionGroupQuotaExceededFault",
                   "Cannot create more than 20 option groups.");
  OptionGroup g;
  g.name = name;
  g.engine = *c.p.Get("EngineName");
  g.major_version = *c.p.Get("MajorEngineVersion");
  g.description = *c.p.Get("OptionGroupDescription");
  if (!FindOptionGroup(c.scope, DefaultOptionGroupName(g.engine, g.major_version)))
    return InvalidParameterValue("Invalid DB engine: " + g.engine);
  const OptionGroup& stored = c.scope.option_groups.emplace(name, std::move(g)).first->second;
  XmlWriter x;
  WriteOptionGroup(x, c.scope, stored);
  return x.Take();
}

OpResult DescribeOptionGroups(RdsCall& c) {
  auto max = MaxRecordsParam(c.p);
  if (!max) return std::unexpected(max.error());
  std::string engine = c.p.GetOr("EngineName", "");
  std::string major = c.p.GetOr("MajorEngineVersion", "");
  std::vector<OptionGroup> out;
  if (const std::string* name = c.p.Get("OptionGroupName")) {
    std::optional<OptionGroup> g = FindOptionGroup(c.scope, *name);
    if (!g) return OptionGroupNotFound(*name);
    out.push_back(*g);
  } else {
    std::string marker = c.p.GetOr("Marker", "");
    for (auto it = c.scope.option_groups.upper_bound(marker); it != c.scope.option_groups.end();
         ++it) {
      if (!engine.empty() && it->second.engine != engine) continue;
      if (!major.empty() && it->second.major_version != major) continue;
      out.push_back(it->second);
    }
  }
  std::string next;
  if (static_cast<int>(out.size()) > *max) {
    out.resize(*max);
    next = out.back().name;
  }
  XmlWriter x;
  if (out.empty()) {
    x.Empty("OptionGroupsList");
  } else {
    x.Open("OptionGroupsList");
    for (const OptionGroup& g : out) WriteOptionGroup(x, c.scope, g);
    x.Close("OptionGroupsList");
  }
  if (!next.empty()) x.Text("Marker", next);
  return x.Take();
}

OpResult DeleteOptionGroup(RdsCall& c) {
  const std::string* name = c.p.Get("OptionGroupName");
  if (!name) return MissingParameter("OptionGroupName");
  std::string lname = ToLower(*name);
  if (lname.starts_with("default:"))
    return ApiFail(400, "InvalidOptionGroupStateFault", "Default option groups cannot be deleted.");
  auto it = c.scope.option_groups.find(lname);
  if (it == c.scope.option_groups.end()) return OptionGroupNotFound(*name);
  for (const auto& [id, db] : c.scope.dbs[0])
    if (db.info->option_group == lname)
      return ApiFail(400, "InvalidOptionGroupStateFault",
                     "The option group " + lname + " is in use by DB instance " + id + ".");
  c.scope.option_groups.erase(it);
  return std::string();
}

// ------------------------------------------------------------ events

OpResult DescribeEvents(RdsCall& c) {
  World& w = c.w;
  auto max = MaxRecordsParam(c.p);
  if (!max) return std::unexpected(max.error());
  std::string source_id = c.p.GetOr("SourceIdentifier", "");
  std::string source_type = c.p.GetOr("SourceType", "");
  if (!source_id.empty() && source_type.empty())
    return InvalidParameterCombination(
        "Cannot specify SourceIdentifier without specifying SourceType.");
  std::vector<std::string> cats = c.p.List("EventCategories");
  TimePoint end = w.now, start = w.now - std::chrono::minutes(60);
  if (const std::string* v = c.p.Get("EndTime")) {
    auto t = ParseIso8601(*v);
    if (!t) return InvalidParameterValue("Invalid EndTime: " + *v);
    end = *t;
  }
  if (const std::string* v = c.p.Get("StartTime")) {
    auto t = ParseIso8601(*v);
    if (!t) return InvalidParameterValue("Invalid StartTime: " + *v);
    start = *t;
  } else if (const std::string* d = c.p.Get("Duration")) {
    int mins = 0;
    auto r = std::from_chars(d->data(), d->data() + d->size(), mins);
    if (r.ec != std::errc() || mins < 0) return InvalidParameterValue("Invalid Duration: " + *d);
    start = end - std::chrono::minutes(mins);
  }
  size_t skip = 0;
  if (const std::string* m = c.p.Get("Marker"); m && !m->empty()) {
    auto r = std::from_chars(m->data(), m->data() + m->size(), skip);
    if (r.ec != std::errc()) return InvalidParameterValue("Invalid marker: " + *m);
  }
  std::vector<const EventRec*> out;
  size_t matched = 0;
  bool more = false;
  for (const EventRec& e : w.events) {
    if (e.account != c.req.account_id || e.region != c.req.region) continue;
    if (e.time < start || e.time > end) continue;
    if (!source_type.empty() && e.source_type != source_type) continue;
    if (!source_id.empty() && e.source_id != ToLower(source_id) && e.source_id != source_id)
      continue;
    if (!cats.empty() && std::find(cats.begin(), cats.end(), e.category) == cats.end()) continue;
    if (matched++ < skip) continue;
    if (static_cast<int>(out.size()) == *max) {
      more = true;
      break;
    }
    out.push_back(&e);
  }
  XmlWriter x;
  if (out.empty()) {
    x.Empty("Events");
  } else {
    x.Open("Events");
    for (const EventRec* e : out) {
      x.Open("Event");
      x.Text("SourceIdentifier", e->source_id);
      x.Text("SourceType", e->source_type);
      x.Text("Message", e->message);
      x.Open("EventCategories");
      x.Text("EventCategory", e->category);
      x.Close("EventCategories");
      x.Time("Date", e->time);
      x.Text("SourceArn", e->source_arn);
      x.Close("Event");
    }
    x.Close("Events");
  }
  if (more) x.Text("Marker", std::to_string(skip + out.size()));
  return x.Take();
}

// ------------------------------------------------------------ parameter groups

namespace {

void WriteParameterGroup(XmlWriter& x, const sim::Scope& scope, const ParameterGroup& g) {
  x.Text("DBParameterGroupName", g.name);
  x.Text("DBParameterGroupFamily", g.family);
  x.Text("Description", g.description);
  x.Text("DBParameterGroupArn",
         "arn:aws:rds:" + scope.region + ":" + scope.account + ":pg:" + g.name);
}

}  // namespace

OpResult CreateDBParameterGroup(RdsCall& c) {
  for (const char* p : {"DBParameterGroupName", "DBParameterGroupFamily", "Description"})
    if (!c.p.Get(p)) return MissingParameter(p);
  std::string name = ToLower(*c.p.Get("DBParameterGroupName"));
  if (!ValidIdentifier(name, 255))
    return InvalidParameterValue(InvalidIdentifierMessage("DBParameterGroupName"));
  if (name.starts_with("default."))
    return InvalidParameterValue("The parameter DBParameterGroupName is not a valid identifier.");
  if (c.scope.parameter_groups.count(name))
    return ApiFail(400, "DBParameterGroupAlreadyExists",
                   "Parameter group " + name + " already exists");
  if (c.scope.parameter_groups.size() >= 50)
    return ApiFail(400, "DBParameterGroupQuotaExceeded",
                   "Cannot create more than 50 DB parameter groups.");
  std::vector<Tag> tags = c.p.Tags("Tags");
  if (auto t = CheckTags(tags); !t) return std::unexpected(t.error());
  ParameterGroup g;
  g.name = name;
  g.family = *c.p.Get("DBParameterGroupFamily");
  g.description = *c.p.Get("Description");
  MergeTags(&g.tags, tags);
  const ParameterGroup& stored = c.scope.parameter_groups.emplace(name, std::move(g)).first->second;
  XmlWriter x;
  x.Open("DBParameterGroup");
  WriteParameterGroup(x, c.scope, stored);
  x.Close("DBParameterGroup");
  return x.Take();
}

OpResult DescribeDBParameterGroups(RdsCall& c) {
  XmlWriter x;
  x.Open("DBParameterGroups");
  auto one = [&](const ParameterGroup& g) {
    x.Open("DBParameterGroup");
    WriteParameterGroup(x, c.scope, g);
    x.Close("DBParameterGroup");
  };
  if (const std::string* name = c.p.Get("DBParameterGroupName")) {
    auto it = c.scope.parameter_groups.find(ToLower(*name));
    if (it == c.scope.parameter_groups.end())
      return ApiFail(404, "DBParameterGroupNotFound", "DBParameterGroup not found: " + *name);
    one(it->second);
  } else {
    for (const auto& [n, g] : c.scope.parameter_groups) one(g);
  }
  x.Close("DBParameterGroups");
  return x.Take();
}

OpResult DeleteDBParameterGroup(RdsCall& c) {
  const std::string* name = c.p.Get("DBParameterGroupName");
  if (!name) return MissingParameter("DBParameterGroupName");
  if (c.scope.parameter_groups.erase(ToLower(*name)) == 0)
    return ApiFail(404, "DBParameterGroupNotFound", "DBParameterGroup not found: " + *name);
  return std::string();
}

}  // namespace drsnap::sim
