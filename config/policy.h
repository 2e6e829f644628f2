// The declarative policy file (YAML): which accounts exist, which databases
// are protected, and how (capture source, RPO, share key, DR targets,
// retention on both sides). docs/configuration.md is the user's guide and
// testdata/config/example.yaml a complete, commented example.
//
// Loading validates everything a plan depends on. Errors read
//   "policy.yaml:12:5: unknown key 'retension' in policy 'orders'; did you mean 'retention'?"
// i.e. file:line:col (1-based, from YAML::Node::Mark), what is wrong, and what
// would be right. All problems found are reported, one per line, in
// Error::message (code "ConfigInvalid"; "ConfigUnreadable" when the file
// cannot be read, "ConfigSyntax" when it is not YAML).
//
// This library does not depend on engine/: the database selector matches
// plain fields so both the planner and the CLI can use it.
//
// Thread safety: plain values; loading functions are reentrant.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace drsnap::config {

// Where a value was written (for messages about it after loading).
struct SourceLocation {
  std::string file;
  int line = 0;                  // 1-based; 0 when unknown
  int column = 0;                // 1-based
  std::string ToString() const;  // "policy.yaml:12:5"
};

// An AWS account drsnap talks to. Exactly one of `profile` or `role_arn`
// (optionally neither: the default credential chain). `external_id` only with
// `role_arn`.
struct Account {
  std::string name;          // the key under `accounts:`; policies refer to it
  std::string id;            // 12 digits
  std::string profile;       // a profile in ~/.aws/config / credentials
  std::string role_arn;      // assumed with the default chain's credentials
  std::string external_id;   // sts:ExternalId for role_arn
  std::string endpoint_url;  // overrides the RDS/STS/KMS endpoint (tests, drsnap-sim)
  SourceLocation where;
};

// Where a policy's restorable points come from.
enum class CaptureSource {
  kAutomated,  // copy the newest automated snapshot into a drsnap-owned manual one
  kSnapshot,   // create a manual snapshot whenever the newest capture is older than rpo - margin
};
const char* CaptureSourceName(CaptureSource s);  // "automated" | "snapshot"

// Grandfather-father-son counts (restic's --keep-* semantics): for each tier,
// keep the newest point of each of the N most recent periods (hour, day,
// ISO week, month, year, UTC) that have a point. `last` keeps the N newest;
// `within` keeps every point newer than now - within. The newest available
// point is always kept regardless. All zero = keep only the newest.
struct Retention {
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;
  std::chrono::seconds within{0};
  bool KeepsOnlyNewest() const;
  std::string ToString() const;  // "daily=7 weekly=4 monthly=12" (non-zero fields)
};

// Which databases a policy protects. A database matches when its kind is
// allowed AND (names empty OR its id matches a glob in names) AND its id
// matches no glob in exclude_names AND (engines empty OR its engine matches
// a glob in engines) AND it carries every tag in `tags` ("*" as a value
// matches any value, including ""). Globs: `*` any run, `?` one char;
// matching is case-insensitive (RDS identifiers are lower-case).
struct DatabaseSelector {
  bool instances = true;
  bool clusters = true;
  std::vector<std::string> names;
  std::vector<std::string> exclude_names;
  std::vector<std::string> engines;
  std::map<std::string, std::string> tags;

  bool Matches(bool is_cluster, std::string_view id, std::string_view engine,
               const std::map<std::string, std::string>& db_tags) const;
  // The same for any map-like tag container (find(key), end(), ->second),
  // such as engine::Tags.
  template <typename TagMap>
  bool Matches(bool is_cluster, std::string_view id, std::string_view engine,
               const TagMap& db_tags) const {
    return MatchesTagValues(is_cluster, id, engine,
                            [&](const std::string& key) -> const std::string* {
                              auto it = db_tags.find(key);
                              return it == db_tags.end() ? nullptr : &it->second;
                            });
  }

 private:
  // `tag_value(key)`: the database's value of tag `key`, or null.
  bool MatchesTagValues(
      bool is_cluster, std::string_view id, std::string_view engine,
      const std::function<const std::string*(const std::string&)>& tag_value) const;
};

// Restore drills (`drsnap verify`) in one DR region: what a throw-away
// restore of the newest vault copy needs in the DR account. A drill restores
// an instance with `instance_class` (Aurora clusters: the cluster alone, no
// instance: the cluster reaching "available" proves the restore), waits for
// "available", records the result in tags on the vault copy, and deletes it.
struct VerifySettings {
  // Instances: the class of the throw-away instance ("" = the class the
  // snapshot was taken with). Clusters: unused.
  std::string instance_class;
  std::string subnet_group;                  // DB subnet group in the DR region; "" = default VPC
  std::vector<std::string> security_groups;  // VPC security group ids (sg-...); empty = default
  // A drill is due when the last one is at least this old (0: every time
  // `drsnap verify` runs).
  std::chrono::seconds every{0};
  // A drill whose database is not "available" after this long failed.
  std::chrono::seconds timeout{std::chrono::hours(2)};
  SourceLocation where;
};

// One DR region of a target account.
struct TargetRegion {
  std::string region;
  // DR-owned customer-managed key in `region`; every vault copy of an
  // encrypted snapshot is re-encrypted with it. Required.
  std::string kms_key;
  // Source option group name -> option group name in this region (option
  // groups are regional). Unmapped non-default groups: the copy passes none.
  std::map<std::string, std::string> option_groups;
  // Restore drills in this region; nullopt: `drsnap verify` skips it.
  std::optional<VerifySettings> verify;
  SourceLocation where;
};

struct Target {
  std::string account;                // account name (key under accounts:)
  std::string account_id;             // resolved from `account`
  std::vector<TargetRegion> regions;  // sorted by region, unique
  // DR-owned key in the *source* region, used for the same-region hop copy
  // (DB and DB cluster snapshots alike, where AWS refuses the one-step copy).
  // Optional; a hop needed without it is reported by the planner.
  std::string hop_kms_key;
  SourceLocation where;
};

struct Policy {
  std::string name;
  DatabaseSelector databases;

  // source:
  std::string source_account;     // account name
  std::string source_account_id;  // resolved
  std::string source_region;
  CaptureSource capture = CaptureSource::kAutomated;
  // Customer-managed key in the source account+region. Snapshots encrypted
  // with the default key (alias/aws/rds) are re-encrypted with it on capture
  // so they can be shared. Optional; needed only for default-key databases.
  std::string share_key;
  // Source-side retention of drsnap's captures ("staging copies"): a capture
  // is deleted once it is vaulted in every target and the newest vault copy
  // of it is at least keep_after_vaulted old; the newest `keep_newest`
  // captures of a database are always kept (>= 0). Left unset (1), captures
  // are transient while the source scope's manual snapshot quota binds:
  // kept only until vaulted everywhere (engine/planner.cc).
  std::chrono::seconds keep_after_vaulted{0};
  int keep_newest = 1;
  bool keep_newest_set = false;  // the file sets keep_newest

  // The newest recoverable point in every target should be at most this old.
  std::chrono::seconds rpo{std::chrono::hours(24)};
  // `snapshot` source: a new snapshot is created when the newest capture is
  // older than rpo - capture_margin (default rpo/10, at most 1h).
  std::chrono::seconds capture_margin{0};

  std::vector<Target> targets;  // file order
  Retention retention;          // DR side (vault copies), per database x target region
  // DR side: no vault copy is deleted before it is this old, counted from
  // its own creation in the DR account (AWS's SnapshotCreateTime of the
  // copy, which no other account can change), whatever newer copies arrive
  // and whatever `retention` says: like a vault lock. 0 turns it off.
  std::chrono::seconds min_retention{std::chrono::days(7)};

  SourceLocation where;
};

struct Config {
  std::string file;               // as given to LoadConfigFile
  std::vector<Account> accounts;  // sorted by name
  std::vector<Policy> policies;   // sorted by name
  // `allow_unknown_regions: true`: accept a well-formed region name that is
  // not in config/regions.h (a region AWS opened after this build).
  bool allow_unknown_regions = false;

  const Account* FindAccount(std::string_view name) const;
  const Account* FindAccountById(std::string_view id) const;
  const Policy* FindPolicy(std::string_view name) const;
};

// The largest policy file LoadConfigFile reads (1 MiB). A real policy is a
// few kilobytes; anything near this is a wrong path, not a policy, and is
// refused before it is parsed.
inline constexpr std::size_t kMaxPolicyFileBytes = std::size_t{1} << 20;

// Reads and validates a policy file.
Result<Config> LoadConfigFile(const std::string& path);
// Same, from text; file_name is used in messages only.
Result<Config> ParseConfig(std::string_view yaml_text, const std::string& file_name);

// "*" and "?" glob, case-insensitive (exposed for tests and the CLI).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace drsnap::config
