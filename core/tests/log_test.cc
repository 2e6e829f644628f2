// Log fields keep their type: JSON lines carry numbers and booleans as JSON
// numbers and booleans; text lines print them plainly.
#include "core/log.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/shared_string.h"

namespace drsnap {
namespace {

LogFields Typed() {
  std::string text = "orders db";
  SharedString shared("snap-1");
  size_t count = 8;
  return {{"failed", 8},    {"count", count}, {"big", std::numeric_limits<std::uint64_t>::max()},
          {"negative", -3}, {"ratio", 0.5},   {"dry_run", true},
          {"text", text},   {"literal", "8"}, {"shared", shared}};
}

TEST(LogTest, JsonLinesKeepTheTypes) {
  Logger log(nullptr);
  log.Configure(LogLevel::kInfo, LogFormat::kJson);
  auto j = nlohmann::json::parse(log.Format(LogLevel::kInfo, "reconcile finished", Typed()));
  EXPECT_EQ(j["msg"], "reconcile finished");
  EXPECT_EQ(j["level"], "info");
  EXPECT_TRUE(j["failed"].is_number_integer());
  EXPECT_EQ(j["failed"], 8);
  EXPECT_EQ(j["count"], 8);
  EXPECT_EQ(j["big"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(j["negative"], -3);
  EXPECT_TRUE(j["ratio"].is_number_float());
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_TRUE(j["dry_run"].is_boolean());
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["text"], "orders db");
  // Text stays text, even when it looks like a number.
  EXPECT_TRUE(j["literal"].is_string());
  EXPECT_EQ(j["shared"], "snap-1");
}

TEST(LogTest, TextLinesPrintValuesPlainly) {
  Logger log(nullptr);
  log.Configure(LogLevel::kInfo, LogFormat::kText);
  std::string line = log.Format(LogLevel::kWarn, "done", Typed());
  EXPECT_NE(line.find(" warn done failed=8 count=8 big=18446744073709551615 negative=-3 "
                      "ratio=0.5 dry_run=true text=\"orders db\" literal=8 shared=snap-1"),
            std::string::npos)
      << line;
}

TEST(LogTest, FormatIsReported) {
  Logger log(nullptr);
  EXPECT_EQ(log.format(), LogFormat::kText);
  log.Configure(LogLevel::kInfo, LogFormat::kJson);
  EXPECT_EQ(log.format(), LogFormat::kJson);
}

}  // namespace
}  // namespace drsnap
