// The simulated world behind Simulator: accounts, regions, KMS keys, DB
// instances and clusters, snapshots, sessions, events and the agenda of
// future work (the virtual clock's to-do list). Internal to sim/.
//
// Thread safety: none. Simulator serialises every access with its mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "sim/simulator.h"

namespace drsnap::sim {

using Tag = std::pair<std::string, std::string>;

// Knobs; defaults model AWS's documented limits and plausible speeds.
struct Settings {
  double same_region_mbps = 200;    // copy throughput within a region
  double cross_region_mbps = 50;    // copy throughput between regions
  double create_mbps = 500;         // snapshot creation throughput
  double incremental_speedup = 10;  // an incremental copy is this many times faster
  bool one_step_copy = false;       // false: "strict" (older rule), true: "one-step"
  int manual_snapshot_quota = 100;
  int manual_cluster_snapshot_quota = 100;
  // An account whose quota was raised (or lowered): its manual snapshot
  // quota of both kinds, in every region, instead of the two above. AWS's
  // quotas are per account and region; a DR account that keeps a week of
  // copies of many databases needs more than the default.
  std::map<std::string, int> manual_snapshot_quota_by_account;
  int copies_in_flight_quota = 20;
  int cluster_cross_region_copies_quota = 5;
  int share_accounts_quota = 20;
  int restore_minutes = 10;
  int min_step_seconds = 60;  // shortest create/copy duration
  int max_events = 100000;    // events kept (besides AWS's 14 days); bounds memory
  // Status of a copy, as DescribeDB(Cluster)Snapshots shows it. AWS does not
  // document these for DB snapshots; the defaults follow the awscli example
  // of copy-db-snapshot ("creating" for a same-region copy) and the
  // DBClusterSnapshot.Status model text (available|copying|creating).
  // Values: "pending" | "creating" | "copying".
  std::string copy_status_queued = "pending";        // not started (queued)
  std::string copy_status_same_region = "creating";  // running, within a region
  std::string copy_status_cross_region = "copying";  // running, across regions
  std::string cluster_copy_status_queued = "creating";
  std::string cluster_copy_status = "copying";
  // What a same-region DB snapshot copy reports of its source: "both"
  // (SourceRegion and SourceDBSnapshotIdentifier, as the awscli example shows),
  // "model" (SourceRegion; the identifier only for cross-account copies, as the
  // model's text says) or "identifier" (only SourceDBSnapshotIdentifier).
  std::string same_region_copy_source = "both";
  // STS Expiration: on the virtual clock (where sessions expire), or wall time.
  bool session_expiration_wall = false;

  // The manual snapshot quota of `cluster` snapshots in `account`'s regions.
  int ManualSnapshotQuota(std::string_view account, bool cluster) const;

  nlohmann::json ToJson() const;
  // Applies the keys present in j; refuses unknown keys and bad values.
  Status Update(const nlohmann::json& j);
};

enum class SnapStatus : uint8_t { kCreating, kCopying, kAvailable, kFailed };
const char* SnapStatusName(SnapStatus s);

// Facts about the database a snapshot was taken of. Shared (immutable) by all
// of its snapshots and their copies in any account.
struct DbInfo {
  std::string db_id;        // DBInstanceIdentifier / DBClusterIdentifier
  std::string resource_id;  // DbiResourceId / DbClusterResourceId: the lineage key
  std::string engine;
  std::string engine_version;
  std::string license_model;
  std::string master_username;
  std::string storage_type;
  std::string option_group;
  int port = 5432;
  int size_gb = 20;
  TimePoint create_time{};
  // Rendered XML of the DB-derived snapshot fields (built on first use).
  mutable std::string xml_cache;
};

struct Scope;

// Who created a snapshot: ground truth for tests (GET /_sim/snapshots).
struct Creator {
  std::string source;         // "api" | "world" (seeded) | "automated" (RDS's backups)
  std::string account;        // api: the caller's account
  std::string principal_arn;  // api: the caller identity of the signed request
  std::string user_agent;     // api: the request's User-Agent
  std::string action;         // api: "CreateDBSnapshot", "CopyDBSnapshot", ...
  auto operator<=>(const Creator&) const = default;
};

// Kept small: a world may hold a million of them.
struct Snapshot {
  std::string id;
  Scope* scope = nullptr;  // owner account-region
  std::shared_ptr<const DbInfo> db;
  std::string kms_key_arn;    // "" when unencrypted
  std::string source_arn;     // copies: ARN of the snapshot copied from
  std::string source_region;  // cross-region copies: the source region
  std::vector<Tag> tags;
  std::vector<std::string> shared_with;    // account ids and/or "all"
  std::shared_ptr<const Creator> creator;  // shared by the snapshots of one creator
  TimePoint create_time{};
  TimePoint original_create_time{};
  TimePoint job_start{};  // creating/copying: when the work starts (queued copies later)
  TimePoint job_end{};    // creating/copying: when it becomes available (or failed)
  SnapStatus status = SnapStatus::kAvailable;
  bool cluster = false;
  bool automated = false;
  bool is_copy = false;
  bool fail_at_end = false;  // fault injected: ends in "failed"
  bool incremental = false;
  uint16_t retention_days = 0;  // automated: expiry after this many days

  bool encrypted() const { return !kms_key_arn.empty(); }
  // A copy from another region (source_region is the source's region for
  // every copy made now; older states left it empty for same-region ones).
  bool cross_region() const;
  // A copy that waits behind another copy of the same database.
  bool queued(TimePoint now) const;
  bool public_() const;
  bool SharedWith(std::string_view account) const;
  int PercentProgress(TimePoint now) const;
};

struct Database {
  std::shared_ptr<DbInfo> info;
  bool cluster = false;
  std::string instance_class = "db.t3.micro";
  std::string kms_key_arn;  // "" when unencrypted
  int retention_days = 1;
  std::string backup_window = "04:00-04:30";
  std::vector<Tag> tags;
  std::string status = "available";
  TimePoint ready_at{};              // status "creating" until then
  TimePoint next_backup{};           // next automated backup (when retention > 0)
  std::string cluster_id;            // instance: member of this cluster
  std::vector<std::string> members;  // cluster: member instances
  std::string restored_from;         // snapshot id this DB was restored from
  bool fail_when_ready = false;      // a fail_restores fault: ends "incompatible-restore"
};

struct Grant {
  std::string grant_id;
  std::string token;
  std::string name;
  std::string grantee;   // principal ARN
  std::string retiring;  // principal ARN or ""
  std::string issuing_account;
  std::vector<std::string> operations;
  TimePoint created{};
};

struct KmsKey {
  std::string key_id;
  std::string arn;
  std::string description;
  TimePoint created{};
  bool aws_managed = false;  // the aws/rds default key
  bool enabled = true;
  TimePoint deletion_date{};  // ScheduleKeyDeletion: when it goes (epoch: not scheduled)
  bool pending_deletion() const { return deletion_date != TimePoint{}; }
  std::set<std::string> allowed_accounts;                 // besides the owner
  std::vector<Grant> grants;                              // CreateGrant
  std::vector<std::pair<std::string, std::string>> tags;  // CreateKey Tags (TagKey, TagValue)
};

// A non-default option group (default groups, "default:<engine>-<major>",
// exist implicitly for every engine version in every account and region).
struct OptionGroup {
  std::string name;  // lowercase
  std::string engine;
  std::string major_version;
  std::string description;
};

// A DB parameter group (drsnap keeps its ledger in the tags of one). Only
// what drsnap uses: name, family, description, tags; no parameters.
struct ParameterGroup {
  std::string name;  // lowercase
  std::string family;
  std::string description;
  std::vector<Tag> tags;
};

struct Alias {
  std::string target_key_id;
  TimePoint created{};
};

// Everything owned by one account in one region.
struct Scope {
  std::string account;
  std::string region;
  // [0] DB snapshots, [1] DB cluster snapshots, by (lowercase) identifier.
  std::map<std::string, std::unique_ptr<Snapshot>, std::less<>> snaps[2];
  // [0]/[1]: DB id -> ids of its snapshots in this scope (views into snaps keys).
  std::map<std::string, std::set<std::string_view>, std::less<>> by_db[2];
  std::set<Snapshot*> in_flight;  // creating or copying
  int manual_count[2] = {0, 0};
  std::map<std::string, Database, std::less<>> dbs[2];            // [0] instances, [1] clusters
  std::map<std::string, KmsKey, std::less<>> keys;                // by key id
  std::map<std::string, Alias, std::less<>> aliases;              // "alias/x" -> key
  std::map<std::string, OptionGroup, std::less<>> option_groups;  // by lowercase name
  std::map<std::string, ParameterGroup, std::less<>> parameter_groups;  // by lowercase name
  // Rendered XML of the placement fields (AZ, VPC) of snapshots here: [0]/[1].
  std::string xml_place[2];
};

struct Role {
  std::string name;
  std::string external_id;  // "" = none required
};

struct Account {
  std::string id;
  std::string name;
  std::map<std::string, Role, std::less<>> roles;  // the roles AssumeRole* may assume
};

// A lifecycle event, as RDS records it.
struct EventRec {
  TimePoint time{};
  std::string account, region;
  std::string event_id;     // "RDS-EVENT-0091"
  std::string category;     // "creation", "deletion", "notification", "restoration"
  std::string source_type;  // DescribeEvents spelling: "db-snapshot", "db-cluster-snapshot",
                            // "db-instance", "db-cluster"
  std::string source_id;
  std::string source_arn;
  std::string message;
  std::string uuid;
};

// Orders snapshots by (owner account, id): the order of shared/public listings.
struct ByOwnerAndId {
  using is_transparent = void;
  bool operator()(const Snapshot* a, const Snapshot* b) const;
  bool operator()(const Snapshot* a, const std::pair<std::string_view, std::string_view>& b) const;
  bool operator()(const std::pair<std::string_view, std::string_view>& a, const Snapshot* b) const;
};

struct WorldFault {
  std::string kind;             // "fail_copies" | "fail_snapshots" | "fail_restores"
  std::string account, region;  // "" = any
  int remaining = 0;
};

struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  std::string type = "Sender";
};
using OpResult = std::expected<std::string, ApiError>;  // the Result element's inner XML
inline std::unexpected<ApiError> ApiFail(int status, std::string code, std::string message) {
  return std::unexpected<ApiError>(ApiError{status, std::move(code), std::move(message)});
}

// Decoded Query parameters with AWS's list flattening.
class Params {
 public:
  explicit Params(const std::vector<std::pair<std::string, std::string>>& p) : p_(p) {}
  const std::string* Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string_view def) const;
  // "Name.<any>.N" values ordered by N.
  std::vector<std::string> List(std::string_view name) const;
  // "Name.<any>.N.Key"/".Value" pairs ordered by N (Tags).
  std::vector<Tag> Tags(std::string_view name) const;
  // Filters: "Filters.<any>.N.Name" and "Filters.<any>.N.Values.<any>.M".
  std::vector<std::pair<std::string, std::vector<std::string>>> Filters() const;

 private:
  const std::vector<std::pair<std::string, std::string>>& p_;
};

class World {
 public:
  World();
  TimePoint now{};
  Settings settings;
  std::map<std::string, Account, std::less<>> accounts;
  std::map<std::string, AccessKey, std::less<>> access_keys;          // long-term and session keys
  std::map<std::string, std::unique_ptr<Scope>, std::less<>> scopes;  // "acct/region"
  std::vector<std::string> regions;  // declared regions (informational)
  std::deque<EventRec> events;
  std::vector<WorldFault> faults;
  uint64_t rng_state = 0x2545F4914F6CDD1DULL;

  // Events created since the last call (for the sink); only marks them taken
  // when want is false.
  std::vector<nlohmann::json> TakeNewEvents(bool want = true);

  // --- lookup / creation helpers (world.cc)
  Scope& GetScope(std::string_view account, std::string_view region);
  Scope* FindScope(std::string_view account, std::string_view region);
  Snapshot* FindSnap(Scope& s, bool cluster, std::string_view id);
  Snapshot* InsertSnap(Scope& s, std::unique_ptr<Snapshot> snap);
  void EraseSnap(Snapshot* snap);  // also removes it from every index
  void SetShares(Snapshot* snap, std::vector<std::string> accounts);
  const std::set<Snapshot*, ByOwnerAndId>* SharedWith(std::string_view region,
                                                      std::string_view account, bool cluster);
  const std::set<Snapshot*, ByOwnerAndId>* PublicIn(std::string_view region, bool cluster);
  std::string NextUuid();
  // Request ids come from their own sequence, which is not part of the saved
  // state: read-only calls leave the world (and its replay) unchanged.
  std::string NewRequestId();
  std::string RandomAlnum(size_t n, bool upper_only);
  uint64_t NextRandom();
  // The aws/rds key of a scope, created on first use.
  KmsKey& DefaultKey(Scope& s);
  // Resolves a key reference (id, key ARN, alias name, alias ARN) as seen by
  // `caller` in `region`; nullptr when missing or not usable by the caller.
  // The key `ref` names (id, ARN, alias, alias ARN) whether or not it is
  // enabled or usable by the caller; nullptr when it does not exist.
  const KmsKey* FindKey(std::string_view caller, std::string_view region, std::string_view ref);
  const KmsKey* ResolveKey(std::string_view caller, std::string_view region, std::string_view ref);
  const KmsKey* KeyByArn(std::string_view arn);
  bool KeyUsableBy(const KmsKey& key, std::string_view account) const;
  // The creator of snapshots made by this request (shared between them).
  std::shared_ptr<const Creator> CreatorOf(const SimRequest& req);
  std::shared_ptr<const Creator> InternCreator(Creator c);
  static std::shared_ptr<const Creator> WorldCreator();
  static std::shared_ptr<const Creator> AutomatedCreator();
  // db with another option group: the same DbInfo when the group matches,
  // else a copy (shared by every snapshot that asks for the same variant).
  std::shared_ptr<const DbInfo> WithOptionGroup(const std::shared_ptr<const DbInfo>& db,
                                                const std::string& option_group);
  void Record(Scope& s, std::string_view event_id, std::string_view category,
              std::string_view source_type, std::string_view source_id, std::string_view source_arn,
              std::string message);
  // Consumes one matching injected fault of this kind.
  bool TakeFault(std::string_view kind, std::string_view account, std::string_view region);

  // --- time (world_time.cc)
  void AdvanceTo(TimePoint t);
  void ScheduleBackup(Scope& s, Database& db);
  void ScheduleJobEnd(Snapshot* snap);
  void ScheduleExpiry(Snapshot* snap);
  void ScheduleDbReady(Scope& s, Database& db);
  // Recomputes the agenda from the state (after loading).
  void RebuildAgenda();
  // Starts an automated/manual snapshot of db now; returns it.
  // creator: who asked (null: RDS itself for automated ones).
  Snapshot* TakeSnapshot(Scope& s, Database& db, std::string id, bool automated,
                         std::shared_ptr<const Creator> creator = nullptr);
  Duration CreateDuration(int size_gb) const;
  Duration CopyDuration(int size_gb, bool cross_region, bool incremental) const;

  // --- operations (rds_*.cc, sts_ops.cc, kms_ops.cc)
  SimResponse HandleRds(const SimRequest& req);
  SimResponse HandleSts(const SimRequest& req);
  SimResponse HandleKms(const SimRequest& req);

 private:
  struct Task {
    enum Kind : uint8_t { kBackup, kJobEnd, kExpire, kDbReady } kind;
    bool cluster = false;
    std::string account, region, id;
    auto operator<=>(const Task&) const = default;
  };
  void RunTask(TimePoint at, const Task& task);
  void FinishJob(Snapshot* snap);

  // Ordered by time, then by task content: runs are deterministic whatever
  // the insertion order (a reloaded state replays exactly).
  std::set<std::pair<TimePoint, Task>> agenda_;
  // region -> account -> snapshots shared with it; [0] instance, [1] cluster.
  std::map<std::string, std::map<std::string, std::set<Snapshot*, ByOwnerAndId>, std::less<>>,
           std::less<>>
      shared_[2];
  std::map<std::string, std::set<Snapshot*, ByOwnerAndId>, std::less<>> public_[2];
  std::map<Creator, std::shared_ptr<const Creator>> creators_;
  std::map<std::pair<const DbInfo*, std::string>, std::weak_ptr<const DbInfo>> db_variants_;
  size_t first_new_event_ = 0;
  uint64_t request_seq_ = 0;  // index into events of the first event not yet taken
};

// --- naming helpers (world.cc)
std::string ToLower(std::string_view s);
std::string SnapshotArn(const Snapshot& s);
std::string SnapshotArn(std::string_view region, std::string_view account, bool cluster,
                        std::string_view id);
std::string DbArn(std::string_view region, std::string_view account, bool cluster,
                  std::string_view id);
struct ParsedArn {
  std::string service, region, account, resource_type, resource;  // "snapshot", "rds:db1-..."
};
// arn:aws:<service>:<region>:<account>:<type>:<resource> (or <type>/<resource>)
std::optional<ParsedArn> ParseArn(std::string_view arn);
// AWS identifier rules: 1..max_len, starts with a letter, letters/digits/
// hyphens, no "--", no trailing hyphen.
bool ValidIdentifier(std::string_view id, size_t max_len);
std::string InvalidIdentifierMessage(std::string_view param);
bool ValidAccountId(std::string_view s);
// "04:00-04:30" -> minutes of day of start and end; nullopt when malformed.
std::optional<std::pair<int, int>> ParseWindow(std::string_view w);
std::string AutomatedSnapshotId(std::string_view db_id, TimePoint t);

// Option groups: the major version an engine version belongs to ("16" for
// postgres 16.3, "8.0" for mysql 8.0.39), the default group's name
// ("default:postgres-16", "default:mysql-8-0"), and whether a group (default
// or the scope's own) exists and suits an engine version.
std::string MajorEngineVersion(std::string_view engine, std::string_view version);
std::string DefaultOptionGroupName(std::string_view engine, std::string_view version);
// The group named `name` in scope s (a default group of any known engine
// counts as existing); nullopt when there is none.
std::optional<OptionGroup> FindOptionGroup(const Scope& s, std::string_view name);
bool OptionGroupSuits(const OptionGroup& g, std::string_view engine, std::string_view version);

// A DbInfo for a new DB with engine defaults (version, port, license, ...).
std::shared_ptr<DbInfo> NewDbInfo(World& w, bool cluster, std::string id, std::string engine);

// The EventBridge shape of an event.
nlohmann::json EventJson(const EventRec& e);

}  // namespace drsnap::sim
