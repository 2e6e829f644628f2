// The AWS shared config files (~/.aws/config and ~/.aws/credentials), parsed
// the way the AWS SDKs and CLI read them.
//
//   config:       [default], [profile NAME], [services NAME], [sso-session NAME]
//   credentials:  [NAME] (the literal profile name, "default" included)
//
// Lines are "key = value"; '#' or ';' start a comment line (and an inline
// comment when preceded by whitespace). Keys are case-insensitive (stored in
// lower case). A key with an empty value followed by indented "sub = value"
// lines is a nested sub-section ("s3 =\n  max_concurrent_requests = 20");
// an indented line after a key with a value continues that value. When both
// files define a profile, their keys are merged and the credentials file wins.
// When the config file has both [default] and [profile default], the later
// one replaces the other (as botocore). Names with whitespace are ignored.
// Repeated sections are merged (later keys win); botocore rejects them.
//
// Thread safety: SharedConfig is immutable after loading; share it freely.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

// One setting and where it was read from (for error messages).
struct ConfigValue {
  std::string value;
  std::string file;  // path as loaded
  int line = 0;      // 1-based
  // "FILE:LINE"
  std::string Where() const;
};

using ConfigSection = std::map<std::string, ConfigValue, std::less<>>;

struct Profile {
  std::string name;
  ConfigSection values;
  // Nested sub-sections inside the profile ("s3 = \n  key = v"), by key.
  std::map<std::string, ConfigSection, std::less<>> nested;
  // The `services = NAME` section this profile refers to, resolved at load
  // time: service id ("rds", "sts", "kms") -> its settings ("endpoint_url").
  std::map<std::string, ConfigSection, std::less<>> services;
  // Non-empty when `services = NAME` names no [services NAME] section: the
  // error to report when the services section is consulted.
  std::string services_error;
  std::vector<std::string> defined_in;  // files that define this profile

  // The value of `key` (lower case), trimmed; nullopt when absent or empty.
  std::optional<std::string> Get(std::string_view key) const;
  // The setting itself, or null.
  const ConfigValue* Find(std::string_view key) const;
  // "FILE:LINE" of key, or the first file defining the profile when absent.
  std::string Where(std::string_view key) const;
};

class SharedConfig {
 public:
  // The profile, or null when no file defines it.
  const Profile* FindProfile(std::string_view name) const;
  // The profile, or an error (code "ProfileNotFound") naming the profile,
  // the files looked at and the profiles that exist.
  Result<const Profile*> GetProfile(std::string_view name) const;
  // Names of all profiles, sorted.
  std::vector<std::string> ProfileNames() const;

  // Follows source_profile links from `name` and fails (code
  // "ProfileCycle") on a cycle, naming it ("a -> b -> a"). A profile that
  // names itself as source_profile while holding static keys is not a cycle
  // (the SDKs allow it: the keys are the source). Also fails when a
  // source_profile does not exist. Unknown `name` is not checked here.
  Status CheckSourceProfileChain(std::string_view name) const;

  // The files as configured and whether they existed.
  const std::string& config_path() const { return config_path_; }
  const std::string& credentials_path() const { return credentials_path_; }
  bool config_found() const { return config_found_; }
  bool credentials_found() const { return credentials_found_; }
  // "FILE1 (missing), FILE2": what was looked at, for messages.
  std::string FilesDescription() const;

 private:
  friend class SharedConfigParser;
  std::map<std::string, Profile, std::less<>> profiles_;
  // Names of sections in the config file that look like profiles but lack
  // the "profile " prefix (ignored, like the SDKs; used for hints).
  std::vector<std::string> unprefixed_config_sections_;
  std::string config_path_;
  std::string credentials_path_;
  bool config_found_ = false;
  bool credentials_found_ = false;
};

// Where the files are: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE (a
// leading "~/" expands to HOME), else HOME/.aws/config and
// HOME/.aws/credentials. Empty when neither the variable nor HOME is set.
std::string SharedConfigPath(const Environment& env);
std::string SharedCredentialsPath(const Environment& env);

// Reads and parses both files; a missing file is not an error (it is just
// empty). Errors (code "ConfigFileInvalid"): "FILE:LINE: what is wrong; what
// to write instead", and unreadable files.
Result<SharedConfig> LoadSharedConfig(const Environment& env);

// Parses the texts as if loaded from the given paths (tests, embedded use).
// An absent text (nullopt) is a missing file.
Result<SharedConfig> ParseSharedConfig(std::optional<std::string_view> config_text,
                                       std::string config_path,
                                       std::optional<std::string_view> credentials_text,
                                       std::string credentials_path);

// The profile to use: `explicit_profile` if non-empty, else AWS_PROFILE, else
// AWS_DEFAULT_PROFILE (legacy CLI), else "default".
std::string SelectedProfileName(const Environment& env, std::string_view explicit_profile);
// Whether the profile was chosen by the user (explicit, AWS_PROFILE or
// AWS_DEFAULT_PROFILE): an unknown chosen profile is an error, a missing
// "default" is not.
bool ProfileExplicitlySelected(const Environment& env, std::string_view explicit_profile);

}  // namespace drsnap::aws
