#include "engine/tags.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace drsnap::engine {
namespace {

std::vector<std::string> Keys(const Tags& t) {
  std::vector<std::string> out;
  for (const auto& [k, v] : t) out.push_back(k);
  return out;
}

TEST(TagsTest, IteratesInKeyOrderAndTheFirstOfDuplicateKeysWins) {
  Tags t{{"drsnap:stage", "vault"}, {"Name", "x"}, {"drsnap:db", "orders"}, {"Name", "y"}};
  EXPECT_EQ(Keys(t), (std::vector<std::string>{"Name", "drsnap:db", "drsnap:stage"}));
  EXPECT_EQ(t.at("Name"), "x");  // as std::map's initializer list
  EXPECT_EQ(t.size(), 3u);
}

TEST(TagsTest, LookupsInsertAndErase) {
  Tags t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.find("a"), t.end());
  EXPECT_THROW((void)t.at("a"), std::out_of_range);
  EXPECT_TRUE(t.emplace("b", "2").second);
  EXPECT_FALSE(t.emplace("b", "3").second);  // keeps the existing value
  EXPECT_EQ(t.at("b"), "2");
  t["a"] = "1";
  EXPECT_EQ(t["c"], "");  // inserts an empty value
  EXPECT_EQ(Keys(t), (std::vector<std::string>{"a", "b", "c"}));
  t.insert_or_assign("b", "4");
  EXPECT_EQ(t.find("b")->second, "4");
  EXPECT_TRUE(t.contains("c"));
  EXPECT_EQ(t.count("z"), 0u);
  EXPECT_EQ(t.erase("c"), 1u);
  EXPECT_EQ(t.erase("c"), 0u);
  EXPECT_EQ(t.lower_bound("aa")->first, "b");
  EXPECT_EQ(t, (Tags{{"b", "4"}, {"a", "1"}}));
  EXPECT_NE(t, (Tags{{"a", "1"}}));
}

// Random operations against std::map, small (the linear scan) and large
// (the binary search) alike: the same contents in the same order.
TEST(TagsTest, BehavesLikeStdMap) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    Tags t;
    std::map<std::string, std::string> m;
    int key_space = round % 2 ? 6 : 60;
    for (int op = 0; op < 400; ++op) {
      std::string key = "k" + std::to_string(rng() % key_space) + std::string(rng() % 3 * 9, 'x');
      std::string value = std::to_string(rng());
      switch (rng() % 4) {
        case 0:
          EXPECT_EQ(t.emplace(key, value).second, m.emplace(key, value).second);
          break;
        case 1:
          t[key] = value;
          m[key] = value;
          break;
        case 2:
          EXPECT_EQ(t.erase(key), m.erase(key));
          break;
        case 3: {
          auto it = m.find(key);
          auto got = t.find(key);
          ASSERT_EQ(got != t.end(), it != m.end()) << key;
          if (got != t.end()) {
            EXPECT_EQ(got->second, it->second);
          }
          break;
        }
      }
    }
    ASSERT_EQ(t.size(), m.size());
    auto it = m.begin();
    for (const auto& [k, v] : t) {
      EXPECT_EQ(k, it->first);
      EXPECT_EQ(v, it->second);
      ++it;
    }
  }
}

}  // namespace
}  // namespace drsnap::engine
