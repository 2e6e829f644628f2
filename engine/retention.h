// Retention as a pure function (modelled on restic's ApplyPolicy): recovery
// points + grandfather-father-son counts + now -> keep/remove, with the
// reasons for every decision.
//
// Rules, applied to the *available* points sorted newest first:
//   - newest:  the newest available point is always kept ("newest").
//   - last N:  the N newest ("last #k").
//   - within:  every point with now - point < within ("within 7d").
//   - hourly/daily/weekly/monthly/yearly N: walking newest -> oldest, the
//     first point of each new period (UTC hour, day, ISO 8601 week, month,
//     year) is kept until N periods have been counted ("daily #3 (2026-11-20)",
//     "hourly #2 (2026-11-20 13h)", "weekly #1 (2026-W47)", "monthly #1
//     (2026-11)", "yearly #1 (2026)").
//   - points that are not available (creating, copying, failed, ...) are
//     never removed by retention ("in flight"/"not available (<status>)"):
//     deleting failed copies is the planner's business, not retention's.
//   - everything else is removed ("not selected by hourly=.. daily=..").
// A point may be kept for several reasons; all are listed.
//
// Thread safety: pure.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"

namespace drsnap::engine {

struct RetentionItem {
  std::string id;     // opaque to retention (a snapshot id)
  TimePoint point{};  // recovery point
  bool available = true;
  std::string status;  // for the reason when not available ("copying")
};

struct RetentionDecision {
  std::string id;
  TimePoint point{};
  bool keep = true;
  std::vector<std::string> reasons;  // never empty
  std::string Reason() const;        // reasons joined with ", "
};

// Decisions in the order newest -> oldest (ties broken by id), one per item.
std::vector<RetentionDecision> ApplyRetention(const std::vector<RetentionItem>& items,
                                              const config::Retention& policy, TimePoint now);

// The keep/remove half of ApplyRetention, without building reasons: for the
// planner, which runs retention over every database's vault copies (a
// million points) and needs a reason only for what it removes, always
// "not selected by <policy>" (RetentionNotSelected). The same rules, run by
// the same code as ApplyRetention; ties in point are broken by position in
// `points` (earlier first) instead of by id.
struct RetentionPoint {
  TimePoint point{};
  bool available = true;
};
// keep[i] is the decision for points[i].
std::vector<bool> RetentionKeeps(std::span<const RetentionPoint> points,
                                 const config::Retention& policy, TimePoint now);
// The reason of every removal: "not selected by " + policy.ToString().
std::string RetentionNotSelected(const config::Retention& policy);

}  // namespace drsnap::engine
