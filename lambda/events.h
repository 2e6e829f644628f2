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
//   - a direct invocation {"drsnap": "reconcile"} (manual test from the console).
// Anything else is ignored with a reason; malformed input never throws.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drsnap::lambda {

enum class TriggerKind {
  kFullReconcile,  // every policy, every scope
  kDatabase,       // one database (account, region, db id) — the fast path
  kScope,          // one account-region, database unknown (e.g. a manual snapshot we can't attribute)
  kIgnore,         // nothing to do; reason says why
};

const char* TriggerKindName(TriggerKind k);

struct Trigger {
  TriggerKind kind = TriggerKind::kIgnore;
  std::string reason;       // one line for the log: what the event was and why this trigger
  std::string account_id;   // kDatabase, kScope
  std::string region;       // kDatabase, kScope
  std::string db_id;        // kDatabase
  bool cluster = false;     // kDatabase: an Aurora cluster rather than an instance
  std::string snapshot_id;  // when the event named a snapshot
  std::string event_id;     // "RDS-EVENT-0091", "drsnap-shared", "scheduled"
};

// One event payload (the Lambda invocation body) -> triggers (SNS batches
// may hold several records). Never empty: at worst one kIgnore.
std::vector<Trigger> DecodeEvent(std::string_view payload);

// The database an automated snapshot was taken of: "rds:db1-2026-11-23-04-10"
// -> "db1". Empty when the name is not an automated snapshot name.
std::string DbFromAutomatedSnapshotId(std::string_view snapshot_id);

// The event drsnap's source side emits when it has shared a snapshot, as the
// JSON "Detail" of an EventBridge PutEvents entry (DetailType "drsnap Snapshot
// Shared", Source "drsnap"); DecodeEvent understands it once forwarded.
std::string SnapshotSharedDetail(std::string_view snapshot_arn, std::string_view db_id, bool cluster,
                                 std::string_view source_account, std::string_view source_region);

}  // namespace drsnap::lambda
