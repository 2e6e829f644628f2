// Restore drills (the pipeline's verify step, `drsnap verify`): prove that the DR
// copies restore. Per protected database x DR target region with a `verify:`
// block (config/policy.h VerifySettings), a drill restores the newest
// available vault copy to a throw-away instance (Aurora: cluster) in the DR
// account, waits for "available", records the result, and deletes it.
//
// Level-based like the reconcile: PlanDrills() is a pure function of what
// is observed in the target scopes (the vault copies with their tags, the
// drill databases that exist) and the time; ApplyDrills() makes the calls.
// Nothing is remembered between runs except in AWS:
//   - the drill database's deterministic name DrillName() and its tags say
//     which snapshot it restores, for which database and policy, and when
//     it started (drsnap:verify-started: the timeout is measured from it);
//   - the result goes into tags on the restored vault copy (owned by the DR
//     account and made by drsnap): drsnap:verified-at, drsnap:verify-result
//     (ok | failed), drsnap:verify-detail (one line).
// So a `drsnap verify` killed at any point resumes next time: an existing
// drill database is waited for, recorded and deleted instead of a new one
// being started.
//
// Safety: a database is deleted only when IsDrillDatabase() holds for it
// (named drsnap-verify-* AND tagged drsnap:managed=true AND drsnap:verify),
// both in the plan and again on a fresh DescribeDatabase right before the
// delete. A target scope observed incompletely gets no actions at all.
//
// Thread safety: pure functions except ApplyDrills (uses the Cloud, which is
// thread-safe; one caller at a time per plan).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/cloud.h"
#include "engine/lineage_index.h"
#include "engine/model.h"

namespace drsnap::engine::verify {

inline constexpr std::string_view kDrillPrefix = "drsnap-verify-";

// Tags on a drill database (with naming::kTagManaged, kTagDb, kTagPolicy,
// kTagSourceAccount).
inline constexpr char kTagVerify[] = "drsnap:verify";                 // the vault snapshot id
inline constexpr char kTagVerifyStarted[] = "drsnap:verify-started";  // ISO 8601, seconds
// Tags on the vault copy a drill restored (the result).
inline constexpr char kTagVerifiedAt[] = "drsnap:verified-at";      // ISO 8601, seconds
inline constexpr char kTagVerifyResult[] = "drsnap:verify-result";  // "ok" | "failed"
inline constexpr char kTagVerifyDetail[] = "drsnap:verify-detail";  // one line

// "drsnap-verify-<db token>-<yyyymmddhhmm>": at most 63 characters, a valid
// instance and cluster identifier. Two source databases with the same id
// drilled in one target region share the name and take turns.
std::string DrillName(std::string_view db_id, TimePoint recovery_point);

// The rule every drill delete relies on: the id starts with kDrillPrefix AND
// the tags say drsnap:managed=true AND carry a non-empty drsnap:verify.
bool IsDrillDatabase(const Database& db);

// A recorded drill result (from the tags of a vault copy).
struct Verification {
  TimePoint at{};
  bool ok = false;
  std::string snapshot_id;  // the vault copy that was restored
  std::string detail;       // e.g. "restored in 12m", "status incompatible-restore"
};

// The newest recorded drill result of one database in one target scope: the
// vault copies drsnap made there for it under `policy` (by lineage and the
// drsnap:db / drsnap:policy tags) whose tags hold a result; nullopt when none
// does ("never"). A result disappears when retention deletes the copy it is
// on.
std::optional<Verification> LastVerification(const LineageIndex& index, const Scope& target,
                                             const std::string& source_account_id, DbKind kind,
                                             const std::string& db_id, const std::string& policy);
// Same, building the index (O(snapshots) per call: prefer the overload above
// for many databases).
std::optional<Verification> LastVerification(const Inventory& inventory, const Scope& target,
                                             const std::string& source_account_id, DbKind kind,
                                             const std::string& db_id, const std::string& policy);

// Sanitises text for an RDS tag value (letters, digits, spaces and _.:/=+-@,
// at most 256 characters): other characters become spaces.
std::string TagValue(std::string_view text);

// ------------------------------------------------------------------ planning

struct DrillOptions {
  TimePoint now{};
  // When this `drsnap verify` started: a result recorded at or after it is
  // this run's, and no second drill is started for that database.
  TimePoint run_started{};
  bool force = false;           // start drills even when not due by `every`
  std::string db_id;            // "" every database; else only this one
  std::optional<Scope> target;  // nullopt every target scope with verify
};

// The target scopes (DR account x region with a `verify:` block) the options
// select, sorted and unique: what to observe before PlanDrills.
std::vector<Scope> DrillScopes(const config::Config& config, const DrillOptions& options);

enum class DrillPhase {
  kNotDue,      // the last result is newer than `every`
  kNoCopy,      // due, but no available vault copy exists to restore
  kStarting,    // a restore is planned now
  kRunning,     // the drill database exists and is not available yet
  kPassed,      // it became available: record ok + delete planned (or recorded this run)
  kFailed,      // it failed or timed out: record failed + delete planned (or recorded this run)
  kIncomplete,  // the target scope could not be listed: nothing is done
};
const char* DrillPhaseName(DrillPhase p);  // "not-due", "no-copy", "starting", ...

// One database x target region.
struct DrillState {
  std::string policy;
  DbKind kind = DbKind::kInstance;
  std::string db_id;
  std::string source_account_id;
  Scope target;
  DrillPhase phase = DrillPhase::kNotDue;
  std::string drill_id;              // the drill database (starting/running/passed/failed)
  std::string snapshot_id;           // the vault copy it restores
  std::string db_status;             // the drill database's status as AWS says it
  std::string message;               // one sentence for humans
  std::optional<Verification> last;  // the newest recorded result, if any
  // True while the drill database is on its way (starting, running).
  bool InProgress() const;
};

enum class DrillActionKind { kRestore, kRecord, kDelete };
const char* DrillActionKindName(DrillActionKind k);  // "restore" | "record" | "delete"

struct DrillAction {
  DrillActionKind kind = DrillActionKind::kRestore;
  Scope scope;  // the target scope (DR account x region)
  std::string policy;
  DbKind db_kind = DbKind::kInstance;
  std::string db_id;             // the protected database
  std::string drill_id;          // the drill database (all kinds)
  RestoreRequest restore;        // kRestore
  std::string snapshot_id;       // kRestore / kRecord: the vault copy
  std::string snapshot_arn;      // kRecord: where the result tags go
  bool ok = false;               // kRecord
  std::string detail;            // kRecord
  Tags tags;                     // kRecord: the result tags
  std::string reason;            // one sentence: why
  std::string Describe() const;  // "restore 222/eu-west-1 drsnap-verify-... <- snap"
};

struct DrillPlan {
  std::vector<DrillAction> actions;  // per drill: record before delete
  std::vector<DrillState> drills;    // sorted by (policy, db id, kind, target)
  bool InProgress() const;           // any drill InProgress()
};

// REQUIRES: config was validated; inventory holds the DrillScopes().
DrillPlan PlanDrills(const Inventory& inventory, const config::Config& config,
                     const DrillOptions& options);

// ------------------------------------------------------------------ applying

struct DrillActionResult {
  DrillAction action;
  bool ok = false;      // the call succeeded (or its effect was already there)
  std::string message;  // outcome in one sentence (the error when !ok)
};

// Runs the actions in order. A delete first re-reads the database
// (DescribeDatabase) and refuses unless IsDrillDatabase() still holds; a
// delete refused because the database is still being created is reported
// (not ok) and retried next run. A restore that meets "...AlreadyExists"
// counts as done when the existing database is a drill database (the drill
// is already running) and fails otherwise (someone else's database has the
// name; it is left alone).
std::vector<DrillActionResult> ApplyDrills(Cloud& cloud, const DrillPlan& plan);

// ------------------------------------------------------------------ running

struct DrillRunOptions {
  DrillOptions drill;  // now and run_started are set by RunDrills from the clock
  // Wait for the drills to finish (poll every `interval`); false: one round
  // (start, record and clean up what can be now) and return.
  bool wait = true;
  Duration interval = std::chrono::seconds(30);
  const std::atomic<bool>* stop = nullptr;  // set: finish the round in flight and return
  int max_rounds = 100000;                  // a bound on polling, whatever happens
  // Called after each round with its plan and results (progress display).
  std::function<void(const DrillPlan&, const std::vector<DrillActionResult>&)> on_round;
};

struct DrillRun {
  DrillPlan last;                          // the last round's plan (one state per drill)
  std::vector<DrillActionResult> results;  // every round's results, in order
  int rounds = 0;
  bool interrupted = false;  // stopped by options.stop
};

// observe (the DrillScopes) -> PlanDrills -> ApplyDrills, repeated while a
// drill is starting or running (sleeping `interval` on `clock` between
// rounds) or while the last round made progress (one more look confirms it).
// Stops when nothing is in progress and a round changed nothing (e.g. a
// delete AWS refuses for now: the next run retries it).
DrillRun RunDrills(Cloud& cloud, const config::Config& config, Clock& clock,
                   const DrillRunOptions& options);

}  // namespace drsnap::engine::verify
