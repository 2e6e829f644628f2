#include "sim/world.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>

#include "core/time_util.h"

namespace drsnap::sim {

using namespace std::chrono;

// ---------------------------------------------------------------- Settings

int Settings::ManualSnapshotQuota(std::string_view account, bool cluster) const {
  auto it = manual_snapshot_quota_by_account.find(std::string(account));
  if (it != manual_snapshot_quota_by_account.end()) return it->second;
  return cluster ? manual_cluster_snapshot_quota : manual_snapshot_quota;
}

nlohmann::json Settings::ToJson() const {
  return nlohmann::json{{"same_region_mbps", same_region_mbps},
                        {"cross_region_mbps", cross_region_mbps},
                        {"create_mbps", create_mbps},
                        {"incremental_speedup", incremental_speedup},
                        {"copy_rule", one_step_copy ? "one-step" : "strict"},
                        {"manual_snapshot_quota", manual_snapshot_quota},
                        {"manual_cluster_snapshot_quota", manual_cluster_snapshot_quota},
                        {"manual_snapshot_quota_by_account", manual_snapshot_quota_by_account},
                        {"copies_in_flight_quota", copies_in_flight_quota},
                        {"cluster_cross_region_copies_quota", cluster_cross_region_copies_quota},
                        {"share_accounts_quota", share_accounts_quota},
                        {"restore_minutes", restore_minutes},
                        {"min_step_seconds", min_step_seconds},
                        {"max_events", max_events},
                        {"copy_status_queued", copy_status_queued},
                        {"copy_status_same_region", copy_status_same_region},
                        {"copy_status_cross_region", copy_status_cross_region},
                        {"cluster_copy_status_queued", cluster_copy_status_queued},
                        {"cluster_copy_status", cluster_copy_status},
                        {"same_region_copy_source", same_region_copy_source},
                        {"session_expiration_clock", session_expiration_wall ? "wall" : "virtual"}};
}

Status Settings::Update(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(Error::Terminal("InvalidSettings", "settings must be an object"));
  Settings next = *this;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    auto positive = [&](double* out) -> Status {
      if (!v.is_number() || v.get<double>() <= 0)
        return Fail(Error::Terminal("InvalidSettings", k + " must be a positive number"));
      *out = v.get<double>();
      return OkStatus();
    };
    auto count = [&](int* out) -> Status {
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 1000000000)
        return Fail(Error::Terminal("InvalidSettings", k + " must be a non-negative integer"));
      *out = v.get<int>();
      return OkStatus();
    };
    auto choice = [&](std::string* out, std::initializer_list<std::string_view> allowed) -> Status {
      if (v.is_string()) {
        for (std::string_view a : allowed)
          if (v.get<std::string>() == a) {
            *out = a;
            return OkStatus();
          }
      }
      std::string list;
      for (std::string_view a : allowed)
        list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
      return Fail(Error::Terminal("InvalidSettings", k + " must be one of " + list));
    };
    const std::initializer_list<std::string_view> kCopyStatuses = {"pending", "creating",
                                                                   "copying"};
    Status st;
    if (k == "copy_status_queued")
      st = choice(&next.copy_status_queued, kCopyStatuses);
    else if (k == "copy_status_same_region")
      st = choice(&next.copy_status_same_region, kCopyStatuses);
    else if (k == "copy_status_cross_region")
      st = choice(&next.copy_status_cross_region, kCopyStatuses);
    else if (k == "cluster_copy_status_queued")
      st = choice(&next.cluster_copy_status_queued, kCopyStatuses);
    else if (k == "cluster_copy_status")
      st = choice(&next.cluster_copy_status, kCopyStatuses);
    else if (k == "same_region_copy_source")
      st = choice(&next.same_region_copy_source, {"both", "model", "identifier"});
    else if (k == "session_expiration_clock") {
      std::string clock;
      st = choice(&clock, {"virtual", "wall"});
      next.session_expiration_wall = clock == "wall";
    } else if (k == "same_region_mbps")
      st = positive(&next.same_region_mbps);
    else if (k == "cross_region_mbps")
      st = positive(&next.cross_region_mbps);
    else if (k == "create_mbps")
      st = positive(&next.create_mbps);
    else if (k == "incremental_speedup")
      st = positive(&next.incremental_speedup);
    else if (k == "manual_snapshot_quota")
      st = count(&next.manual_snapshot_quota);
    else if (k == "manual_cluster_snapshot_quota")
      st = count(&next.manual_cluster_snapshot_quota);
    else if (k == "manual_snapshot_quota_by_account") {
      std::map<std::string, int> quotas;
      if (!v.is_object())
        st = Fail(Error::Terminal("InvalidSettings",
                                  k + " must map account ids to non-negative integers"));
      for (auto q = v.begin(); st && v.is_object() && q != v.end(); ++q) {
        if (!q.value().is_number_integer() || q.value().get<long long>() < 0 ||
            q.value().get<long long>() > 1000000000)
          st = Fail(Error::Terminal("InvalidSettings",
                                    k + " must map account ids to non-negative integers"));
        else
          quotas[q.key()] = q.value().get<int>();
      }
      if (st) next.manual_snapshot_quota_by_account = std::move(quotas);
    } else if (k == "copies_in_flight_quota")
      st = count(&next.copies_in_flight_quota);
    else if (k == "cluster_cross_region_copies_quota")
      st = count(&next.cluster_cross_region_copies_quota);
    else if (k == "share_accounts_quota")
      st = count(&next.share_accounts_quota);
    else if (k == "restore_minutes")
      st = count(&next.restore_minutes);
    else if (k == "min_step_seconds")
      st = count(&next.min_step_seconds);
    else if (k == "max_events")
      st = count(&next.max_events);
    else if (k == "copy_rule") {
      if (v == "strict")
        next.one_step_copy = false;
      else if (v == "one-step")
        next.one_step_copy = true;
      else
        st = Fail(
            Error::Terminal("InvalidSettings", "copy_rule must be \"strict\" or \"one-step\""));
    } else {
      st = Fail(Error::Terminal("InvalidSettings", "unknown setting \"" + k + "\""));
    }
    if (!st) return st;
  }
  *this = next;
  return OkStatus();
}

// ---------------------------------------------------------------- Snapshot

const char* SnapStatusName(SnapStatus s) {
  switch (s) {
    case SnapStatus::kCreating:
      return "creating";
    case SnapStatus::kCopying:
      return "copying";
    case SnapStatus::kAvailable:
      return "available";
    case SnapStatus::kFailed:
      return "failed";
  }
  return "available";
}

bool Snapshot::cross_region() const {
  return !source_region.empty() && scope != nullptr && source_region != scope->region;
}

bool Snapshot::queued(TimePoint now) const {
  return status == SnapStatus::kCopying && now < job_start;
}

bool Snapshot::public_() const {
  return std::find(shared_with.begin(), shared_with.end(), "all") != shared_with.end();
}

bool Snapshot::SharedWith(std::string_view account) const {
  for (const auto& a : shared_with)
    if (a == account || a == "all") return true;
  return false;
}

int Snapshot::PercentProgress(TimePoint t) const {
  if (status == SnapStatus::kAvailable) return 100;
  if (status == SnapStatus::kFailed) return 0;
  if (t <= job_start || job_end <= job_start) return 0;
  if (t >= job_end) return 99;
  auto done = duration_cast<milliseconds>(t - job_start).count();
  auto total = duration_cast<milliseconds>(job_end - job_start).count();
  return static_cast<int>(std::min<long long>(99, done * 100 / total));
}

bool ByOwnerAndId::operator()(const Snapshot* a, const Snapshot* b) const {
  int c = a->scope->account.compare(b->scope->account);
  if (c != 0) return c < 0;
  return a->id < b->id;
}
bool ByOwnerAndId::operator()(const Snapshot* a,
                              const std::pair<std::string_view, std::string_view>& b) const {
  int c = std::string_view(a->scope->account).compare(b.first);
  if (c != 0) return c < 0;
  return std::string_view(a->id) < b.second;
}
bool ByOwnerAndId::operator()(const std::pair<std::string_view, std::string_view>& a,
                              const Snapshot* b) const {
  int c = a.first.compare(b->scope->account);
  if (c != 0) return c < 0;
  return a.second < std::string_view(b->id);
}

// ---------------------------------------------------------------- Params

namespace {

// Splits "Prefix.<word>.N[.rest]" -> (N, rest); false when key does not match.
bool SplitListKey(std::string_view key, std::string_view prefix, int* n, std::string_view* rest) {
  if (key.size() <= prefix.size() + 1 || key.substr(0, prefix.size()) != prefix ||
      key[prefix.size()] != '.')
    return false;
  std::string_view tail = key.substr(prefix.size() + 1);
  // Either "<word>.N..." or directly "N..." (flattened).
  auto parse_num = [&](std::string_view s) -> bool {
    size_t end = 0;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (end == 0) return false;
    auto r = std::from_chars(s.data(), s.data() + end, *n);
    if (r.ec != std::errc()) return false;
    if (end == s.size()) {
      *rest = {};
      return true;
    }
    if (s[end] != '.') return false;
    *rest = s.substr(end + 1);
    return true;
  };
  if (!tail.empty() && std::isdigit(static_cast<unsigned char>(tail[0]))) return parse_num(tail);
  size_t dot = tail.find('.');
  if (dot == std::string_view::npos) return false;
  return parse_num(tail.substr(dot + 1));
}

}  // namespace

const std::string* Params::Get(std::string_view name) const {
  for (const auto& [k, v] : p_)
    if (k == name) return &v;
  return nullptr;
}

std::string Params::GetOr(std::string_view name, std::string_view def) const {
  const std::string* v = Get(name);
  return v ? *v : std::string(def);
}

std::vector<std::string> Params::List(std::string_view name) const {
  std::map<int, std::string> items;
  for (const auto& [k, v] : p_) {
    int n;
    std::string_view rest;
    if (SplitListKey(k, name, &n, &rest) && rest.empty()) items[n] = v;
  }
  std::vector<std::string> out;
  for (auto& [n, v] : items) out.push_back(v);
  return out;
}

std::vector<Tag> Params::Tags(std::string_view name) const {
  std::map<int, Tag> items;
  for (const auto& [k, v] : p_) {
    int n;
    std::string_view rest;
    if (!SplitListKey(k, name, &n, &rest)) continue;
    if (rest == "Key")
      items[n].first = v;
    else if (rest == "Value")
      items[n].second = v;
  }
  std::vector<Tag> out;
  for (auto& [n, t] : items) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> Params::Filters() const {
  std::map<int, std::pair<std::string, std::map<int, std::string>>> items;
  for (const auto& [k, v] : p_) {
    int n;
    std::string_view rest;
    if (!SplitListKey(k, "Filters", &n, &rest)) continue;
    if (rest == "Name") {
      items[n].first = v;
      continue;
    }
    int m;
    std::string_view rest2;
    if (SplitListKey(rest, "Values", &m, &rest2) && rest2.empty()) items[n].second[m] = v;
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto& [n, f] : items) {
    std::vector<std::string> vals;
    for (auto& [m, v] : f.second) vals.push_back(v);
    out.emplace_back(f.first, std::move(vals));
  }
  return out;
}

// ---------------------------------------------------------------- naming

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string SnapshotArn(std::string_view region, std::string_view account, bool cluster,
                        std::string_view id) {
  std::string out = "arn:aws:rds:";
  out += region;
  out += ':';
  out += account;
  out += cluster ? ":cluster-snapshot:" : ":snapshot:";
  out += id;
  return out;
}

std::string SnapshotArn(const Snapshot& s) {
  return SnapshotArn(s.scope->region, s.scope->account, s.cluster, s.id);
}

std::string DbArn(std::string_view region, std::string_view account, bool cluster,
                  std::string_view id) {
  std::string out = "arn:aws:rds:";
  out += region;
  out += ':';
  out += account;
  out += cluster ? ":cluster:" : ":db:";
  out += id;
  return out;
}

std::optional<ParsedArn> ParseArn(std::string_view arn) {
  // arn:partition:service:region:account:resource
  std::vector<std::string_view> parts;
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    size_t c = arn.find(':', pos);
    if (c == std::string_view::npos) return std::nullopt;
    parts.push_back(arn.substr(pos, c - pos));
    pos = c + 1;
  }
  if (parts[0] != "arn" || parts[1].substr(0, 3) != "aws") return std::nullopt;
  ParsedArn p;
  p.service = parts[2];
  p.region = parts[3];
  p.account = parts[4];
  std::string_view res = arn.substr(pos);
  size_t sep = res.find_first_of(":/");
  if (sep == std::string_view::npos) {
    p.resource_type = res;
  } else {
    p.resource_type = res.substr(0, sep);
    p.resource = res.substr(sep + 1);
  }
  return p;
}

bool ValidIdentifier(std::string_view id, size_t max_len) {
  if (id.empty() || id.size() > max_len) return false;
  if (!std::isalpha(static_cast<unsigned char>(id[0]))) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (c == '-' && i + 1 < id.size() && id[i + 1] == '-') return false;
  }
  return id.back() != '-';
}

std::string InvalidIdentifierMessage(std::string_view param) {
  return "The parameter " + std::string(param) +
         " is not a valid identifier. Identifiers must begin with a letter; must contain only "
         "ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
         "consecutive hyphens.";
}

bool ValidAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<std::pair<int, int>> ParseWindow(std::string_view w) {
  int h1, m1, h2, m2;
  if (w.size() != 11 || w[2] != ':' || w[5] != '-' || w[8] != ':') return std::nullopt;
  auto num = [&](size_t pos, int* out) {
    return std::isdigit(static_cast<unsigned char>(w[pos])) &&
           std::isdigit(static_cast<unsigned char>(w[pos + 1])) &&
           (*out = (w[pos] - '0') * 10 + (w[pos + 1] - '0'), true);
  };
  if (!num(0, &h1) || !num(3, &m1) || !num(6, &h2) || !num(9, &m2)) return std::nullopt;
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) return std::nullopt;
  return std::make_pair(h1 * 60 + m1, h2 * 60 + m2);
}

std::string AutomatedSnapshotId(std::string_view db_id, TimePoint t) {
  std::string iso = FormatIso8601Seconds(t);  // 2026-11-23T04:10:00Z
  std::string out = "rds:";
  out += db_id;
  out += '-';
  out += iso.substr(0, 10);
  out += '-';
  out += iso.substr(11, 2);
  out += '-';
  out += iso.substr(14, 2);
  return out;
}

nlohmann::json EventJson(const EventRec& e) {
  std::string detail_type;
  std::string source_type;
  if (e.source_type == "db-snapshot") {
    detail_type = "RDS DB Snapshot Event";
    source_type = "SNAPSHOT";
  } else if (e.source_type == "db-cluster-snapshot") {
    detail_type = "RDS DB Cluster Snapshot Event";
    source_type = "CLUSTER_SNAPSHOT";
  } else if (e.source_type == "db-cluster") {
    detail_type = "RDS DB Cluster Event";
    source_type = "CLUSTER";
  } else {
    detail_type = "RDS DB Instance Event";
    source_type = "DB_INSTANCE";
  }
  std::string date = FormatIso8601(e.time);
  return nlohmann::json{{"version", "0"},
                        {"id", e.uuid},
                        {"detail-type", detail_type},
                        {"source", "aws.rds"},
                        {"account", e.account},
                        {"time", FormatIso8601Seconds(e.time)},
                        {"region", e.region},
                        {"resources", nlohmann::json::array({e.source_arn})},
                        {"detail",
                         {{"EventCategories", nlohmann::json::array({e.category})},
                          {"SourceType", source_type},
                          {"SourceArn", e.source_arn},
                          {"Date", date},
                          {"Message", e.message},
                          {"SourceIdentifier", e.source_id},
                          {"EventID", e.event_id}}}};
}

// ---------------------------------------------------------------- World

World::World() {
  now = time_point_cast<seconds>(system_clock::now());
  std::random_device rd;
  request_seq_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::vector<nlohmann::json> World::TakeNewEvents(bool want) {
  std::vector<nlohmann::json> out;
  if (first_new_event_ > events.size()) first_new_event_ = events.size();
  for (size_t i = want ? first_new_event_ : events.size(); i < events.size(); ++i)
    out.push_back(EventJson(events[i]));
  first_new_event_ = events.size();
  return out;
}

Scope& World::GetScope(std::string_view account, std::string_view region) {
  std::string key = std::string(account) + "/" + std::string(region);
  auto it = scopes.find(key);
  if (it != scopes.end()) return *it->second;
  auto s = std::make_unique<Scope>();
  s->account = account;
  s->region = region;
  Scope& ref = *s;
  scopes.emplace(std::move(key), std::move(s));
  return ref;
}

Scope* World::FindScope(std::string_view account, std::string_view region) {
  std::string key = std::string(account) + "/" + std::string(region);
  auto it = scopes.find(key);
  return it == scopes.end() ? nullptr : it->second.get();
}

Snapshot* World::FindSnap(Scope& s, bool cluster, std::string_view id) {
  auto& m = s.snaps[cluster ? 1 : 0];
  auto it = m.find(ToLower(id));
  return it == m.end() ? nullptr : it->second.get();
}

Snapshot* World::InsertSnap(Scope& s, std::unique_ptr<Snapshot> snap) {
  int k = snap->cluster ? 1 : 0;
  snap->scope = &s;
  auto [it, inserted] = s.snaps[k].emplace(snap->id, std::move(snap));
  if (!inserted) return nullptr;
  Snapshot* p = it->second.get();
  s.by_db[k][p->db->db_id].insert(std::string_view(it->first));
  if (!p->automated) ++s.manual_count[k];
  if (p->status == SnapStatus::kCreating || p->status == SnapStatus::kCopying)
    s.in_flight.insert(p);
  if (!p->shared_with.empty()) {
    std::vector<std::string> shares = std::move(p->shared_with);
    p->shared_with.clear();
    SetShares(p, std::move(shares));
  }
  return p;
}

void World::EraseSnap(Snapshot* snap) {
  Scope& s = *snap->scope;
  int k = snap->cluster ? 1 : 0;
  SetShares(snap, {});
  s.in_flight.erase(snap);
  if (!snap->automated) --s.manual_count[k];
  auto bd = s.by_db[k].find(snap->db->db_id);
  if (bd != s.by_db[k].end()) {
    bd->second.erase(snap->id);
    if (bd->second.empty()) s.by_db[k].erase(bd);
  }
  std::string id = snap->id;  // the key must outlive the node erase() destroys
  s.snaps[k].erase(id);
}

void World::SetShares(Snapshot* snap, std::vector<std::string> accts) {
  int k = snap->cluster ? 1 : 0;
  const std::string& region = snap->scope->region;
  for (const auto& a : snap->shared_with) {
    if (a == "all") {
      auto it = public_[k].find(region);
      if (it != public_[k].end()) it->second.erase(snap);
    } else {
      auto r = shared_[k].find(region);
      if (r == shared_[k].end()) continue;
      auto it = r->second.find(a);
      if (it != r->second.end()) it->second.erase(snap);
    }
  }
  snap->shared_with = std::move(accts);
  for (const auto& a : snap->shared_with) {
    if (a == "all") {
      public_[k][region].insert(snap);
    } else {
      auto r = shared_[k].find(region);
      if (r == shared_[k].end()) r = shared_[k].emplace(region, decltype(r->second){}).first;
      r->second[a].insert(snap);
    }
  }
}

const std::set<Snapshot*, ByOwnerAndId>* World::SharedWith(std::string_view region,
                                                           std::string_view account, bool cluster) {
  auto& m = shared_[cluster ? 1 : 0];
  auto r = m.find(region);
  if (r == m.end()) return nullptr;
  auto it = r->second.find(account);
  return it == r->second.end() ? nullptr : &it->second;
}

const std::set<Snapshot*, ByOwnerAndId>* World::PublicIn(std::string_view region, bool cluster) {
  auto& m = public_[cluster ? 1 : 0];
  auto it = m.find(region);
  return it == m.end() ? nullptr : &it->second;
}

uint64_t World::NextRandom() {
  // splitmix64: deterministic for a given state, so worlds replay exactly.
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string World::NextUuid() {
  uint64_t a = NextRandom(), b = NextRandom();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string World::NewRequestId() {
  uint64_t saved = rng_state;
  rng_state = 0xA0761D6478BD642FULL + (++request_seq_) * 0x9E3779B97F4A7C15ULL;
  std::string id = NextUuid();
  rng_state = saved;
  return id;
}

std::string World::RandomAlnum(size_t n, bool upper_only) {
  static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  static constexpr std::string_view kAll =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    uint64_t r = NextRandom();
    for (int i = 0; i < 10 && out.size() < n; ++i, r >>= 6)
      out += upper_only ? kUpper[r & 31] : kAll[r & 63];
  }
  return out;
}

KmsKey& World::DefaultKey(Scope& s) {
  auto al = s.aliases.find("alias/aws/rds");
  if (al != s.aliases.end()) {
    auto k = s.keys.find(al->second.target_key_id);
    if (k != s.keys.end()) return k->second;
  }
  KmsKey key;
  key.key_id = NextUuid();
  key.arn = "arn:aws:kms:" + s.region + ":" + s.account + ":key/" + key.key_id;
  key.description =
      "Default key that protects my RDS database volumes when no other key is defined";
  key.created = now;
  key.aws_managed = true;
  std::string id = key.key_id;
  s.aliases["alias/aws/rds"] = Alias{id, now};
  return s.keys.emplace(id, std::move(key)).first->second;
}

const KmsKey* World::KeyByArn(std::string_view arn) {
  auto p = ParseArn(arn);
  if (!p || p->service != "kms") return nullptr;
  Scope* s = FindScope(p->account, p->region);
  if (!s) return nullptr;
  if (p->resource_type == "key") {
    auto it = s->keys.find(p->resource);
    return it == s->keys.end() ? nullptr : &it->second;
  }
  if (p->resource_type == "alias") {
    if (p->resource == "aws/rds") return &DefaultKey(*s);
    auto al = s->aliases.find("alias/" + p->resource);
    if (al == s->aliases.end()) return nullptr;
    auto it = s->keys.find(al->second.target_key_id);
    return it == s->keys.end() ? nullptr : &it->second;
  }
  return nullptr;
}

bool World::KeyUsableBy(const KmsKey& key, std::string_view account) const {
  if (!key.enabled || key.pending_deletion()) return false;
  auto p = ParseArn(key.arn);
  if (p && p->account == account) return true;
  if (key.aws_managed) return false;  // AWS managed keys are never usable across accounts
  if (key.allowed_accounts.count(std::string(account)) > 0) return true;
  // A grant to a principal of that account that lets it decrypt.
  for (const Grant& g : key.grants) {
    auto grantee = ParseArn(g.grantee);
    if (grantee && grantee->account == account &&
        std::find(g.operations.begin(), g.operations.end(), "Decrypt") != g.operations.end())
      return true;
  }
  return false;
}

const KmsKey* World::ResolveKey(std::string_view caller, std::string_view region,
                                std::string_view ref) {
  const KmsKey* key = FindKey(caller, region, ref);
  if (!key || !KeyUsableBy(*key, caller)) return nullptr;
  return key;
}

const KmsKey* World::FindKey(std::string_view caller, std::string_view region,
                             std::string_view ref) {
  const KmsKey* key = nullptr;
  if (ref.starts_with("arn:")) {
    auto p = ParseArn(ref);
    if (!p || p->region != region) return nullptr;
    key = KeyByArn(ref);
  } else {
    Scope& s = GetScope(caller, region);
    if (ref.starts_with("alias/")) {
      if (ref == "alias/aws/rds") {
        key = &DefaultKey(s);
      } else {
        auto al = s.aliases.find(ref);
        if (al == s.aliases.end()) return nullptr;
        auto it = s.keys.find(al->second.target_key_id);
        key = it == s.keys.end() ? nullptr : &it->second;
      }
    } else {
      auto it = s.keys.find(ref);
      key = it == s.keys.end() ? nullptr : &it->second;
    }
  }
  return key;
}

std::shared_ptr<const Creator> World::InternCreator(Creator c) {
  auto it = creators_.find(c);
  if (it != creators_.end()) return it->second;
  auto p = std::make_shared<const Creator>(c);
  creators_.emplace(std::move(c), p);
  return p;
}

std::shared_ptr<const Creator> World::CreatorOf(const SimRequest& req) {
  return InternCreator(Creator{"api", req.account_id, req.caller_arn, req.user_agent, req.action});
}

std::shared_ptr<const Creator> World::WorldCreator() {
  static const auto* c = new std::shared_ptr<const Creator>(
      std::make_shared<const Creator>(Creator{"world", "", "", "", ""}));
  return *c;
}

std::shared_ptr<const Creator> World::AutomatedCreator() {
  static const auto* c = new std::shared_ptr<const Creator>(
      std::make_shared<const Creator>(Creator{"automated", "", "", "", ""}));
  return *c;
}

namespace {

bool SameExceptOptionGroup(const DbInfo& a, const DbInfo& b) {
  return a.db_id == b.db_id && a.resource_id == b.resource_id && a.engine == b.engine &&
         a.engine_version == b.engine_version && a.license_model == b.license_model &&
         a.master_username == b.master_username && a.storage_type == b.storage_type &&
         a.port == b.port && a.size_gb == b.size_gb && a.create_time == b.create_time;
}

}  // namespace

std::shared_ptr<const DbInfo> World::WithOptionGroup(const std::shared_ptr<const DbInfo>& db,
                                                     const std::string& option_group) {
  if (db->option_group == option_group) return db;
  auto key = std::make_pair(db.get(), option_group);
  auto it = db_variants_.find(key);
  if (it != db_variants_.end()) {
    if (auto v = it->second.lock(); v && SameExceptOptionGroup(*v, *db)) return v;
  }
  auto v = std::make_shared<DbInfo>(*db);
  v->option_group = option_group;
  v->xml_cache.clear();
  db_variants_[key] = v;
  // Forget variants nobody uses any more (amortised: only when the map grew).
  if (db_variants_.size() > 64 && (db_variants_.size() & (db_variants_.size() - 1)) == 0)
    std::erase_if(db_variants_, [](const auto& e) { return e.second.expired(); });
  return v;
}

// ------------------------------------------------------------ option groups

namespace {

// Engines whose default option groups exist (longest names first, so that a
// prefix match finds "aurora-postgresql" before "postgres").
constexpr std::string_view kEngines[] = {
    "aurora-postgresql", "sqlserver-web", "oracle-se2-cdb", "oracle-ee-cdb", "aurora-mysql",
    "sqlserver-ee",      "sqlserver-se",  "sqlserver-ex",   "oracle-se2",    "oracle-ee",
    "postgres",          "mariadb",       "db2-se",         "db2-ae",        "mysql"};

}  // namespace

std::string MajorEngineVersion(std::string_view engine, std::string_view version) {
  // Two components for MySQL, MariaDB, Aurora MySQL and SQL Server ("8.0",
  // "10.11", "15.00"), one for PostgreSQL, Oracle and Db2 ("16", "19").
  bool two = engine.find("mysql") != std::string_view::npos || engine == "mariadb" ||
             engine.starts_with("sqlserver");
  size_t dot = version.find('.');
  if (!two || dot == std::string_view::npos) return std::string(version.substr(0, dot));
  size_t dot2 = version.find('.', dot + 1);
  return std::string(version.substr(0, dot2));
}

std::string DefaultOptionGroupName(std::string_view engine, std::string_view version) {
  std::string major = MajorEngineVersion(engine, version);
  std::replace(major.begin(), major.end(), '.', '-');
  return "default:" + std::string(engine) + "-" + major;
}

std::optional<OptionGroup> FindOptionGroup(const Scope& s, std::string_view name) {
  std::string lname = ToLower(name);
  if (lname.starts_with("default:")) {
    std::string_view rest = std::string_view(lname).substr(8);
    for (std::string_view e : kEngines) {
      if (rest.size() > e.size() + 1 && rest.starts_with(e) && rest[e.size()] == '-') {
        OptionGroup g;
        g.name = lname;
        g.engine = e;
        g.major_version = rest.substr(e.size() + 1);
        // Default group names write the version's dots as hyphens; the major
        // version of two-part engines has a dot.
        if (MajorEngineVersion(e, "1.2.3") == "1.2") {
          size_t h = g.major_version.find('-');
          if (h != std::string::npos) g.major_version[h] = '.';
        }
        g.description = "Default option group for " + std::string(e) + " " + g.major_version;
        return g;
      }
    }
    return std::nullopt;
  }
  auto it = s.option_groups.find(lname);
  if (it == s.option_groups.end()) return std::nullopt;
  return it->second;
}

bool OptionGroupSuits(const OptionGroup& g, std::string_view engine, std::string_view version) {
  return g.engine == engine && g.major_version == MajorEngineVersion(engine, version);
}

void World::Record(Scope& s, std::string_view event_id, std::string_view category,
                   std::string_view source_type, std::string_view source_id,
                   std::string_view source_arn, std::string message) {
  EventRec e;
  e.time = now;
  e.account = s.account;
  e.region = s.region;
  e.event_id = event_id;
  e.category = category;
  e.source_type = source_type;
  e.source_id = source_id;
  e.source_arn = source_arn;
  e.message = std::move(message);
  e.uuid = NextUuid();
  events.push_back(std::move(e));
  // RDS keeps 14 days of events.
  while (!events.empty() && (events.front().time < now - days(14) ||
                             events.size() > static_cast<size_t>(settings.max_events))) {
    events.pop_front();
    if (first_new_event_ > 0) --first_new_event_;
  }
}

bool World::TakeFault(std::string_view kind, std::string_view account, std::string_view region) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->kind != kind) continue;
    if (!it->account.empty() && it->account != account) continue;
    if (!it->region.empty() && it->region != region) continue;
    if (--it->remaining <= 0) faults.erase(it);
    return true;
  }
  return false;
}

}  // namespace drsnap::sim
