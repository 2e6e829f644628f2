#include "core/shared_string.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace drsnap {
namespace {

TEST(SharedStringTest, EmptyByDefaultAndFromEmptyString) {
  SharedString a;
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.str(), "");
  EXPECT_TRUE(SharedString(std::string()).empty());
  EXPECT_TRUE(SharedString("").empty());
}

TEST(SharedStringTest, CopiesShareOneTextAndCompareByText) {
  SharedString a = std::string("retention daily 7 in 222222222222/eu-west-1: not selected");
  SharedString b = a;
  EXPECT_TRUE(b.SharesWith(a));
  EXPECT_EQ(b.str(), a.str());
  SharedString c = std::string(a.str());  // same text, its own buffer
  EXPECT_FALSE(c.SharesWith(a));
  EXPECT_TRUE(c == a);
  EXPECT_TRUE(a == "retention daily 7 in 222222222222/eu-west-1: not selected");
  EXPECT_FALSE(a == "retention");
  EXPECT_TRUE(a.starts_with("retention "));
  EXPECT_EQ(a.find("daily"), 10u);
  std::string_view v = a;
  EXPECT_EQ(v.size(), a.size());
}

TEST(SharedStringTest, AssignmentAndMoveKeepTheTextAlive) {
  SharedString a = std::string("a text longer than the small-string buffer");
  SharedString b;
  b = a;
  a = std::string("another");
  EXPECT_EQ(b.str(), "a text longer than the small-string buffer");
  EXPECT_EQ(a.str(), "another");
  SharedString c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(c.str(), "a text longer than the small-string buffer");
  c = c;  // self-assignment keeps it
  EXPECT_EQ(c.str(), "a text longer than the small-string buffer");
}

// Copies made and dropped on several threads at once: the count stays right
// (ASan reports a leak or a use after free when it does not).
TEST(SharedStringTest, CopiesAcrossThreads) {
  SharedString shared = std::string("shared by every thread, longer than fifteen");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        SharedString copy = shared;
        ASSERT_EQ(copy.size(), shared.size());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared.str(), "shared by every thread, longer than fifteen");
}

}  // namespace
}  // namespace drsnap
