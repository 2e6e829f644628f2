#include "engine/naming.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "core/time_util.h"

namespace drsnap::engine::naming {
namespace {

using ::testing::HasSubstr;

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

TEST(NamingTest, CaptureNameShape) {
  EXPECT_EQ(CaptureName("orders-db", T("2026-11-23T04:10:37Z")), "drsnap-orders-db-202611230410");
  EXPECT_EQ(CaptureName("orders-db", T("2026-11-23T04:10:37Z"), 2),
            "drsnap-orders-db-202611230410-r2");
  EXPECT_EQ(RawName("orders-db", T("2026-11-23T04:10:00Z")), "drsnap-orders-db-202611230410-raw");
}

TEST(NamingTest, VaultAndHopNamesCarrySourceAccount) {
  EXPECT_EQ(VaultName("111111111111", "orders-db", T("2026-11-23T04:10:00Z")),
            "drsnap-111111111111-orders-db-202611230410");
  EXPECT_EQ(HopName("111111111111", "orders-db", T("2026-11-23T04:10:00Z"), 3),
            "drsnap-111111111111-orders-db-202611230410-hop-r3");
}

TEST(NamingTest, ParseRecoversLineage) {
  auto l = ParseName("drsnap-111111111111-orders-db-202611230410-hop-r3");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stage, NameStage::kHop);
  EXPECT_EQ(l->source_account, "111111111111");
  EXPECT_EQ(l->db_token, "orders-db");
  EXPECT_EQ(l->recovery_point, T("2026-11-23T04:10:00Z"));
  EXPECT_EQ(l->attempt, 3);

  l = ParseName("arn:aws:rds:us-east-1:111111111111:snapshot:drsnap-orders-db-202611230410");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stage, NameStage::kCapture);
  EXPECT_EQ(l->source_account, "");
  EXPECT_EQ(l->db_token, "orders-db");
  EXPECT_EQ(l->attempt, 0);
}

TEST(NamingTest, DbIdsThatLookLikeGrammarStillParse) {
  // A db id that ends like a timestamp, an attempt or a stage marker.
  for (const char* db : {"a-202611230410", "db-r2", "x-hop", "y-raw", "hop", "raw", "r1"}) {
    TimePoint rp = T("2026-01-02T03:04:00Z");
    for (int attempt : {0, 1, 999}) {
      std::string names[] = {CaptureName(db, rp, attempt), RawName(db, rp, attempt),
                             HopName("123456789012", db, rp, attempt),
                             VaultName("123456789012", db, rp, attempt)};
      NameStage stages[] = {NameStage::kCapture, NameStage::kRaw, NameStage::kHop,
                            NameStage::kVault};
      for (int i = 0; i < 4; ++i) {
        auto l = ParseName(names[i]);
        ASSERT_TRUE(l) << names[i];
        EXPECT_EQ(l->stage, stages[i]) << names[i];
        EXPECT_EQ(l->db_token, DbToken(db)) << names[i];
        EXPECT_EQ(l->recovery_point, rp) << names[i];
        EXPECT_EQ(l->attempt, attempt) << names[i];
      }
    }
  }
}

TEST(NamingTest, RejectsForeignNames) {
  for (const char* s :
       {"rds:orders-db-2026-11-23-04-10", "orders-db-202611230410", "drsnap-", "drsnap-orders",
        "drsnap-orders-20261123041", "drsnap-orders-202613230410", "drsnap-orders-202611230410-r0",
        "drsnap-orders-202611230410-r1000", "drsnap-orders-202611230410-r01",
        "drsnap-111111111111-202611230410", "drsnap-111111111111-db-202611230410-raw",
        "drsnap-db-202611230410-hop", "drsnap--db-202611230410", "drsnap-db-202611230410-",
        "DRSNAP-db-202611230410", "drsnap-Db-202611230410", "drsnap-1db-202611230410",
        "drsnap-db_x-202611230410", ""}) {
    EXPECT_FALSE(ParseName(s)) << s;
  }
}

TEST(NamingTest, LongIdsAreShortenedStablyAndFitClusterLimit) {
  std::string long_id(63, 'a');
  long_id[30] = '-';
  std::string tok = DbToken(long_id);
  EXPECT_LE(tok.size(), 21u);
  EXPECT_EQ(tok, DbToken(long_id));  // stable
  std::string other = long_id;
  other[62] = 'b';
  EXPECT_NE(DbToken(other), tok);  // same prefix, different id -> different hash
  std::string name = HopName("123456789012", long_id, T("2026-11-23T04:10:00Z"), kMaxAttempt);
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kCluster, name)) << name;
  EXPECT_LE(name.size(), 63u);
  auto l = ParseName(name);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->db_token, tok);
}

TEST(NamingTest, ShortIdsAreKeptVerbatim) {
  EXPECT_EQ(DbToken("orders"), "orders");
  EXPECT_EQ(DbToken("Orders"), "orders");
  EXPECT_EQ(DbToken(std::string(21, 'x')), std::string(21, 'x'));
  EXPECT_NE(DbToken(std::string(22, 'x')), std::string(22, 'x'));
}

// HasDbToken(id, t) is DbToken(id) == t, for ids that are their own token
// (its fast path) and for every other kind of id.
TEST(NamingTest, HasDbTokenAgreesWithDbToken) {
  std::mt19937_64 rng(7);
  const std::string chars = "abcxyz0189-ABZ_.";
  std::vector<std::string> ids = {"orders", "Orders", "a", "a-b", "a--b", "-a", "a-",
                                  "1abc", "my_db", std::string(21, 'x'), std::string(22, 'x'),
                                  std::string(63, 'q')};
  for (int i = 0; i < 2000; ++i) {
    std::string id;
    for (size_t len = 1 + rng() % 70; id.size() < len;) id.push_back(chars[rng() % chars.size()]);
    ids.push_back(id);
  }
  for (const std::string& id : ids) {
    const std::string token = DbToken(id);
    EXPECT_TRUE(HasDbToken(id, token)) << id;
    EXPECT_FALSE(HasDbToken(id, token + "a")) << id;
    EXPECT_FALSE(HasDbToken(id, token.substr(0, token.size() - 1))) << id;
    EXPECT_FALSE(HasDbToken(id, "")) << id;
  }
  EXPECT_TRUE(HasDbToken("Orders", "orders"));  // upper case is not an alteration
  EXPECT_FALSE(HasDbToken("orders", "Orders"));
}

TEST(NamingTest, InvalidCharactersAreReplacedAndHashed) {
  std::string tok = DbToken("my_db--x");
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kCluster, tok)) << tok;
  EXPECT_NE(tok, DbToken("my-db-x"));  // the hash tells them apart
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kCluster, DbToken("1abc"))) << DbToken("1abc");
}

TEST(NamingTest, IsValidSnapshotId) {
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kInstance, "a"));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, ""));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, "1a"));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, "a--b"));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, "a-"));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, "a:b"));
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kInstance, std::string(255, 'a')));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kInstance, std::string(256, 'a')));
  EXPECT_TRUE(IsValidSnapshotId(DbKind::kCluster, std::string(63, 'a')));
  EXPECT_FALSE(IsValidSnapshotId(DbKind::kCluster, std::string(64, 'a')));
}

// Property: random valid DB ids, random points and attempts round-trip through
// every stage; every name is a valid cluster snapshot id; distinct ids give
// distinct tokens.
TEST(NamingTest, PropertyRandomIdsRoundTrip) {
  std::mt19937_64 rng(20261125);
  const std::string alpha = "abcdefghijklmnopqrstuvwxyz";
  const std::string chars = "abcdefghijklmnopqrstuvwxyz0123456789-";
  std::set<std::string> ids;
  std::map<std::string, std::string> token_of;
  for (int i = 0; i < 3000; ++i) {
    size_t len = 1 + rng() % 63;
    std::string id(1, alpha[rng() % alpha.size()]);
    while (id.size() < len) {
      char c = chars[rng() % chars.size()];
      if (c == '-' && id.back() == '-') continue;
      id.push_back(c);
    }
    while (id.back() == '-') id.pop_back();
    int64_t minutes = static_cast<int64_t>(rng() % (200ull * 365 * 24 * 60));
    TimePoint rp = T("1970-01-01T00:00:00Z") + std::chrono::minutes(minutes) +
                   std::chrono::seconds(rng() % 60);
    int attempt = static_cast<int>(rng() % (kMaxAttempt + 1));
    std::string acct;
    for (int d = 0; d < 12; ++d) acct.push_back(static_cast<char>('0' + rng() % 10));
    for (NameStage st :
         {NameStage::kCapture, NameStage::kRaw, NameStage::kHop, NameStage::kVault}) {
      bool dr = st == NameStage::kHop || st == NameStage::kVault;
      Lineage in{st, dr ? acct : "", DbToken(id), NamePoint(rp), attempt};
      std::string name = MakeName(in);
      ASSERT_TRUE(IsValidSnapshotId(DbKind::kCluster, name)) << id << " -> " << name;
      auto out = ParseName(name);
      ASSERT_TRUE(out) << name;
      EXPECT_EQ(*out, in) << name;
    }
    std::string tok = DbToken(id);
    auto [it, inserted] = token_of.emplace(tok, id);
    if (!inserted) {
      EXPECT_EQ(it->second, id) << "token collision: " << tok;
    }
  }
}

// A snapshot named `id` with the seven tags drsnap writes, but the stage
// tag `stage`.
Snapshot Managed(const std::string& id, const std::string& stage) {
  Snapshot s;
  s.id = id;
  s.type = SnapshotType::kManual;
  s.scope = s.seen_from = Scope{"111111111111", "us-east-1"};
  s.tags = {{kTagManaged, "true"}, {kTagStage, stage}, {kTagPolicy, "orders"}, {kTagDb, "db"}};
  if (auto lin = ParseName(id)) {
    s.tags[kTagRecoveryPoint] = FormatIso8601Seconds(lin->recovery_point);
    s.tags[kTagSourceAccount] = lin->source_account.empty() ? "111111111111" : lin->source_account;
    s.create_time = lin->recovery_point + std::chrono::minutes(3);
    s.recovery_point = lin->recovery_point;
  }
  s.tags[kTagSourceArn] = "arn:aws:rds:us-east-1:111111111111:snapshot:rds:db-2026-11-23-04-10";
  return s;
}

TEST(NamingTest, CreatedByDrsnapNeedsNameAndTags) {
  EXPECT_TRUE(IsDrsnapCreated(Managed("drsnap-db-202611230410", "capture")));
  // Name alone.
  Snapshot s = Managed("drsnap-db-202611230410", "capture");
  s.tags.clear();
  EXPECT_FALSE(IsDrsnapCreated(s));
  // Tag says false.
  s = Managed("drsnap-db-202611230410", "capture");
  s.tags[kTagManaged] = "false";
  EXPECT_FALSE(IsDrsnapCreated(s));
  // Tags alone on a foreign name.
  EXPECT_FALSE(IsDrsnapCreated(Managed("nightly-db-2026", "capture")));
  // Stage tag disagrees with the name.
  EXPECT_FALSE(IsDrsnapCreated(Managed("drsnap-db-202611230410", "vault")));
  // Automated / shared are never drsnap's to delete.
  s = Managed("drsnap-db-202611230410", "capture");
  s.type = SnapshotType::kAutomated;
  EXPECT_FALSE(IsDrsnapCreated(s));
  s = Managed("drsnap-db-202611230410", "capture");
  s.type = SnapshotType::kShared;
  EXPECT_FALSE(IsDrsnapCreated(s));
  // Seen from another account (shared to us): not ours.
  s = Managed("drsnap-db-202611230410", "capture");
  s.seen_from = Scope{"222222222222", "us-east-1"};
  EXPECT_FALSE(IsDrsnapCreated(s));
}

// Every clause of the rule: the seven tags coherent with the name and each
// other, and a point AWS's facts allow.
TEST(NamingTest, CreatedByDrsnapNeedsEveryTagCoherent) {
  const std::string capture = "drsnap-db-202611230410";
  const std::string vault = "drsnap-111111111111-db-202611230410";
  ASSERT_TRUE(IsDrsnapCreated(Managed(capture, "capture")));
  ASSERT_TRUE(IsDrsnapCreated(Managed(vault, "vault")));
  struct Case {
    const char* what;
    std::string id;
    const char* stage;
    std::function<void(Snapshot&)> change;
    const char* why;  // in WhyNotDrsnapCreated
  };
  const Case cases[] = {
      {"no policy tag", capture, "capture", [](Snapshot& s) { s.tags.erase(kTagPolicy); },
       kTagPolicy},
      {"empty policy tag", capture, "capture", [](Snapshot& s) { s.tags[kTagPolicy] = ""; },
       kTagPolicy},
      {"no db tag", capture, "capture", [](Snapshot& s) { s.tags.erase(kTagDb); }, kTagDb},
      {"db tag of another database", capture, "capture",
       [](Snapshot& s) { s.tags[kTagDb] = "other"; }, kTagDb},
      {"no recovery point tag", capture, "capture",
       [](Snapshot& s) { s.tags.erase(kTagRecoveryPoint); }, kTagRecoveryPoint},
      {"recovery point tag disagrees", capture, "capture",
       [](Snapshot& s) { s.tags[kTagRecoveryPoint] = "2026-11-22T04:10:00Z"; },
       kTagRecoveryPoint},
      {"no source account", vault, "vault", [](Snapshot& s) { s.tags.erase(kTagSourceAccount); },
       kTagSourceAccount},
      {"source account not the name's", vault, "vault",
       [](Snapshot& s) { s.tags[kTagSourceAccount] = "999999999999"; }, kTagSourceAccount},
      {"capture's source account not its own", capture, "capture",
       [](Snapshot& s) { s.tags[kTagSourceAccount] = "999999999999"; }, kTagSourceAccount},
      {"no source arn", capture, "capture", [](Snapshot& s) { s.tags.erase(kTagSourceArn); },
       kTagSourceArn},
      {"made before its point", capture, "capture",
       [](Snapshot& s) { s.create_time = s.recovery_point - std::chrono::hours(1); },
       "before the recovery point"},
      {"AWS's original time disagrees", vault, "vault",
       [](Snapshot& s) { s.recovery_point += std::chrono::hours(30); }, "not AWS's record"},
  };
  for (const auto& c : cases) {
    Snapshot s = Managed(c.id, c.stage);
    c.change(s);
    EXPECT_FALSE(IsDrsnapCreated(s)) << c.what;
    auto lin = ParseNameView(s.id);
    ASSERT_TRUE(lin);
    EXPECT_THAT(WhyNotDrsnapCreated(s, *lin, FindDrsnapTags(s.tags), {}), HasSubstr(c.why))
        << c.what;
  }
  // A point after the observation: in the future.
  Snapshot s = Managed(capture, "capture");
  EXPECT_TRUE(IsDrsnapCreated(s, T("2026-11-23T05:00:00Z")));
  EXPECT_FALSE(IsDrsnapCreated(s, T("2026-11-23T04:00:00Z")));
  // A clock a few minutes apart is not a forgery.
  s.create_time = T("2026-11-23T04:08:00Z");
  s.recovery_point = T("2026-11-23T04:09:00Z");
  EXPECT_TRUE(IsDrsnapCreated(s, T("2026-11-23T04:07:00Z")));
}

TEST(NamingTest, TimestampRoundTrip) {
  EXPECT_EQ(FormatNameTimestamp(T("2026-02-28T23:59:59Z")), "202602282359");
  EXPECT_EQ(ParseNameTimestamp("202602282359"), T("2026-02-28T23:59:00Z"));
  EXPECT_FALSE(ParseNameTimestamp("202602302359"));
  EXPECT_FALSE(ParseNameTimestamp("202602282460"));
  EXPECT_FALSE(ParseNameTimestamp("2026022823"));
}

}  // namespace
}  // namespace drsnap::engine::naming
