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

std::vector<RetentionDecision> ApplyRetention(const std::vector<RetentionItem>& items,
                                              const config::Retention& policy, TimePoint now) {
  std::vector<const RetentionItem*> sorted;
  sorted.reserve(items.size());
  for (const auto& it : items) sorted.push_back(&it);
  std::sort(sorted.begin(), sorted.end(), [](const RetentionItem* a, const RetentionItem* b) {
    if (a->point != b->point) return a->point > b->point;
    return a->id < b->id;
  });

  struct Bucket {
    Tier tier;
    int remaining;
    int used = 0;
    std::optional<int64_t> last;
  };
  std::vector<Bucket> buckets;
  auto add = [&](Tier t, int n) {
    if (n > 0) buckets.push_back(Bucket{t, n, 0, std::nullopt});
  };
  add(Tier::kHourly, policy.hourly);
  add(Tier::kDaily, policy.daily);
  add(Tier::kWeekly, policy.weekly);
  add(Tier::kMonthly, policy.monthly);
  add(Tier::kYearly, policy.yearly);
  int last_used = 0;
  bool newest_seen = false;
  const std::string not_selected = "not selected by " + policy.ToString();

  std::vector<RetentionDecision> out;
  out.reserve(sorted.size());
  for (const RetentionItem* it : sorted) {
    RetentionDecision d;
    d.id = it->id;
    d.point = it->point;
    if (!it->available) {
      d.keep = true;
      const std::string& st = it->status;
      if (st == "creating" || st == "copying" || st.empty())
        d.reasons.push_back("in flight");
      else
        d.reasons.push_back("not available (" + st + ")");
      out.push_back(std::move(d));
      continue;
    }
    if (!newest_seen) {
      newest_seen = true;
      d.reasons.push_back("newest");
    }
    if (last_used < policy.last) {
      ++last_used;
      d.reasons.push_back("last #" + std::to_string(last_used));
    }
    if (policy.within.count() > 0 && now - it->point < policy.within) {
      d.reasons.push_back("within " + FormatDuration(policy.within));
    }
    std::optional<Civil> c;  // only when a bucket still counts
    for (auto& b : buckets) {
      if (b.remaining <= 0) continue;
      if (!c) c = ToCivil(it->point);
      int64_t key = PeriodKey(b.tier, *c);
      if (b.last && *b.last == key) continue;
      b.last = key;
      --b.remaining;
      ++b.used;
      d.reasons.push_back(std::string(TierName(b.tier)) + " #" + std::to_string(b.used) + " (" +
                          PeriodLabel(b.tier, *c) + ")");
    }
    d.keep = !d.reasons.empty();
    if (!d.keep) d.reasons.push_back(not_selected);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace drsnap::engine
