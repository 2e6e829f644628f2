#include "core/time_util.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace drsnap {
namespace {

TEST(TimeUtil, Iso8601RoundTrip) {
  auto t = ParseIso8601("2026-11-23T04:10:00.123Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatIso8601(*t), "2026-11-23T04:10:00.123Z");
  EXPECT_EQ(FormatAmzDate(*t), "20261123T041000Z");
  EXPECT_EQ(FormatDateStamp(*t), "20261123");
  EXPECT_EQ(ParseAmzDate("20261123T041000Z"), ParseIso8601("2026-11-23T04:10:00Z"));
}

TEST(TimeUtil, Iso8601RejectsGarbage) {
  EXPECT_FALSE(ParseIso8601("2026-13-23T04:10:00Z"));
  EXPECT_FALSE(ParseIso8601("2026-11-23 04:10"));
  EXPECT_FALSE(ParseIso8601("2026-11-23T04:10:00+02:00"));
  EXPECT_FALSE(ParseAmzDate("20261123T041000"));
}

TEST(TimeUtil, Durations) {
  EXPECT_EQ(ParseDuration("1h"), std::chrono::seconds(3600));
  EXPECT_EQ(ParseDuration("1h30m"), std::chrono::seconds(5400));
  EXPECT_EQ(ParseDuration("7d"), std::chrono::seconds(7 * 86400));
  EXPECT_FALSE(ParseDuration("1x"));
  EXPECT_FALSE(ParseDuration("h"));
  EXPECT_FALSE(ParseDuration("10"));
  EXPECT_EQ(FormatDuration(std::chrono::seconds(93784)), "1d2h3m4s");
}

TEST(Error, ToStringReadsOutsideIn) {
  Error e = Error::Terminal("DBSnapshotNotFound", "DBSnapshot snap-1 not found.");
  e.http_status = 404;
  e.request_id = "abc";
  e.With("CopyDBSnapshot").With("account 111111111111 us-east-1");
  EXPECT_EQ(e.ToString(),
            "account 111111111111 us-east-1: CopyDBSnapshot: DBSnapshot snap-1 not found. "
            "[DBSnapshotNotFound, HTTP 404, request id abc]");
  EXPECT_FALSE(e.retryable());
  EXPECT_TRUE(Error::Throttling("Throttling", "Rate exceeded").retryable());
}

}  // namespace
}  // namespace drsnap
