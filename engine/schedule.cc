#include "engine/schedule.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace drsnap::engine {

WorkPriority MakeWorkPriority(std::optional<TimePoint> deadline, TimePoint now, bool scarce,
                              int64_t size_gb) {
  WorkPriority p;
  p.scarce = scarce;
  p.size_gb = size_gb;
  if (deadline && *deadline > now)
    p.hours_to_breach = std::chrono::duration_cast<std::chrono::hours>(*deadline - now).count();
  return p;
}

bool GoesBefore(const WorkPriority& a, const WorkPriority& b) {
  return std::make_tuple(a.hours_to_breach, !a.scarce, -a.size_gb) <
         std::make_tuple(b.hours_to_breach, !b.scarce, -b.size_gb);
}

void OrderByPriority(Plan& plan, const std::function<WorkPriority(const Action&)>& priority_of) {
  auto& actions = plan.actions;
  const size_t n =
      static_cast<size_t>(std::find_if(actions.begin(), actions.end(),
                                       [](const Action& a) { return a.stage == Stage::kExpire; }) -
                          actions.begin());
  if (n < 2) return;
  struct Keyed {
    Stage stage;
    WorkPriority priority;
    size_t index;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(n);
  bool moved = false;
  for (size_t i = 0; i < n; ++i) {
    keyed.push_back(Keyed{actions[i].stage, priority_of(actions[i]), i});
    if (i > 0 && keyed[i].stage == keyed[i - 1].stage &&
        GoesBefore(keyed[i].priority, keyed[i - 1].priority))
      moved = true;
  }
  if (!moved) return;  // already in priority order: nothing moves
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
    if (x.stage != y.stage) return x.stage < y.stage;
    return GoesBefore(x.priority, y.priority);
  });
  // Only the (few) actions before the deletes move.
  std::vector<Action> ordered;
  ordered.reserve(n);
  for (const Keyed& k : keyed) ordered.push_back(std::move(actions[k.index]));
  std::move(ordered.begin(), ordered.end(), actions.begin());
}

}  // namespace drsnap::engine
