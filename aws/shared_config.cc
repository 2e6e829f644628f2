#include "aws/shared_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "core/strings.h"

namespace drsnap::aws {
namespace {

constexpr std::string_view kSpace = " \t\r\n\f\v";

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Drops an inline comment: '#' or ';' preceded by whitespace.
std::string_view StripInlineComment(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if ((v[i] == '#' || v[i] == ';') && IsBlank(v[i - 1])) return Trim(v.substr(0, i));
  }
  return v;
}

Error Invalid(const std::string& file, int line, const std::string& what) {
  Error e = Error::Terminal("ConfigFileInvalid", file + ":" + std::to_string(line) + ": " + what);
  return e;
}

bool HasStaticKeys(const Profile& p) {
  return p.Get("aws_access_key_id").has_value() && p.Get("aws_secret_access_key").has_value();
}

}  // namespace

std::string ConfigValue::Where() const { return file + ":" + std::to_string(line); }

std::optional<std::string> Profile::Get(std::string_view key) const {
  const ConfigValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  std::string_view t = Trim(v->value);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

const ConfigValue* Profile::Find(std::string_view key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

std::string Profile::Where(std::string_view key) const {
  if (const ConfigValue* v = Find(key)) return v->Where();
  return defined_in.empty() ? std::string("(no file)") : defined_in.front();
}

// Builds a SharedConfig from the two files' texts.
class SharedConfigParser {
 public:
  enum class Kind { kProfile, kServices, kIgnored };

  struct RawSection {
    Kind kind = Kind::kIgnored;
    std::string name;
    int priority = 0;  // higher wins when merging sections of the same profile
    std::string file;
    ConfigSection values;
    std::map<std::string, ConfigSection, std::less<>> nested;
  };

  Status ParseFile(std::string_view text, const std::string& file, bool is_config) {
    RawSection* current = nullptr;
    std::string last_key;  // the last "key = value" in the current section
    bool last_key_empty = false;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view line =
          text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      pos = (nl == std::string_view::npos) ? text.size() + 1 : nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::string_view t = Trim(line);
      if (t.empty() || t.front() == '#' || t.front() == ';') continue;

      // Indented line after a property: a nested setting or a continuation.
      if (IsBlank(line.front()) && current != nullptr && !last_key.empty() && t.front() != '[') {
        if (last_key_empty) {
          size_t eq = t.find('=');
          std::string sub = eq == std::string_view::npos ? "" : AsciiLower(Trim(t.substr(0, eq)));
          if (sub.empty()) {
            return Fail(Invalid(file, line_no,
                                "expected an indented 'key = value' inside '" + last_key + " ='"));
          }
          current->nested[last_key][sub] =
              ConfigValue{std::string(StripInlineComment(Trim(t.substr(eq + 1)))), file, line_no};
        } else {
          ConfigValue& v = current->values[last_key];
          v.value += "\n";
          v.value += StripInlineComment(t);
        }
        continue;
      }

      if (t.front() == '[') {
        size_t close = t.find(']');
        if (close == std::string_view::npos) {
          return Fail(Invalid(file, line_no,
                              "section header is missing its closing ']'; write '[" +
                                  std::string(is_config ? "profile NAME" : "NAME") + "]'"));
        }
        std::string_view rest = Trim(t.substr(close + 1));
        if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
          return Fail(Invalid(file, line_no,
                              "unexpected text after ']'; a section header is a line of its own"));
        }
        std::string_view inner = Trim(t.substr(1, close - 1));
        if (inner.empty()) {
          return Fail(Invalid(file, line_no,
                              "empty section name; write '[default]' or '[" +
                                  std::string(is_config ? "profile NAME" : "NAME") + "]'"));
        }
        auto section = Classify(inner, file, line_no, is_config);
        if (!section) return Fail(std::move(section).error());
        sections_.push_back(std::move(*section));
        current = &sections_.back();
        last_key.clear();
        continue;
      }

      size_t eq = t.find('=');
      if (eq == std::string_view::npos) {
        return Fail(Invalid(file, line_no, "expected 'key = value' or '[section]'"));
      }
      std::string key = AsciiLower(Trim(t.substr(0, eq)));
      if (key.empty()) {
        return Fail(Invalid(file, line_no, "missing the key before '='; expected 'key = value'"));
      }
      if (current == nullptr) {
        return Fail(
            Invalid(file, line_no,
                    "'" + key + " = ...' appears before any section; put it under " +
                        (is_config ? "[default] or [profile NAME]" : "[default] or [NAME]")));
      }
      std::string value(StripInlineComment(Trim(t.substr(eq + 1))));
      last_key_empty = value.empty();
      current->values[key] = ConfigValue{std::move(value), file, line_no};
      last_key = key;
    }
    return OkStatus();
  }

  Result<RawSection> Classify(std::string_view inner, const std::string& file, int line,
                              bool is_config) {
    RawSection s;
    s.file = file;
    if (!is_config) {
      s.kind = Kind::kProfile;
      s.name = std::string(inner);
      s.priority = 2;  // the credentials file wins over the config file
      return s;
    }
    if (inner == "default") {
      s.kind = Kind::kProfile;
      s.name = "default";
      return s;
    }
    size_t sp = inner.find_first_of(" \t");
    std::string_view word = inner.substr(0, sp);
    std::string_view name = sp == std::string_view::npos ? "" : Trim(inner.substr(sp));
    if (word == "profile" || word == "services" || word == "sso-session") {
      if (name.empty()) {
        return Fail(Invalid(file, line,
                            "'[" + std::string(word) + "]' needs a name; write '[" +
                                std::string(word) + " NAME]'"));
      }
      s.name = std::string(name);
      if (s.name.find_first_of(" \t") != std::string::npos) {
        // botocore ignores "[profile two words]"; so do we (no such profile).
        config_unprefixed_.push_back(std::string(inner));
        return s;
      }
      if (word == "profile") {
        s.kind = Kind::kProfile;
        s.priority = 1;  // [profile default] wins over [default]
      } else if (word == "services") {
        s.kind = Kind::kServices;
      }
      return s;
    }
    // "[prod]" in the config file: ignored by the SDKs; remember for hints.
    if (sp == std::string_view::npos) config_unprefixed_.push_back(std::string(inner));
    return s;
  }

  SharedConfig Build(std::string config_path, bool config_found, std::string credentials_path,
                     bool credentials_found) {
    SharedConfig cfg;
    cfg.config_path_ = std::move(config_path);
    cfg.credentials_path_ = std::move(credentials_path);
    cfg.config_found_ = config_found;
    cfg.credentials_found_ = credentials_found;
    // Merge profile sections: stable by priority so that later sections of
    // equal priority override earlier ones.
    // [default] and [profile default] in the config file: as in botocore,
    // the one that comes later replaces the other entirely.
    int first_plain = -1, first_prefixed = -1;
    for (size_t i = 0; i < sections_.size(); ++i) {
      const RawSection& s = sections_[i];
      if (s.kind != Kind::kProfile || s.name != "default" || s.priority == 2) continue;
      int& first = s.priority == 0 ? first_plain : first_prefixed;
      if (first < 0) first = static_cast<int>(i);
    }
    int hidden_priority = -1;  // the config-file default kind to drop
    if (first_plain >= 0 && first_prefixed >= 0)
      hidden_priority = first_plain < first_prefixed ? 0 : 1;
    std::vector<const RawSection*> order;
    for (const auto& s : sections_) {
      if (s.kind != Kind::kProfile) continue;
      if (s.name == "default" && s.priority == hidden_priority) continue;
      order.push_back(&s);
    }
    std::stable_sort(order.begin(), order.end(), [](const RawSection* a, const RawSection* b) {
      return a->priority < b->priority;
    });
    for (const RawSection* s : order) {
      Profile& p = cfg.profiles_[s->name];
      p.name = s->name;
      if (std::find(p.defined_in.begin(), p.defined_in.end(), s->file) == p.defined_in.end()) {
        p.defined_in.push_back(s->file);
      }
      for (const auto& [k, v] : s->values) p.values[k] = v;
      for (const auto& [k, sub] : s->nested) {
        for (const auto& [sk, sv] : sub) p.nested[k][sk] = sv;
      }
    }
    std::map<std::string, std::map<std::string, ConfigSection, std::less<>>, std::less<>> services;
    for (const auto& s : sections_) {
      if (s.kind != Kind::kServices) continue;
      auto& dst = services[s.name];
      for (const auto& [k, sub] : s.nested) {
        for (const auto& [sk, sv] : sub) dst[k][sk] = sv;
      }
    }
    for (auto& [name, p] : cfg.profiles_) {
      auto ref = p.Get("services");
      if (!ref) continue;
      auto it = services.find(*ref);
      if (it != services.end()) {
        p.services = it->second;
      } else {
        p.services_error = p.Where("services") + ": profile '" + name + "' has services = " + *ref +
                           ", but there is no [services " + *ref + "] section";
      }
    }
    for (const auto& n : config_unprefixed_) {
      if (!cfg.profiles_.contains(n)) cfg.unprefixed_config_sections_.push_back(n);
    }
    return cfg;
  }

 private:
  std::vector<RawSection> sections_;  // deque-like: only push_back, pointer into back()
  std::vector<std::string> config_unprefixed_;
};

const Profile* SharedConfig::FindProfile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::vector<std::string> SharedConfig::ProfileNames() const {
  std::vector<std::string> out;
  for (const auto& [n, p] : profiles_) out.push_back(n);
  return out;
}

std::string SharedConfig::FilesDescription() const {
  auto describe = [](const std::string& path, bool found) {
    if (path.empty()) return std::string("(no path: HOME is not set)");
    return found ? path : path + " (missing)";
  };
  return describe(config_path_, config_found_) + " and " +
         describe(credentials_path_, credentials_found_);
}

Result<const Profile*> SharedConfig::GetProfile(std::string_view name) const {
  if (const Profile* p = FindProfile(name)) return p;
  std::string msg = "profile '" + std::string(name) + "' not found in " + FilesDescription();
  std::vector<std::string> names = ProfileNames();
  msg += names.empty() ? "; no profiles exist" : "; profiles that exist: " + Join(names);
  Error e = Error::Terminal("ProfileNotFound", msg);
  if (std::find(unprefixed_config_sections_.begin(), unprefixed_config_sections_.end(), name) !=
      unprefixed_config_sections_.end()) {
    e.hint = "the config file has [" + std::string(name) +
             "]: profiles there are written [profile " + std::string(name) + "]";
  } else {
    e.hint = "set AWS_PROFILE to an existing profile, or add [profile " + std::string(name) +
             "] to " + (config_path_.empty() ? std::string("~/.aws/config") : config_path_);
  }
  return Fail(std::move(e));
}

Status SharedConfig::CheckSourceProfileChain(std::string_view name) const {
  std::vector<std::string> path{std::string(name)};
  std::string cur(name);
  while (true) {
    const Profile* p = FindProfile(cur);
    if (p == nullptr) return OkStatus();  // checked by the caller / previous step
    if (!p->Get("role_arn")) return OkStatus();
    auto source = p->Get("source_profile");
    if (!source) return OkStatus();
    if (*source == cur && HasStaticKeys(*p)) return OkStatus();
    const Profile* sp = FindProfile(*source);
    if (sp == nullptr) {
      std::vector<std::string> names = ProfileNames();
      return Fail(Error::Terminal(
          "ProfileNotFound",
          p->Where("source_profile") + ": profile '" + cur + "' has source_profile = " + *source +
              ", which does not exist; profiles that exist: " + Join(names)));
    }
    if (std::find(path.begin(), path.end(), *source) != path.end()) {
      path.push_back(*source);
      std::string chain;
      for (const auto& n : path) chain += (chain.empty() ? "" : " -> ") + n;
      Error e = Error::Terminal("ProfileCycle", "source_profile cycle: " + chain + " (" +
                                                    p->Where("source_profile") + ")");
      e.hint =
          "end the chain at a profile with aws_access_key_id/aws_secret_access_key or "
          "credential_source";
      return Fail(std::move(e));
    }
    path.push_back(*source);
    // A source profile with static keys ends the chain (the SDKs use its keys
    // even when it also has a role_arn).
    if (HasStaticKeys(*sp)) return OkStatus();
    cur = *source;
  }
}

namespace {

std::string ExpandHome(const Environment& env, std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    auto home = env.GetNonEmpty("HOME");
    if (home) path = *home + path.substr(1);
  }
  return path;
}

std::string DefaultPath(const Environment& env, std::string_view var, std::string_view file) {
  if (auto v = env.GetNonEmpty(var)) return ExpandHome(env, *v);
  auto home = env.GetNonEmpty("HOME");
  if (!home) return "";
  std::string h = *home;
  if (!h.empty() && h.back() == '/') h.pop_back();
  return h + "/.aws/" + std::string(file);
}

// nullopt when the file does not exist.
Result<std::optional<std::string>> ReadIfExists(const std::string& path) {
  if (path.empty()) return std::optional<std::string>();
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || st.type() == std::filesystem::file_type::not_found) {
    return std::optional<std::string>();
  }
  if (st.type() == std::filesystem::file_type::directory) {
    return Fail(Error::Terminal("ConfigFileInvalid",
                                path + " is a directory; expected an AWS config file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(
        Error::Terminal("ConfigFileInvalid", "cannot read " + path + "; check its permissions"));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

}  // namespace

std::string SharedConfigPath(const Environment& env) {
  return DefaultPath(env, "AWS_CONFIG_FILE", "config");
}

std::string SharedCredentialsPath(const Environment& env) {
  return DefaultPath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

Result<SharedConfig> ParseSharedConfig(std::optional<std::string_view> config_text,
                                       std::string config_path,
                                       std::optional<std::string_view> credentials_text,
                                       std::string credentials_path) {
  SharedConfigParser parser;
  if (config_text) {
    DRSNAP_RETURN_IF_ERROR(parser.ParseFile(*config_text, config_path, /*is_config=*/true));
  }
  if (credentials_text) {
    DRSNAP_RETURN_IF_ERROR(
        parser.ParseFile(*credentials_text, credentials_path, /*is_config=*/false));
  }
  return parser.Build(std::move(config_path), config_text.has_value(), std::move(credentials_path),
                      credentials_text.has_value());
}

Result<SharedConfig> LoadSharedConfig(const Environment& env) {
  std::string config_path = SharedConfigPath(env);
  std::string credentials_path = SharedCredentialsPath(env);
  DRSNAP_ASSIGN_OR_RETURN(auto config_text, ReadIfExists(config_path));
  DRSNAP_ASSIGN_OR_RETURN(auto credentials_text, ReadIfExists(credentials_path));
  std::optional<std::string_view> c, k;
  if (config_text) c = *config_text;
  if (credentials_text) k = *credentials_text;
  return ParseSharedConfig(c, config_path, k, credentials_path);
}

std::string SelectedProfileName(const Environment& env, std::string_view explicit_profile) {
  if (!explicit_profile.empty()) return std::string(explicit_profile);
  if (auto p = env.GetNonEmpty("AWS_PROFILE")) return *p;
  if (auto p = env.GetNonEmpty("AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

bool ProfileExplicitlySelected(const Environment& env, std::string_view explicit_profile) {
  return !explicit_profile.empty() || env.GetNonEmpty("AWS_PROFILE").has_value() ||
         env.GetNonEmpty("AWS_DEFAULT_PROFILE").has_value();
}

}  // namespace drsnap::aws
