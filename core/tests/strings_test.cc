#include "core/strings.h"

#include <gtest/gtest.h>

namespace drsnap {
namespace {

TEST(StringsTest, AsciiLowerChangesOnlyAToZ) {
  EXPECT_EQ(AsciiLower("Orders-DB_01"), "orders-db_01");
  EXPECT_EQ(AsciiLower(""), "");
  EXPECT_EQ(AsciiLower("\xC3\x89T\xE9"), "\xC3\x89t\xE9");  // other bytes unchanged
  EXPECT_EQ(AsciiLower('Z'), 'z');
  EXPECT_EQ(AsciiLower('@'), '@');
  EXPECT_EQ(AsciiLower('['), '[');
}

TEST(StringsTest, AsciiEqualsIgnoreCase) {
  EXPECT_TRUE(AsciiEqualsIgnoreCase("X-Amz-Date", "x-amz-date"));
  EXPECT_TRUE(AsciiEqualsIgnoreCase("", ""));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("@", "`"));  // 0x40 / 0x60 are not letters
}

}  // namespace
}  // namespace drsnap
