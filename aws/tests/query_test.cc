// QueryBuilder: the Query protocol's flattening rules as botocore applies them.
#include "aws/query.h"

#include <gtest/gtest.h>

#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using P = QueryParams;

TEST(QueryBuilder, ScalarsAndUnsetMembers) {
  QueryBuilder q;
  q.Add("Always", "");
  q.AddIfSet("EmptyString", std::string());
  q.AddIfSet("Name", std::string("db-1"));
  q.AddIfSet("Literal", "x");
  q.AddIfSet("Unset", std::optional<bool>());
  q.AddIfSet("True", std::optional<bool>(true));
  q.AddIfSet("False", std::optional<bool>(false));
  q.AddIfSet("Zero", std::optional<int>(0));
  q.AddIfSet("Negative", std::optional<int>(-5));
  q.AddIfSet("Long", std::optional<long long>(9000000000LL));
  q.AddIfSet("NoTime", std::optional<TimePoint>());
  EXPECT_EQ(q.params(), (P{{"Always", ""},
                           {"Name", "db-1"},
                           {"Literal", "x"},
                           {"True", "true"},
                           {"False", "false"},
                           {"Zero", "0"},
                           {"Negative", "-5"},
                           {"Long", "9000000000"}}));
}

TEST(QueryBuilder, ListsUseTheMemberLocationNameAndCountFromOne) {
  QueryBuilder q;
  q.AddList("ValuesToAdd", "AttributeValue", {"111122223333", "all"});
  q.AddList("ValuesToRemove", "AttributeValue", {});
  q.AddList("EventCategories", "EventCategory", {}, /*send_empty=*/true);
  EXPECT_EQ(q.params(), (P{{"ValuesToAdd.AttributeValue.1", "111122223333"},
                           {"ValuesToAdd.AttributeValue.2", "all"},
                           {"EventCategories", ""}}));
}

TEST(QueryBuilder, StructListsNestPrefixes) {
  struct F {
    std::string name;
    std::vector<std::string> values;
  };
  std::vector<F> filters = {{"db-instance-id", {"a", "b"}}, {"engine", {}}};
  QueryBuilder q;
  q.AddStructList("Filters", "Filter", filters,
                  [](QueryBuilder& b, const std::string& p, const F& f) {
                    b.Add(p + ".Name", f.name);
                    b.AddList(p + ".Values", "Value", f.values, /*send_empty=*/true);
                  });
  EXPECT_EQ(q.params(), (P{{"Filters.Filter.1.Name", "db-instance-id"},
                           {"Filters.Filter.1.Values.Value.1", "a"},
                           {"Filters.Filter.1.Values.Value.2", "b"},
                           {"Filters.Filter.2.Name", "engine"},
                           {"Filters.Filter.2.Values", ""}}));
  EXPECT_EQ(QueryBuilder::ListItemName("Tags", "Tag", 12), "Tags.Tag.12");
}

TEST(QueryTimestamp, SecondsOrMicroseconds) {
  TimePoint t = *ParseIso8601("2026-11-23T04:10:00Z");
  EXPECT_EQ(QueryTimestamp(t), "2026-11-23T04:10:00Z");
  EXPECT_EQ(QueryTimestamp(t + std::chrono::microseconds(123456)), "2026-11-23T04:10:00.123456Z");
  EXPECT_EQ(QueryTimestamp(t + std::chrono::milliseconds(5)), "2026-11-23T04:10:00.005000Z");
  QueryBuilder q;
  q.AddIfSet("StartTime", std::optional<TimePoint>(t));
  EXPECT_EQ(q.params(), (P{{"StartTime", "2026-11-23T04:10:00Z"}}));
}

TEST(ParseFormBody, DecodesPairsInOrder) {
  EXPECT_EQ(ParseFormBody("Action=CopyDBSnapshot&Tags.Tag.1.Value=a%20b%2Bc&Empty=&Plus=x+y&Flag"),
            (P{{"Action", "CopyDBSnapshot"},
               {"Tags.Tag.1.Value", "a b+c"},
               {"Empty", ""},
               {"Plus", "x y"},
               {"Flag", ""}}));
  EXPECT_TRUE(ParseFormBody("").empty());
  EXPECT_EQ(ParseFormBody("a=%E2%9C%93&&b=1"), (P{{"a", "\xE2\x9C\x93"}, {"b", "1"}}));
}

TEST(FindParam, FirstMatchOrNullopt) {
  P p = {{"A", "1"}, {"B", ""}, {"A", "2"}};
  EXPECT_EQ(FindParam(p, "A"), "1");
  EXPECT_EQ(FindParam(p, "B"), "");
  EXPECT_EQ(FindParam(p, "C"), std::nullopt);
}

}  // namespace
}  // namespace drsnap::aws
