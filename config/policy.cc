#include "config/policy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>

#include "config/regions.h"
#include "config/selector_overlap.h"
#include "core/arn.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace drsnap::config {
namespace {

using std::chrono::hours;
using std::chrono::seconds;


size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest candidate within a small edit distance, or "".
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(AsciiLower(word), AsciiLower(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

const char* NodeTypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool IsRegion(std::string_view r) {
  // e.g. us-east-1, eu-central-2, us-gov-west-1, ap-southeast-4
  if (r.size() < 6) return false;
  size_t i = 0, parts = 0;
  while (i < r.size()) {
    size_t start = i;
    while (i < r.size() && r[i] != '-') ++i;
    std::string_view part = r.substr(start, i - start);
    if (part.empty()) return false;
    bool last = i == r.size();
    if (last) {
      if (!IsDigits(part)) return false;
    } else {
      for (char c : part)
        if (!std::islower(static_cast<unsigned char>(c))) return false;
    }
    ++parts;
    if (!last) ++i;
  }
  return parts >= 3;
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

struct KmsKeyRef {
  bool is_arn = false;
  std::string region;
  std::string account;
  std::string partition;  // of the ARN
};

// Accepted: arn:<partition>:kms:<region>:<account>:key/<id> or :alias/<name>,
// a bare key id, or alias/<name>.
std::optional<KmsKeyRef> ParseKmsKey(std::string_view k) {
  if (k.starts_with("arn:")) {
    auto arn = ParseArn(k);
    if (!arn || arn->service != "kms" || !IsRegion(arn->region) || arn->account.size() != 12 ||
        !IsDigits(arn->account))
      return std::nullopt;
    std::string_view resource = arn->resource;
    if (!(resource.starts_with("key/") || resource.starts_with("alias/")) ||
        resource.size() <= resource.find('/') + 1)
      return std::nullopt;
    return KmsKeyRef{true, std::string(arn->region), std::string(arn->account),
                     std::string(arn->partition)};
  }
  if (k.starts_with("alias/")) return k.size() > 6 ? std::optional(KmsKeyRef{}) : std::nullopt;
  // Bare key id: hex and hyphens (uuid) or mrk-...
  if (k.empty()) return std::nullopt;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return std::nullopt;
  return KmsKeyRef{};
}

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  Result<Config> Load(std::string_view text) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return Fail(Error::Terminal("ConfigSyntax", Where(e.mark) + ": not valid YAML: " + e.msg +
                                                      "; check indentation and quoting there"));
    }
    try {
      Parse(root);
    } catch (const YAML::Exception& e) {
      Err(e.mark, std::string("cannot read this value: ") + e.msg);
    }
    if (errors_.empty())
      for (auto& overlap : PolicyOverlaps(config_)) errors_.push_back(std::move(overlap));
    if (!errors_.empty()) {
      std::string msg;
      for (const auto& e : errors_) {
        if (!msg.empty()) msg += "\n";
        msg += e;
      }
      return Fail(Error::Terminal("ConfigInvalid", msg));
    }
    return std::move(config_);
  }

 private:
  std::string Where(const YAML::Mark& m) const {
    if (m.line < 0) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  SourceLocation Loc(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return SourceLocation{file_, 0, 0};
    return SourceLocation{file_, m.line + 1, m.column + 1};
  }
  void Err(const YAML::Mark& m, const std::string& what) {
    errors_.push_back(Where(m) + ": " + what);
  }
  void Err(const YAML::Node& n, const std::string& what) { Err(n.Mark(), what); }

  // A well-formed region name must also be in config/regions.h, unless the
  // file says allow_unknown_regions: true (a region newer than this build).
  bool KnownRegionOrErr(const YAML::Node& at, const std::string& region, const std::string& ctx) {
    if (config_.allow_unknown_regions || IsKnownRegion(region)) return true;
    std::string s = Suggest(region, KnownRegions());
    Err(at, "'" + region + "' in " + ctx + " is not an AWS region this drsnap knows" +
                (s.empty() ? "." : "; did you mean '" + s + "'?") +
                " If AWS opened it after this build, add 'allow_unknown_regions: true' at the "
                "top of the file");
    return false;
  }

  // Iterates a mapping, rejecting unknown and duplicate keys. `fields` maps
  // each allowed key to its handler (key node, value node).
  using Handler = std::function<void(const YAML::Node& key, const YAML::Node& value)>;
  void Fields(const YAML::Node& map, const std::string& context,
              const std::vector<std::pair<std::string, Handler>>& fields) {
    std::vector<std::string> allowed;
    for (const auto& f : fields) allowed.push_back(f.first);
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // A copy: yaml-cpp iterators hand out a proxy that dies with the expression.
      const YAML::Node k = it->first;
      if (!k.IsScalar()) {
        Err(k, "a key in " + context + " must be a plain word, not " + NodeTypeName(k));
        continue;
      }
      std::string key = k.Scalar();
      if (!seen.insert(key).second) {
        Err(k, "duplicate key '" + key + "' in " + context + "; write each key once");
        continue;
      }
      auto f =
          std::find_if(fields.begin(), fields.end(), [&](const auto& p) { return p.first == key; });
      if (f == fields.end()) {
        std::string s = Suggest(key, allowed);
        Err(k, "unknown key '" + key + "' in " + context +
                   (s.empty() ? "; allowed keys: " + Join(allowed)
                              : "; did you mean '" + s + "'?"));
        continue;
      }
      f->second(k, it->second);
    }
  }

  bool ExpectMap(const YAML::Node& n, const YAML::Node& at, const std::string& what,
                 const std::string& example) {
    if (n.IsMap()) return true;
    Err(n.IsNull() || !n.IsDefined() ? at : n, what +
                                                   " must be a mapping (key: value lines), not " +
                                                   NodeTypeName(n) + "; e.g. " + example);
    return false;
  }

  std::optional<std::string> String(const YAML::Node& n, const YAML::Node& key,
                                    const std::string& what, const std::string& example) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      Err(n.IsScalar() || n.IsNull() ? key : n,
          what + " must be a non-empty text value, not " +
              (n.IsScalar() ? std::string("an empty one") : NodeTypeName(n)) + "; e.g. " + example);
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::optional<int> Count(const YAML::Node& n, const YAML::Node& key, const std::string& what,
                           int min) {
    if (!n.IsScalar()) {
      Err(n.IsNull() ? key : n,
          what + " must be a whole number >= " + std::to_string(min) + ", not " + NodeTypeName(n));
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
      Err(n, what + " must be a whole number >= " + std::to_string(min) + ", not '" + s + "'");
      return std::nullopt;
    }
    if (v < min) {
      Err(n, what + " must be >= " + std::to_string(min) + ", not " + s);
      return std::nullopt;
    }
    return v;
  }

  std::optional<seconds> Dur(const YAML::Node& n, const YAML::Node& key, const std::string& what) {
    if (!n.IsScalar()) {
      Err(n.IsNull() ? key : n,
          what + " must be a duration such as 1h, 24h or 7d, not " + NodeTypeName(n));
      return std::nullopt;
    }
    auto d = ParseDuration(n.Scalar());
    if (!d) {
      Err(n, "bad duration '" + n.Scalar() + "' for " + what +
                 "; use numbers with units s, m, h, d or w, e.g. 30m, 24h, 1h30m, 7d");
      return std::nullopt;
    }
    return d;
  }

  std::optional<std::vector<std::pair<std::string, YAML::Node>>> StringList(
      const YAML::Node& n, const YAML::Node& key, const std::string& what,
      const std::string& example) {
    std::vector<std::pair<std::string, YAML::Node>> out;
    if (n.IsScalar() && !n.Scalar().empty()) {  // a single value is a list of one
      out.emplace_back(n.Scalar(), n);
      return out;
    }
    if (!n.IsSequence()) {
      Err(n.IsNull() ? key : n,
          what + " must be a list of text values, not " + NodeTypeName(n) + "; e.g. " + example);
      return std::nullopt;
    }
    for (const auto& e : n) {
      if (!e.IsScalar() || e.Scalar().empty()) {
        Err(e.IsScalar() ? n : e, "each entry of " + what +
                                      " must be a non-empty text value, not " + NodeTypeName(e) +
                                      "; e.g. " + example);
        continue;
      }
      out.emplace_back(e.Scalar(), e);
    }
    return out;
  }

  void Parse(const YAML::Node& root) {
    config_.file = file_;
    if (!root.IsDefined() || root.IsNull()) {
      Err(YAML::Mark(),
          "the file is empty; it needs 'accounts:' and 'policies:' (see "
          "docs/configuration.md)");
      return;
    }
    if (!root.IsMap()) {
      Err(root, "the top level must be a mapping with 'accounts:' and 'policies:', not " +
                    std::string(NodeTypeName(root)));
      return;
    }
    std::optional<YAML::Node> accounts_key, accounts, policies_key, policies;
    Fields(root, "the top level",
           {{"version",
             [&](const YAML::Node& k, const YAML::Node& v) {
               if (!v.IsScalar() || v.Scalar() != "1")
                 Err(v.IsScalar() ? v : k, "unsupported version '" +
                                               (v.IsScalar() ? v.Scalar() : std::string("?")) +
                                               "'; this drsnap reads version: 1");
             }},
            {"allow_unknown_regions",
             [&](const YAML::Node& k, const YAML::Node& v) {
               // Read before 'policies' is parsed (handlers run in file order,
               // policies after all of them), wherever the key is written.
               if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) {
                 config_.allow_unknown_regions = v.Scalar() == "true";
               } else {
                 Err(v.IsScalar() ? v : k,
                     "'allow_unknown_regions' must be true or false, not " +
                         (v.IsScalar() ? "'" + v.Scalar() + "'" : std::string(NodeTypeName(v))));
               }
             }},
            {"accounts",
             [&](const YAML::Node& k, const YAML::Node& v) {
               accounts_key = k;
               accounts = v;
             }},
            {"policies", [&](const YAML::Node& k, const YAML::Node& v) {
               policies_key = k;
               policies = v;
             }}});
    if (!accounts_key.has_value()) {
      Err(root,
          "missing 'accounts:'; name every AWS account drsnap uses, e.g. accounts: {prod: "
          "{id: \"111111111111\", profile: prod}}");
    } else if (ExpectMap(*accounts, *accounts_key, "'accounts'",
                         "accounts: {prod: {id: \"111111111111\"}}")) {
      ParseAccounts(*accounts);
    }
    if (!policies_key.has_value()) {
      Err(root, "missing 'policies:'; add at least one policy (see docs/configuration.md)");
    } else if (ExpectMap(*policies, *policies_key, "'policies'", "policies: {orders: {...}}")) {
      if ((*policies).size() == 0)
        Err(*policies_key, "'policies' is empty; add at least one policy");
      std::set<std::string> seen;
      for (auto it = (*policies).begin(); it != (*policies).end(); ++it) {
        if (!it->first.IsScalar()) {
          Err(it->first, "a policy name must be a plain word");
          continue;
        }
        std::string name = it->first.Scalar();
        if (!seen.insert(name).second) {
          Err(it->first, "duplicate policy '" + name + "'; policy names must be unique");
          continue;
        }
        ParsePolicy(name, it->first, it->second);
      }
    }
    std::sort(config_.accounts.begin(), config_.accounts.end(),
              [](const Account& a, const Account& b) { return a.name < b.name; });
    std::sort(config_.policies.begin(), config_.policies.end(),
              [](const Policy& a, const Policy& b) { return a.name < b.name; });
  }

  void ParseAccounts(const YAML::Node& accounts) {
    std::set<std::string> names;
    std::map<std::string, std::string> by_id;
    for (auto it = accounts.begin(); it != accounts.end(); ++it) {
      // A copy: yaml-cpp iterators hand out a proxy that dies with the expression.
      const YAML::Node k = it->first;
      if (!k.IsScalar()) {
        Err(k, "an account name must be a plain word");
        continue;
      }
      Account a;
      a.name = k.Scalar();
      a.where = Loc(k);
      std::string ctx = "account '" + a.name + "'";
      if (!IsName(a.name)) {
        Err(k, "account name '" + a.name +
                   "' must be letters, digits, '-', '_' or '.' (at most 64), e.g. prod");
        continue;
      }
      if (!names.insert(a.name).second) {
        Err(k, "duplicate account '" + a.name + "'; account names must be unique");
        continue;
      }
      // A copy: yaml-cpp iterators hand out a proxy that dies with the expression.
      const YAML::Node v = it->second;
      if (!ExpectMap(v, k, ctx, "prod: {id: \"111111111111\", profile: prod}")) continue;
      std::optional<YAML::Node> id_node;
      Fields(v, ctx,
             {{"id",
               [&](const YAML::Node& key, const YAML::Node& val) {
                 id_node = key;
                 if (auto s = String(val, key, "'id' of " + ctx, "id: \"111111111111\"")) {
                   if (s->size() != 12 || !IsDigits(*s))
                     Err(val, "'id' of " + ctx + " must be the 12-digit AWS account id, not '" +
                                  *s +
                                  "'; quote it to keep leading zeros, e.g. id: \"011111111111\"");
                   else
                     a.id = *s;
                 }
               }},
              {"profile",
               [&](const YAML::Node& key, const YAML::Node& val) {
                 if (auto s = String(val, key, "'profile' of " + ctx, "profile: prod"))
                   a.profile = *s;
               }},
              {"role_arn",
               [&](const YAML::Node& key, const YAML::Node& val) {
                 if (auto s = String(val, key, "'role_arn' of " + ctx,
                                     "role_arn: arn:aws:iam::222222222222:role/drsnap")) {
                   if (!s->starts_with("arn:") || s->find(":iam::") == std::string::npos ||
                       s->find(":role/") == std::string::npos)
                     Err(val, "'role_arn' of " + ctx + " is not an IAM role ARN: '" + *s +
                                  "'; e.g. arn:aws:iam::222222222222:role/drsnap");
                   else
                     a.role_arn = *s;
                 }
               }},
              {"external_id",
               [&](const YAML::Node& key, const YAML::Node& val) {
                 if (auto s = String(val, key, "'external_id' of " + ctx, "external_id: drsnap"))
                   a.external_id = *s;
               }},
              {"endpoint_url", [&](const YAML::Node& key, const YAML::Node& val) {
                 if (auto s = String(val, key, "'endpoint_url' of " + ctx,
                                     "endpoint_url: http://127.0.0.1:4566")) {
                   if (!s->starts_with("http://") && !s->starts_with("https://"))
                     Err(val, "'endpoint_url' of " + ctx +
                                  " must start with http:// or https://, "
                                  "e.g. http://127.0.0.1:4566");
                   else
                     a.endpoint_url = *s;
                 }
               }}});
      if (!id_node.has_value()) {
        Err(k, ctx + " has no 'id'; add the 12-digit account id, e.g. id: \"111111111111\"");
      }
      if (!a.profile.empty() && !a.role_arn.empty())
        Err(k, ctx +
                   " sets both 'profile' and 'role_arn'; use one (put role_arn in the profile "
                   "if you need both)");
      if (!a.external_id.empty() && !v["role_arn"].IsDefined())
        Err(k, ctx +
                   " sets 'external_id' without 'role_arn'; external_id is only used when "
                   "assuming role_arn, so add role_arn or remove external_id");
      if (!a.role_arn.empty() && !a.id.empty()) {
        auto p = a.role_arn.find(":iam::");
        std::string role_acct = a.role_arn.substr(p + 6, 12);
        if (role_acct != a.id)
          Err(v, "'role_arn' of " + ctx + " is in account " + role_acct + " but 'id' is " + a.id +
                     "; the role must be in the account it reaches");
      }
      if (!a.id.empty()) {
        auto [pos, inserted] = by_id.emplace(a.id, a.name);
        if (!inserted)
          Err(v, "accounts '" + pos->second + "' and '" + a.name + "' have the same id " + a.id +
                     "; name each account once");
      }
      config_.accounts.push_back(std::move(a));
    }
  }

  // Resolves an account name; reports unknown names with a suggestion.
  const Account* ResolveAccount(const YAML::Node& val, const std::string& name,
                                const std::string& where) {
    for (const auto& a : config_.accounts)
      if (a.name == name) return &a;
    std::vector<std::string> names;
    for (const auto& a : config_.accounts) names.push_back(a.name);
    std::string s = Suggest(name, names);
    // An id written where a name is expected is a common slip.
    for (const auto& a : config_.accounts)
      if (a.id == name) s = a.name;
    std::string fix = !s.empty() ? "; did you mean '" + s + "'?"
                      : names.empty()
                          ? std::string("; define it under 'accounts:'")
                          : "; define it under 'accounts:' (known: " + Join(names) + ")";
    Err(val, "unknown account '" + name + "' in " + where + fix);
    return nullptr;
  }

  void CheckKey(const YAML::Node& val, const std::string& key, const std::string& what,
                const std::string& region, const std::string& account, const std::string& example) {
    if (IsDefaultRdsKeyAlias(key)) {
      Err(val, what + " is the default RDS key '" + key +
                   "', which cannot be shared or owned; use a customer-managed key, e.g. " +
                   example);
      return;
    }
    auto ref = ParseKmsKey(key);
    if (!ref) {
      Err(val, what + " is not a KMS key id, alias or ARN: '" + key + "'; e.g. " + example);
      return;
    }
    if (ref->is_arn && !region.empty() && ref->region != region)
      Err(val, what + " is in region " + ref->region + " but must be in " + region +
                   " (KMS keys are regional)");
    else if (ref->is_arn && ref->partition != PartitionOfRegion(ref->region))
      Err(val, what + " is an ARN of partition " + ref->partition + " but region " + ref->region +
                   " is in " + std::string(PartitionOfRegion(ref->region)) + "; write arn:" +
                   std::string(PartitionOfRegion(ref->region)) + ":kms:...");
    if (ref->is_arn && !account.empty() && ref->account != account)
      Err(val, what + " belongs to account " + ref->account + " but must be owned by " + account);
  }

  void ParsePolicy(const std::string& name, const YAML::Node& key, const YAML::Node& v) {
    Policy p;
    p.name = name;
    p.where = Loc(key);
    std::string ctx = "policy '" + name + "'";
    if (!IsName(name)) {
      Err(key, "policy name '" + name +
                   "' must be letters, digits, '-', '_' or '.' (at most 64), e.g. orders");
      return;
    }
    if (!ExpectMap(v, key, ctx, "orders: {source: ..., targets: ...}")) return;
    std::optional<YAML::Node> source_key, source, targets_key, targets, rpo_key, margin_key, db_key;
    std::optional<YAML::Node> rpo_val, margin_val;
    Fields(v, ctx,
           {{"description",
             [&](const YAML::Node& k, const YAML::Node& val) {
               String(val, k, "'description' of " + ctx, "description: orders databases");
             }},
            {"databases",
             [&](const YAML::Node& k, const YAML::Node& val) {
               db_key = k;
               ParseSelector(k, val, ctx, p.databases);
             }},
            {"source",
             [&](const YAML::Node& k, const YAML::Node& val) {
               source_key = k;
               source = val;
             }},
            {"rpo",
             [&](const YAML::Node& k, const YAML::Node& val) {
               rpo_key = k;
               rpo_val = val;
               if (auto d = Dur(val, k, "'rpo' in " + ctx)) p.rpo = *d;
             }},
            {"capture_margin",
             [&](const YAML::Node& k, const YAML::Node& val) {
               margin_key = k;
               margin_val = val;
               if (auto d = Dur(val, k, "'capture_margin' in " + ctx)) p.capture_margin = *d;
             }},
            {"targets",
             [&](const YAML::Node& k, const YAML::Node& val) {
               targets_key = k;
               targets = val;
             }},
            {"retention",
             [&](const YAML::Node& k, const YAML::Node& val) {
               ParseRetention(k, val, ctx, p.retention);
             }},
            {"min_retention", [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto d = Dur(val, k, "'min_retention' in " + ctx)) p.min_retention = *d;
             }}});
    if (!db_key.has_value())
      Err(key, ctx +
                   " has no 'databases'; say which databases it protects, e.g. databases: "
                   "{names: [\"orders-*\"]} (use names: [\"*\"] for all)");
    if (!rpo_key.has_value())
      Err(key, ctx + " has no 'rpo'; add the recovery point objective, e.g. rpo: 24h");
    if (!source_key.has_value()) {
      Err(key, ctx +
                   " has no 'source'; add source: {account: ..., region: ..., from: "
                   "automated|snapshot}");
    } else {
      ParseSource(*source_key, *source, ctx, p);
    }
    if (!targets_key.has_value()) {
      Err(key, ctx + " has no 'targets'; add at least one DR target account and region");
    } else {
      ParseTargets(*targets_key, *targets, ctx, p);
    }
    // Combinations.
    if (rpo_key.has_value() && (*rpo_val).IsScalar() && p.rpo.count() > 0) {
      if (p.rpo < hours(1))
        Err(*rpo_val, "rpo " + FormatDuration(p.rpo) + " in " + ctx +
                          " is shorter than 1h; snapshots and cross-region copies cannot keep up "
                          "with that, use rpo: 1h or more");
      else if (p.capture == CaptureSource::kAutomated && p.rpo < hours(24))
        Err(*rpo_val, "rpo " + FormatDuration(p.rpo) + " in " + ctx +
                          " is shorter than 24h but 'from: automated' gets one automated snapshot "
                          "a day; use rpo: 24h or more, or 'from: snapshot'");
    } else if (rpo_val && rpo_val->IsScalar() && p.rpo.count() == 0) {
      Err(*rpo_val, "rpo in " + ctx + " must be more than 0, e.g. rpo: 24h");
    }
    if (margin_key.has_value() && (*margin_val).IsScalar()) {
      if (p.capture == CaptureSource::kAutomated)
        Err(*margin_key, "'capture_margin' in " + ctx +
                             " only applies to 'from: snapshot'; remove it, automated snapshots "
                             "are taken by RDS on its own schedule");
      else if (p.capture_margin >= p.rpo)
        Err(*margin_val, "capture_margin " + FormatDuration(p.capture_margin) + " in " + ctx +
                             " must be shorter than rpo " + FormatDuration(p.rpo) +
                             "; e.g. capture_margin: " + FormatDuration(p.rpo / 10));
    } else {
      p.capture_margin = std::min<seconds>(p.rpo / 10, hours(1));
    }
    config_.policies.push_back(std::move(p));
  }

  void ParseSelector(const YAML::Node& key, const YAML::Node& v, const std::string& policy_ctx,
                     DatabaseSelector& sel) {
    std::string ctx = "'databases' of " + policy_ctx;
    if (!ExpectMap(v, key, ctx, "databases: {names: [\"orders-*\"], tags: {dr: \"true\"}}")) return;
    Fields(v, ctx,
           {{"kinds",
             [&](const YAML::Node& k, const YAML::Node& val) {
               auto l = StringList(val, k, "'kinds' in " + ctx, "kinds: [instance, cluster]");
               if (!l) return;
               if (l->empty())
                 Err(k, "'kinds' in " + ctx + " is empty; use [instance], [cluster] or both");
               sel.instances = sel.clusters = false;
               for (const auto& [s, n] : *l) {
                 if (s == "instance")
                   sel.instances = true;
                 else if (s == "cluster")
                   sel.clusters = true;
                 else {
                   std::string sug = Suggest(s, {"instance", "cluster"});
                   Err(n, "unknown database kind '" + s + "' in " + ctx +
                              (sug.empty() ? "; use instance or cluster"
                                           : "; did you mean '" + sug + "'?"));
                 }
               }
             }},
            {"names",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto l = StringList(val, k, "'names' in " + ctx, "names: [\"orders-*\"]"))
                 for (const auto& e : *l) sel.names.push_back(e.first);
             }},
            {"exclude_names",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto l = StringList(val, k, "'exclude_names' in " + ctx,
                                       "exclude_names: [\"*-scratch\"]"))
                 for (const auto& e : *l) sel.exclude_names.push_back(e.first);
             }},
            {"engines",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto l = StringList(val, k, "'engines' in " + ctx,
                                       "engines: [postgres, aurora-postgresql]"))
                 for (const auto& e : *l) sel.engines.push_back(e.first);
             }},
            {"tags", [&](const YAML::Node& k, const YAML::Node& val) {
               if (!ExpectMap(val, k, "'tags' in " + ctx, "tags: {dr: \"true\"}")) return;
               for (auto it = val.begin(); it != val.end(); ++it) {
                 if (!it->first.IsScalar() || !it->second.IsScalar()) {
                   Err(it->first, "each tag in 'tags' of " + ctx +
                                      " must be key: value text, e.g. dr: \"true\" (\"*\" matches "
                                      "any value)");
                   continue;
                 }
                 sel.tags[it->first.Scalar()] = it->second.Scalar();
               }
             }}});
  }

  void ParseSource(const YAML::Node& key, const YAML::Node& v, const std::string& policy_ctx,
                   Policy& p) {
    std::string ctx = "'source' of " + policy_ctx;
    if (!ExpectMap(v, key, ctx, "source: {account: prod, region: us-east-1, from: automated}"))
      return;
    std::optional<YAML::Node> acct_val, region_val, from_key, share_val;
    Fields(v, ctx,
           {{"account",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto s = String(val, k, "'account' in " + ctx, "account: prod")) {
                 p.source_account = *s;
                 acct_val = val;
               }
             }},
            {"region",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto s = String(val, k, "'region' in " + ctx, "region: us-east-1")) {
                 if (!IsRegion(*s))
                   Err(val,
                       "'" + *s + "' in " + ctx + " is not an AWS region name; e.g. us-east-1");
                 else if (KnownRegionOrErr(val, *s, ctx))
                   p.source_region = *s;
                 region_val = val;
               }
             }},
            {"from",
             [&](const YAML::Node& k, const YAML::Node& val) {
               from_key = k;
               if (auto s = String(val, k, "'from' in " + ctx, "from: automated")) {
                 if (*s == "automated")
                   p.capture = CaptureSource::kAutomated;
                 else if (*s == "snapshot")
                   p.capture = CaptureSource::kSnapshot;
                 else {
                   std::string sug = Suggest(*s, {"automated", "snapshot"});
                   Err(val, "unknown capture source '" + *s + "' in " + ctx +
                                (sug.empty() ? "; use automated or snapshot"
                                             : "; did you mean '" + sug + "'?"));
                 }
               }
             }},
            {"share_key",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto s = String(val, k, "'share_key' in " + ctx,
                                   "share_key: arn:aws:kms:us-east-1:111111111111:key/...")) {
                 p.share_key = *s;
                 share_val = val;
               }
             }},
            {"keep_after_vaulted",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto d = Dur(val, k, "'keep_after_vaulted' in " + ctx))
                 p.keep_after_vaulted = *d;
             }},
            {"keep_newest", [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto n = Count(val, k, "'keep_newest' in " + ctx, 0)) {
                 p.keep_newest = *n;
                 p.keep_newest_set = true;
               }
             }}});
    if (!acct_val.has_value() && !v["account"].IsDefined())
      Err(key,
          ctx + " has no 'account'; name the account the databases live in, e.g. account: prod");
    if (!region_val.has_value() && !v["region"].IsDefined())
      Err(key, ctx + " has no 'region'; e.g. region: us-east-1");
    if (!from_key.has_value())
      Err(key, ctx +
                   " has no 'from'; use from: automated (copy RDS's automated snapshots) or "
                   "from: snapshot (create snapshots on the rpo schedule)");
    if (acct_val.has_value()) {
      if (const Account* a = ResolveAccount(*acct_val, p.source_account, ctx))
        p.source_account_id = a->id;
    }
    if (share_val.has_value())
      CheckKey(
          *share_val, p.share_key, "'share_key' in " + ctx, p.source_region, p.source_account_id,
          "arn:aws:kms:" + (p.source_region.empty() ? "us-east-1" : p.source_region) + ":" +
              (p.source_account_id.empty() ? "111111111111" : p.source_account_id) + ":key/...");
  }

  void ParseTargets(const YAML::Node& key, const YAML::Node& v, const std::string& policy_ctx,
                    Policy& p) {
    std::string ctx_all = "'targets' of " + policy_ctx;
    if (!v.IsSequence()) {
      Err(v.IsNull() ? key : v, ctx_all + " must be a list of targets, not " + NodeTypeName(v) +
                                    "; e.g. targets: [{account: vault, regions: {eu-west-1: "
                                    "{kms_key: ...}}}]");
      return;
    }
    if (v.size() == 0) {
      Err(key, ctx_all + " is empty; add at least one DR target account and region");
      return;
    }
    std::set<std::string> seen_accounts;
    int index = 0;
    for (const auto& t : v) {
      ++index;
      std::string ctx = "target " + std::to_string(index) + " of " + policy_ctx;
      if (!t.IsMap()) {
        Err(t, ctx + " must be a mapping, not " + std::string(NodeTypeName(t)) +
                   "; e.g. - account: vault");
        continue;
      }
      Target target;
      target.where = Loc(t);
      std::optional<YAML::Node> acct_val, regions_key, regions, hop_val;
      Fields(t, ctx,
             {{"account",
               [&](const YAML::Node& k, const YAML::Node& val) {
                 if (auto s = String(val, k, "'account' in " + ctx, "account: vault")) {
                   target.account = *s;
                   acct_val = val;
                 }
               }},
              {"regions",
               [&](const YAML::Node& k, const YAML::Node& val) {
                 regions_key = k;
                 regions = val;
               }},
              {"hop_kms_key", [&](const YAML::Node& k, const YAML::Node& val) {
                 if (auto s = String(val, k, "'hop_kms_key' in " + ctx,
                                     "hop_kms_key: arn:aws:kms:us-east-1:222222222222:key/...")) {
                   target.hop_kms_key = *s;
                   hop_val = val;
                 }
               }}});
      if (!acct_val.has_value()) {
        if (!t["account"].IsDefined())
          Err(t, ctx + " has no 'account'; name the DR account, e.g. account: vault");
      } else if (const Account* a = ResolveAccount(*acct_val, target.account, ctx)) {
        target.account_id = a->id;
        if (!seen_accounts.insert(target.account).second)
          Err(*acct_val, "account '" + target.account + "' appears in two targets of " +
                             policy_ctx + "; list all its regions under one target");
      }
      if (hop_val.has_value())
        CheckKey(*hop_val, target.hop_kms_key, "'hop_kms_key' in " + ctx, p.source_region,
                 target.account_id, "a DR-account key in the source region " + p.source_region);
      if (!regions_key.has_value()) {
        Err(t, ctx + " has no 'regions'; e.g. regions: {eu-west-1: {kms_key: ...}}");
      } else {
        ParseTargetRegions(*regions_key, *regions, ctx, p, target);
      }
      p.targets.push_back(std::move(target));
    }
  }

  void ParseTargetRegions(const YAML::Node& key, const YAML::Node& v, const std::string& ctx,
                          const Policy& p, Target& target) {
    if (!ExpectMap(v, key, "'regions' in " + ctx,
                   "regions: {eu-west-1: {kms_key: arn:aws:kms:eu-west-1:222222222222:key/...}}"))
      return;
    if (v.size() == 0) {
      Err(key, "'regions' in " + ctx + " is empty; add at least one DR region");
      return;
    }
    std::set<std::string> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      // Copies: yaml-cpp iterators hand out a proxy that dies with the expression.
      const YAML::Node rk = it->first;
      const YAML::Node rv = it->second;
      if (!rk.IsScalar()) {
        Err(rk, "a region in " + ctx + " must be a region name such as eu-west-1");
        continue;
      }
      TargetRegion r;
      r.region = rk.Scalar();
      r.where = Loc(rk);
      std::string rctx = "region " + r.region + " of " + ctx;
      if (!IsRegion(r.region)) {
        Err(rk, "'" + r.region + "' in " + ctx + " is not an AWS region name; e.g. eu-west-1");
        continue;
      }
      if (!KnownRegionOrErr(rk, r.region, ctx)) continue;
      if (!p.source_region.empty() &&
          PartitionOfRegion(r.region) != PartitionOfRegion(p.source_region)) {
        Err(rk, rctx + " is in partition " + std::string(PartitionOfRegion(r.region)) +
                    " but the source region " + p.source_region + " is in " +
                    std::string(PartitionOfRegion(p.source_region)) +
                    "; RDS cannot copy snapshots between partitions, so a DR region must be in "
                    "the source's partition");
        continue;
      }
      if (!seen.insert(r.region).second) {
        Err(rk, "duplicate region " + r.region + " in " + ctx);
        continue;
      }
      if (!target.account_id.empty() && target.account_id == p.source_account_id &&
          r.region == p.source_region) {
        Err(rk, rctx +
                    " is the source account and region itself; a DR copy must be in another "
                    "account or another region (or both)");
      }
      std::string example = "kms_key: arn:aws:kms:" + r.region + ":" +
                            (target.account_id.empty() ? "222222222222" : target.account_id) +
                            ":key/...";
      if (!ExpectMap(rv, rk, rctx, example)) continue;
      std::optional<YAML::Node> kms_val;
      Fields(rv, rctx,
             {{"kms_key",
               [&](const YAML::Node& k, const YAML::Node& val) {
                 if (auto s = String(val, k, "'kms_key' in " + rctx, example)) {
                   r.kms_key = *s;
                   kms_val = val;
                 }
               }},
              {"option_groups",
               [&](const YAML::Node& k, const YAML::Node& val) {
                 if (!ExpectMap(val, k, "'option_groups' in " + rctx,
                                "option_groups: {orders-og: orders-og-dr}"))
                   return;
                 for (auto og = val.begin(); og != val.end(); ++og) {
                   if (!og->first.IsScalar() || !og->second.IsScalar() ||
                       og->second.Scalar().empty()) {
                     Err(og->first, "each entry of 'option_groups' in " + rctx +
                                        " maps a source option group to one in " + r.region +
                                        ", e.g. orders-og: orders-og-dr");
                     continue;
                   }
                   r.option_groups[og->first.Scalar()] = og->second.Scalar();
                 }
               }},
              {"verify", [&](const YAML::Node& k, const YAML::Node& val) {
                 r.verify = ParseVerify(k, val, rctx);
               }}});
      if (!kms_val.has_value()) {
        Err(rk, rctx +
                    " has no 'kms_key'; encrypted snapshots can only be vaulted re-encrypted "
                    "with a key the DR account owns in " +
                    r.region + ", e.g. " + example);
      } else {
        CheckKey(*kms_val, r.kms_key, "'kms_key' in " + rctx, r.region, target.account_id, example);
      }
      target.regions.push_back(std::move(r));
    }
    std::sort(target.regions.begin(), target.regions.end(),
              [](const TargetRegion& a, const TargetRegion& b) { return a.region < b.region; });
  }

  // The `verify:` block of a target region (restore drills).
  std::optional<VerifySettings> ParseVerify(const YAML::Node& key, const YAML::Node& v,
                                            const std::string& region_ctx) {
    std::string ctx = "'verify' in " + region_ctx;
    const std::string example =
        "verify: {instance_class: db.t3.micro, subnet_group: dr-subnets, security_groups: "
        "[sg-0123456789abcdef0], every: 7d, timeout: 2h}";
    VerifySettings vs;
    vs.where = Loc(key);
    if (v.IsNull()) return vs;  // `verify:` alone: drills with every default
    if (!ExpectMap(v, key, ctx, example)) return std::nullopt;
    Fields(v, ctx,
           {{"instance_class",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto s = String(val, k, "'instance_class' in " + ctx,
                                   "instance_class: db.t3.micro")) {
                 if (!s->starts_with("db.") || s->size() < 5)
                   Err(val, "'instance_class' in " + ctx + " must be an RDS instance class, not '" +
                                *s + "'; e.g. db.t3.micro or db.r6g.large");
                 else
                   vs.instance_class = *s;
               }
             }},
            {"subnet_group",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto s = String(val, k, "'subnet_group' in " + ctx, "subnet_group: dr-subnets"))
                 vs.subnet_group = *s;
             }},
            {"security_groups",
             [&](const YAML::Node& k, const YAML::Node& val) {
               auto list = StringList(val, k, "'security_groups' in " + ctx,
                                      "security_groups: [sg-0123456789abcdef0]");
               if (!list) return;
               for (const auto& [id, node] : *list) {
                 if (!id.starts_with("sg-") || id.size() < 4) {
                   Err(node, "each entry of 'security_groups' in " + ctx +
                                 " must be a VPC security group id such as sg-0123456789abcdef0, "
                                 "not '" +
                                 id + "'");
                   continue;
                 }
                 vs.security_groups.push_back(id);
               }
             }},
            {"every",
             [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto d = Dur(val, k, "'every' in " + ctx)) vs.every = *d;
             }},
            {"timeout", [&](const YAML::Node& k, const YAML::Node& val) {
               auto d = Dur(val, k, "'timeout' in " + ctx);
               if (!d) return;
               if (*d < std::chrono::minutes(10) || *d > std::chrono::hours(48))
                 Err(val, "'timeout' in " + ctx +
                              " must be between 10m and 48h (a restore takes minutes to hours, "
                              "and longer drills cost money), not " +
                              val.Scalar());
               else
                 vs.timeout = *d;
             }}});
    return vs;
  }

  void ParseRetention(const YAML::Node& key, const YAML::Node& v, const std::string& policy_ctx,
                      Retention& r) {
    std::string ctx = "'retention' of " + policy_ctx;
    if (!ExpectMap(v, key, ctx, "retention: {daily: 7, weekly: 4, monthly: 12}")) return;
    auto count = [&](int& field, const char* name) {
      return std::pair<std::string, Handler>(
          name, [&, name](const YAML::Node& k, const YAML::Node& val) {
            if (auto n = Count(val, k, std::string("'") + name + "' in " + ctx, 0)) field = *n;
          });
    };
    Fields(v, ctx,
           {count(r.last, "last"),
            count(r.hourly, "hourly"),
            count(r.daily, "daily"),
            count(r.weekly, "weekly"),
            count(r.monthly, "monthly"),
            count(r.yearly, "yearly"),
            {"within", [&](const YAML::Node& k, const YAML::Node& val) {
               if (auto d = Dur(val, k, "'within' in " + ctx)) r.within = *d;
             }}});
  }

  std::string file_;
  Config config_;
  std::vector<std::string> errors_;
};

}  // namespace

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* CaptureSourceName(CaptureSource s) {
  return s == CaptureSource::kAutomated ? "automated" : "snapshot";
}

bool Retention::KeepsOnlyNewest() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.count() == 0;
}

std::string Retention::ToString() const {
  std::string out;
  auto add = [&](const char* n, int v) {
    if (v <= 0) return;
    if (!out.empty()) out += ' ';
    out += std::string(n) + "=" + std::to_string(v);
  };
  add("last", last);
  add("hourly", hourly);
  add("daily", daily);
  add("weekly", weekly);
  add("monthly", monthly);
  add("yearly", yearly);
  if (within.count() > 0) {
    if (!out.empty()) out += ' ';
    out += "within=" + FormatDuration(within);
  }
  if (out.empty()) out = "newest only";
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking on the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) { return AsciiLower(a) == AsciiLower(b); };
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool DatabaseSelector::Matches(bool is_cluster, std::string_view id, std::string_view engine,
                               const std::map<std::string, std::string>& db_tags) const {
  return MatchesTagValues(is_cluster, id, engine,
                          [&](const std::string& key) -> const std::string* {
                            auto it = db_tags.find(key);
                            return it == db_tags.end() ? nullptr : &it->second;
                          });
}

bool DatabaseSelector::MatchesTagValues(
    bool is_cluster, std::string_view id, std::string_view engine,
    const std::function<const std::string*(const std::string&)>& tag_value) const {
  if (is_cluster ? !clusters : !instances) return false;
  auto any = [](const std::vector<std::string>& globs, std::string_view s) {
    for (const auto& g : globs)
      if (GlobMatch(g, s)) return true;
    return false;
  };
  if (!names.empty() && !any(names, id)) return false;
  if (any(exclude_names, id)) return false;
  if (!engines.empty() && !any(engines, engine)) return false;
  for (const auto& [k, v] : tags) {
    const std::string* value = tag_value(k);
    if (!value) return false;
    if (v != "*" && *value != v) return false;
  }
  return true;
}

const Account* Config::FindAccount(std::string_view name) const {
  for (const auto& a : accounts)
    if (a.name == name) return &a;
  return nullptr;
}

const Account* Config::FindAccountById(std::string_view id) const {
  for (const auto& a : accounts)
    if (a.id == id) return &a;
  return nullptr;
}

const Policy* Config::FindPolicy(std::string_view name) const {
  for (const auto& p : policies)
    if (p.name == name) return &p;
  return nullptr;
}

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& file_name) {
  return Loader(file_name).Load(yaml_text);
}

namespace {

Error Unreadable(const std::string& message, const std::string& hint) {
  Error e = Error::Terminal("ConfigUnreadable", message);
  e.hint = hint;
  return e;
}

const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

// Closes a descriptor on every path out of LoadConfigFile.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<Config> LoadConfigFile(const std::string& path) {
  const std::string kHint =
      "pass --config with the path of your policy file (see docs/configuration.md)";
  // O_NONBLOCK: opening a FIFO must not wait for a writer. The checks below
  // run on the descriptor (fstat), so what is read is what was checked.
  FdCloser f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    int err = errno;
    return Fail(Unreadable("cannot read policy file " + path + ": " + std::strerror(err), kHint));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    int err = errno;
    return Fail(Unreadable("cannot read policy file " + path + ": " + std::strerror(err), kHint));
  }
  if (S_ISDIR(st.st_mode))
    return Fail(Unreadable("policy file " + path + " is a directory",
                           "pass the policy file itself, e.g. --config " + path + "/drsnap.yaml"));
  if (!S_ISREG(st.st_mode))
    return Fail(Unreadable("policy file " + path + " is not a regular file (" +
                               FileKind(st.st_mode) + "); drsnap reads its policy only from a file",
                           kHint));
  auto too_large = [&] {
    return Fail(Unreadable(
        "policy file " + path + " is larger than 1 MiB, the most drsnap reads (a policy is a few "
        "kilobytes)",
        "check that --config names the policy file, or split the policies over several files"));
  };
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxPolicyFileBytes) return too_large();
  // Read at most one byte past the limit: the file may grow after fstat.
  std::string text;
  text.resize(kMaxPolicyFileBytes + 1);
  size_t used = 0;
  while (used < text.size()) {
    ssize_t n = ::read(f.fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      return Fail(
          Unreadable("cannot read policy file " + path + ": " + std::strerror(err), kHint));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > kMaxPolicyFileBytes) return too_large();
  text.resize(used);
  return ParseConfig(text, path);
}

}  // namespace drsnap::config
