#include "engine/tests/planner_util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/time_util.h"

namespace drsnap::engine::testutil {

TimePoint T(std::string_view iso) {
  auto t = ParseIso8601(iso);
  if (!t) {
    std::fprintf(stderr, "bad time in test: %.*s\n", static_cast<int>(iso.size()), iso.data());
    std::abort();
  }
  return *t;
}

config::Config MustConfig(std::string_view yaml) {
  auto c = config::ParseConfig(yaml, "test.yaml");
  if (!c) {
    std::fprintf(stderr, "bad test config:\n%s\n", c.error().ToString().c_str());
    std::abort();
  }
  return *c;
}

config::Config StandardConfig(const std::string& source, const std::string& rpo,
                              const std::string& retention, const std::string& extra_targets) {
  std::string yaml = R"(
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
  vault2: {id: "333333333333"}
policies:
  orders:
    databases: {names: ["orders*"]}
    source:
      account: prod
      region: us-east-1
      from: )" + source +
                     R"(
      share_key: arn:aws:kms:us-east-1:111111111111:key/share
    rpo: )" + rpo + R"(
    min_retention: 0s
    retention: )" + retention +
                     R"(
    targets:
      - account: vault
        hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/hop
        regions:
          eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/dr}
)" + extra_targets;
  return MustConfig(yaml);
}

World::World() {
  inv.observed_at = T("2026-11-25T12:00:00Z");
  inv.scopes.reserve(kMaxScopes);
  // The scopes StandardConfig() needs observed (ScopesToObserve).
  At(kProd, kSrcRegion);
  At(kVault, kDrRegion);
  At(kVault, kSrcRegion);
}

ScopeInventory& World::At(const std::string& account, const std::string& region) {
  Scope s{account, region};
  for (auto& si : inv.scopes)
    if (si.scope == s) return si;
  ScopeInventory si;
  si.scope = s;
  si.snapshots.reserve(kMaxSnapshotsPerScope);
  si.databases.reserve(kMaxDatabasesPerScope);
  if (inv.scopes.size() == kMaxScopes) std::abort();  // references would dangle
  if (region == kSrcRegion && account == kProd) si.default_rds_key_arn = kDefaultKey;
  inv.scopes.push_back(std::move(si));
  return inv.scopes.back();
}

Database& World::Db(const std::string& id, DbKind kind, const std::string& account,
                    const std::string& region) {
  ScopeInventory& si = At(account, region);
  if (si.databases.size() == kMaxDatabasesPerScope) std::abort();
  Database d;
  d.kind = kind;
  d.id = id;
  d.scope = si.scope;
  d.arn = "arn:aws:rds:" + region + ":" + account +
          (kind == DbKind::kCluster ? ":cluster:" : ":db:") + id;
  d.engine = kind == DbKind::kCluster ? "aurora-postgresql" : "postgres";
  d.status = "available";
  d.encrypted = true;
  d.kms_key_id = kCustomerKey;
  d.backup_retention_days = 7;
  si.databases.push_back(d);
  return si.databases.back();
}

Snapshot& World::Add(Snapshot s) {
  ScopeInventory& si = At(s.scope.account_id, s.scope.region);
  if (si.snapshots.size() == kMaxSnapshotsPerScope) std::abort();
  if (s.seen_from.account_id.empty()) s.seen_from = s.scope;
  if (s.arn.empty())
    s.arn = "arn:aws:rds:" + s.scope.region + ":" + s.scope.account_id +
            (s.kind == DbKind::kCluster ? ":cluster-snapshot:" : ":snapshot:") + s.id;
  if (s.status_text.empty()) s.status_text = SnapshotStatusName(s.status);
  si.snapshots.push_back(std::move(s));
  return si.snapshots.back();
}

Tags ManagedTags(const std::string& id, const std::string& policy, const std::string& db) {
  auto lin = naming::ParseName(id);
  Tags t{{naming::kTagManaged, "true"}, {naming::kTagPolicy, policy}, {naming::kTagDb, db}};
  if (lin) {
    // All seven, as drsnap writes them (naming.h): captures and raws live in
    // the source account kProd; hops and vault copies name it.
    t[naming::kTagStage] = naming::NameStageName(lin->stage);
    t[naming::kTagRecoveryPoint] = FormatIso8601Seconds(lin->recovery_point);
    t[naming::kTagSourceAccount] = lin->source_account.empty() ? kProd : lin->source_account;
    t[naming::kTagSourceArn] = "arn:aws:rds:us-east-1:111111111111:snapshot:" +
                               naming::CaptureName(db, lin->recovery_point);
  }
  return t;
}

Snapshot& World::Automated(const std::string& db, TimePoint point, DbKind kind) {
  Snapshot s;
  s.kind = kind;
  std::string ts = FormatIso8601Seconds(point);  // 2026-11-23T04:10:00Z
  s.id = "rds:" + db + "-" + ts.substr(0, 10) + "-" + ts.substr(11, 2) + "-" + ts.substr(14, 2);
  s.scope = Scope{kProd, kSrcRegion};
  s.db_id = db;
  s.type = SnapshotType::kAutomated;
  s.status = SnapshotStatus::kAvailable;
  s.create_time = s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = kCustomerKey;
  return Add(std::move(s));
}

Snapshot& World::Capture(const std::string& db, TimePoint point, SnapshotStatus status,
                         std::vector<std::string> shared_with, int attempt, DbKind kind,
                         const std::string& policy) {
  Snapshot s;
  s.kind = kind;
  s.id = naming::CaptureName(db, point, attempt);
  s.scope = Scope{kProd, kSrcRegion};
  s.db_id = db;
  s.type = SnapshotType::kManual;
  s.status = status;
  s.create_time = point + std::chrono::minutes(5);
  s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = kCustomerKey;
  s.tags = ManagedTags(s.id, policy, db);
  s.shared_with = std::move(shared_with);
  return Add(std::move(s));
}

Snapshot& World::Raw(const std::string& db, TimePoint point, SnapshotStatus status) {
  Snapshot s;
  s.id = naming::RawName(db, point);
  s.scope = Scope{kProd, kSrcRegion};
  s.db_id = db;
  s.status = status;
  s.create_time = s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = kDefaultKey;
  s.tags = ManagedTags(s.id, "orders", db);
  s.shared_with = std::vector<std::string>{};
  return Add(std::move(s));
}

Snapshot& World::Vault(const std::string& db, TimePoint point, SnapshotStatus status,
                       const std::string& account, const std::string& region, int attempt,
                       DbKind kind, const std::string& policy) {
  Snapshot s;
  s.kind = kind;
  s.id = naming::VaultName(kProd, db, point, attempt);
  s.scope = Scope{account, region};
  s.db_id = db;
  s.status = status;
  s.percent_progress = status == SnapshotStatus::kAvailable ? 100 : 40;
  s.create_time = point + std::chrono::hours(1);
  s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = "arn:aws:kms:" + region + ":" + account + ":key/dr";
  s.source_arn = "arn:aws:rds:us-east-1:111111111111:" +
                 std::string(kind == DbKind::kCluster ? "cluster-snapshot:" : "snapshot:") +
                 naming::CaptureName(db, point);
  s.source_region = kSrcRegion;
  s.tags = ManagedTags(s.id, policy, db);
  return Add(std::move(s));
}

Snapshot& World::Hop(const std::string& db, TimePoint point, SnapshotStatus status,
                     const std::string& account, int attempt, DbKind kind) {
  Snapshot s;
  s.kind = kind;
  s.id = naming::HopName(kProd, db, point, attempt);
  s.scope = Scope{account, kSrcRegion};
  s.db_id = db;
  s.status = status;
  s.create_time = point + std::chrono::minutes(30);
  s.recovery_point = point;
  s.encrypted = true;
  s.kms_key_id = "arn:aws:kms:us-east-1:" + account + ":key/hop";
  s.source_arn = "arn:aws:rds:us-east-1:111111111111:" +
                 std::string(kind == DbKind::kCluster ? "cluster-snapshot:" : "snapshot:") +
                 naming::CaptureName(db, point);
  s.tags = ManagedTags(s.id, "orders", db);
  return Add(std::move(s));
}

Snapshot& World::Manual(const std::string& id, const std::string& db, const std::string& account,
                        const std::string& region) {
  Snapshot s;
  s.id = id;
  s.scope = Scope{account, region};
  s.db_id = db;
  s.status = SnapshotStatus::kAvailable;
  s.create_time = s.recovery_point = T("2026-01-01T00:00:00Z");
  return Add(std::move(s));
}

// --- text format --------------------------------------------------------------

namespace {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) p = s.size();
    if (p > start) out.emplace_back(s.substr(start, p - start));
    start = p + 1;
  }
  return out;
}

std::optional<Scope> ParseScope(const std::string& s) {
  auto p = s.find('/');
  if (p == std::string::npos) return std::nullopt;
  return Scope{s.substr(0, p), s.substr(p + 1)};
}

}  // namespace

Inventory ParseInventoryText(std::string_view text, TimePoint* now, std::string* error) {
  Inventory inv;
  World w;
  Scope current{kProd, kSrcRegion};
  int line_no = 0;
  auto fail = [&](const std::string& msg) {
    if (error->empty()) *error = "line " + std::to_string(line_no) + ": " + msg;
  };
  for (const std::string& raw_line : Split(text, '\n')) {
    ++line_no;
    std::string line = raw_line.substr(0, raw_line.find('#'));
    auto words = Split(line, ' ');
    if (words.empty()) continue;
    std::map<std::string, std::string> kv;
    for (size_t i = 2; i < words.size(); ++i) {
      auto eq = words[i].find('=');
      if (eq == std::string::npos) {
        kv[words[i]] = "";
      } else {
        kv[words[i].substr(0, eq)] = words[i].substr(eq + 1);
      }
    }
    auto get = [&](const std::string& k, const std::string& def = "") {
      auto it = kv.find(k);
      return it == kv.end() ? def : it->second;
    };
    auto time_of = [&](const std::string& k) -> std::optional<TimePoint> {
      auto it = kv.find(k);
      if (it == kv.end()) return std::nullopt;
      auto t = ParseIso8601(it->second);
      if (!t) fail("bad time " + it->second);
      return t;
    };
    const std::string& verb = words[0];
    if (words.size() < 2) {
      fail("'" + verb + "' needs an argument");
      continue;
    }
    if (verb == "now") {
      auto t = ParseIso8601(words[1]);
      if (!t)
        fail("bad time " + words[1]);
      else
        *now = *t;
    } else if (verb == "scope") {
      auto s = ParseScope(words[1]);
      if (!s) {
        fail("bad scope " + words[1]);
        continue;
      }
      current = *s;
      ScopeInventory& si = w.At(s->account_id, s->region);
      if (kv.count("incomplete")) {
        si.complete = false;
        si.error = get("incomplete");
      }
      if (kv.count("default-key")) si.default_rds_key_arn = get("default-key");
    } else if (verb == "refused") {
      auto s = ParseScope(words[1]);
      if (!s)
        fail("bad scope " + words[1]);
      else
        w.inv.facts.one_step_copy_refused.push_back(*s);
    } else if (verb == "db") {
      Scope sc = kv.count("scope") ? ParseScope(get("scope")).value_or(current) : current;
      Database& d = w.Db(words[1], get("kind") == "cluster" ? DbKind::kCluster : DbKind::kInstance,
                         sc.account_id, sc.region);
      if (kv.count("engine")) d.engine = get("engine");
      if (kv.count("status")) d.status = get("status");
      if (kv.count("key")) {
        d.kms_key_id = get("key");
        d.encrypted = !d.kms_key_id.empty() && d.kms_key_id != "none";
        if (!d.encrypted) d.kms_key_id.clear();
      }
      if (kv.count("og")) d.option_group = get("og");
      if (kv.count("retention")) d.backup_retention_days = std::atoi(get("retention").c_str());
      for (const auto& tv : Split(get("tags"), ',')) {
        auto c = tv.find(':');
        d.tags[tv.substr(0, c)] = c == std::string::npos ? "" : tv.substr(c + 1);
      }
    } else if (verb == "snap") {
      Snapshot s;
      s.id = words[1];
      s.scope = kv.count("scope") ? ParseScope(get("scope")).value_or(current) : current;
      if (kv.count("seen")) s.seen_from = ParseScope(get("seen")).value_or(s.scope);
      s.kind = get("kind") == "cluster" ? DbKind::kCluster : DbKind::kInstance;
      std::string type = get("type", s.id.starts_with("rds:") ? "automated" : "manual");
      s.type = type == "automated" ? SnapshotType::kAutomated
               : type == "shared"  ? SnapshotType::kShared
                                   : SnapshotType::kManual;
      s.status_text = get("status", "available");
      s.status = ParseSnapshotStatus(s.status_text);
      s.percent_progress =
          std::atoi(get("progress", s.status == SnapshotStatus::kAvailable ? "100" : "0").c_str());
      auto lin = naming::ParseName(s.id);
      std::string db = get("db");
      if (db.empty() && lin) db = lin->db_token;
      s.db_id = db;
      if (auto p = time_of("point"))
        s.recovery_point = *p;
      else if (lin)
        s.recovery_point = lin->recovery_point;
      if (auto c = time_of("created"))
        s.create_time = *c;
      else
        s.create_time = s.recovery_point;
      if (s.recovery_point == TimePoint{}) s.recovery_point = s.create_time;
      std::string key =
          get("key", "arn:aws:kms:" + s.scope.region + ":" + s.scope.account_id + ":key/k");
      s.encrypted = key != "none";
      if (s.encrypted) s.kms_key_id = key;
      if (kv.count("shared")) s.shared_with = Split(get("shared"), ',');
      s.source_arn = get("source");
      if (kv.count("managed")) s.tags = ManagedTags(s.id, get("managed"), db);
      for (const auto& tv : Split(get("tags"), ',')) {
        auto c = tv.find(':');
        s.tags[tv.substr(0, c)] = c == std::string::npos ? "" : tv.substr(c + 1);
      }
      w.Add(std::move(s));
    } else {
      fail("unknown line kind '" + verb + "'");
    }
  }
  w.inv.observed_at = *now;
  return std::move(w.inv);
}

int CapturesOf(const Plan& plan, const std::string& db) {
  int n = 0;
  for (const auto& a : plan.actions) n += a.stage == Stage::kCapture && a.db_id == db;
  return n;
}

std::string RenderPlan(const Plan& plan) {
  std::string out;
  for (const auto& a : plan.actions) {
    out += std::string(StageName(a.stage)) + " " + a.Describe() + "\n";
    std::string extra;
    if (!a.source_region.empty()) extra += " from-region=" + a.source_region.str();
    if (!a.kms_key_id.empty()) extra += " kms=" + a.kms_key_id.str();
    if (!a.option_group.empty()) extra += " og=" + a.option_group.str();
    if (!a.after_share.empty()) extra += " after-share=" + a.after_share.str();
    if (!extra.empty()) out += "   " + extra + "\n";
    if (!a.tags.empty()) {
      out += "    tags:";
      for (const auto& [k, v] : a.tags) out += " " + k + "=" + v;
      out += "\n";
    }
    out += "    why: " + a.reason.str() + "\n";
  }
  for (const auto& f : plan.findings) {
    const char* sev = f.severity == Finding::Severity::kError     ? "error"
                      : f.severity == Finding::Severity::kWarning ? "warning"
                                                                  : "info";
    out += std::string("finding ") + sev + " [" + f.policy +
           (f.db_id.empty() ? "" : " " + f.db_id) + " @ " + f.scope.ToString() + "] " + f.message +
           "\n";
  }
  if (plan.actions.empty() && plan.findings.empty()) out += "(nothing to do)\n";
  return out;
}

}  // namespace drsnap::engine::testutil
