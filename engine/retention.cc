#include "engine/retention.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "core/time_util.h"

namespace drsnap::engine {
namespace {

using namespace std::chrono;

struct Civil {
  int year;
  unsigned month, day, hour;
  int iso_year;
  unsigned iso_week;
};

Civil ToCivil(TimePoint t) {
  auto d = floor<days>(t);
  year_month_day ymd{d};
  auto h = duration_cast<hours>(t - d);
  // ISO 8601 week: the week (Mon..Sun) belongs to the year of its Thursday.
  weekday wd{d};
  int iso_wd = static_cast<int>(wd.iso_encoding());  // 1 = Monday .. 7 = Sunday
  sys_days thursday = d + days(4 - iso_wd);
  year_month_day thu{thursday};
  sys_days jan1 = sys_days(thu.year() / January / 1);
  unsigned week = static_cast<unsigned>((thursday - jan1).count() / 7 + 1);
  return Civil{static_cast<int>(ymd.year()),     static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()), static_cast<unsigned>(h.count()),
               static_cast<int>(thu.year()),     week};
}

enum class Tier { kHourly, kDaily, kWeekly, kMonthly, kYearly };

// The period key (comparable): equal for two points in the same period.
int64_t PeriodKey(Tier tier, const Civil& c) {
  switch (tier) {
    case Tier::kHourly:
      return ((int64_t{c.year} * 100 + c.month) * 100 + c.day) * 100 + c.hour;
    case Tier::kDaily:
      return (int64_t{c.year} * 100 + c.month) * 100 + c.day;
    case Tier::kWeekly:
      return int64_t{c.iso_year} * 100 + c.iso_week;
    case Tier::kMonthly:
      return int64_t{c.year} * 100 + c.month;
    case Tier::kYearly:
      return int64_t{c.year};
  }
  return 0;
}

// The period's label for reasons (only needed for the points kept).
std::string PeriodLabel(Tier tier, const Civil& c) {
  char buf[32] = "";
  switch (tier) {
    case Tier::kHourly:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02uh", c.year, c.month, c.day, c.hour);
      break;
    case Tier::kDaily:
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
      break;
    case Tier::kWeekly:
      std::snprintf(buf, sizeof buf, "%04d-W%02u", c.iso_year, c.iso_week);
      break;
    case Tier::kMonthly:
      std::snprintf(buf, sizeof buf, "%04d-%02u", c.year, c.month);
      break;
    case Tier::kYearly:
      std::snprintf(buf, sizeof buf, "%04d", c.year);
      break;
  }
  return buf;
}

const char* TierName(Tier t) {
  switch (t) {
    case Tier::kHourly:
      return "hourly";
    case Tier::kDaily:
      return "daily";
    case Tier::kWeekly:
      return "weekly";
    case Tier::kMonthly:
      return "monthly";
    case Tier::kYearly:
      return "yearly";
  }
  return "";
}

}  // namespace

std::string RetentionDecision::Reason() const {
  std::string out;
  for (const auto& r : reasons) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

namespace {

// What retention decided for one point, before any text: which rules kept it.
struct Marks {
  bool available = true;
  bool newest = false;
  int last = 0;  // "last #n", 0 = not by this rule
  bool within = false;
  int tier_used[5] = {};  // per Tier: "#n" of that tier, 0 = not selected by it
  std::optional<Civil> civil;  // set when a tier counted it (for the labels)
  bool Keep() const {
    if (!available || newest || last > 0 || within) return true;
    for (int n : tier_used)
      if (n > 0) return true;
    return false;
  }
};

// The rules (retention.h), over points sorted newest first: marks[i] for
// sorted[i]. `point(i)` and `available(i)` read the i-th sorted point.
template <typename PointAt, typename AvailableAt>
std::vector<Marks> Decide(size_t n, PointAt point, AvailableAt available,
                          const config::Retention& policy, TimePoint now) {
  struct Bucket {
    Tier tier;
    int remaining;
    int used = 0;
    std::optional<int64_t> last;
  };
  std::vector<Bucket> buckets;
  auto add = [&](Tier t, int count) {
    if (count > 0) buckets.push_back(Bucket{t, count, 0, std::nullopt});
  };
  add(Tier::kHourly, policy.hourly);
  add(Tier::kDaily, policy.daily);
  add(Tier::kWeekly, policy.weekly);
  add(Tier::kMonthly, policy.monthly);
  add(Tier::kYearly, policy.yearly);
  int last_used = 0;
  bool newest_seen = false;

  std::vector<Marks> out(n);
  for (size_t i = 0; i < n; ++i) {
    Marks& m = out[i];
    if (!available(i)) {
      m.available = false;
      continue;
    }
    TimePoint t = point(i);
    if (!newest_seen) {
      newest_seen = true;
      m.newest = true;
    }
    if (last_used < policy.last) m.last = ++last_used;
    m.within = policy.within.count() > 0 && now - t < policy.within;
    for (auto& b : buckets) {
      if (b.remaining <= 0) continue;
      if (!m.civil) m.civil = ToCivil(t);
      int64_t key = PeriodKey(b.tier, *m.civil);
      if (b.last && *b.last == key) continue;
      b.last = key;
      --b.remaining;
      m.tier_used[static_cast<int>(b.tier)] = ++b.used;
    }
  }
  return out;
}

}  // namespace

std::string RetentionNotSelected(const config::Retention& policy) {
  return "not selected by " + policy.ToString();
}

std::vector<RetentionDecision> ApplyRetention(const std::vector<RetentionItem>& items,
                                              const config::Retention& policy, TimePoint now) {
  std::vector<const RetentionItem*> sorted;
  sorted.reserve(items.size());
  for (const auto& it : items) sorted.push_back(&it);
  std::sort(sorted.begin(), sorted.end(), [](const RetentionItem* a, const RetentionItem* b) {
    if (a->point != b->point) return a->point > b->point;
    return a->id < b->id;
  });
  std::vector<Marks> marks = Decide(
      sorted.size(), [&](size_t i) { return sorted[i]->point; },
      [&](size_t i) { return sorted[i]->available; }, policy, now);
  const std::string not_selected = RetentionNotSelected(policy);

  std::vector<RetentionDecision> out;
  out.reserve(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    const RetentionItem* it = sorted[i];
    const Marks& m = marks[i];
    RetentionDecision d;
    d.id = it->id;
    d.point = it->point;
    d.keep = m.Keep();
    if (!m.available) {
      const std::string& st = it->status;
      if (st == "creating" || st == "copying" || st.empty())
        d.reasons.push_back("in flight");
      else
        d.reasons.push_back("not available (" + st + ")");
    } else {
      if (m.newest) d.reasons.push_back("newest");
      if (m.last > 0) d.reasons.push_back("last #" + std::to_string(m.last));
      if (m.within) d.reasons.push_back("within " + FormatDuration(policy.within));
      for (Tier tier : {Tier::kHourly, Tier::kDaily, Tier::kWeekly, Tier::kMonthly, Tier::kYearly}) {
        int used = m.tier_used[static_cast<int>(tier)];
        if (used == 0) continue;
        d.reasons.push_back(std::string(TierName(tier)) + " #" + std::to_string(used) + " (" +
                            PeriodLabel(tier, *m.civil) + ")");
      }
      if (!d.keep) d.reasons.push_back(not_selected);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<bool> RetentionKeeps(std::span<const RetentionPoint> points,
                                 const config::Retention& policy, TimePoint now) {
  std::vector<uint32_t> order(points.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (points[a].point != points[b].point) return points[a].point > points[b].point;
    return a < b;
  });
  std::vector<Marks> marks = Decide(
      order.size(), [&](size_t i) { return points[order[i]].point; },
      [&](size_t i) { return points[order[i]].available; }, policy, now);
  std::vector<bool> keep(points.size());
  for (size_t i = 0; i < order.size(); ++i) keep[order[i]] = marks[i].Keep();
  return keep;
}

}  // namespace drsnap::engine
