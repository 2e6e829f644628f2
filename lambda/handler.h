// The drsnap Lambda function's invocation handler: decode the event into
// triggers, run one reconcile (narrowed to the database the event names, or
// full), announce what was shared, and answer with a JSON summary.
//
//   triggers -> run:  nothing relevant             -> no run ("ignored")
//                     kDatabase for one database   -> RunOnce(only_db = that id)
//                     anything else that matters    -> one full RunOnce
//                     (schedule, kScope, several databases in one SNS batch)
//   A kDatabase trigger whose account-region is no scope of the policy file
//   is ignored (the event is about something drsnap does not protect).
//   A trigger that frees a copy slot (a copy finished or was cancelled,
//   Trigger::frees_copy_slot) runs full: the copies the executor deferred
//   for that scope's copies-in-flight quota may be of any database, and
//   nothing else would wake them before the schedule.
//   A run narrowed to one database runs every database instead when that
//   database's capture or copy waits for a manual snapshot quota whose room
//   the plan gives to other, more urgent databases' work (summary: "run":
//   "full", "widened": why; Reconciler::PlanFor): the room is used now, in
//   the schedule's order, not at the next full run.
//   A kDatabase trigger from a snapshot drsnap made (a capture, or a hop or
//   vault copy that finished) names the database by its token; when the
//   token alone does not tell the id (DbIdFromToken, lambda/events.h), the
//   ids the policy file names literally decide: exactly one with that token
//   -> that database; none or several -> a full reconcile. (A database the
//   policy selects by glob or tag whose id is, character for character, the
//   hashed token of a literally named one is not considered: such a name
//   would have to be chosen on purpose, and its actions would only wait for
//   the next run.)
//
// Deadline: the reconcile starts no new action within deadline_margin of the
// invocation's deadline; deferred actions are listed under "left" in the
// summary and the next invocation (event or schedule) does them, since every
// run observes afresh.
//
// Failures are loud: failed actions or scopes that could not be observed
// make the invocation a function error ("drsnap.ActionsFailed",
// "drsnap.ObserveIncomplete"), so Lambda's Errors metric and its alarm see it.
//
// Restore drills (kVerify, the {"drsnap": "verify"} input of deploy/vault.yaml's
// VerifyScheduleRule): no reconcile; one step of every restore drill the
// policy's `verify:` blocks ask for (engine/verify.h), the Lambda way — no
// waiting inside an invocation. The handler observes the DrillScopes once,
// plans with PlanDrills (now = the reconciler's clock) and applies once:
// due drills are started, finished ones are recorded on their vault copy
// ("ok" or "failed") and their instances deleted, running ones are left for
// the next scheduled invocation (level-based: AWS holds all drill state).
// No restore is started within deadline_margin of the deadline (listed
// under "left"). The summary's "drills" lists every drill state (db, kind,
// target, phase, result, message, drill, snapshot, last result). Only the
// vault and all sides drill; the source side logs and ignores the trigger
// (it has no credentials in the DR account).
// A drill that FAILED in this invocation (the restore failed or timed out;
// the result is recorded on the vault copy) makes the invocation a function
// error "drsnap.DrillFailed": a DR copy that does not restore must page
// someone. A drill step that failed (a restore, tag or delete call) is
// "drsnap.DrillStepFailed" (retried next invocation), a target scope that
// could not be listed "drsnap.ObserveIncomplete". "no-copy" (no available
// vault copy yet) and an older failed result are reported, not errors: the
// failure paged when it was recorded, and RPO alarms cover missing copies.
//
// The watch (hops AWS announces no end of): after the run, the copies of
// this side's stages that are DB cluster snapshot copies still in flight
// (the RDS event catalogue has no copy-finished or cancelled event for DB
// cluster snapshots) are polled with DescribeDBClusterSnapshots, first after
// watch_first_poll, then at doubling intervals up to watch_max_poll, or at
// the earliest expected end of a copy when that is sooner (EstimateCopyEnd;
// short again after it), while a poll still ends deadline_margin before
// the deadline. When one ends
// (available, failed or gone) the handler runs one more full reconcile, as
// a copy-finished event would have asked for (the next hop, and copies
// deferred for the quota), and watches what that run leaves in flight.
// Copies still in flight at the deadline are listed under "watch"
// ("still_copying"). The summary covers every run.
//
// The wake-up (HandlerOptions::wake_at; EventBridge Scheduler in
// production): before an invocation ends with watched copies still in
// flight, it asks for ONE one-time invocation of its own function (the
// WatchWakeUpPayload of lambda/events.h, a full reconcile) at the earliest
// expected end of those copies, less watch_first_poll (the woken invocation
// observes, then polls first after watch_first_poll: it polls at the
// estimate). A copy's end is estimated from the PercentProgress samples the
// invocation saw of it, and those the wake-up that started it carried from
// the invocation before (EstimateCopyEnd; the payload carries each copy's
// two samples the estimate rests on); a copy with no estimate counts as
// ending after wake_default_delay, or after as long as it was seen not
// moving when that is longer (a queued copy: the delay doubles from
// wake-up to wake-up). The time is clamped to [now +
// wake_min_delay, now + wake_max_delay (the schedule's period)]: the
// schedule stays the backstop. The request's name is deterministic
// (WakeUpScheduleName: side and minute), so a retried invocation asks for
// the same schedule and Scheduler keeps one. When every watched copy has a
// settled estimate (CopyEndEstimate::settled) and the earliest is beyond
// the last poll the deadline allows, the invocation stops polling and hands
// off to the wake-up at once instead of spending its time waiting. A failed
// request is logged as an error and reported ("watch"."wake_up"."error"),
// never a function error: the schedule finds the copy within its period.
// The summary's "watch"."wake_up" says when, why and under which name;
// "handed_off" whether polling stopped early for it.
//
// Metrics: an invocation that reconciles writes, after its runs, the
// metrics of the invocation as CloudWatch Embedded Metric Format lines
// (metrics/emf.h; HandlerOptions::write_metrics), dimension Side: database x
// target pairs by state (engine::ComputeStatus of the last run's
// observation, every database, also when the event named one), the last
// plan's findings by severity (narrowed to the event's database like the
// plan), the invocation's failed actions (in all, and by stage and AWS error
// code), incomplete scopes, and ReconcileSuccess (1 when no action of any
// run failed, and the last run observed every scope and has no error
// finding). Ignored and restore drill invocations write none (a failed
// drill is a function error). deploy/*.yaml alarm on PairsBreached and
// ActionFailures.
//
// Announcements: after each successful share (source side), one
// "drsnap Snapshot Shared" event (lambda/events.h) per snapshot and DR
// account set is handed to `emit` (EventBridge PutEvents in production). A
// failed emit is logged and counted, never fatal: the vault's schedule is the
// backstop.
//
// Thread safety: Handle() may be called from one thread at a time (Lambda
// sends one invocation at a time to a runtime process).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/events.h"
#include "core/clock.h"
#include "core/error.h"
#include "engine/reconcile.h"
#include "engine/side.h"
#include "lambda/events.h"
#include "lambda/runtime.h"

namespace drsnap::lambda {

// Which half of the pipeline this function is deployed as (DRSNAP_SIDE,
// engine/side.h): what it observes, which actions it takes, and whether it
// announces shares (source, all). The report field "side" says which.
using engine::ParseSide;
using engine::Side;
using engine::SideName;

using EventEmitter = std::function<Status(const std::vector<aws::EventEntry>& entries)>;

// One one-time wake-up of the function, as the handler asks for it.
struct WakeUpRequest {
  TimePoint at{};       // on the reconciler's clock (the wall clock in production)
  std::string name;     // WakeUpScheduleName(side, at): the same for a retried invocation
  std::string payload;  // WatchWakeUpPayload (lambda/events.h): the woken invocation's event
  std::string why;      // one line: which copies, expected to end when
  // The function to wake: the invocation's own (Lambda-Runtime-Invoked-
  // Function-Arn); "" when the Runtime API did not say.
  std::string function_arn;
};
// Schedules the wake-up. Must be idempotent by name: a second request of the
// same name is success and schedules nothing more. An error is reported,
// never fatal. Called on the invocation's thread, at most once per
// invocation.
using WakeScheduler = std::function<Status(const WakeUpRequest& request)>;

// "drsnap-wake-<side>-<yyyymmddThhmm>" of `at` (UTC): a valid EventBridge
// Scheduler name ([0-9a-zA-Z-_.], at most 64), one per side and minute.
std::string WakeUpScheduleName(Side side, TimePoint at);

// A copy's expected end from its progress samples.
struct CopyEndEstimate {
  TimePoint end{};
  // The samples span at least kSettledProgressPoints: the whole-percent
  // rounding of PercentProgress moves the estimate by about a tenth of the
  // time left. Only a settled estimate stops a watch early.
  bool settled = false;
};
inline constexpr int kSettledProgressPoints = 10;

// rate = Δpercent / Δtime between the anchor (the last sample that still
// shows the first sample's percent: a queued copy sits at its first value)
// and the last sample; end = last + (100 - (last percent + 0.5)) / rate
// (PercentProgress is rounded down). nullopt when there is no rate: fewer
// than two samples, or no progress between anchor and last. REQUIRES:
// samples in time order.
std::optional<CopyEndEstimate> EstimateCopyEnd(const std::vector<ProgressSample>& samples);

struct HandlerOptions {
  Side side = Side::kAll;
  int concurrency = 8;
  // Start nothing new this close to the invocation's deadline.
  Duration deadline_margin = std::chrono::seconds(10);
  EventEmitter emit;  // null: announce nothing
  // The clock Lambda's deadline is on (epoch wall time). The reconcile runs
  // on the Reconciler's own clock; the remaining time is carried over.
  std::shared_ptr<Clock> wall_clock;  // null: the system clock
  // The watch of copies AWS announces no end of (DB cluster snapshot
  // copies): polled on the reconciler's clock, first after watch_first_poll,
  // then at doubling intervals up to watch_max_poll, while the deadline
  // leaves room. Zero: no watch (the next event or the schedule finds them).
  Duration watch_first_poll = std::chrono::seconds(15);
  Duration watch_max_poll = std::chrono::minutes(2);
  // The one-time wake-up at the watched copies' expected end ("The
  // wake-up" above). Null: none (the next event or the schedule finds what
  // ended after the invocation). Only with the watch on.
  WakeScheduler wake_at;
  Duration wake_default_delay = std::chrono::minutes(2);  // a copy with no estimate
  Duration wake_min_delay = std::chrono::minutes(1);
  Duration wake_max_delay = std::chrono::hours(1);  // the schedule's period: its backstop
  // Where an invocation that reconciles writes its CloudWatch Embedded
  // Metric Format lines (metrics/emf.h), one call per line, without the
  // newline. Null: stdout, one line each, flushed (Lambda sends stdout to
  // CloudWatch Logs, which extracts the metrics; no API call).
  std::function<void(const std::string& line)> write_metrics;
};

// What the triggers of one invocation ask for.
struct RunRequest {
  bool run = false;                  // a reconcile is asked for
  bool verify = false;               // a restore drill step is asked for (kVerify)
  std::string only_db;               // "": full reconcile
  std::vector<std::string> reasons;  // one per trigger, for the log and the summary
};

// REQUIRES: config validated. Pure.
RunRequest ChooseRun(const std::vector<Trigger>& triggers, const config::Config& config);

// The "drsnap Snapshot Shared" entries for the successful shares in a report.
std::vector<aws::EventEntry> SharedEventEntries(const engine::ReconcileReport& report);

class InvocationHandler {
 public:
  // REQUIRES: reconciler outlives the handler.
  InvocationHandler(engine::Reconciler* reconciler, HandlerOptions options);

  HandlerResult Handle(const Invocation& invocation);

 private:
  // The kVerify path: one drill step. `body` holds the trigger part.
  HandlerResult HandleVerify(const Invocation& invocation, TimePoint wall_start,
                             nlohmann::json body);
  // The invocation's EMF lines (the metrics paragraph at the top).
  void WriteMetrics(const std::vector<engine::ReconcileReport>& reports, bool success);

  engine::Reconciler* reconciler_;
  HandlerOptions options_;
};

}  // namespace drsnap::lambda
