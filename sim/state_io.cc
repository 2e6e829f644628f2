#include "sim/state_io.h"

#include <map>
#include <unordered_map>

namespace drsnap::sim {

namespace {

using nlohmann::json;

long long Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromMs(const json& j) {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::milliseconds(j.get<long long>())));
}

json TagsJson(const std::vector<Tag>& tags) {
  json a = json::array();
  for (const auto& [k, v] : tags) a.push_back(json::array({k, v}));
  return a;
}
std::vector<Tag> TagsFrom(const json& a) {
  std::vector<Tag> out;
  for (const auto& t : a) out.emplace_back(t.at(0).get<std::string>(), t.at(1).get<std::string>());
  return out;
}

}  // namespace

std::string DumpState(const World& w) {
  json j;
  j["version"] = 1;
  j["now"] = Ms(w.now);
  j["settings"] = w.settings.ToJson();
  j["rng"] = w.rng_state;
  j["regions"] = w.regions;
  json accts = json::array();
  for (const auto& [id, a] : w.accounts) {
    json roles = json::array();
    for (const auto& [n, r] : a.roles)
      roles.push_back({{"name", r.name}, {"external_id", r.external_id}});
    accts.push_back({{"id", a.id}, {"name", a.name}, {"roles", roles}});
  }
  j["accounts"] = accts;
  json keys = json::array();
  for (const auto& [id, k] : w.access_keys) {
    json e = {{"id", k.access_key_id},
              {"secret", k.secret_access_key},
              {"token", k.session_token},
              {"account", k.account_id},
              {"arn", k.arn}};
    if (k.expiration) e["expiration"] = Ms(*k.expiration);
    keys.push_back(e);
  }
  j["access_keys"] = keys;

  // Infos and creators are written once each, by value: equal ones shared by
  // different objects (a reloaded state, option group variants) dump alike.
  std::unordered_map<const DbInfo*, size_t> info_index;
  std::map<std::string, size_t> info_by_value;
  json infos = json::array();
  auto info_ref = [&](const DbInfo* i) -> size_t {
    auto known = info_index.find(i);
    if (known != info_index.end()) return known->second;
    json v = {{"db_id", i->db_id},
              {"resource_id", i->resource_id},
              {"engine", i->engine},
              {"engine_version", i->engine_version},
              {"license_model", i->license_model},
              {"master_username", i->master_username},
              {"storage_type", i->storage_type},
              {"option_group", i->option_group},
              {"port", i->port},
              {"size_gb", i->size_gb},
              {"create_time", Ms(i->create_time)}};
    auto [it, inserted] =
        info_by_value.emplace(v.dump(-1, ' ', false, json::error_handler_t::replace), infos.size());
    if (inserted) infos.push_back(std::move(v));
    info_index.emplace(i, it->second);
    return it->second;
  };
  std::map<Creator, size_t> creator_index;
  json creators = json::array();
  auto creator_ref = [&](const Creator* c) -> size_t {
    auto [it, inserted] = creator_index.emplace(*c, creators.size());
    if (inserted)
      creators.push_back({{"source", c->source},
                          {"account", c->account},
                          {"principal_arn", c->principal_arn},
                          {"user_agent", c->user_agent},
                          {"action", c->action}});
    return it->second;
  };
  json scopes = json::array();
  for (const auto& [key, sp] : w.scopes) {
    const Scope& s = *sp;
    json sj = {{"account", s.account}, {"region", s.region}};
    json kms = json::array();
    for (const auto& [id, k] : s.keys) {
      json kj = {{"id", k.key_id},
                 {"arn", k.arn},
                 {"description", k.description},
                 {"created", Ms(k.created)},
                 {"aws_managed", k.aws_managed},
                 {"enabled", k.enabled},
                 {"allowed", k.allowed_accounts}};
      if (k.pending_deletion()) kj["deletion"] = Ms(k.deletion_date);
      if (!k.tags.empty()) kj["tags"] = TagsJson(k.tags);
      if (!k.grants.empty()) {
        json grants = json::array();
        for (const Grant& g : k.grants)
          grants.push_back({{"id", g.grant_id},
                            {"token", g.token},
                            {"name", g.name},
                            {"grantee", g.grantee},
                            {"retiring", g.retiring},
                            {"issuing", g.issuing_account},
                            {"operations", g.operations},
                            {"created", Ms(g.created)}});
        kj["grants"] = std::move(grants);
      }
      kms.push_back(std::move(kj));
    }
    sj["keys"] = kms;
    if (!s.option_groups.empty()) {
      json groups = json::array();
      for (const auto& [n, g] : s.option_groups)
        groups.push_back({{"name", g.name},
                          {"engine", g.engine},
                          {"major", g.major_version},
                          {"description", g.description}});
      sj["option_groups"] = std::move(groups);
    }
    if (!s.parameter_groups.empty()) {
      json groups = json::array();
      for (const auto& [n, g] : s.parameter_groups)
        groups.push_back({{"name", g.name},
                          {"family", g.family},
                          {"description", g.description},
                          {"tags", TagsJson(g.tags)}});
      sj["parameter_groups"] = std::move(groups);
    }
    json aliases = json::array();
    for (const auto& [n, a] : s.aliases)
      aliases.push_back({{"name", n}, {"target", a.target_key_id}, {"created", Ms(a.created)}});
    sj["aliases"] = aliases;
    json dbs = json::array();
    for (int k = 0; k < 2; ++k)
      for (const auto& [id, d] : s.dbs[k])
        dbs.push_back({{"cluster", d.cluster},
                       {"info", info_ref(d.info.get())},
                       {"class", d.instance_class},
                       {"kms", d.kms_key_arn},
                       {"retention", d.retention_days},
                       {"window", d.backup_window},
                       {"tags", TagsJson(d.tags)},
                       {"status", d.status},
                       {"ready_at", Ms(d.ready_at)},
                       {"next_backup", Ms(d.next_backup)},
                       {"cluster_id", d.cluster_id},
                       {"members", d.members},
                       {"restored_from", d.restored_from},
                       {"fail_when_ready", d.fail_when_ready}});
    sj["dbs"] = dbs;
    json snaps = json::array();
    for (int k = 0; k < 2; ++k)
      for (const auto& [id, sn] : s.snaps[k]) {
        const Snapshot& x = *sn;
        json e = {{"id", x.id},
                  {"info", info_ref(x.db.get())},
                  {"status", static_cast<int>(x.status)},
                  {"create", Ms(x.create_time)},
                  {"original", Ms(x.original_create_time)},
                  {"start", Ms(x.job_start)},
                  {"end", Ms(x.job_end)}};
        if (x.cluster) e["cluster"] = true;
        if (x.automated) e["automated"] = true;
        if (x.is_copy) e["copy"] = true;
        if (x.fail_at_end) e["fail"] = true;
        if (x.incremental) e["incremental"] = true;
        if (x.retention_days) e["retention"] = x.retention_days;
        if (!x.kms_key_arn.empty()) e["kms"] = x.kms_key_arn;
        if (!x.source_arn.empty()) e["source_arn"] = x.source_arn;
        if (!x.source_region.empty()) e["source_region"] = x.source_region;
        if (!x.tags.empty()) e["tags"] = TagsJson(x.tags);
        if (!x.shared_with.empty()) e["shared_with"] = x.shared_with;
        if (x.creator) e["creator"] = creator_ref(x.creator.get());
        snaps.push_back(std::move(e));
      }
    sj["snapshots"] = std::move(snaps);
    scopes.push_back(std::move(sj));
  }
  j["dbinfos"] = std::move(infos);
  j["creators"] = std::move(creators);
  j["scopes"] = std::move(scopes);
  json events = json::array();
  for (const auto& e : w.events)
    events.push_back({{"time", Ms(e.time)},
                      {"account", e.account},
                      {"region", e.region},
                      {"event_id", e.event_id},
                      {"category", e.category},
                      {"source_type", e.source_type},
                      {"source_id", e.source_id},
                      {"source_arn", e.source_arn},
                      {"message", e.message},
                      {"uuid", e.uuid}});
  j["events"] = std::move(events);
  json faults = json::array();
  for (const auto& f : w.faults)
    faults.push_back(
        {{"kind", f.kind}, {"account", f.account}, {"region", f.region}, {"count", f.remaining}});
  j["faults"] = faults;
  // Tag values may hold any bytes a client sent: never fail on invalid UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::unique_ptr<World>> LoadState(std::string_view text) {
  auto w = std::make_unique<World>();
  try {
    json j = json::parse(text);
    if (j.value("version", 0) != 1)
      return Fail(Error::Terminal("StateInvalid", "unsupported state version"));
    w->now = FromMs(j.at("now"));
    if (auto st = w->settings.Update(j.at("settings")); !st) return Fail(st.error());
    w->rng_state = j.at("rng").get<uint64_t>();
    w->regions = j.at("regions").get<std::vector<std::string>>();
    for (const auto& a : j.at("accounts")) {
      Account acct;
      acct.id = a.at("id");
      acct.name = a.at("name");
      for (const auto& r : a.at("roles"))
        acct.roles[r.at("name")] = Role{r.at("name"), r.at("external_id")};
      w->accounts[acct.id] = acct;
    }
    for (const auto& k : j.at("access_keys")) {
      AccessKey key;
      key.access_key_id = k.at("id");
      key.secret_access_key = k.at("secret");
      key.session_token = k.at("token");
      key.account_id = k.at("account");
      key.arn = k.at("arn");
      if (k.contains("expiration")) key.expiration = FromMs(k["expiration"]);
      w->access_keys[key.access_key_id] = key;
    }
    std::vector<std::shared_ptr<DbInfo>> infos;
    for (const auto& i : j.at("dbinfos")) {
      auto d = std::make_shared<DbInfo>();
      d->db_id = i.at("db_id");
      d->resource_id = i.at("resource_id");
      d->engine = i.at("engine");
      d->engine_version = i.at("engine_version");
      d->license_model = i.at("license_model");
      d->master_username = i.at("master_username");
      d->storage_type = i.at("storage_type");
      d->option_group = i.at("option_group");
      d->port = i.at("port");
      d->size_gb = i.at("size_gb");
      d->create_time = FromMs(i.at("create_time"));
      infos.push_back(std::move(d));
    }
    std::vector<std::shared_ptr<const Creator>> creators;
    if (j.contains("creators"))
      for (const auto& c : j["creators"])
        creators.push_back(
            w->InternCreator(Creator{c.at("source"), c.at("account"), c.at("principal_arn"),
                                     c.at("user_agent"), c.at("action")}));
    auto info = [&](const json& idx) {
      size_t n = idx.get<size_t>();
      if (n >= infos.size()) throw std::out_of_range("dbinfo index");
      return infos[n];
    };
    for (const auto& sj : j.at("scopes")) {
      Scope& s =
          w->GetScope(sj.at("account").get<std::string>(), sj.at("region").get<std::string>());
      for (const auto& k : sj.at("keys")) {
        KmsKey key;
        key.key_id = k.at("id");
        key.arn = k.at("arn");
        key.description = k.at("description");
        key.created = FromMs(k.at("created"));
        key.aws_managed = k.at("aws_managed");
        key.enabled = k.at("enabled");
        key.allowed_accounts = k.at("allowed").get<std::set<std::string>>();
        if (k.contains("deletion")) key.deletion_date = FromMs(k["deletion"]);
        if (k.contains("tags")) key.tags = TagsFrom(k["tags"]);
        if (k.contains("grants"))
          for (const auto& g : k["grants"])
            key.grants.push_back(Grant{g.at("id"), g.at("token"), g.at("name"), g.at("grantee"),
                                       g.at("retiring"), g.at("issuing"),
                                       g.at("operations").get<std::vector<std::string>>(),
                                       FromMs(g.at("created"))});
        s.keys[key.key_id] = key;
      }
      if (sj.contains("option_groups"))
        for (const auto& g : sj["option_groups"])
          s.option_groups[g.at("name")] =
              OptionGroup{g.at("name"), g.at("engine"), g.at("major"), g.at("description")};
      if (sj.contains("parameter_groups"))
        for (const auto& g : sj["parameter_groups"])
          s.parameter_groups[g.at("name")] = ParameterGroup{
              g.at("name"), g.at("family"), g.at("description"), TagsFrom(g.at("tags"))};
      for (const auto& a : sj.at("aliases"))
        s.aliases[a.at("name")] = Alias{a.at("target"), FromMs(a.at("created"))};
      for (const auto& d : sj.at("dbs")) {
        Database db;
        db.cluster = d.at("cluster");
        db.info = info(d.at("info"));
        db.instance_class = d.at("class");
        db.kms_key_arn = d.at("kms");
        db.retention_days = d.at("retention");
        db.backup_window = d.at("window");
        db.tags = TagsFrom(d.at("tags"));
        db.status = d.at("status");
        db.ready_at = FromMs(d.at("ready_at"));
        db.next_backup = FromMs(d.at("next_backup"));
        db.cluster_id = d.at("cluster_id");
        db.members = d.at("members").get<std::vector<std::string>>();
        db.restored_from = d.at("restored_from");
        db.fail_when_ready = d.value("fail_when_ready", false);
        std::string id = db.info->db_id;
        s.dbs[db.cluster ? 1 : 0][id] = std::move(db);
      }
      for (const auto& e : sj.at("snapshots")) {
        auto x = std::make_unique<Snapshot>();
        x->id = e.at("id");
        x->db = info(e.at("info"));
        int st = e.at("status");
        if (st < 0 || st > 3) throw std::out_of_range("snapshot status");
        x->status = static_cast<SnapStatus>(st);
        x->create_time = FromMs(e.at("create"));
        x->original_create_time = FromMs(e.at("original"));
        x->job_start = FromMs(e.at("start"));
        x->job_end = FromMs(e.at("end"));
        x->cluster = e.value("cluster", false);
        x->automated = e.value("automated", false);
        x->is_copy = e.value("copy", false);
        x->fail_at_end = e.value("fail", false);
        x->incremental = e.value("incremental", false);
        x->retention_days = e.value("retention", uint16_t{0});
        x->kms_key_arn = e.value("kms", "");
        x->source_arn = e.value("source_arn", "");
        x->source_region = e.value("source_region", "");
        if (e.contains("tags")) x->tags = TagsFrom(e["tags"]);
        if (e.contains("shared_with"))
          x->shared_with = e["shared_with"].get<std::vector<std::string>>();
        if (e.contains("creator")) {
          size_t n = e["creator"].get<size_t>();
          if (n >= creators.size()) throw std::out_of_range("creator index");
          x->creator = creators[n];
        }
        w->InsertSnap(s, std::move(x));
      }
    }
    for (const auto& e : j.at("events")) {
      EventRec r;
      r.time = FromMs(e.at("time"));
      r.account = e.at("account");
      r.region = e.at("region");
      r.event_id = e.at("event_id");
      r.category = e.at("category");
      r.source_type = e.at("source_type");
      r.source_id = e.at("source_id");
      r.source_arn = e.at("source_arn");
      r.message = e.at("message");
      r.uuid = e.at("uuid");
      w->events.push_back(std::move(r));
    }
    w->TakeNewEvents();  // loaded events are not new
    for (const auto& f : j.at("faults"))
      w->faults.push_back(WorldFault{f.at("kind"), f.at("account"), f.at("region"), f.at("count")});
  } catch (const std::exception& e) {
    return Fail(Error::Terminal("StateInvalid", std::string("invalid state: ") + e.what()));
  }
  w->RebuildAgenda();
  return w;
}

}  // namespace drsnap::sim
