// FindAnomalies (engine/anomaly.h): a table of point streams, each with the
// anomaly it must show (or none).
#include "engine/anomaly.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "core/time_util.h"

namespace drsnap::engine {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

// PointEvidence holds views: the ids it names live here, for the test's run.
std::string_view Keep(std::string id) {
  static std::deque<std::string> ids;
  return ids.emplace_back(std::move(id));
}
const TimePoint kStart = T("2026-11-01T04:10:00Z");

// One point a day at 04:10, captured five minutes later, postgres, 100 GB.
std::vector<PointEvidence> Daily(int n) {
  std::vector<PointEvidence> out;
  for (int i = 0; i < n; ++i) {
    TimePoint p = kStart + days(i);
    out.push_back({p, p + minutes(5), "postgres", 100, Keep("drsnap-db-" + std::to_string(i))});
  }
  return out;
}

struct Case {
  const char* name;
  std::function<void(std::vector<PointEvidence>&)> change;
  Duration rpo;
  const char* expect;  // substring of the one anomaly; "" for none
};

TEST(AnomalyTest, Table) {
  const Case cases[] = {
      {"a month of daily points", [](auto&) {}, hours(24), ""},
      {"the same point in three regions counts once",
       [](auto& e) {
         e.push_back(e.back());
         e.push_back(e.back());
       },
       hours(24), ""},
      {"a retry and a manual run on one day are within the slack",
       [](auto& e) {
         e.push_back({e.back().point + hours(2), e.back().point + hours(2), "postgres", 100, "x"});
         e.push_back({e.back().point + hours(1), e.back().point + hours(1), "postgres", 100, "y"});
       },
       hours(24), ""},
      {"seven points in an hour against a 24h RPO",
       [](auto& e) {
         TimePoint base = e.back().point + hours(3);
         for (int i = 0; i < 7; ++i)
           e.push_back({base + minutes(i), base + minutes(i), "postgres", 100, "forged"});
       },
       hours(24), "recovery points between"},
      {"hourly points are fine at a 1h interval",
       [](auto& e) {
         TimePoint base = e.back().point + hours(1);
         for (int i = 0; i < 24; ++i)
           e.push_back({base + hours(i), base + hours(i), "postgres", 100, "h"});
       },
       hours(1), ""},
      {"the engine changes", [](auto& e) { e.back().engine = "mysql"; }, hours(24),
       "engine changed from postgres"},
      {"the storage shrinks", [](auto& e) { e.back().allocated_gb = 20; }, hours(24),
       "storage shrank from 100 GB"},
      {"the storage grows", [](auto& e) { e.back().allocated_gb = 200; }, hours(24), ""},
      {"an old point captured days after a newer one",
       [](auto& e) {
         TimePoint old = e[3].point;
         e[3].captured_at = e.back().captured_at + days(2);
         (void)old;
       },
       hours(24), "was captured at"},
      {"a point captured a few hours late is not out of order",
       [](auto& e) { e[3].captured_at += hours(20); }, hours(24), ""},
  };
  for (const Case& c : cases) {
    auto evidence = Daily(30);
    c.change(evidence);
    auto found = FindAnomalies(evidence, c.rpo, TimePoint{});
    if (std::string(c.expect).empty()) {
      EXPECT_TRUE(found.empty()) << c.name << ": " << (found.empty() ? "" : found[0].what);
    } else {
      ASSERT_EQ(found.size(), 1u) << c.name;
      EXPECT_NE(found[0].what.find(c.expect), std::string::npos) << c.name << ": " << found[0].what;
    }
  }
}

TEST(AnomalyTest, EvidenceUpToTheReviewIsCleared) {
  auto evidence = Daily(10);
  evidence.back().engine = "mysql";
  ASSERT_EQ(FindAnomalies(evidence, hours(24), TimePoint{}).size(), 1u);
  EXPECT_TRUE(FindAnomalies(evidence, hours(24), evidence.back().point + hours(1)).empty());
  // Something new after the review is judged afresh.
  evidence.push_back({evidence.back().point + days(1), evidence.back().point + days(1), "oracle-ee",
                      100, "new"});
  auto again = FindAnomalies(evidence, hours(24), evidence[9].point + hours(1));
  // The first point after the review has nothing before it to differ from.
  EXPECT_TRUE(again.empty());
  evidence.push_back({evidence.back().point + days(1), evidence.back().point + days(1), "postgres",
                      100, "newer"});
  again = FindAnomalies(evidence, hours(24), evidence[9].point + hours(1));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].what.find("oracle-ee"), std::string::npos);
}

}  // namespace
}  // namespace drsnap::engine
