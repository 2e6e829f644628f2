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

}  // namespace drsnap::engine
