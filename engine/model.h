// The domain model the engine reasons about: what exists in AWS (observed),
// and what drsnap intends to do (actions). Plain data, no I/O: the planner is
// a pure function of these types (see planner.h).
//
// Thread safety: plain values.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/shared_string.h"
#include "engine/tags.h"

namespace drsnap::engine {

// Instances and Aurora clusters are both first-class; most of the pipeline is
// the same, only the API calls and a few AWS rules differ.
enum class DbKind { kInstance, kCluster };
const char* DbKindName(DbKind k);  // "instance" | "cluster"

// One account in one region: the unit of observation, credentials and API rate.
struct Scope {
  std::string account_id;
  std::string region;
  auto operator<=>(const Scope&) const = default;
  std::string ToString() const;  // "111111111111/us-east-1"
};

// The account field of an ARN (arn:<partition>:rds:<region>:<account>:...);
// empty when `arn` is not one (core/arn.h).
std::string_view ArnAccount(std::string_view arn);

// The ARN of a DB snapshot (kInstance) or DB cluster snapshot (kCluster)
// `id` owned by `scope`, and of a DB instance / cluster, in the partition of
// `scope`'s region.
std::string SnapshotArn(const Scope& scope, DbKind kind, std::string_view id);
std::string DatabaseArn(const Scope& scope, DbKind kind, std::string_view id);

struct Database {
  DbKind kind = DbKind::kInstance;
  std::string id;  // DBInstanceIdentifier / DBClusterIdentifier
  std::string arn;
  Scope scope;
  std::string engine;
  std::string status;      // "available", "deleting", ...
  bool encrypted = false;
  std::string kms_key_id;  // key ARN when encrypted
  int backup_retention_days = 0;
  std::string option_group;  // non-default option group name, "" otherwise
  int64_t allocated_gb = 0;
  Tags tags;
};

// SnapshotType as the observer saw it from its scope.
enum class SnapshotType { kAutomated, kManual, kShared };
const char* SnapshotTypeName(SnapshotType t);

enum class SnapshotStatus : uint8_t { kCreating, kCopying, kAvailable, kDeleting, kFailed, kOther };
SnapshotStatus ParseSnapshotStatus(const std::string& s);
const char* SnapshotStatusName(SnapshotStatus s);
// AWS is still making it (creating, copying): not restorable yet, and what it
// is made from must stay. The one in-flight rule of the planner, the delete
// guard, the status report and the executor's copy quota.
constexpr bool IsInFlight(SnapshotStatus s) {
  return s == SnapshotStatus::kCreating || s == SnapshotStatus::kCopying;
}

struct Snapshot {
  DbKind kind = DbKind::kInstance;
  // Identifier in its own account-region (shared: the id in the owner's
  // scope). SharedString: a plan's delete names the snapshot with a copy of
  // this, which costs no allocation (a plan may hold 800,000 deletes).
  SharedString id;
  std::string arn;  // full ARN; the owner account is in it
  Scope scope;      // where it lives (owner account + region)
  Scope seen_from;  // the scope that observed it (differs from scope for shared snapshots)
  std::string db_id;  // DBInstanceIdentifier / DBClusterIdentifier it was taken of
  SnapshotType type = SnapshotType::kManual;
  SnapshotStatus status = SnapshotStatus::kOther;
  std::string status_text;  // as AWS says it
  int percent_progress = 0;
  TimePoint create_time{};    // SnapshotCreateTime (for copies: when the copy was made)
  TimePoint recovery_point{};  // the point in time it restores to (OriginalSnapshotCreateTime)
  bool encrypted = false;
  std::string kms_key_id;  // key ARN
  std::string source_arn;    // SourceDBSnapshotIdentifier of a copy ("" otherwise)
  std::string source_region;
  std::string engine;
  int64_t allocated_gb = 0;
  Tags tags;  // empty for shared snapshots (tags do not cross accounts)
  // Accounts this snapshot is shared with (restore attribute). Filled by the
  // observer only for snapshots where the planner needs it (drsnap's own
  // captured snapshots); nullopt means "not looked up".
  std::optional<std::vector<std::string>> shared_with;
};

// `s.arn`, or the ARN its scope, kind and id make when the listing gave none.
std::string SnapshotArn(const Snapshot& s);

// A copy AWS has not finished, in any of the states it reports one in
// (copying; creating within a region; pending while queued behind another
// copy of the same database): it holds a slot of the destination's copy
// quota. A copy is told from a new snapshot by its source (AWS's
// SourceDBSnapshotIdentifier) or by its drsnap name (hop and vault copies).
bool IsCopyInFlight(const Snapshot& s);

// drsnap's ledger of what AWS refused in a scope (engine/ledger.h).
struct Refusal {
  // RefusalKey() of the refused action, as its tag key names it (one too
  // long for a tag key ends in a hash of the whole).
  std::string action;
  int count = 1;  // refusals in a row
  TimePoint first{}, last{};
  std::string code;     // AWS's error code
  std::string message;  // AWS's message (redacted, cut to fit a tag)
};

struct Ledger {
  std::vector<Refusal> refusals;  // sorted by action
  std::optional<TimePoint> one_step_copy_refused;
  // The refusal of the action with RefusalKey `action`, or null.
  const Refusal* Find(std::string_view action) const;  // engine/ledger.cc
};

// What was seen in one scope. When complete is false, listing failed part-way
// and the contents are a lower bound: the planner makes no deletes that
// depend on this scope.
struct ScopeInventory {
  Scope scope;
  bool complete = true;
  std::string error;  // why it is incomplete
  std::vector<Database> databases;
  std::vector<Snapshot> snapshots;  // owned (automated + manual) and shared-with-me
  std::string default_rds_key_arn;  // the key behind alias/aws/rds here, "" if unknown
  // The manual snapshot quotas of the account here (AWS's
  // DescribeAccountAttributes), [0] instances, [1] clusters; unset when not
  // known (a cloud that cannot tell, or the call failed: not an error).
  struct SnapshotQuota {
    long long used = 0;
    long long max = 0;
  };
  std::optional<SnapshotQuota> snapshot_quota[2];
  // drsnap's ledger here (engine/ledger.h): empty when there is none, or
  // when reading it failed (ledger_error says why; not an incomplete
  // observation: the ledger only spares refused calls).
  Ledger ledger;
  std::string ledger_error;
};

// Facts learned from AWS's answers that observation cannot show, kept by the
// caller between runs of a service (never required for correctness).
struct LearnedFacts {
  // Destination scopes where a one-step cross-region copy of a shared
  // encrypted snapshot was refused: vault via a same-region hop there.
  std::vector<Scope> one_step_copy_refused;
};

// The manual snapshot quotas of one account-region.
struct SnapshotQuotas {
  long long instance_used = 0, instance_max = 0;  // "ManualSnapshots"
  long long cluster_used = 0, cluster_max = 0;    // "ManualClusterSnapshots"
};

// Whether an account may use a KMS key (another account's: its key policy
// decides), as AWS answered the account's own DescribeKey.
struct KeyUse {
  bool usable = true;
  std::string code;     // AWS's error code, or "KeyDisabled" / "KeyPendingDeletion"
  std::string message;  // AWS's message, redacted
};

struct KeyAccess {
  std::string account_id;  // who asked
  std::string key_arn;     // which key (as the snapshot or database names it)
  KeyUse use;
};

struct Inventory {
  TimePoint observed_at{};
  std::vector<ScopeInventory> scopes;
  LearnedFacts facts;
  // The keys the DR accounts were checked against (engine/preflight.h):
  // one entry per (account, key); an account-key pair not listed is unknown.
  std::vector<KeyAccess> key_access;
  // The refusal for (account, key), when the check said it cannot use it.
  const KeyAccess* KeyRefused(std::string_view account_id, std::string_view key_arn) const;
  // Scopes whose listing failed (part-way or wholly).
  int IncompleteScopes() const;
  const ScopeInventory* Find(const Scope& s) const;
};

enum class ActionKind { kCreateSnapshot, kCopySnapshot, kShareSnapshot, kDeleteSnapshot };
const char* ActionKindName(ActionKind k);

// The pipeline stage an action belongs to (capture, share, vault, expire:
// README.md).
enum class Stage { kCapture, kShare, kVault, kExpire };
const char* StageName(Stage s);

// One idempotent AWS call the executor makes. Target identifiers are
// deterministic, so a retry meets "...AlreadyExists" and counts it as done.
struct Action {
  ActionKind kind = ActionKind::kCreateSnapshot;
  Stage stage = Stage::kCapture;
  DbKind db_kind = DbKind::kInstance;
  bool copy_tags = false;    // copy: CopyTags
  Scope scope;               // where the call is made
  // SharedString: every action of a policy (and of a database) can share
  // one copy of the name.
  SharedString policy;       // the policy that wants it
  SharedString db_id;        // the protected database
  SharedString snapshot_id;  // create/copy: the new snapshot's id; share/delete: the snapshot
  // Copy parameters, empty for other actions. SharedString (8 bytes, no
  // allocation when empty): a plan may hold close to a million deletes.
  SharedString source_arn;    // copy: source snapshot ARN (or id when same scope)
  SharedString source_region; // copy: source region when cross-region
  SharedString kms_key_id;    // copy: key to (re-)encrypt with, "" keeps the source's
  SharedString option_group;  // copy: option group in the destination, "" none
  Tags tags;                 // tags to set on what is created
  std::vector<std::string> share_with;  // share: accounts to add
  // copy: the snapshot (in the copy's source scope) that a share earlier in
  // the same plan shares with this copy's account, and that the copy reads;
  // "" none. The copy is issued only once that share succeeded in the same
  // apply (executor.h).
  SharedString after_share;
  SharedString reason;       // one human sentence: why this action (shared: a
                             // plan may give many actions the same one)
  std::string Describe() const;  // "copy 111/us-east-1 drsnap-db1-... -> 222/eu-west-1 ..."
};

// Something the planner wants a human (or the status report) to know:
// waiting on AWS, at risk, blocked, or a safety rule that held an action back.
struct Finding {
  enum class Severity { kInfo, kWarning, kError };
  Severity severity = Severity::kInfo;
  std::string policy;
  std::string db_id;
  Scope scope;
  std::string message;
};

struct Plan {
  std::vector<Action> actions;
  std::vector<Finding> findings;
  // Creates and copies the planner would have made but held back because
  // their scope's manual snapshot quota had no room left for them (its
  // room went to the work before them in plan order; a finding says so).
  // Not actions: never applied. Lets a run narrowed to one database see
  // that the room went to another's (Reconciler::PlanFor).
  std::vector<Action> held_back;
};

}  // namespace drsnap::engine
