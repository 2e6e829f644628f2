#include "engine/retention.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "core/time_util.h"
#include "testing/golden.h"

namespace drsnap::engine {
namespace {

using std::chrono::days;
using std::chrono::hours;

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

RetentionItem Item(const std::string& id, const char* iso, bool available = true,
                   const std::string& status = "available") {
  return RetentionItem{id, T(iso), available, status};
}

std::map<std::string, RetentionDecision> ById(const std::vector<RetentionDecision>& ds) {
  std::map<std::string, RetentionDecision> m;
  for (const auto& d : ds) m[d.id] = d;
  return m;
}

std::set<std::string> Kept(const std::vector<RetentionDecision>& ds) {
  std::set<std::string> out;
  for (const auto& d : ds)
    if (d.keep) out.insert(d.id);
  return out;
}

TEST(RetentionTest, EmptyInputEmptyOutput) {
  EXPECT_TRUE(ApplyRetention({}, config::Retention{}, T("2026-11-25T00:00:00Z")).empty());
}

TEST(RetentionTest, NewestAlwaysKeptEvenWithZeroCounts) {
  auto ds = ApplyRetention({Item("a", "2026-11-20T00:00:00Z"), Item("b", "2026-11-21T00:00:00Z")},
                           config::Retention{}, T("2026-11-25T00:00:00Z"));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].id, "b");
  EXPECT_TRUE(ds[0].keep);
  EXPECT_EQ(ds[0].Reason(), "newest");
  EXPECT_FALSE(ds[1].keep);
  EXPECT_EQ(ds[1].Reason(), "not selected by newest only");
}

TEST(RetentionTest, NewestAvailableIsKeptWhenNewerOnesAreInFlight) {
  config::Retention r;
  auto ds =
      ById(ApplyRetention({Item("old", "2026-11-20T00:00:00Z"), Item("mid", "2026-11-21T00:00:00Z"),
                           Item("new", "2026-11-22T00:00:00Z", false, "copying"),
                           Item("bad", "2026-11-23T00:00:00Z", false, "failed")},
                          r, T("2026-11-25T00:00:00Z")));
  EXPECT_TRUE(ds["mid"].keep);
  EXPECT_EQ(ds["mid"].Reason(), "newest");
  EXPECT_TRUE(ds["new"].keep);
  EXPECT_EQ(ds["new"].Reason(), "in flight");
  EXPECT_TRUE(ds["bad"].keep);
  EXPECT_EQ(ds["bad"].Reason(), "not available (failed)");
  EXPECT_FALSE(ds["old"].keep);
}

TEST(RetentionTest, DailyKeepsNewestOfEachDay) {
  config::Retention r;
  r.daily = 2;
  auto ds = ById(
      ApplyRetention({Item("d1-a", "2026-11-20T01:00:00Z"), Item("d1-b", "2026-11-20T23:00:00Z"),
                      Item("d2-a", "2026-11-21T05:00:00Z"), Item("d2-b", "2026-11-21T06:00:00Z"),
                      Item("d0", "2026-11-19T06:00:00Z")},
                     r, T("2026-11-25T00:00:00Z")));
  EXPECT_EQ(ds["d2-b"].Reason(), "newest, daily #1 (2026-11-21)");
  EXPECT_FALSE(ds["d2-a"].keep);
  EXPECT_EQ(ds["d1-b"].Reason(), "daily #2 (2026-11-20)");
  EXPECT_FALSE(ds["d1-a"].keep);
  EXPECT_FALSE(ds["d0"].keep);
  EXPECT_EQ(ds["d0"].Reason(), "not selected by daily=2");
}

TEST(RetentionTest, TiersAndLabels) {
  config::Retention r;
  r.hourly = 1;
  r.weekly = 2;
  r.monthly = 2;
  r.yearly = 2;
  r.last = 1;
  auto ds = ById(ApplyRetention({Item("a", "2026-11-25T13:30:00Z"),   // Wed, W48
                                 Item("b", "2026-11-22T10:00:00Z"),   // Sun, W47
                                 Item("c", "2026-10-31T10:00:00Z"),   // Oct
                                 Item("d", "2025-12-31T10:00:00Z")},  // 2025, W01 of 2026
                                r, T("2026-11-25T14:00:00Z")));
  EXPECT_EQ(ds["a"].Reason(),
            "newest, last #1, hourly #1 (2026-11-25 13h), weekly #1 (2026-W48), monthly #1 "
            "(2026-11), yearly #1 (2026)");
  EXPECT_EQ(ds["b"].Reason(), "weekly #2 (2026-W47)");
  EXPECT_EQ(ds["c"].Reason(), "monthly #2 (2026-10)");
  EXPECT_EQ(ds["d"].Reason(), "yearly #2 (2025)");
}

TEST(RetentionTest, IsoWeekAtYearBoundary) {
  config::Retention r;
  r.weekly = 3;
  // 2027-01-01 is a Friday: ISO week 2026-W53. 2027-01-04 (Mon) starts 2027-W01.
  auto ds =
      ById(ApplyRetention({Item("a", "2027-01-04T00:00:00Z"), Item("b", "2027-01-03T00:00:00Z"),
                           Item("c", "2026-12-28T00:00:00Z")},
                          r, T("2027-01-05T00:00:00Z")));
  EXPECT_EQ(ds["a"].Reason(), "newest, weekly #1 (2027-W01)");
  EXPECT_EQ(ds["b"].Reason(), "weekly #2 (2026-W53)");
  EXPECT_FALSE(ds["c"].keep);  // same ISO week as b, older
}

TEST(RetentionTest, WithinKeepsRecentPoints) {
  config::Retention r;
  r.within = std::chrono::hours(48);
  auto ds =
      ById(ApplyRetention({Item("a", "2026-11-24T12:00:00Z"), Item("b", "2026-11-23T13:00:00Z"),
                           Item("c", "2026-11-23T11:00:00Z")},
                          r, T("2026-11-25T12:00:00Z")));
  EXPECT_EQ(ds["a"].Reason(), "newest, within 2d");
  EXPECT_EQ(ds["b"].Reason(), "within 2d");
  EXPECT_FALSE(ds["c"].keep);
}

TEST(RetentionTest, DeterministicTieBreakById) {
  config::Retention r;
  r.daily = 1;
  auto ds = ApplyRetention({Item("b", "2026-11-24T12:00:00Z"), Item("a", "2026-11-24T12:00:00Z")},
                           r, T("2026-11-25T12:00:00Z"));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].id, "a");
  EXPECT_TRUE(ds[0].keep);
  EXPECT_FALSE(ds[1].keep);
}

// RetentionKeeps is the keep/remove half of ApplyRetention: on random
// inputs (hourly jittered points, some in flight, every tier and rule) both
// decide the same. Ids are zero-padded positions, so ApplyRetention's
// tie-break by id and RetentionKeeps' by position agree, and duplicate points
// are included on purpose.
TEST(RetentionTest, KeepsAgreesWithApplyRetentionOnRandomInputs) {
  std::mt19937 rng(20261205);
  const TimePoint now = T("2026-11-25T12:00:00Z");
  int removed_total = 0, kept_total = 0;
  for (int round = 0; round < 300; ++round) {
    config::Retention r;
    r.hourly = static_cast<int>(rng() % 6);
    r.daily = static_cast<int>(rng() % 9);
    r.weekly = static_cast<int>(rng() % 5);
    r.monthly = static_cast<int>(rng() % 13);
    r.yearly = static_cast<int>(rng() % 3);
    r.last = static_cast<int>(rng() % 4);
    if (rng() % 4 == 0) r.within = hours(static_cast<int>(rng() % 72));
    int n = static_cast<int>(rng() % 200);
    std::vector<RetentionItem> items;
    std::vector<RetentionPoint> points;
    for (int i = 0; i < n; ++i) {
      TimePoint t = now - std::chrono::minutes(static_cast<int>(rng() % (24 * 60 * 500)));
      if (i > 0 && rng() % 10 == 0) t = items[rng() % items.size()].point;  // a duplicate
      bool available = rng() % 12 != 0;
      char id[16];
      std::snprintf(id, sizeof id, "%05d", i);
      items.push_back(RetentionItem{id, t, available, available ? "available" : "copying"});
      points.push_back(RetentionPoint{t, available});
    }
    std::vector<bool> keep = RetentionKeeps(points, r, now);
    ASSERT_EQ(keep.size(), items.size());
    auto ds = ById(ApplyRetention(items, r, now));
    for (int i = 0; i < n; ++i) {
      const RetentionDecision& d = ds.at(items[static_cast<size_t>(i)].id);
      ASSERT_EQ(keep[static_cast<size_t>(i)], d.keep)
          << "round " << round << " item " << i << " (" << d.Reason() << ")";
      (d.keep ? kept_total : removed_total)++;
    }
  }
  // The inputs exercise both outcomes.
  EXPECT_GT(removed_total, 1000);
  EXPECT_GT(kept_total, 1000);
}

TEST(RetentionTest, KeepsBreaksTiesByPosition) {
  config::Retention r;
  r.daily = 1;
  std::vector<RetentionPoint> points{{T("2026-11-24T12:00:00Z"), true},
                                     {T("2026-11-24T12:00:00Z"), true}};
  EXPECT_EQ(RetentionKeeps(points, r, T("2026-11-25T12:00:00Z")), (std::vector<bool>{true, false}));
}

TEST(RetentionTest, NotSelectedIsTheReasonOfEveryRemoval) {
  config::Retention r = {};
  r.daily = 1;
  auto ds = ApplyRetention({Item("a", "2026-11-24T12:00:00Z"), Item("b", "2026-11-23T12:00:00Z")},
                           r, T("2026-11-25T12:00:00Z"));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_FALSE(ds[1].keep);
  EXPECT_EQ(ds[1].Reason(), RetentionNotSelected(r));
}

// --- 400 simulated days, golden files -------------------------------------

void CheckGolden(const std::string& name, const std::string& got) {
  drsnap::testing::ExpectGolden("planner/" + name, got);
}

std::string Render(const std::vector<RetentionDecision>& ds, bool kept_only) {
  std::string out;
  int removed = 0;
  for (const auto& d : ds) {
    if (!d.keep) ++removed;
    if (kept_only && !d.keep) continue;
    out +=
        FormatIso8601Seconds(d.point) + " " + (d.keep ? "keep   " : "remove ") + d.Reason() + "\n";
  }
  out += "# " + std::to_string(ds.size()) + " points, " + std::to_string(ds.size() - removed) +
         " kept, " + std::to_string(removed) + " removed\n";
  return out;
}

// Daily points at 04:10 for 400 days, as the automated-snapshot pipeline makes.
std::vector<RetentionItem> DailyPoints(TimePoint start, int n) {
  std::vector<RetentionItem> items;
  for (int i = 0; i < n; ++i) {
    TimePoint t = start + days(i);
    items.push_back(RetentionItem{"p" + std::to_string(i), t, true, "available"});
  }
  return items;
}

config::Retention Gfs() {
  config::Retention r;
  r.daily = 7;
  r.weekly = 4;
  r.monthly = 12;
  r.yearly = 3;
  return r;
}

TEST(RetentionGoldenTest, Daily400Days) {
  TimePoint start = T("2025-10-22T04:10:00Z");
  auto items = DailyPoints(start, 400);
  auto ds = ApplyRetention(items, Gfs(), start + days(399) + hours(1));
  // 7 daily (the newest also opens weekly/monthly/yearly #1, Sunday 11-22 is
  // weekly #2), weekly #3 and #4, monthly #2..#12 (the last, 2025-12-31, is
  // also yearly #2; there is no third year).
  EXPECT_EQ(Kept(ds).size(), 7u + 2u + 11u);
  CheckGolden("retention_daily_400d.txt", Render(ds, false));
}

TEST(RetentionGoldenTest, Hourly400Days) {
  TimePoint start = T("2025-10-22T00:05:00Z");
  std::vector<RetentionItem> items;
  for (int i = 0; i < 400 * 24; ++i)
    items.push_back(RetentionItem{"h" + std::to_string(i), start + hours(i), true, "available"});
  config::Retention r = Gfs();
  r.hourly = 24;
  auto ds = ApplyRetention(items, r, start + hours(400 * 24));
  CheckGolden("retention_hourly_400d.txt", Render(ds, true));
}

// Applying retention once a day as points arrive (what the reconcile loop
// does) must leave exactly the set a single pass over all points keeps: the
// GFS set is stable under incremental application.
TEST(RetentionGoldenTest, IncrementalEqualsOneShot) {
  TimePoint start = T("2025-10-22T04:10:00Z");
  auto all = DailyPoints(start, 400);
  std::vector<RetentionItem> live;
  for (int day = 0; day < 400; ++day) {
    live.push_back(all[static_cast<size_t>(day)]);
    TimePoint now = all[static_cast<size_t>(day)].point + hours(1);
    auto kept = Kept(ApplyRetention(live, Gfs(), now));
    std::vector<RetentionItem> next;
    for (const auto& it : live)
      if (kept.count(it.id)) next.push_back(it);
    live = std::move(next);
  }
  std::set<std::string> incremental;
  for (const auto& it : live) incremental.insert(it.id);
  EXPECT_EQ(incremental, Kept(ApplyRetention(all, Gfs(), all.back().point + hours(1))));
}

}  // namespace
}  // namespace drsnap::engine
