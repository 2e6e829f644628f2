#include "engine/lineage_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using std::chrono::days;
using namespace testutil;  // NOLINT: the test world

// The index reuses the previous snapshot's lineage group and tag set when
// consecutive snapshots share them (listings usually come grouped). Listings
// in any order, grouped or interleaved, must give the same index.
TEST(LineageIndexTest, AnyListingOrderGivesTheSameGroupsAndTaggedDatabases) {
  const TimePoint t0 = T("2026-11-01T04:10:00Z");
  World w;
  const std::vector<std::string> dbs{"orders-1", "orders-2", "billing"};
  for (int d = 0; d < 10; ++d) {
    for (size_t i = 0; i < dbs.size(); ++i) {
      const std::string policy = i == 2 ? "billing" : "orders";
      w.Vault(dbs[i], t0 + days(d), SnapshotStatus::kAvailable, kVault, kDrRegion, 0,
              DbKind::kInstance, policy);
      w.Capture(dbs[i], t0 + days(d), SnapshotStatus::kAvailable, {kVault}, 0, DbKind::kInstance,
                policy);
    }
  }
  const Scope dr{kVault, kDrRegion}, src{kProd, kSrcRegion};
  std::mt19937 rng(11);
  for (int round = 0; round < 20; ++round) {
    Inventory inv = w.inv;
    for (auto& si : inv.scopes) {
      if (round == 1)  // grouped by database
        std::stable_sort(si.snapshots.begin(), si.snapshots.end(),
                         [](const Snapshot& a, const Snapshot& b) { return a.db_id < b.db_id; });
      else if (round > 1)
        std::shuffle(si.snapshots.begin(), si.snapshots.end(), rng);
    }
    LineageIndex index(inv);
    for (const auto& db : dbs) {
      const std::vector<std::pair<Scope, std::string>> where{{dr, kProd}, {src, ""}};
      for (const auto& [scope, account] : where) {
        auto group = index.Lineages(scope, account, naming::DbToken(db), DbKind::kInstance);
        ASSERT_EQ(group.size(), 10u) << db << " in " << scope.ToString() << ", round " << round;
        for (size_t i = 0; i < group.size(); ++i) {
          EXPECT_EQ(group[i].lineage.recovery_point, t0 + days(static_cast<int>(i)));
          EXPECT_TRUE(group[i].OursFor(db, db == "billing" ? "billing" : "orders"));
          EXPECT_EQ(group[i].snapshot->db_id, db);
          // Every entry finds its own group again, in its own scope only.
          auto again = index.GroupOf(group[i], scope, DbKind::kInstance);
          EXPECT_EQ(again.data(), group.data());
          EXPECT_EQ(again.size(), group.size());
          EXPECT_TRUE(index.GroupOf(group[i], scope == dr ? src : dr, DbKind::kInstance).empty());
          EXPECT_TRUE(index.GroupOf(group[i], scope, DbKind::kCluster).empty());
          // ScopeOf: the scope that listed it, a Scope GroupOf() takes by address.
          const Scope* listed_in = index.ScopeOf(group[i]);
          ASSERT_NE(listed_in, nullptr);
          EXPECT_EQ(*listed_in, scope);
          EXPECT_EQ(index.GroupOf(group[i], *listed_in, DbKind::kInstance).data(), group.data());
        }
      }
    }
    using Tagged = std::vector<std::pair<DbKind, std::string>>;
    EXPECT_EQ(index.TaggedDatabases(dr, "orders"),
              (Tagged{{DbKind::kInstance, "orders-1"}, {DbKind::kInstance, "orders-2"}}))
        << "round " << round;
    EXPECT_EQ(index.TaggedDatabases(dr, "billing"), (Tagged{{DbKind::kInstance, "billing"}}));
    EXPECT_EQ(index.TaggedDatabases(src, "orders").size(), 2u);
  }
}

// drsnap's tags are found whatever else a snapshot carries: other tags of
// the same lengths, and enough tags for the sorted lookup to be used.
TEST(LineageIndexTest, DrsnapTagsAreFoundAmongOthers) {
  World w;
  Snapshot& v = w.Vault("orders-1", T("2026-11-01T04:10:00Z"));
  v.tags.emplace("drsnap:xx", "same length as drsnap:db");
  v.tags.emplace("drsnap:stagE", "same length as drsnap:stage");
  for (int i = 0; i < 20; ++i) v.tags.emplace("team-" + std::to_string(i), "x");
  Snapshot& look_alike = w.Vault("orders-1", T("2026-11-02T04:10:00Z"));
  look_alike.tags.erase(naming::kTagManaged);
  LineageIndex index(w.inv);
  auto group = index.Lineages(Scope{kVault, kDrRegion}, kProd, "orders-1", DbKind::kInstance);
  ASSERT_EQ(group.size(), 2u);
  EXPECT_TRUE(group[0].drsnap_created);
  ASSERT_NE(group[0].db_tag, nullptr);
  EXPECT_EQ(*group[0].db_tag, "orders-1");
  ASSERT_NE(group[0].policy_tag, nullptr);
  EXPECT_EQ(*group[0].policy_tag, "orders");
  EXPECT_FALSE(group[1].drsnap_created);  // no drsnap:managed: not ours
}

// A scope listed twice (interleaved with another) still gives one group per
// lineage with every entry, and GroupOf() refuses entries from elsewhere.
TEST(LineageIndexTest, AScopeListedTwiceKeepsEveryEntryInItsGroup) {
  const TimePoint t0 = T("2026-11-01T04:10:00Z");
  World w;
  for (int d = 0; d < 4; ++d) {
    w.Vault("orders-1", t0 + days(d));
    w.Vault("orders-2", t0 + days(d));
  }
  const Scope dr{kVault, kDrRegion};
  Inventory inv = w.inv;
  ScopeInventory* dr_inv = nullptr;
  for (auto& si : inv.scopes)
    if (si.scope == dr) dr_inv = &si;
  ASSERT_NE(dr_inv, nullptr);
  ScopeInventory second = *dr_inv;  // half the listing comes again, later
  second.snapshots.erase(second.snapshots.begin(), second.snapshots.begin() + 4);
  dr_inv->snapshots.resize(4);
  inv.scopes.push_back(second);
  LineageIndex index(inv);
  for (const std::string db : {"orders-1", "orders-2"}) {
    auto group = index.Lineages(dr, kProd, db, DbKind::kInstance);
    ASSERT_EQ(group.size(), 4u) << db;
    for (size_t i = 0; i < group.size(); ++i) {
      EXPECT_EQ(group[i].snapshot->db_id, db);
      EXPECT_EQ(group[i].lineage.recovery_point, t0 + days(static_cast<int>(i)));
      EXPECT_EQ(index.GroupOf(group[i], dr, DbKind::kInstance).data(), group.data());
      ASSERT_NE(index.ScopeOf(group[i]), nullptr);
      EXPECT_EQ(*index.ScopeOf(group[i]), dr);
    }
  }
  LineageIndex other(inv);  // an entry of another index is not this one's
  auto foreign = other.Lineages(dr, kProd, "orders-1", DbKind::kInstance);
  ASSERT_FALSE(foreign.empty());
  EXPECT_TRUE(index.GroupOf(foreign[0], dr, DbKind::kInstance).empty());
  EXPECT_EQ(index.ScopeOf(foreign[0]), nullptr);
  EXPECT_EQ(index.ScopeOf(LineageEntry{}), nullptr);
}

}  // namespace
}  // namespace drsnap::engine
