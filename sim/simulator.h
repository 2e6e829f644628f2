// drsnap-sim's world: the simulated AWS accounts, regions, KMS keys, DB
// instances, Aurora clusters and snapshots, and the semantics of every RDS,
// STS and KMS operation drsnap uses. The HTTP server (sim/server*.h) parses
// and authenticates requests, then calls Simulator::Handle(); this class never
// sees HTTP, signatures, throttling or transport faults.
//
// Thread safety: every public method may be called concurrently (one internal
// mutex). The event sink is called outside that mutex, on the thread whose
// Handle()/Advance()/SetTime() produced the event.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace drsnap::sim {

// One API call, already authenticated by the server.
struct SimRequest {
  std::string service;     // "rds" | "sts" | "kms"
  std::string region;      // from the SigV4 credential scope ("us-east-1")
  std::string account_id;  // caller's account; "" for unsigned STS AssumeRoleWithWebIdentity
  std::string caller_arn;  // "arn:aws:iam::<acct>:user/x" or an assumed-role ARN
  // Query "Action" ("CopyDBSnapshot") or, for KMS, the operation after the
  // dot of X-Amz-Target ("DescribeKey" from "TrentService.DescribeKey").
  std::string action;
  // Decoded Query parameters in request order, without Action and Version.
  // Lists use AWS's Query flattening ("ValuesToAdd.member.1",
  // "Tags.member.1.Key", "Filters.Filter.1.Values.Value.1"; both the
  // ".member.N" and the element-name spellings are accepted).
  std::vector<std::pair<std::string, std::string>> params;
  std::string json_body;   // KMS: the request body (JSON 1.1)
  std::string user_agent;  // the User-Agent header (recorded with what the call creates)
};

// What to send back. content_type is "text/xml" (RDS, STS) or
// "application/x-amz-json-1.1" (KMS). The server adds x-amzn-RequestId from
// request_id.
struct SimResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string request_id;  // the RequestId written into the body
};

// A credential the server verifies signatures with. Long-term keys come from
// the world file; session keys from STS AssumeRole*/ (session_token set).
struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys; must match X-Amz-Security-Token
  std::string account_id;
  std::string arn;                      // caller ARN to put into SimRequest::caller_arn
  std::optional<TimePoint> expiration;  // session keys: compare with Simulator::Now()
};

// An AWS-shaped error body for errors the server detects itself
// (SignatureDoesNotMatch, InvalidClientTokenId, ExpiredToken, Throttling,
// ServiceUnavailable, ...). service selects the shape: "rds"/"sts" -> Query
// XML <ErrorResponse> with the service's namespace; "kms" -> JSON
// {"__type":code,"message":...}. type is "Sender" or "Receiver".
SimResponse MakeErrorResponse(std::string_view service, int status, std::string_view code,
                              std::string_view message, std::string_view type = "Sender");

class World;  // sim/world.h: internal state, not part of the contract

class Simulator {
 public:
  // Loads a world file: YAML (.yaml/.yml or anything that is not JSON) or
  // JSON. Errors name "path:line: message". See testdata/sim/*.yaml for the
  // format.
  static Result<std::unique_ptr<Simulator>> FromWorldFile(const std::string& path);
  static Result<std::unique_ptr<Simulator>> FromWorldText(std::string_view text,
                                                          std::string_view name_for_errors);
  // No accounts, clock at `start` (default: the wall clock, whole seconds).
  static std::unique_ptr<Simulator> Empty(std::optional<TimePoint> start = std::nullopt);

  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Executes one operation at the current virtual time. Never throws; unknown
  // actions give InvalidAction (400). Mutating calls are applied atomically.
  SimResponse Handle(const SimRequest& request);

  // The key with this id, long-term or session; nullopt when unknown.
  std::optional<AccessKey> LookupAccessKey(std::string_view access_key_id) const;

  // Virtual clock. Advance()/SetTime() process every due world event in time
  // order (automated backups, snapshot creation and copy progress, restores,
  // automated-snapshot expiry). SetTime() to an earlier time only moves the
  // clock (nothing is undone).
  TimePoint Now() const;
  void Advance(Duration d);
  void SetTime(TimePoint t);

  // Replaces the whole world with a world file's content (admin "load world").
  Status LoadWorldText(std::string_view text, std::string_view name_for_errors);
  // Complete state (world, clock, settings, sessions, events, pending faults)
  // as JSON; LoadStateJson(DumpStateJson()) restores an equal state.
  std::string DumpStateJson() const;
  Status LoadStateJson(std::string_view json);

  // Recorded events with time >= since, oldest first, in EventBridge shape:
  // {"version":"0","id":..,"detail-type":"RDS DB Snapshot Event","source":"aws.rds",
  //  "account":..,"time":..,"region":..,"resources":[arn],"detail":{"EventCategories":[..],
  //  "SourceType":"SNAPSHOT","SourceArn":..,"Date":..,"Message":..,
  //  "SourceIdentifier":..,"EventID":"RDS-EVENT-0091"}}
  std::vector<nlohmann::json> Events(TimePoint since) const;

  // Every snapshot (or those of one account and/or region; "" = any), with
  // who created it: [{"account","region","id","arn","cluster","type"
  // ("automated"|"manual"),"status","created":ISO,"source_arn" (copies),
  // "created_by":{"source":"api"|"world"|"automated", and for "api":
  // "account","principal_arn","user_agent","action"}}], ordered by account,
  // region, kind (instance first), id.
  nlohmann::json Snapshots(std::string_view account, std::string_view region) const;
  // Called once per new event (see thread safety above). Null disables.
  void SetEventSink(std::function<void(const nlohmann::json&)> sink);

  // World-level faults. Kinds:
  //   {"kind":"fail_copies","account":"111122223333","region":"eu-west-1","count":N}
  //     the next N copies started by that account into that region (either
  //     field may be omitted = any) end in status "failed".
  //   {"kind":"fail_snapshots", same fields}: the same for CreateDB*Snapshot.
  //   {"kind":"fail_restores", same fields}: the next N restores from a
  //     snapshot (RestoreDBInstanceFromDBSnapshot, RestoreDBClusterFromSnapshot)
  //     in that account and region end in status "incompatible-restore"
  //     instead of "available".
  //   {"kind":"clear"}: removes pending world faults.
  // Other kinds (throttling, 5xx, latency, drops) belong to the server: this
  // returns an Error with code "UnknownFault" for them.
  Status InjectFault(const nlohmann::json& spec);

  // Tunables, as JSON (all optional in UpdateSettings; unknown keys refused):
  //   "same_region_mbps": 200, "cross_region_mbps": 50, "create_mbps": 500,
  //   "incremental_speedup": 10, "copy_rule": "strict"|"one-step",
  //   "manual_snapshot_quota": 100, "manual_cluster_snapshot_quota": 100,
  //   "manual_snapshot_quota_by_account": {"<account id>": 1000} (both kinds,
  //   every region of that account; replaces the two above there),
  //   "copies_in_flight_quota": 20, "cluster_cross_region_copies_quota": 5,
  //   "share_accounts_quota": 20, "restore_minutes": 10, "min_step_seconds": 60,
  //   "max_events": 100000 (events kept for DescribeEvents/Events()),
  //   "copy_status_queued": "pending", "copy_status_same_region": "creating",
  //   "copy_status_cross_region": "copying", "cluster_copy_status_queued":
  //   "creating", "cluster_copy_status": "copying" (each pending|creating|copying),
  //   "same_region_copy_source": "both"|"model"|"identifier",
  //   "session_expiration_clock": "virtual"|"wall"
  nlohmann::json Settings() const;
  Status UpdateSettings(const nlohmann::json& settings);

 private:
  explicit Simulator(std::unique_ptr<World> world);
  void Emit(std::vector<nlohmann::json> events);

  mutable std::mutex mu_;
  std::unique_ptr<World> world_;  // guarded by mu_
  std::mutex sink_mu_;
  std::function<void(const nlohmann::json&)> sink_;  // guarded by sink_mu_
  std::atomic<bool> has_sink_{false};
};

}  // namespace drsnap::sim
