#include "engine/observe.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "config/policy.h"
#include "engine/fake_cloud.h"

namespace drsnap::engine {
namespace {

const Scope kProd{"111111111111", "us-east-1"};
const Scope kDrSrc{"222222222222", "us-east-1"};
const Scope kDr{"222222222222", "eu-west-1"};

Snapshot Snap(const Scope& scope, std::string id, SnapshotType type, Tags tags = {}) {
  Snapshot s;
  s.scope = scope;
  s.id = std::move(id);
  s.db_id = "db1";
  s.type = type;
  s.status = SnapshotStatus::kAvailable;
  s.tags = std::move(tags);
  return s;
}

TEST(ParallelForTest, RunsEveryIndexOnceWithBoundedThreads) {
  std::vector<std::atomic<int>> hits(100);
  std::atomic<int> running{0}, peak{0};
  ParallelFor(hits.size(), 4, [&](size_t i) {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    hits[i]++;
    std::this_thread::yield();
    --running;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_LE(peak.load(), 4);
  EXPECT_GE(peak.load(), 1);
}

TEST(ObserveTest, ListsEveryScopeWithSharedSnapshotsAndTags) {
  FakeCloud cloud;
  Database db;
  db.id = "db1";
  db.scope = kProd;
  db.tags = {{"env", "prod"}};
  cloud.AddDatabase(db);
  cloud.AddSnapshot(Snap(kProd, "rds:db1-2026-11-23-04-10", SnapshotType::kAutomated));
  Snapshot mine =
      Snap(kProd, "drsnap-db1-20261123t0410", SnapshotType::kManual, {{"drsnap:db", "db1"}});
  mine.shared_with = std::vector<std::string>{"222222222222"};
  cloud.AddSnapshot(mine);
  cloud.AddSnapshot(Snap(kProd, "someone-elses", SnapshotType::kManual));
  cloud.SetDefaultKey(kProd, "arn:aws:kms:us-east-1:111111111111:key/default");

  ObserveRequest req;
  req.scopes = {kProd, kDrSrc, kDr, kProd};  // duplicate ignored
  req.default_key_scopes = {kProd};
  req.needs_shares = [](const Snapshot& s) { return s.tags.contains("drsnap:db"); };
  Inventory inv = Observe(cloud, req, TimePoint{} + std::chrono::hours(5));

  ASSERT_EQ(inv.scopes.size(), 3u);
  EXPECT_EQ(inv.observed_at, TimePoint{} + std::chrono::hours(5));
  const ScopeInventory* prod = inv.Find(kProd);
  ASSERT_NE(prod, nullptr);
  EXPECT_TRUE(prod->complete);
  EXPECT_EQ(prod->databases.size(), 1u);
  EXPECT_EQ(prod->databases[0].tags.at("env"), "prod");
  EXPECT_EQ(prod->snapshots.size(), 3u);
  EXPECT_EQ(prod->default_rds_key_arn, "arn:aws:kms:us-east-1:111111111111:key/default");
  for (const auto& s : prod->snapshots) {
    if (s.id == "drsnap-db1-20261123t0410") {
      ASSERT_TRUE(s.shared_with.has_value());
      EXPECT_EQ(*s.shared_with, std::vector<std::string>{"222222222222"});
      EXPECT_EQ(s.tags.at("drsnap:db"), "db1");
    } else {
      EXPECT_FALSE(s.shared_with.has_value()) << s.id;  // not looked up
    }
  }
  // The shared snapshot is seen from the DR account in the source region, without tags.
  const ScopeInventory* dr_src = inv.Find(kDrSrc);
  ASSERT_NE(dr_src, nullptr);
  ASSERT_EQ(dr_src->snapshots.size(), 1u);
  EXPECT_EQ(dr_src->snapshots[0].type, SnapshotType::kShared);
  EXPECT_EQ(dr_src->snapshots[0].scope, kProd);
  EXPECT_EQ(dr_src->snapshots[0].seen_from, kDrSrc);
  EXPECT_TRUE(dr_src->snapshots[0].tags.empty());
  EXPECT_EQ(dr_src->default_rds_key_arn, "");  // not asked
  // Inferred from what the DR account sees: no per-snapshot call.
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 0);
  EXPECT_EQ(cloud.Calls("DefaultRdsKeyArn"), 1);
  EXPECT_EQ(cloud.Calls("ListSnapshots"), 3);

  // When an account in the region could not be listed, the attribute is read.
  cloud.FailListing(kDrSrc, Error::Transient("InternalFailure", "boom"));
  Inventory inv2 = Observe(cloud, req, TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 1);
  for (const auto& s : inv2.Find(kProd)->snapshots)
    if (s.id == "drsnap-db1-20261123t0410") {
      EXPECT_EQ(s.shared_with, std::optional(std::vector<std::string>{"222222222222"}));
    }
}

TEST(ObserveTest, InferredSharesMatchTheAttribute) {
  FakeCloud cloud;
  Snapshot a = Snap(kProd, "a", SnapshotType::kManual);
  a.shared_with = std::vector<std::string>{"222222222222"};
  cloud.AddSnapshot(a);
  cloud.AddSnapshot(Snap(kProd, "b", SnapshotType::kManual));
  ObserveRequest req;
  req.scopes = {kProd, kDrSrc, kDr};
  req.needs_shares = [](const Snapshot&) { return true; };
  Inventory inferred = Observe(cloud, req, TimePoint{});
  req.infer_shares = false;
  Inventory looked_up = Observe(cloud, req, TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 2);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(inferred.Find(kProd)->snapshots[i].shared_with,
              looked_up.Find(kProd)->snapshots[i].shared_with)
        << inferred.Find(kProd)->snapshots[i].id;
  EXPECT_EQ(inferred.Find(kProd)->snapshots[1].shared_with, std::vector<std::string>{});
}

TEST(ObserveTest, FailedScopeIsMarkedIncompleteNotDropped) {
  FakeCloud cloud;
  cloud.AddSnapshot(Snap(kProd, "a", SnapshotType::kManual));
  cloud.AddSnapshot(Snap(kDr, "b", SnapshotType::kManual));
  cloud.FailListing(kDr, Error::Terminal("AccessDenied", "not allowed"));
  ObserveRequest req;
  req.scopes = {kProd, kDr};
  Inventory inv = Observe(cloud, req, TimePoint{});
  ASSERT_EQ(inv.scopes.size(), 2u);
  EXPECT_TRUE(inv.Find(kProd)->complete);
  const ScopeInventory* dr = inv.Find(kDr);
  ASSERT_NE(dr, nullptr);
  EXPECT_FALSE(dr->complete);
  EXPECT_NE(dr->error.find("AccessDenied"), std::string::npos) << dr->error;
  EXPECT_NE(dr->error.find("databases"), std::string::npos) << dr->error;
}

TEST(ObserveTest, FailedAttributeLookupMarksScopeIncomplete) {
  FakeCloud cloud;
  cloud.AddSnapshot(Snap(kProd, "a", SnapshotType::kManual));
  cloud.FailNext("ListSharedAccounts", Error::Throttling("Throttling", "Rate exceeded"));
  ObserveRequest req;
  req.scopes = {kProd};
  req.infer_shares = false;
  req.needs_shares = [](const Snapshot&) { return true; };
  Inventory inv = Observe(cloud, req, TimePoint{});
  EXPECT_FALSE(inv.scopes[0].complete);
  EXPECT_FALSE(inv.scopes[0].snapshots[0].shared_with.has_value());
}

TEST(ObserveTest, ManyScopesInParallelAllListed) {
  FakeCloud cloud;
  ObserveRequest req;
  for (int a = 0; a < 5; ++a)
    for (const char* r : {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"}) {
      Scope s{std::to_string(100000000000 + a), r};
      req.scopes.push_back(s);
      cloud.AddSnapshot(Snap(s, "snap-" + std::to_string(a), SnapshotType::kManual));
    }
  req.parallelism = 3;
  Inventory inv = Observe(cloud, req, TimePoint{});
  ASSERT_EQ(inv.scopes.size(), 20u);
  for (size_t i = 0; i < inv.scopes.size(); ++i) {
    EXPECT_EQ(inv.scopes[i].scope, req.scopes[i]);  // request order
    EXPECT_TRUE(inv.scopes[i].complete);
    EXPECT_EQ(inv.scopes[i].snapshots.size(), 1u);
  }
}

// --- shares (observe.h, rules 1-4) -------------------------------------------

const std::string kDrAccount = "222222222222";

// An endpoint that ignores IncludeShared=true (moto does): listings show
// only what the scope owns, never what is shared with it.
class HidesShares final : public CloudWrapper {
 public:
  // Non-owning: the test's FakeCloud outlives the wrapper.
  explicit HidesShares(FakeCloud& inner)
      : CloudWrapper(std::shared_ptr<Cloud>(std::shared_ptr<Cloud>(), &inner)) {}
  Result<std::vector<Snapshot>> ListSnapshots(const Scope& s) override {
    auto out = CloudWrapper::ListSnapshots(s);
    if (out) std::erase_if(*out, [](const Snapshot& x) { return x.type == SnapshotType::kShared; });
    return out;
  }
};

// Captures "cap-<n>" in kProd, created n hours apart; `shared` ones are
// shared with the DR account.
void AddCaptures(FakeCloud& cloud, const std::vector<bool>& shared,
                 SnapshotStatus status = SnapshotStatus::kAvailable) {
  for (size_t i = 0; i < shared.size(); ++i) {
    Snapshot s = Snap(kProd, "cap-" + std::to_string(i), SnapshotType::kManual);
    s.status = status;
    s.create_time = TimePoint{} + std::chrono::hours(static_cast<int>(i));
    if (shared[i]) s.shared_with = std::vector<std::string>{kDrAccount};
    cloud.AddSnapshot(s);
  }
}

ObserveRequest ShareRequest(std::vector<Scope> scopes) {
  ObserveRequest req;
  req.scopes = std::move(scopes);
  req.needs_shares = [](const Snapshot& s) { return s.id.starts_with("cap-"); };
  req.share_targets = [](const Snapshot&) { return std::vector<std::string>{kDrAccount}; };
  return req;
}

std::map<std::string, std::vector<std::string>> SharedWith(const Inventory& inv) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& s : inv.Find(kProd)->snapshots)
    if (s.shared_with) out[s.id] = *s.shared_with;
  return out;
}

using Shares = std::map<std::string, std::vector<std::string>>;
const std::vector<std::string> kShared{kDrAccount};
const std::vector<std::string> kNobody{};

// Rules 1 and 3: the DR account lists what is shared with it; a capture it
// does not list is not shared, because it lists another one of prod's.
TEST(ObserveSharesTest, VisibleSharesAnswerEverythingWithoutAttributeReads) {
  FakeCloud cloud;
  AddCaptures(cloud, {true, true, false});
  Inventory inv = Observe(cloud, ShareRequest({kProd, kDrSrc}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 0);
  EXPECT_EQ(SharedWith(inv), (Shares{{"cap-0", kShared}, {"cap-1", kShared}, {"cap-2", kNobody}}));
}

// Rule 5: with the audit on, each capture whose shares were inferred is read
// in exactly one hour of each day, and its attribute (here: shared with
// everyone too) replaces what the listing showed.
TEST(ObserveSharesTest, TheAuditReadsEachInferredShareOnceADay) {
  FakeCloud cloud;
  AddCaptures(cloud, {true, true, true});
  ASSERT_TRUE(cloud.ShareSnapshot(kProd, DbKind::kInstance, "cap-1", {"all"}));
  ObserveRequest req = ShareRequest({kProd, kDrSrc});
  req.audit_shares = true;
  const TimePoint day_start = TimePoint{} + std::chrono::hours(24 * 20000);
  std::map<std::string, int> read_in_hours;
  for (int hour = 0; hour < 24; ++hour) {
    Inventory inv = Observe(cloud, req, day_start + std::chrono::hours(hour) +
                                            std::chrono::minutes(30));
    for (const auto& [id, accounts] : SharedWith(inv))
      if (accounts != kShared) {
        EXPECT_EQ(id, "cap-1");
        EXPECT_EQ(accounts, (std::vector<std::string>{kDrAccount, "all"}));
        EXPECT_EQ(ShareAuditHour(id, 20000), hour);
        ++read_in_hours[id];
      }
  }
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 3);  // one per capture that day
  EXPECT_EQ(read_in_hours["cap-1"], 1);
  // Off: the listings alone answer.
  req.audit_shares = false;
  for (int hour = 0; hour < 24; ++hour) Observe(cloud, req, day_start + std::chrono::hours(hour));
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 3);
}

TEST(ObserveSharesTest, AuditHoursAreSpreadAndMoveFromDayToDay) {
  std::array<int, 24> per_hour{};
  int moved = 0;
  for (int i = 0; i < 2400; ++i) {
    std::string id = "drsnap-db" + std::to_string(i) + "-202612070410";
    int h = ShareAuditHour(id, 20000);
    ASSERT_GE(h, 0);
    ASSERT_LT(h, 24);
    ++per_hour[h];
    moved += h != ShareAuditHour(id, 20001);
  }
  for (int n : per_hour) {
    EXPECT_GT(n, 60);
    EXPECT_LT(n, 140);
  }
  EXPECT_GT(moved, 2000);
}

// Rule 2: a source-side run that cannot list the DR account reads the
// attribute of every available capture (only those: the planner shares
// nothing else), instead of calling them unshared.
TEST(ObserveSharesTest, TargetAccountNotObservedIsAskedThroughTheAttribute) {
  FakeCloud cloud;
  AddCaptures(cloud, {true, false});
  Snapshot creating = Snap(kProd, "cap-creating", SnapshotType::kManual);
  creating.status = SnapshotStatus::kCreating;
  cloud.AddSnapshot(creating);
  Inventory inv = Observe(cloud, ShareRequest({kProd}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 2);
  EXPECT_EQ(SharedWith(inv),
            (Shares{{"cap-0", kShared}, {"cap-1", kNobody}, {"cap-creating", kNobody}}));

  // The same when the DR account's listing failed.
  cloud.FailListing(kDrSrc, Error::Terminal("AccessDenied", "no"));
  Inventory failed = Observe(cloud, ShareRequest({kProd, kDrSrc}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 4);
  EXPECT_EQ(SharedWith(failed), SharedWith(inv));
}

// Rule 4 against an endpoint that ignores IncludeShared: one probe (the
// oldest capture) shows the listing hides shares; then every capture is
// read, so nothing already shared is shared again.
TEST(ObserveSharesTest, ListingThatHidesSharesIsCaughtByOneProbe) {
  FakeCloud cloud;
  AddCaptures(cloud, {true, true, false});
  HidesShares moto_like(cloud);
  Inventory inv = Observe(moto_like, ShareRequest({kProd, kDrSrc}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 3);
  EXPECT_EQ(SharedWith(inv), (Shares{{"cap-0", kShared}, {"cap-1", kShared}, {"cap-2", kNobody}}));
}

// Rule 4 when nothing is shared yet (the first share of a deployment): the
// probe agrees with the listing, and the rest is not read.
TEST(ObserveSharesTest, FirstShareCostsOneProbe) {
  FakeCloud cloud;
  AddCaptures(cloud, {false, false, false, false});
  Inventory inv = Observe(cloud, ShareRequest({kProd, kDrSrc}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 1);
  EXPECT_EQ(
      SharedWith(inv),
      (Shares{{"cap-0", kNobody}, {"cap-1", kNobody}, {"cap-2", kNobody}, {"cap-3", kNobody}}));
  // Once one is shared (and visible), no read at all.
  ASSERT_TRUE(cloud.ShareSnapshot(kProd, DbKind::kInstance, "cap-0", {kDrAccount}));
  Inventory after = Observe(cloud, ShareRequest({kProd, kDrSrc}), TimePoint{});
  EXPECT_EQ(cloud.Calls("ListSharedAccounts"), 1);
  EXPECT_EQ(SharedWith(after)["cap-0"], kShared);
  EXPECT_EQ(SharedWith(after)["cap-1"], kNobody);
}

TEST(ObserveSharesTest, ShareTargetsForNamesEachPolicysTargetAccountsButTheSource) {
  auto cfg = config::ParseConfig(R"(version: 1
accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222"}
  other: {id: "333333333333"}
policies:
  a:
    databases: {names: ["a*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: vault
        regions: {eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/dr"}}
      - account: prod
        regions: {us-west-2: {kms_key: "arn:aws:kms:us-west-2:111111111111:key/dr"}}
    retention: {daily: 7}
  b:
    databases: {names: ["b*"]}
    source: {account: prod, region: us-east-1, from: automated}
    rpo: 24h
    targets:
      - account: other
        regions: {eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:333333333333:key/dr"}}
    retention: {daily: 7}
)",
                                 "t.yaml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().ToString();
  auto targets = ShareTargetsFor(*cfg);
  Snapshot s = Snap(kProd, "drsnap-a1-x", SnapshotType::kManual, {{"drsnap:policy", "a"}});
  EXPECT_EQ(targets(s), std::vector<std::string>{"222222222222"});
  s.tags = {{"drsnap:policy", "b"}};
  EXPECT_EQ(targets(s), std::vector<std::string>{"333333333333"});
  s.tags.clear();  // no policy tag: every policy with this source scope
  EXPECT_EQ(targets(s), (std::vector<std::string>{"222222222222", "333333333333"}));
  s.scope = kDr;
  EXPECT_EQ(targets(s), std::vector<std::string>{});
}

}  // namespace
}  // namespace drsnap::engine
