// Loading a world file (YAML, or JSON which yaml-cpp reads as YAML) with
// "file:line: message" errors. The format is shown in testdata/sim/world.yaml.
#include "sim/world_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>

#include "core/time_util.h"

namespace drsnap::sim {

namespace {

class Loader {
 public:
  Loader(World& w, std::string_view name) : w_(w), name_(name) {}

  Status Load(const YAML::Node& root);

 private:
  Error Err(const YAML::Node& n, const std::string& msg) const {
    int line = n.Mark().is_null() ? 0 : n.Mark().line + 1;
    return Error::Terminal("WorldFileInvalid", name_ + ":" + std::to_string(line) + ": " + msg);
  }
  Status CheckKeys(const YAML::Node& n, std::initializer_list<std::string_view> allowed,
                   std::string_view what) const {
    if (!n.IsMap()) return Fail(Err(n, std::string(what) + " must be a mapping"));
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        return Fail(Err(it->first, "unknown key \"" + k + "\" in " + std::string(what)));
    }
    return OkStatus();
  }
  Result<std::string> Str(const YAML::Node& parent, const char* key, bool required,
                          std::string def = "") const {
    YAML::Node n = parent[key];
    if (!n) {
      if (required) return Fail(Err(parent, std::string("missing \"") + key + "\""));
      return def;
    }
    if (!n.IsScalar()) return Fail(Err(n, std::string("\"") + key + "\" must be a scalar"));
    return n.as<std::string>();
  }
  Result<int> Int(const YAML::Node& parent, const char* key, int def, int lo, int hi) const {
    YAML::Node n = parent[key];
    if (!n) return def;
    std::string s = n.IsScalar() ? n.as<std::string>() : "";
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
      return Fail(Err(n, std::string("\"") + key + "\" must be an integer in " +
                             std::to_string(lo) + ".." + std::to_string(hi)));
    return v;
  }
  Result<bool> Bool(const YAML::Node& parent, const char* key, bool def) const {
    YAML::Node n = parent[key];
    if (!n) return def;
    std::string s = n.IsScalar() ? ToLower(n.as<std::string>()) : "";
    if (s == "true" || s == "yes") return true;
    if (s == "false" || s == "no") return false;
    return Fail(Err(n, std::string("\"") + key + "\" must be true or false"));
  }
  Result<std::string> Region(const YAML::Node& parent) const {
    DRSNAP_ASSIGN_OR_RETURN(std::string r, Str(parent, "region", true));
    if (!w_.regions.empty() &&
        std::find(w_.regions.begin(), w_.regions.end(), r) == w_.regions.end())
      return Fail(Err(parent["region"], "region \"" + r + "\" is not in \"regions\""));
    return r;
  }
  Result<std::vector<Tag>> Tags(const YAML::Node& parent) const {
    std::vector<Tag> out;
    YAML::Node n = parent["tags"];
    if (!n) return out;
    if (!n.IsMap()) return Fail(Err(n, "\"tags\" must be a mapping of key: value"));
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (ToLower(k).starts_with("aws:"))
        return Fail(Err(it->first, "tag keys cannot start with \"aws:\""));
      out.emplace_back(k, it->second.IsNull() ? "" : it->second.as<std::string>());
    }
    return out;
  }
  Status LoadAccount(const YAML::Node& a);
  Status LoadDatabases(const YAML::Node& a, const std::string& account_id);
  Status LoadDatabase(const YAML::Node& d, const std::string& account_id, bool cluster);

  World& w_;
  std::string name_;
};

nlohmann::json YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto it = n.begin(); it != n.end(); ++it)
      j[it->first.as<std::string>()] = YamlToJson(it->second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& e : n) j.push_back(YamlToJson(e));
    return j;
  }
  if (!n.IsScalar()) return nullptr;
  std::string s = n.as<std::string>();
  if (n.Tag() != "!") {  // plain (unquoted) scalar: numbers and booleans
    long long i;
    auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return i;
    double d;
    auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
    if (!s.empty() && rd.ec == std::errc() && rd.ptr == s.data() + s.size()) return d;
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return s;
}

Status Loader::Load(const YAML::Node& root) {
  if (!root.IsMap()) return Fail(Err(root, "the world file must be a mapping"));
  DRSNAP_RETURN_IF_ERROR(
      CheckKeys(root, {"start_time", "regions", "settings", "accounts"}, "the world file"));
  if (YAML::Node t = root["start_time"]) {
    auto tp = ParseIso8601(t.as<std::string>());
    if (!tp) return Fail(Err(t, "\"start_time\" must look like 2026-11-23T00:00:00Z"));
    w_.now = *tp;
  }
  if (YAML::Node r = root["regions"]) {
    if (!r.IsSequence()) return Fail(Err(r, "\"regions\" must be a list"));
    for (const auto& e : r) w_.regions.push_back(e.as<std::string>());
  }
  if (YAML::Node s = root["settings"]) {
    auto st = w_.settings.Update(YamlToJson(s));
    if (!st) return Fail(Err(s, st.error().message));
  }
  YAML::Node accounts = root["accounts"];
  if (!accounts) return OkStatus();
  if (!accounts.IsSequence()) return Fail(Err(accounts, "\"accounts\" must be a list"));
  for (const auto& a : accounts) DRSNAP_RETURN_IF_ERROR(LoadAccount(a));
  // Databases second: they may name keys of any account.
  for (const auto& a : accounts)
    DRSNAP_RETURN_IF_ERROR(LoadDatabases(a, a["id"].as<std::string>()));
  w_.RebuildAgenda();
  return OkStatus();
}

Status Loader::LoadAccount(const YAML::Node& a) {
  DRSNAP_RETURN_IF_ERROR(CheckKeys(a,
                                   {"id", "name", "access_keys", "roles", "kms_keys",
                                    "option_groups", "db_instances", "db_clusters"},
                                   "an account"));
  DRSNAP_ASSIGN_OR_RETURN(std::string id, Str(a, "id", true));
  if (!ValidAccountId(id)) return Fail(Err(a["id"], "account id must be 12 digits"));
  if (w_.accounts.count(id)) return Fail(Err(a["id"], "duplicate account " + id));
  Account acct;
  acct.id = id;
  DRSNAP_ASSIGN_OR_RETURN(acct.name, Str(a, "name", false, id));
  if (YAML::Node keys = a["access_keys"]) {
    if (!keys.IsSequence()) return Fail(Err(keys, "\"access_keys\" must be a list"));
    for (const auto& k : keys) {
      DRSNAP_RETURN_IF_ERROR(CheckKeys(k, {"id", "secret", "user"}, "an access key"));
      AccessKey key;
      DRSNAP_ASSIGN_OR_RETURN(key.access_key_id, Str(k, "id", true));
      DRSNAP_ASSIGN_OR_RETURN(key.secret_access_key, Str(k, "secret", true));
      DRSNAP_ASSIGN_OR_RETURN(std::string user, Str(k, "user", false, "admin"));
      key.account_id = id;
      key.arn = "arn:aws:iam::" + id + ":user/" + user;
      if (w_.access_keys.count(key.access_key_id))
        return Fail(Err(k["id"], "duplicate access key " + key.access_key_id));
      w_.access_keys[key.access_key_id] = key;
    }
  }
  if (YAML::Node roles = a["roles"]) {
    if (!roles.IsSequence()) return Fail(Err(roles, "\"roles\" must be a list"));
    for (const auto& r : roles) {
      DRSNAP_RETURN_IF_ERROR(CheckKeys(r, {"name", "external_id"}, "a role"));
      Role role;
      DRSNAP_ASSIGN_OR_RETURN(role.name, Str(r, "name", true));
      DRSNAP_ASSIGN_OR_RETURN(role.external_id, Str(r, "external_id", false));
      acct.roles[role.name] = role;
    }
  }
  w_.accounts[id] = acct;
  if (YAML::Node groups = a["option_groups"]) {
    if (!groups.IsSequence()) return Fail(Err(groups, "\"option_groups\" must be a list"));
    for (const auto& g : groups) {
      DRSNAP_RETURN_IF_ERROR(
          CheckKeys(g, {"name", "region", "engine", "major_engine_version", "description"},
                    "an option group"));
      OptionGroup og;
      DRSNAP_ASSIGN_OR_RETURN(og.name, Str(g, "name", true));
      og.name = ToLower(og.name);
      if (og.name.starts_with("default:") || !ValidIdentifier(og.name, 255))
        return Fail(Err(g["name"], "invalid option group name \"" + og.name +
                                       "\" (default groups exist without being declared)"));
      DRSNAP_ASSIGN_OR_RETURN(std::string region, Region(g));
      DRSNAP_ASSIGN_OR_RETURN(og.engine, Str(g, "engine", true));
      DRSNAP_ASSIGN_OR_RETURN(og.major_version, Str(g, "major_engine_version", true));
      DRSNAP_ASSIGN_OR_RETURN(og.description, Str(g, "description", false, og.name));
      if (!FindOptionGroup(Scope{}, DefaultOptionGroupName(og.engine, og.major_version)))
        return Fail(Err(g["engine"], "unknown engine \"" + og.engine + "\""));
      Scope& s = w_.GetScope(id, region);
      if (s.option_groups.count(og.name))
        return Fail(Err(g["name"], "duplicate option group " + og.name));
      std::string name = og.name;
      s.option_groups.emplace(std::move(name), std::move(og));
    }
  }
  if (YAML::Node keys = a["kms_keys"]) {
    if (!keys.IsSequence()) return Fail(Err(keys, "\"kms_keys\" must be a list"));
    for (const auto& k : keys) {
      DRSNAP_RETURN_IF_ERROR(CheckKeys(
          k, {"id", "region", "alias", "description", "allow_accounts", "enabled"}, "a KMS key"));
      DRSNAP_ASSIGN_OR_RETURN(std::string region, Region(k));
      Scope& s = w_.GetScope(id, region);
      KmsKey key;
      DRSNAP_ASSIGN_OR_RETURN(key.key_id, Str(k, "id", false, w_.NextUuid()));
      if (s.keys.count(key.key_id)) return Fail(Err(k, "duplicate KMS key id " + key.key_id));
      key.arn = "arn:aws:kms:" + region + ":" + id + ":key/" + key.key_id;
      DRSNAP_ASSIGN_OR_RETURN(key.description, Str(k, "description", false));
      DRSNAP_ASSIGN_OR_RETURN(key.enabled, Bool(k, "enabled", true));
      key.created = w_.now;
      if (YAML::Node al = k["allow_accounts"]) {
        if (!al.IsSequence()) return Fail(Err(al, "\"allow_accounts\" must be a list"));
        for (const auto& e : al) {
          std::string acc = e.as<std::string>();
          if (!ValidAccountId(acc)) return Fail(Err(e, "account id must be 12 digits"));
          key.allowed_accounts.insert(acc);
        }
      }
      DRSNAP_ASSIGN_OR_RETURN(std::string alias, Str(k, "alias", false));
      if (!alias.empty()) {
        if (!alias.starts_with("alias/")) alias = "alias/" + alias;
        if (alias.starts_with("alias/aws/"))
          return Fail(Err(k["alias"], "aliases starting with alias/aws/ are reserved"));
        if (s.aliases.count(alias)) return Fail(Err(k["alias"], "duplicate alias " + alias));
        s.aliases[alias] = Alias{key.key_id, w_.now};
      }
      s.keys.emplace(key.key_id, std::move(key));
    }
  }
  return OkStatus();
}

Status Loader::LoadDatabases(const YAML::Node& a, const std::string& account_id) {
  for (int k = 0; k < 2; ++k) {
    const char* key = k ? "db_clusters" : "db_instances";
    YAML::Node list = a[key];
    if (!list) continue;
    if (!list.IsSequence()) return Fail(Err(list, std::string("\"") + key + "\" must be a list"));
    for (const auto& d : list) DRSNAP_RETURN_IF_ERROR(LoadDatabase(d, account_id, k == 1));
  }
  return OkStatus();
}

Status Loader::LoadDatabase(const YAML::Node& d, const std::string& account_id, bool cluster) {
  DRSNAP_RETURN_IF_ERROR(
      CheckKeys(d,
                {"id", "region", "engine", "engine_version", "instance_class", "size_gb",
                 "encrypted", "kms_key", "backup_retention_days", "backup_window", "tags",
                 "instances", "snapshots", "master_username", "port", "option_group"},
                cluster ? "a DB cluster" : "a DB instance"));
  DRSNAP_ASSIGN_OR_RETURN(std::string id, Str(d, "id", true));
  if (!ValidIdentifier(id, 63)) return Fail(Err(d["id"], "invalid DB identifier \"" + id + "\""));
  id = ToLower(id);
  DRSNAP_ASSIGN_OR_RETURN(std::string region, Region(d));
  Scope& s = w_.GetScope(account_id, region);
  int k = cluster ? 1 : 0;
  if (s.dbs[k].count(id)) return Fail(Err(d["id"], "duplicate DB identifier " + id));
  DRSNAP_ASSIGN_OR_RETURN(std::string engine,
                          Str(d, "engine", false, cluster ? "aurora-postgresql" : "postgres"));
  Database db;
  db.cluster = cluster;
  db.info = NewDbInfo(w_, cluster, id, engine);
  db.info->create_time = w_.now - std::chrono::days(30);
  DRSNAP_ASSIGN_OR_RETURN(db.info->engine_version,
                          Str(d, "engine_version", false, db.info->engine_version));
  db.info->option_group = DefaultOptionGroupName(engine, db.info->engine_version);
  if (YAML::Node og = d["option_group"]) {
    if (cluster) return Fail(Err(og, "\"option_group\" is only valid for DB instances"));
    DRSNAP_ASSIGN_OR_RETURN(std::string name, Str(d, "option_group", true));
    std::optional<OptionGroup> g = FindOptionGroup(s, name);
    if (!g)
      return Fail(Err(og, "option group \"" + name + "\" not found in " + region +
                              " (declare it under the account's option_groups)"));
    if (!OptionGroupSuits(*g, engine, db.info->engine_version))
      return Fail(Err(og, "option group \"" + name + "\" is for " + g->engine + " " +
                              g->major_version + ", not " + engine + " " +
                              db.info->engine_version));
    db.info->option_group = g->name;
  }
  DRSNAP_ASSIGN_OR_RETURN(db.info->master_username,
                          Str(d, "master_username", false, db.info->master_username));
  DRSNAP_ASSIGN_OR_RETURN(db.info->port, Int(d, "port", db.info->port, 1, 65535));
  DRSNAP_ASSIGN_OR_RETURN(db.info->size_gb, Int(d, "size_gb", 20, 1, 1 << 20));
  DRSNAP_ASSIGN_OR_RETURN(db.instance_class, Str(d, "instance_class", false, "db.t3.micro"));
  DRSNAP_ASSIGN_OR_RETURN(db.retention_days, Int(d, "backup_retention_days", 7, 0, 35));
  DRSNAP_ASSIGN_OR_RETURN(db.backup_window, Str(d, "backup_window", false, "04:00-04:30"));
  if (!ParseWindow(db.backup_window))
    return Fail(Err(d["backup_window"], "\"backup_window\" must look like 04:00-04:30"));
  DRSNAP_ASSIGN_OR_RETURN(db.tags, Tags(d));
  DRSNAP_ASSIGN_OR_RETURN(bool encrypted, Bool(d, "encrypted", false));
  DRSNAP_ASSIGN_OR_RETURN(std::string kms, Str(d, "kms_key", false));
  if (encrypted || !kms.empty()) {
    const KmsKey* key = kms.empty() ? &w_.DefaultKey(s) : w_.ResolveKey(account_id, region, kms);
    if (!key) return Fail(Err(d["kms_key"], "KMS key \"" + kms + "\" not found in " + region));
    db.kms_key_arn = key->arn;
  }
  if (cluster) {
    if (YAML::Node inst = d["instances"]) {
      if (!inst.IsSequence()) return Fail(Err(inst, "\"instances\" must be a list"));
      for (const auto& e : inst) {
        std::string iid = ToLower(e.as<std::string>());
        if (!ValidIdentifier(iid, 63) || s.dbs[0].count(iid))
          return Fail(Err(e, "invalid or duplicate instance identifier \"" + iid + "\""));
        Database m;
        m.info = NewDbInfo(w_, false, iid, engine);
        m.info->size_gb = db.info->size_gb;
        m.info->engine_version = db.info->engine_version;
        m.info->option_group = DefaultOptionGroupName(engine, m.info->engine_version);
        m.instance_class = db.instance_class == "db.t3.micro" ? "db.r6g.large" : db.instance_class;
        m.kms_key_arn = db.kms_key_arn;
        m.retention_days = db.retention_days;
        m.backup_window = db.backup_window;
        m.cluster_id = id;
        s.dbs[0].emplace(iid, std::move(m));
        db.members.push_back(iid);
      }
    }
  } else if (d["instances"]) {
    return Fail(Err(d["instances"], "\"instances\" is only valid for DB clusters"));
  }
  Database& stored = s.dbs[k].emplace(id, std::move(db)).first->second;
  // Seed snapshots: manual ones that already exist when the world starts.
  if (YAML::Node snaps = d["snapshots"]) {
    if (!snaps.IsSequence()) return Fail(Err(snaps, "\"snapshots\" must be a list"));
    for (const auto& e : snaps) {
      DRSNAP_RETURN_IF_ERROR(CheckKeys(e, {"id", "created", "tags", "shared_with"}, "a snapshot"));
      DRSNAP_ASSIGN_OR_RETURN(std::string sid, Str(e, "id", true));
      if (!ValidIdentifier(sid, cluster ? 63 : 255))
        return Fail(Err(e["id"], "invalid snapshot identifier \"" + sid + "\""));
      sid = ToLower(sid);
      if (w_.FindSnap(s, cluster, sid)) return Fail(Err(e["id"], "duplicate snapshot " + sid));
      auto snap = std::make_unique<Snapshot>();
      snap->id = sid;
      snap->cluster = cluster;
      snap->db = stored.info;
      snap->kms_key_arn = stored.kms_key_arn;
      snap->create_time = w_.now - std::chrono::hours(1);
      DRSNAP_ASSIGN_OR_RETURN(std::string created, Str(e, "created", false));
      if (!created.empty()) {
        auto t = ParseIso8601(created);
        if (!t) return Fail(Err(e["created"], "\"created\" must look like 2026-11-23T00:00:00Z"));
        snap->create_time = *t;
      }
      snap->original_create_time = snap->create_time;
      snap->job_start = snap->job_end = snap->create_time;
      snap->status = SnapStatus::kAvailable;
      snap->creator = World::WorldCreator();
      DRSNAP_ASSIGN_OR_RETURN(snap->tags, Tags(e));
      if (YAML::Node sw = e["shared_with"]) {
        if (!sw.IsSequence()) return Fail(Err(sw, "\"shared_with\" must be a list"));
        for (const auto& acc : sw) snap->shared_with.push_back(acc.as<std::string>());
      }
      w_.InsertSnap(s, std::move(snap));
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<World>> LoadWorld(std::string_view text, std::string_view name) {
  auto w = std::make_unique<World>();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Fail(
        Error::Terminal("WorldFileInvalid",
                        std::string(name) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg));
  }
  try {
    Loader loader(*w, name);
    DRSNAP_RETURN_IF_ERROR(loader.Load(root));
  } catch (const YAML::Exception& e) {
    return Fail(
        Error::Terminal("WorldFileInvalid",
                        std::string(name) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg));
  }
  return w;
}

}  // namespace drsnap::sim
