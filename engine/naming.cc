#include "engine/naming.h"

#include <cctype>
#include <chrono>
#include <cstdio>

#include "core/strings.h"
#include "core/time_util.h"

namespace drsnap::engine::naming {
namespace {

using namespace std::chrono;

constexpr size_t kTsLen = 12;
constexpr size_t kAccountLen = 12;
// Longest fixed overhead of any name: "drsnap-" + "<acct>-" + "-<ts>" + "-hop" + "-r999".
constexpr size_t kOverhead = 7 + (kAccountLen + 1) + (1 + kTsLen) + 4 + 5;
// Cluster snapshot ids are at most 63 characters: this is what is left for the DB token.
constexpr size_t kTokenBudget = 63 - kOverhead;  // 21
constexpr size_t kHashLen = 8;

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// A token is valid inside a name: starts with a letter, [a-z0-9-], no "--",
// no leading/trailing hyphen.
bool IsValidToken(std::string_view t) {
  if (t.empty() || !(t[0] >= 'a' && t[0] <= 'z')) return false;
  if (t.back() == '-') return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
    if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') return false;
  }
  return true;
}

// An id that is a valid token within the budget is its own token (DbToken
// alters and shortens nothing).
bool IsOwnToken(std::string_view db_id) {
  return db_id.size() <= kTokenBudget && IsValidToken(db_id);
}

std::string_view StripArn(std::string_view s) {
  if (s.starts_with("arn:")) {
    auto pos = s.rfind(':');
    return s.substr(pos + 1);
  }
  return s;
}

}  // namespace

const char* NameStageName(NameStage s) {
  switch (s) {
    case NameStage::kCapture:
      return "capture";
    case NameStage::kRaw:
      return "raw";
    case NameStage::kHop:
      return "hop";
    case NameStage::kVault:
      return "vault";
  }
  return "capture";
}

std::optional<NameStage> ParseNameStage(std::string_view s) {
  if (s == "capture") return NameStage::kCapture;
  if (s == "raw") return NameStage::kRaw;
  if (s == "hop") return NameStage::kHop;
  if (s == "vault") return NameStage::kVault;
  return std::nullopt;
}

bool HasDbToken(std::string_view db_id, std::string_view token) {
  return IsOwnToken(db_id) ? token == db_id : DbToken(db_id) == token;
}

std::string DbToken(std::string_view db_id) {
  if (IsOwnToken(db_id)) return std::string(db_id);
  std::string clean;
  clean.reserve(db_id.size());
  bool altered = false;
  for (char c : db_id) {
    char l = AsciiLower(c);
    // Upper case is not an alteration: AWS treats identifiers case-insensitively.
    if (!(std::islower(static_cast<unsigned char>(l)) ||
          std::isdigit(static_cast<unsigned char>(l)) || l == '-')) {
      l = '-';
      altered = true;
    }
    if (l == '-' && !clean.empty() && clean.back() == '-') {
      altered = true;
      continue;
    }
    clean.push_back(l);
  }
  while (!clean.empty() && clean.front() == '-') {
    clean.erase(clean.begin());
    altered = true;
  }
  while (!clean.empty() && clean.back() == '-') {
    clean.pop_back();
    altered = true;
  }
  if (clean.empty() || !std::islower(static_cast<unsigned char>(clean[0]))) {
    clean = "db" + (clean.empty() ? std::string() : "-" + clean);
    altered = true;
  }
  if (!altered && clean.size() <= kTokenBudget) return clean;
  // Shorten: keep a readable prefix and add a hash of the full original id.
  std::string lower = AsciiLower(db_id);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(Fnv1a64(lower)));
  std::string prefix = clean.substr(0, kTokenBudget - kHashLen - 1);
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  return prefix + "-" + std::string(hash, kHashLen);
}

TimePoint NamePoint(TimePoint t) { return floor<minutes>(t); }

std::string FormatNameTimestamp(TimePoint t) {
  auto m = floor<minutes>(t);
  auto dd = floor<days>(m);
  year_month_day ymd{dd};
  auto hm = m - dd;
  int h = static_cast<int>(duration_cast<hours>(hm).count());
  int mi = static_cast<int>((hm - hours(h)).count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), h, mi);
  return buf;
}

std::optional<TimePoint> ParseNameTimestamp(std::string_view s) {
  if (s.size() != kTsLen || !IsDigits(s)) return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2);
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59) return std::nullopt;
  return TimePoint(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi));
}

std::string MakeName(const Lineage& l) {
  std::string out(kPrefix);
  out += '-';
  if (l.stage == NameStage::kHop || l.stage == NameStage::kVault) {
    out += l.source_account;
    out += '-';
  }
  out += l.db_token;
  out += '-';
  out += FormatNameTimestamp(l.recovery_point);
  if (l.stage == NameStage::kHop) out += "-hop";
  if (l.stage == NameStage::kRaw) out += "-raw";
  if (l.attempt > 0) out += "-r" + std::to_string(l.attempt);
  return out;
}

std::string CaptureName(std::string_view db_id, TimePoint rp, int attempt) {
  return MakeName({NameStage::kCapture, "", DbToken(db_id), NamePoint(rp), attempt});
}
std::string RawName(std::string_view db_id, TimePoint rp, int attempt) {
  return MakeName({NameStage::kRaw, "", DbToken(db_id), NamePoint(rp), attempt});
}
std::string HopName(std::string_view acct, std::string_view db_id, TimePoint rp, int attempt) {
  return MakeName({NameStage::kHop, std::string(acct), DbToken(db_id), NamePoint(rp), attempt});
}
std::string VaultName(std::string_view acct, std::string_view db_id, TimePoint rp, int attempt) {
  return MakeName({NameStage::kVault, std::string(acct), DbToken(db_id), NamePoint(rp), attempt});
}

std::optional<LineageView> ParseNameView(std::string_view input) {
  std::string_view s = StripArn(input);
  if (!s.starts_with("drsnap-")) return std::nullopt;  // fast path for foreign ids
  if (!IsValidSnapshotId(DbKind::kInstance, s)) return std::nullopt;
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return std::nullopt;
  std::string_view rest = s.substr(7);
  LineageView l;
  auto last_token = [](std::string_view r) {
    auto p = r.rfind('-');
    return p == std::string_view::npos ? r : r.substr(p + 1);
  };
  auto drop_last = [](std::string_view r) {
    auto p = r.rfind('-');
    return p == std::string_view::npos ? std::string_view() : r.substr(0, p);
  };
  // [-rN]
  std::string_view tok = last_token(rest);
  if (tok.size() >= 2 && tok[0] == 'r' && IsDigits(tok.substr(1))) {
    if (tok[1] == '0' || tok.size() > 4) return std::nullopt;  // canonical: 1..999
    int n = 0;
    for (char c : tok.substr(1)) n = n * 10 + (c - '0');
    l.attempt = n;
    rest = drop_last(rest);
    tok = last_token(rest);
  }
  bool hop = tok == "hop", raw = tok == "raw";
  if (hop || raw) {
    rest = drop_last(rest);
    tok = last_token(rest);
  }
  auto tp = ParseNameTimestamp(tok);
  if (!tp) return std::nullopt;
  l.recovery_point = *tp;
  rest = drop_last(rest);
  if (rest.empty()) return std::nullopt;
  // Account?
  auto dash = rest.find('-');
  std::string_view first = rest.substr(0, dash);
  if (first.size() == kAccountLen && IsDigits(first)) {
    if (raw || dash == std::string_view::npos) return std::nullopt;
    l.source_account = first;
    rest = rest.substr(dash + 1);
    l.stage = hop ? NameStage::kHop : NameStage::kVault;
  } else {
    if (hop) return std::nullopt;
    l.stage = raw ? NameStage::kRaw : NameStage::kCapture;
  }
  if (!IsValidToken(rest)) return std::nullopt;
  l.db_token = rest;
  return l;
}

std::optional<Lineage> ParseName(std::string_view input) {
  auto v = ParseNameView(input);
  if (!v) return std::nullopt;
  return Lineage{v->stage, std::string(v->source_account), std::string(v->db_token),
                 v->recovery_point, v->attempt};
}

bool IsValidSnapshotId(DbKind kind, std::string_view id) {
  size_t max = kind == DbKind::kCluster ? 63 : 255;
  if (id.empty() || id.size() > max) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(id[0]) || id.back() == '-') return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (!(alpha(c) || (c >= '0' && c <= '9') || c == '-')) return false;
    if (c == '-' && i + 1 < id.size() && id[i + 1] == '-') return false;
  }
  return true;
}

DrsnapTags FindDrsnapTags(const Tags& tags) {
  // Runs for every snapshot of an inventory: keys are told apart by length
  // first.
  static constexpr std::string_view kManaged = kTagManaged, kPolicy = kTagPolicy, kDb = kTagDb,
                                    kPoint = kTagRecoveryPoint, kStage = kTagStage,
                                    kAccount = kTagSourceAccount, kArn = kTagSourceArn;
  static_assert(kPoint.size() == kAccount.size());
  DrsnapTags out;
  for (const auto& [k, v] : tags) {
    switch (k.size()) {
      case kManaged.size():
        if (k == kManaged) out.managed = &v;
        break;
      case kPolicy.size():
        if (k == kPolicy) out.policy = &v;
        break;
      case kDb.size():
        if (k == kDb) out.db = &v;
        break;
      case kPoint.size():
        if (k == kPoint)
          out.recovery_point = &v;
        else if (k == kAccount)
          out.source_account = &v;
        break;
      case kStage.size():
        if (k == kStage) out.stage = &v;
        break;
      case kArn.size():
        if (k == kArn) out.source_arn = &v;
        break;
      default:
        break;
    }
  }
  return out;
}

std::string WhyPointUntrusted(const Snapshot& s, const LineageView& lineage,
                              TimePoint observed_at) {
  const TimePoint point = lineage.recovery_point;
  if (observed_at != TimePoint{} && point > observed_at + kClockSkew)
    return "its recovery point " + FormatIso8601Seconds(point) + " is in the future (observed " +
           FormatIso8601Seconds(observed_at) + ")";
  if (s.create_time != TimePoint{} && s.create_time < point - kClockSkew)
    return "AWS made it (" + FormatIso8601Seconds(s.create_time) +
           ") before the recovery point in its name " + FormatIso8601Seconds(point);
  if (s.recovery_point != TimePoint{} &&
      (s.recovery_point < point - kClockSkew || s.recovery_point > point + kPointTolerance))
    return "the recovery point in its name " + FormatIso8601Seconds(point) +
           " is not AWS's record of it " + FormatIso8601Seconds(s.recovery_point);
  return "";
}

std::string WhyNotDrsnapCreated(const Snapshot& s, const LineageView& lineage,
                                const DrsnapTags& tags, TimePoint observed_at) {
  if (s.type != SnapshotType::kManual) return "it is not a manual snapshot";
  if (!(s.scope == s.seen_from) && !s.seen_from.account_id.empty())
    return "it is owned by another account";
  auto missing = [](const char* tag) { return std::string("it has no ") + tag + " tag"; };
  if (tags.managed == nullptr) return missing(kTagManaged);
  if (*tags.managed != "true") return std::string(kTagManaged) + " is not 'true'";
  if (tags.stage == nullptr) return missing(kTagStage);
  if (ParseNameStage(*tags.stage) != lineage.stage)
    return std::string(kTagStage) + " '" + *tags.stage + "' is not the name's stage '" +
           NameStageName(lineage.stage) + "'";
  if (tags.db == nullptr || tags.db->empty()) return missing(kTagDb);
  if (!HasDbToken(*tags.db, lineage.db_token))
    return std::string(kTagDb) + " '" + *tags.db + "' is not the name's database";
  // AWS's own record of the database it was taken of (copies keep it).
  if (!s.db_id.empty() && !AsciiEqualsIgnoreCase(s.db_id, *tags.db))
    return std::string(kTagDb) + " '" + *tags.db + "' is not the database AWS says it is of ('" +
           s.db_id + "')";
  if (tags.recovery_point == nullptr) return missing(kTagRecoveryPoint);
  auto point = ParseIso8601(*tags.recovery_point);
  if (!point || NamePoint(*point) != lineage.recovery_point)
    return std::string(kTagRecoveryPoint) + " '" + *tags.recovery_point +
           "' is not the name's point " + FormatIso8601Seconds(lineage.recovery_point);
  if (tags.source_account == nullptr) return missing(kTagSourceAccount);
  const bool dr_side = lineage.stage == NameStage::kHop || lineage.stage == NameStage::kVault;
  const std::string_view account = dr_side ? lineage.source_account : s.scope.account_id;
  if (*tags.source_account != account)
    return std::string(kTagSourceAccount) + " '" + *tags.source_account + "' is not " +
           (dr_side ? "the name's account " : "its own account ") + std::string(account);
  if (tags.policy == nullptr || tags.policy->empty()) return missing(kTagPolicy);
  if (tags.source_arn == nullptr || tags.source_arn->empty()) return missing(kTagSourceArn);
  return WhyPointUntrusted(s, lineage, observed_at);
}

bool IsDrsnapCreated(const Snapshot& s, const LineageView& lineage, const DrsnapTags& tags,
                     TimePoint observed_at) {
  return WhyNotDrsnapCreated(s, lineage, tags, observed_at).empty();
}

bool IsDrsnapCreated(const Snapshot& s, TimePoint observed_at) {
  if (s.type != SnapshotType::kManual || s.tags.empty()) return false;
  auto lineage = ParseNameView(s.id);
  return lineage && WhyNotDrsnapCreated(s, *lineage, FindDrsnapTags(s.tags), observed_at).empty();
}

}  // namespace drsnap::engine::naming
