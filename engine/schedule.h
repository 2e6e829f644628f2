// Which work goes first when slots or quota bind (issue 18). The executor
// issues a plan's creates and copies in plan order until a destination's
// copies in flight are at AWS's quota (20 per scope; 5 cross-region Aurora
// cluster snapshot copies), and the planner spends a scope's manual
// snapshot quota in plan order (HoldBackOverQuota): whatever comes first
// in the plan gets the slots. So the planner orders each stage's work
// database by database:
//
//   1. the database closest to breaching its RPO first, in whole hours: the
//      time until its newest available vault copy in some target is older
//      than the policy's rpo (0 when it is already, or when a target has
//      no vault copy at all);
//   2. then scarce work first: a database whose vault copies need a scarce
//      slot (an Aurora cluster vaulted into another region: 5 such copies
//      per destination, against 20 for everything else) before the rest.
//      Its whole pipeline (capture, share, hop) goes first too, so that it
//      reaches the scarce slots as early as possible: the 5 slots then run
//      from the first minute, and the other work fills the 15 others
//      around them;
//   3. then the largest database first (its copies take longest: started
//      last, they would make the others wait at the end);
//   4. then the usual order (policy, db kind, db id, scope, snapshot id).
//
// Stages stay in order (capture, share, vault, expire) and deletes are not
// moved. Pure and deterministic, like the rest of the planner.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/clock.h"
#include "engine/model.h"

namespace drsnap::engine {

struct WorkPriority {
  int64_t hours_to_breach = 0;  // whole hours until the RPO is breached; 0: breached
  bool scarce = false;          // needs a scarce copy slot (cross-region cluster copy)
  int64_t size_gb = 0;          // the database's allocated storage (AWS reports none for Aurora)
  friend bool operator==(const WorkPriority&, const WorkPriority&) = default;
};

// `deadline`: when the database's RPO is breached in its first target to
// breach (newest available vault copy's point + rpo), nullopt when some
// target has no vault copy.
WorkPriority MakeWorkPriority(std::optional<TimePoint> deadline, TimePoint now, bool scarce,
                              int64_t size_gb = 0);

// True when work with priority `a` goes before work with priority `b`
// (rules 1 to 3 above).
bool GoesBefore(const WorkPriority& a, const WorkPriority& b);

// Reorders `plan.actions` (sorted as the assembly sorts them) stably by
// (stage, priority of the action's database): the actions before the
// expire stage; deletes keep their place. `priority_of` is asked once per
// action of those stages.
void OrderByPriority(Plan& plan, const std::function<WorkPriority(const Action&)>& priority_of);

}  // namespace drsnap::engine
