// Decoding the events a drsnap Lambda function receives into reconcile
// triggers. An event only says "look now": the reconcile observes afresh, so
// a trigger narrows the work (fast path) but never replaces observation.
//
// Understood shapes:
//   - EventBridge RDS events: "RDS DB Snapshot Event", "RDS DB Cluster Snapshot
//     Event", "RDS DB Instance Event", "RDS DB Cluster Event" (source aws.rds);
//   - the SNS-wrapped RDS event subscription message (Records[].Sns.Message, a
//     JSON string with "Event Source", "Source ID", "Event ID", ...);
//   - EventBridge scheduled events (source aws.events): a full reconcile;
//   - drsnap's own events forwarded from the production account
//     (source "drsnap", detail-type "drsnap Snapshot Shared");
//   - the watch's one-time wake-up (source "drsnap", detail-type "drsnap
//     Watch Wake-up", WatchWakeUpPayload below), which EventBridge Scheduler
//     delivers to the function that scheduled it: a full reconcile (a copy
//     that ended frees a copy slot, and its next hop may be of any database);
//   - a direct invocation {"drsnap": "reconcile"} (manual test from the console);
//   - the restore-drill schedule's constant input {"drsnap": "verify"} (the
//     VerifyScheduleRule of deploy/vault.yaml, or a manual invocation): one
//     step of every due restore drill (engine/verify.h), no reconcile.
//     Any other value of "drsnap" is ignored with a reason.
// Anything else is ignored with a reason; malformed input never throws.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace drsnap::lambda {

enum class TriggerKind {
  kFullReconcile,  // every policy, every scope
  kDatabase,       // one database (account, region, db id or db token) — the fast path
  kScope,          // one account-region, database unknown (a snapshot we cannot attribute)
  kVerify,         // advance the restore drills one step (vault side)
  kIgnore,         // nothing to do; reason says why
};

const char* TriggerKindName(TriggerKind k);

struct Trigger {
  TriggerKind kind = TriggerKind::kIgnore;
  std::string reason;       // one line for the log: what the event was and why this trigger
  std::string account_id;   // kDatabase, kScope
  std::string region;       // kDatabase, kScope
  std::string db_id;        // kDatabase; "" when only db_token is known
  bool cluster = false;     // kDatabase: an Aurora cluster rather than an instance
  std::string snapshot_id;  // when the event named a snapshot
  std::string event_id;     // "RDS-EVENT-0091", "drsnap-shared", "scheduled", "verify",
                            // "watch-wake-up"
  // kDatabase from a snapshot drsnap made (capture, raw, hop or vault): the
  // database token its name carries (engine/naming.h DbToken). db_id is set
  // too when the token alone tells the id (DbIdFromToken); otherwise
  // ChooseRun (lambda/handler.h) resolves it against the policy file.
  std::string db_token;
  // A snapshot copy into account_id/region finished or was cancelled
  // (kCopyFinished, kCopyFailed below): a slot of the copies-in-flight quota
  // of that scope is free again, so copies deferred for the quota (of any
  // database) can start now.
  bool frees_copy_slot = false;
};

// What an RDS event drsnap acts on means to it.
enum class RdsEventMeaning {
  kSnapshotCreated,  // a manual or automated snapshot is available
  kCopyFinished,     // a snapshot copy is available (same region or cross region)
  kCopyFailed,       // a snapshot copy was cancelled (failed, or its target deleted)
  kSnapshotDeleted,  // a snapshot is gone
  kDatabaseChanged,  // an instance or cluster was created or deleted
};

struct RdsEventInfo {
  const char* id;  // "RDS-EVENT-0091"
  bool cluster;    // an Aurora cluster or cluster snapshot event
  RdsEventMeaning meaning;
};

// Every RDS event id drsnap acts on, from AWS's RDS event catalogue (DB
// snapshot, DB cluster snapshot, DB instance and DB cluster events). Any
// other id is ignored with a reason. deploy/source.yaml and deploy/vault.yaml
// route exactly these (deploy/check_templates.py reads this table from
// lambda/events.cc). The catalogue has no copy-finished, copy-cancelled or
// shared event for DB cluster snapshots, and no shared event for DB
// snapshots: those transitions are watched (lambda/handler.h) or announced
// by drsnap itself ("drsnap Snapshot Shared").
const std::vector<RdsEventInfo>& HandledRdsEvents();

// One event payload (the Lambda invocation body) -> triggers (SNS batches
// may hold several records). Never empty: at worst one kIgnore.
std::vector<Trigger> DecodeEvent(std::string_view payload);

// The database an automated snapshot was taken of: "rds:db1-2026-11-23-04-10"
// -> "db1". Empty when the name is not an automated snapshot name.
std::string DbFromAutomatedSnapshotId(std::string_view snapshot_id);

// The database id a drsnap name's database token stands for, when the token
// alone tells: "" when it may stand for more than one id. RDS identifiers
// are lower case, at most 63 characters of [a-z0-9-] starting with a letter;
// DbToken keeps such an id unchanged when it is short enough, and replaces a
// longer one by a prefix + "-" + 8 hex digits of a hash, which has a fixed
// length. So a token not of that hashed shape is exactly the id; one of that
// shape is either a short id that happens to look hashed or a longer id.
std::string DbIdFromToken(std::string_view token);

// The event drsnap's source side emits when it has shared a snapshot, as the
// JSON "Detail" of an EventBridge PutEvents entry (DetailType "drsnap Snapshot
// Shared", Source "drsnap"); DecodeEvent understands it once forwarded.
std::string SnapshotSharedDetail(std::string_view snapshot_arn, std::string_view db_id,
                                 bool cluster, std::string_view source_account,
                                 std::string_view source_region);

// The detail-type of the watch's wake-up (source "drsnap").
inline constexpr char kWatchWakeUpDetailType[] = "drsnap Watch Wake-up";

// One PercentProgress reading of a copy, on the reconciler's clock.
struct ProgressSample {
  TimePoint at{};
  int percent = 0;
};
// Readings by copy: "<account>/<region> <snapshot id>" -> in time order.
using CopyProgress = std::map<std::string, std::vector<ProgressSample>>;

// The payload of the watch's one-time wake-up: an EventBridge-shaped event
// {"source": "drsnap", "detail-type": "drsnap Watch Wake-up", "detail":
// {"Side": side, "WakeAt": wake_at (ISO 8601), "Why": why, "Copies": [
// {"Copy": "<account>/<region> <snapshot id>", "Progress": [{"At": ISO
// 8601, "Percent": n}, ...]}, ...]}}. DecodeEvent needs only the source and
// detail-type (the woken invocation observes afresh); the progress readings
// carry the waking invocation's view to the woken one, whose estimate of a
// copy's end then spans both (WatchWakeUpProgress).
std::string WatchWakeUpPayload(std::string_view side, std::string_view wake_at,
                               std::string_view why, const CopyProgress& copies);

// The progress readings a wake-up payload carries; empty for any other
// payload. Entries that are malformed (no copy, a time that does not
// parse, a percent outside 0-100) are skipped: the payload is the
// invoker's, and a reading only moves when the function is woken next,
// within the clamps of lambda/handler.h.
CopyProgress WatchWakeUpProgress(std::string_view payload);

}  // namespace drsnap::lambda
