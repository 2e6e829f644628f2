#include "engine/ledger.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time_util.h"

namespace drsnap::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kT0 = *ParseIso8601("2026-12-07T10:00:00Z");

Action Copy(std::string id) {
  Action a;
  a.kind = ActionKind::kCopySnapshot;
  a.snapshot_id = std::move(id);
  return a;
}

TEST(LedgerTest, BackoffDoublesFromHalfAnHourUpToADay) {
  struct Row {
    int count;
    minutes wait;
  } rows[] = {{1, minutes(30)},  {2, minutes(60)},  {3, minutes(120)}, {4, minutes(240)},
              {5, minutes(480)}, {6, minutes(960)}, {7, minutes(1440)}, {30, minutes(1440)}};
  for (const Row& r : rows) {
    Refusal x;
    x.count = r.count;
    x.last = kT0;
    EXPECT_EQ(RetryAfter(x), kT0 + r.wait) << "count " << r.count;
  }
}

TEST(LedgerTest, OnlyRefusalsARetryCannotChangeAreRecorded) {
  struct Row {
    Error e;
    bool permanent;
  } rows[] = {
      {Error::Terminal("KMSKeyNotAccessibleFault", "no"), true},
      {Error::Terminal("SnapshotQuotaExceeded", "full"), true},
      {Error::Terminal("InvalidParameterCombination", "x"), true},
      {Error::Terminal("AccessDenied", "x"), true},
      {Error::Transient("InternalFailure", "x"), false},
      {Error::Throttling("Throttling", "x"), false},
      {Error::Terminal("DBSnapshotAlreadyExists", "x"), false},
      {Error::Terminal("DBSnapshotNotFound", "x"), false},
      {Error::Terminal("DeleteRefused", "S2: x"), false},
      {Error::Terminal("NotSupported", "x"), false},
  };
  for (const Row& r : rows) EXPECT_EQ(IsPermanentRefusal(r.e), r.permanent) << r.e.code;
}

TEST(LedgerTest, EntriesRoundTripInTagCharactersAndSizes) {
  Refusal r = NextRefusal(nullptr, RefusalKey(Copy("drsnap-111111111111-orders-202612070400")),
                          Error::Terminal("KMSKeyNotAccessibleFault",
                                          "key [arn:aws:kms:x] \"quoted\", <b>; " +
                                              std::string(400, 'm')),
                          kT0);
  auto [key, value] = EncodeRefusal(r);
  EXPECT_LE(key.size(), 128u);
  EXPECT_LE(value.size(), 256u);
  for (char c : key + value)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) ||
                std::string(" _.:/=+-@").find(c) != std::string::npos)
        << "'" << c << "'";
  Ledger l = DecodeLedger({{key, value}}, kT0 + hours(3));
  const Refusal* back = l.Find(RefusalKey(Copy("drsnap-111111111111-orders-202612070400")));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->count, 1);
  EXPECT_EQ(back->first, kT0);
  EXPECT_EQ(back->last, kT0);
  EXPECT_EQ(back->code, "KMSKeyNotAccessibleFault");
  // Counted again: the first time stays.
  Refusal again = NextRefusal(back, back->action, Error::Terminal("X", "y"), kT0 + hours(2));
  EXPECT_EQ(again.count, 2);
  EXPECT_EQ(again.first, kT0);
  EXPECT_EQ(again.last, kT0 + hours(2));
}

TEST(LedgerTest, ALongActionKeyIsHashedAndStillFound) {
  std::string id = "drsnap-111111111111-" + std::string(100, 'd') + "-202612070400";
  Refusal r = NextRefusal(nullptr, RefusalKey(Copy(id)), Error::Terminal("X", "y"), kT0);
  auto [key, value] = EncodeRefusal(r);
  EXPECT_EQ(key.size(), 128u);
  Ledger l = DecodeLedger({{key, value}}, kT0 + hours(3));
  EXPECT_NE(l.Find(RefusalKey(Copy(id))), nullptr);
  EXPECT_EQ(l.Find(RefusalKey(Copy(id + "x"))), nullptr);
}

TEST(LedgerTest, EntriesThatDoNotParseAreIgnored) {
  Ledger l = DecodeLedger({{"drsnap-ledger/refused/copy:a", "x 2026 2026 C m"},
                           {"drsnap-ledger/refused/copy:b", "1 notatime 2026-12-07T10:00:00Z C"},
                           {"drsnap-ledger/refused/copy:c", "0 2026-12-07T10:00:00Z "
                                                            "2026-12-07T10:00:00Z C"},
                           {"drsnap-ledger/refused/copy:d", "2 2026-12-07T10:00:00Z "
                                                            "2026-12-07T11:00:00Z Code"},
                           // Dated after the observation, or first after last:
                           // nobody may hold an action back for ever.
                           {"drsnap-ledger/refused/copy:e", "1 2026-12-07T10:00:00Z "
                                                            "2099-01-01T00:00:00Z C future"},
                           {"drsnap-ledger/refused/copy:f", "1 2026-12-07T11:00:00Z "
                                                            "2026-12-07T10:00:00Z C reversed"},
                           {"drsnap-ledger/one-step-copy-refused", "yesterday"},
                           {"drsnap:managed", "true"}},
                          kT0 + hours(3));
  ASSERT_EQ(l.refusals.size(), 1u);
  EXPECT_EQ(l.refusals[0].action, "copy:d");
  EXPECT_EQ(l.refusals[0].message, "");
  EXPECT_FALSE(l.one_step_copy_refused.has_value());
}

TEST(LedgerTest, TheOldestEntriesMakeRoomBeyondTheLimit) {
  Ledger l;
  for (int i = 0; i < kMaxRefusals; ++i) {
    Refusal r;
    r.action = "copy:s" + std::to_string(100 + i);
    r.last = kT0 + minutes(i);
    l.refusals.push_back(r);
  }
  std::vector<std::string> evict = KeysToEvict(l, "copy:new");
  ASSERT_EQ(evict.size(), 1u);
  EXPECT_EQ(evict[0], std::string(kRefusalTagPrefix) + "copy:s100");
  // Updating an entry that is already there needs no room.
  EXPECT_TRUE(KeysToEvict(l, "copy:s120").empty());
}

TEST(LedgerTest, DeletesAreNeverRecorded) {
  Action d;
  d.kind = ActionKind::kDeleteSnapshot;
  d.snapshot_id = "drsnap-x";
  EXPECT_EQ(RefusalKey(d), "");
  Action c = Copy("drsnap-x");
  EXPECT_EQ(RefusalKey(c), "copy:drsnap-x");
}

}  // namespace
}  // namespace drsnap::engine
