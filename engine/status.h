// Recoverability status: per protected database x DR target region, the
// newest recoverable point and its age against the policy's RPO. Pure (the
// CLI renders it as a table, JSON or Prometheus text).
//
// Definitions (age = now - recovery point of the newest *available* vault
// copy in the target region; the target scope decides whether such a copy
// exists, the source and hop scopes only whether a newer one is coming):
//   ok        age <= 0.8 * rpo, or age <= rpo and a newer point for this
//             target is already on its way (a capture newer than the newest
//             vault copy exists, or a vault copy is in flight).
//   at-risk   0.8 * rpo < age <= rpo and nothing newer is known to be on its
//             way; or the row would be ok but the last restore drill of the
//             target failed (until a later drill passes).
//   breached  no recoverable copy newer than the rpo, whatever the reason:
//             age > rpo, or never vaulted (the reason names the cause: failed
//             copies, a copy in flight, the source database gone).
//   unknown   only when the target scope could not be observed completely.
// A database that no longer exists (its copies remain) is ok while it has an
// available vault copy (nothing newer can come; reason says so).
//
// Vault side (the source scope absent from the inventory, Side::kVault): the
// databases are those whose captures the source account shared with a target
// account plus those tagged on the DR account's own copies; "on its way"
// counts the newest capture the target account sees shared; whether the
// database still exists cannot be told (database_exists is true). The absent
// source scope is an info finding, not an error.
// The overall state is the worst one, in the order ok < at-risk < breached
// < unknown. Exit code: 0 when every row is ok (or there are no rows),
// 1 when the worst is at-risk, 2 when any is breached or unknown.
//
// Thread safety: pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "engine/model.h"
#include "engine/verify.h"

namespace drsnap::engine {

enum class RpoState { kOk, kAtRisk, kBreached, kUnknown };
const char* RpoStateName(RpoState s);  // "ok" | "at-risk" | "breached" | "unknown"

// A copy on its way to the target (a hop or vault copy, or the capture it
// waits for).
struct InFlightCopy {
  std::string snapshot_id;
  Scope scope;
  std::string stage;   // "capture" | "raw" | "hop" | "vault"
  std::string status;  // "creating" | "copying"
  int percent_progress = 0;
  TimePoint recovery_point{};
  TimePoint started{};
};

// Number of kept vault copies per retention tier ("daily" -> 7, ...),
// recomputed from the policy's retention (a copy counts in every tier it is
// kept for).
struct RetentionTier {
  std::string
      tier;  // "newest" | "last" | "within" | "hourly" | "daily" | "weekly" | "monthly" | "yearly"
  int count = 0;
};

struct TargetStatus {
  std::string policy;
  DbKind kind = DbKind::kInstance;
  std::string db_id;
  bool database_exists = true;  // false: the source database was deleted (source observed)
  Scope source;
  Scope target;
  std::chrono::seconds rpo{0};
  RpoState state = RpoState::kUnknown;
  std::string reason;  // one sentence: why this state, naming the blocking fact
  // Since when the row is in its state, where that is known: breached since
  // newest point + rpo; at risk since 80% of it, or since the failed drill;
  // never vaulted since the first failed copy.
  std::optional<TimePoint> since;
  // The newest recoverable point (available vault copy), when there is one.
  std::optional<TimePoint> newest_point;
  std::string newest_snapshot_id;
  std::chrono::seconds age{0};  // now - newest_point (0 when none)
  int vaulted_copies = 0;       // available vault copies in the target
  std::vector<InFlightCopy> in_flight;
  std::vector<RetentionTier> tiers;
  // The newest restore drill recorded on a vault copy in the target
  // (engine/verify.h LastVerification); nullopt: never verified (or the
  // verified copy has since been expired). Does not change `state`.
  std::optional<verify::Verification> last_verification;
};

struct StatusReport {
  TimePoint generated_at{};
  std::vector<TargetStatus> rows;  // sorted by (policy, db id, kind, target)
  std::vector<Finding> findings;   // scopes missing/incomplete
  RpoState Overall() const;        // worst state (kOk when no rows)
  int ExitCode() const;            // 0 / 1 / 2 as above
};

// REQUIRES: config was validated.
StatusReport ComputeStatus(const Inventory& inventory, const config::Config& config, TimePoint now);

}  // namespace drsnap::engine
