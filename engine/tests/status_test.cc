#include "engine/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const TimePoint kNow = T("2026-11-25T12:00:00Z");

// rpo 10h ("snapshot" source) makes the 80% boundary easy: 8h.
config::Config Cfg() { return StandardConfig("snapshot", "10h", "{daily: 3, weekly: 2}"); }

const TargetStatus& Row(const StatusReport& r, const std::string& db) {
  for (const auto& row : r.rows)
    if (row.db_id == db) return row;
  static TargetStatus none;
  ADD_FAILURE() << "no row for " << db;
  return none;
}

TEST(StatusTest, StatesByAge) {
  struct Case {
    const char* db;
    std::chrono::minutes age;
    bool newer_capture;
    RpoState want;
  };
  const Case cases[] = {
      {"orders-fresh", minutes(60), false, RpoState::kOk},
      {"orders-80", minutes(8 * 60), false, RpoState::kOk},  // exactly 80%: still ok
      {"orders-81", minutes(8 * 60 + 1), false, RpoState::kAtRisk},
      {"orders-81-coming", minutes(8 * 60 + 1), true, RpoState::kOk},
      {"orders-rpo", minutes(10 * 60), false, RpoState::kAtRisk},  // exactly rpo: not breached
      {"orders-over", minutes(10 * 60 + 1), false, RpoState::kBreached},
      {"orders-over-coming", minutes(11 * 60), true, RpoState::kBreached},
  };
  World w;
  for (const auto& c : cases) {
    w.Db(c.db);
    w.Vault(c.db, kNow - c.age);
    if (c.newer_capture) w.Capture(c.db, kNow - minutes(5), SnapshotStatus::kCopying, {});
  }
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  ASSERT_EQ(r.rows.size(), std::size(cases));
  for (const auto& c : cases) {
    const TargetStatus& row = Row(r, c.db);
    EXPECT_EQ(row.state, c.want) << c.db << ": " << row.reason;
    EXPECT_EQ(row.age, std::chrono::seconds(c.age)) << c.db;
    EXPECT_EQ(row.target, (Scope{kVault, kDrRegion}));
    EXPECT_EQ(row.rpo, hours(10));
  }
  EXPECT_EQ(r.Overall(), RpoState::kBreached);
  EXPECT_EQ(r.ExitCode(), 2);
  EXPECT_THAT(Row(r, "orders-81").reason, HasSubstr("no newer point is on its way"));
  EXPECT_THAT(Row(r, "orders-81-coming").reason, HasSubstr("a newer one is on its way"));
}

TEST(StatusTest, ExitCodes) {
  StatusReport empty;
  EXPECT_EQ(empty.ExitCode(), 0);
  World ok;
  ok.Db("orders-a");
  ok.Vault("orders-a", kNow - hours(1));
  EXPECT_EQ(ComputeStatus(ok.inv, Cfg(), kNow).ExitCode(), 0);
  World risk = ok;
  risk.Db("orders-b");
  risk.Vault("orders-b", kNow - hours(9));
  EXPECT_EQ(ComputeStatus(risk.inv, Cfg(), kNow).ExitCode(), 1);
  World unknown = ok;
  unknown.Db("orders-c");  // never vaulted: no recoverable copy, whatever the reason
  StatusReport r = ComputeStatus(unknown.inv, Cfg(), kNow);
  EXPECT_EQ(Row(r, "orders-c").state, RpoState::kBreached);
  EXPECT_EQ(Row(r, "orders-c").reason, "never vaulted in this target");
  EXPECT_EQ(r.ExitCode(), 2);
}

TEST(StatusTest, IncompleteScopeIsUnknownAndReported) {
  World w;
  w.Db("orders-a");
  w.Vault("orders-a", kNow - hours(1));
  w.At(kVault, kSrcRegion).complete = false;  // the hop scope
  w.At(kVault, kSrcRegion).error = "AccessDenied";
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  // The hop scope does not decide whether a recoverable copy exists: the
  // target scope, observed, has a fresh one. The reason still says it.
  EXPECT_EQ(Row(r, "orders-a").state, RpoState::kOk);
  EXPECT_THAT(Row(r, "orders-a").reason, HasSubstr("222222222222/us-east-1 could not be observed"));
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_THAT(r.findings[0].message, HasSubstr("AccessDenied"));
  // The target scope itself: unknown, and it says which scope.
  w.At(kVault, kDrRegion).complete = false;
  w.At(kVault, kDrRegion).error = "RequestExpired";
  r = ComputeStatus(w.inv, Cfg(), kNow);
  EXPECT_EQ(Row(r, "orders-a").state, RpoState::kUnknown);
  EXPECT_THAT(Row(r, "orders-a").reason, HasSubstr("222222222222/eu-west-1"));
  EXPECT_EQ(r.ExitCode(), 2);
}

TEST(StatusTest, NewestIsTheNewestAvailableCopyAndInFlightIsListed) {
  World w;
  w.Db("orders-a");
  w.Vault("orders-a", kNow - hours(30));
  w.Vault("orders-a", kNow - hours(6));
  w.Vault("orders-a", kNow - hours(2), SnapshotStatus::kCopying).percent_progress = 70;
  w.Vault("orders-a", kNow - hours(4), SnapshotStatus::kFailed);
  w.Capture("orders-a", kNow - hours(1), SnapshotStatus::kCreating, {}).percent_progress = 20;
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  const TargetStatus& row = Row(r, "orders-a");
  ASSERT_TRUE(row.newest_point);
  EXPECT_EQ(*row.newest_point, kNow - hours(6));
  EXPECT_EQ(row.newest_snapshot_id, "drsnap-111111111111-orders-a-202611250600");
  EXPECT_EQ(row.vaulted_copies, 2);
  ASSERT_EQ(row.in_flight.size(), 2u);
  EXPECT_EQ(row.in_flight[0].stage, "vault");
  EXPECT_EQ(row.in_flight[0].percent_progress, 70);
  EXPECT_EQ(row.in_flight[0].status, "copying");
  EXPECT_EQ(row.in_flight[1].stage, "capture");
  EXPECT_EQ(row.in_flight[1].percent_progress, 20);
  EXPECT_EQ(row.state, RpoState::kOk);
}

TEST(StatusTest, LastVerificationIsTheNewestRecordedDrill) {
  World w;
  w.Db("orders-a");
  w.Db("orders-b");
  Snapshot& older = w.Vault("orders-a", kNow - hours(30));
  older.tags[verify::kTagVerifiedAt] = "2026-11-24T08:00:00Z";
  older.tags[verify::kTagVerifyResult] = "ok";
  older.tags[verify::kTagVerifyDetail] = "restored in 12m";
  Snapshot& newer = w.Vault("orders-a", kNow - hours(6));
  newer.tags[verify::kTagVerifiedAt] = "2026-11-25T09:00:00Z";
  newer.tags[verify::kTagVerifyResult] = "failed";
  newer.tags[verify::kTagVerifyDetail] = "status incompatible-restore";
  w.Vault("orders-b", kNow - hours(6));
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  const TargetStatus& a = Row(r, "orders-a");
  ASSERT_TRUE(a.last_verification);
  EXPECT_EQ(a.last_verification->at, T("2026-11-25T09:00:00Z"));
  EXPECT_FALSE(a.last_verification->ok);
  EXPECT_EQ(a.last_verification->snapshot_id, newer.id);
  EXPECT_EQ(a.last_verification->detail, "status incompatible-restore");
  // The newest copy was fresh, but the last drill failed: at risk, and the
  // reason says when and why.
  EXPECT_EQ(a.state, RpoState::kAtRisk);
  EXPECT_THAT(a.reason, HasSubstr("the last restore drill failed at 2026-11-25T09:00:00Z"));
  EXPECT_THAT(a.reason, HasSubstr("status incompatible-restore"));
  ASSERT_TRUE(a.since);
  EXPECT_EQ(*a.since, T("2026-11-25T09:00:00Z"));
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_FALSE(Row(r, "orders-b").last_verification);  // never verified
  EXPECT_EQ(Row(r, "orders-b").state, RpoState::kOk);
  // A later drill that passed clears it.
  Snapshot& newest = w.Vault("orders-a", kNow - hours(1));
  newest.tags[verify::kTagVerifiedAt] = "2026-11-25T11:00:00Z";
  newest.tags[verify::kTagVerifyResult] = "ok";
  newest.tags[verify::kTagVerifyDetail] = "restored in 9m";
  EXPECT_EQ(Row(ComputeStatus(w.inv, Cfg(), kNow), "orders-a").state, RpoState::kOk);
}

TEST(StatusTest, RetentionTiersPresent) {
  World w;
  w.Db("orders-a");
  for (int d = 0; d < 10; ++d) w.Vault("orders-a", kNow - hours(1) - days(d));
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  const TargetStatus& row = Row(r, "orders-a");
  std::vector<std::pair<std::string, int>> got;
  for (const auto& t : row.tiers) got.emplace_back(t.tier, t.count);
  EXPECT_EQ(got,
            (std::vector<std::pair<std::string, int>>{{"newest", 1}, {"daily", 3}, {"weekly", 2}}));
}

TEST(StatusTest, DeletedDatabaseWithCopiesIsOk) {
  World w;
  w.Vault("orders-gone", kNow - days(40));
  StatusReport r = ComputeStatus(w.inv, Cfg(), kNow);
  const TargetStatus& row = Row(r, "orders-gone");
  EXPECT_FALSE(row.database_exists);
  EXPECT_EQ(row.state, RpoState::kOk);
  EXPECT_THAT(row.reason, HasSubstr("no longer exists"));
}

TEST(StatusTest, OneRowPerTargetRegion) {
  config::Config cfg = StandardConfig("automated", "24h", "{daily: 7}", R"(      - account: vault2
        regions:
          eu-central-1: {kms_key: arn:aws:kms:eu-central-1:333333333333:key/dr}
          us-east-1: {kms_key: arn:aws:kms:us-east-1:333333333333:key/dr}
)");
  World w;
  w.At(kVault2, kDrRegion2);
  w.At(kVault2, kSrcRegion);
  w.Db("orders-a");
  w.Db("orders-cl", DbKind::kCluster);
  w.Db("unrelated");
  w.Vault("orders-a", kNow - hours(2), SnapshotStatus::kAvailable, kVault2, kDrRegion2);
  StatusReport r = ComputeStatus(w.inv, cfg, kNow);
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_EQ(r.rows[0].db_id, "orders-a");
  EXPECT_EQ(r.rows[0].target, (Scope{kVault, kDrRegion}));
  EXPECT_EQ(r.rows[0].state, RpoState::kBreached);  // never vaulted there
  EXPECT_EQ(r.rows[1].target, (Scope{kVault2, kDrRegion2}));
  EXPECT_EQ(r.rows[1].state, RpoState::kOk);
  EXPECT_EQ(r.rows[3].db_id, "orders-cl");
  EXPECT_EQ(r.rows[3].kind, DbKind::kCluster);
}

// The vault side observes only the DR account: rows come from what it sees
// shared and from its own copies.
Inventory WithoutSource(const Inventory& all) {
  Inventory inv = all;
  std::erase_if(inv.scopes, [](const ScopeInventory& si) { return si.scope.account_id == kProd; });
  return inv;
}

// A capture as the vault account sees it shared in the source region.
void SharedView(World& w, const Snapshot& capture) {
  Snapshot s = capture;
  s.type = SnapshotType::kShared;
  s.tags.clear();
  s.shared_with.reset();
  s.seen_from = Scope{kVault, kSrcRegion};
  w.At(kVault, kSrcRegion).snapshots.push_back(std::move(s));
}

TEST(StatusTest, VaultSideRowsFromWhatTheDrAccountSees) {
  World w;
  w.Db("orders-fresh");
  w.Vault("orders-fresh", kNow - hours(1));
  w.Db("orders-old");  // at risk, but a newer capture is shared: on its way
  w.Vault("orders-old", kNow - hours(9));
  SharedView(w, w.Capture("orders-old", kNow - hours(1), SnapshotStatus::kAvailable, {kVault}));
  w.Db("orders-stale");  // breached: 11h, nothing newer
  w.Vault("orders-stale", kNow - hours(11));
  w.Db("orders-new");  // shared but never vaulted
  SharedView(w, w.Capture("orders-new", kNow - hours(2), SnapshotStatus::kAvailable, {kVault}));
  w.Db("orders-unseen");  // nothing visible from the DR account: no row
  w.Capture("orders-unseen", kNow - hours(2), SnapshotStatus::kAvailable, {});
  StatusReport r = ComputeStatus(WithoutSource(w.inv), Cfg(), kNow);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(Row(r, "orders-fresh").state, RpoState::kOk) << Row(r, "orders-fresh").reason;
  EXPECT_TRUE(Row(r, "orders-fresh").database_exists);
  EXPECT_EQ(Row(r, "orders-old").state, RpoState::kOk) << Row(r, "orders-old").reason;
  EXPECT_THAT(Row(r, "orders-old").reason, HasSubstr("on its way"));
  EXPECT_EQ(Row(r, "orders-stale").state, RpoState::kBreached) << Row(r, "orders-stale").reason;
  EXPECT_EQ(Row(r, "orders-new").state, RpoState::kBreached);
  EXPECT_THAT(Row(r, "orders-new").reason, HasSubstr("never vaulted"));
  // The absent source scope is no error.
  for (const auto& f : r.findings) EXPECT_NE(f.severity, Finding::Severity::kError) << f.message;
  // The same inventory with the source observed agrees on every row's state.
  StatusReport all = ComputeStatus(w.inv, Cfg(), kNow);
  for (const auto& row : r.rows) EXPECT_EQ(Row(all, row.db_id).state, row.state) << row.db_id;
}

TEST(StatusTest, VaultSideUnknownOnlyWhenItsOwnScopesAreBroken) {
  World w;
  w.Db("orders-a");
  w.Vault("orders-a", kNow - hours(1));
  for (const Scope& broken : {Scope{kVault, kDrRegion}, Scope{kVault, kSrcRegion}}) {
    Inventory inv = WithoutSource(w.inv);
    for (auto& si : inv.scopes)
      if (si.scope == broken) si.complete = false;
    StatusReport r = ComputeStatus(inv, Cfg(), kNow);
    ASSERT_EQ(r.rows.size(), 1u) << broken.ToString();
    // Only the target scope decides; the shared view only says what is coming.
    EXPECT_EQ(r.rows[0].state,
              (broken == Scope{kVault, kDrRegion} ? RpoState::kUnknown : RpoState::kOk))
        << broken.ToString();
    EXPECT_THAT(r.rows[0].reason, HasSubstr(broken.ToString()));
  }
  StatusReport fine = ComputeStatus(WithoutSource(w.inv), Cfg(), kNow);
  ASSERT_EQ(fine.rows.size(), 1u);
  EXPECT_EQ(fine.rows[0].state, RpoState::kOk) << fine.rows[0].reason;
}

TEST(StatusTest, StateNames) {
  EXPECT_STREQ(RpoStateName(RpoState::kOk), "ok");
  EXPECT_STREQ(RpoStateName(RpoState::kAtRisk), "at-risk");
  EXPECT_STREQ(RpoStateName(RpoState::kBreached), "breached");
  EXPECT_STREQ(RpoStateName(RpoState::kUnknown), "unknown");
}

// A refusal drsnap's ledger remembers (engine/ledger.h) is the cause of the
// pair it blocks: which call, AWS's code and message, how often, since when.
TEST(StatusTest, ARememberedRefusalIsTheCauseOfItsPair) {
  World w;
  w.Db("orders-db");
  w.Db("orders-web");
  w.Vault("orders-web", kNow - hours(11));
  Snapshot& c = w.Capture("orders-db", kNow - hours(2));
  Refusal r;
  r.action = "copy:" + naming::VaultName(kProd, "orders-db", c.recovery_point);
  r.count = 3;
  r.first = kNow - hours(2);
  r.last = kNow - minutes(20);
  r.code = "KMSKeyNotAccessibleFault";
  r.message = "The source snapshot KMS key does not exist";
  w.At(kVault, kDrRegion).ledger.refusals.push_back(r);
  StatusReport rep = ComputeStatus(w.inv, Cfg(), kNow);
  const TargetStatus& row = Row(rep, "orders-db");
  EXPECT_EQ(row.state, RpoState::kBreached);
  EXPECT_THAT(row.reason, HasSubstr("AWS refused copy"));
  EXPECT_THAT(row.reason, HasSubstr("KMSKeyNotAccessibleFault"));
  EXPECT_THAT(row.reason, HasSubstr("3 times since 2026-11-25T10:00:00Z"));
  // Another database's pair does not take it.
  EXPECT_THAT(Row(rep, "orders-web").reason, ::testing::Not(HasSubstr("AWS refused")));
}

// A default-key database under a policy without a share key can never be
// shared: status says so as the cause of its pairs.
TEST(StatusTest, AMissingShareKeyIsTheCauseOfADefaultKeyDatabasesPairs) {
  World w;
  Database& db = w.Db("orders-db");
  db.encrypted = true;
  db.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/default";
  w.At(kProd, kSrcRegion).default_rds_key_arn = db.kms_key_id;
  config::Config cfg = Cfg();
  cfg.policies[0].share_key.clear();
  StatusReport rep = ComputeStatus(w.inv, cfg, kNow);
  const TargetStatus& row = Row(rep, "orders-db");
  EXPECT_EQ(row.state, RpoState::kBreached);
  EXPECT_THAT(row.reason, HasSubstr("default RDS key"));
  EXPECT_THAT(row.reason, HasSubstr("source.share_key"));
  // With a share key, that is not the cause.
  StatusReport with = ComputeStatus(w.inv, Cfg(), kNow);
  EXPECT_THAT(Row(with, "orders-db").reason, ::testing::Not(HasSubstr("default RDS key")));
}

}  // namespace
}  // namespace drsnap::engine
