// Golden-file tests: testdata/planner/*.golden hold a policy ("=== config",
// YAML), an inventory in the text format of planner_util.h ("=== inventory")
// and the expected plan with reasons ("=== plan"). DRSNAP_UPDATE_GOLDEN=1
// rewrites the plan sections; review the diff before committing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "engine/planner.h"
#include "engine/tests/planner_util.h"

namespace drsnap::engine {
namespace {

using namespace testutil;

struct GoldenFile {
  std::string header;  // everything before "=== config"
  std::string config;
  std::string inventory;
  std::string plan;
};

GoldenFile Split(const std::string& text) {
  GoldenFile g;
  std::string* cur = &g.header;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line == "=== config")
      cur = &g.config;
    else if (line == "=== inventory")
      cur = &g.inventory;
    else if (line == "=== plan")
      cur = &g.plan;
    else
      *cur += line + "\n";
  }
  return g;
}

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(DRSNAP_SOURCE_DIR) + "/testdata/planner"))
    if (e.path().extension() == ".golden") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class PlannerGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PlannerGoldenTest, PlanMatches) {
  std::string rel = "planner/" + GetParam();
  GoldenFile g = Split(ReadTestdata(rel));
  ASSERT_FALSE(g.config.empty()) << rel << " has no '=== config' section";
  ASSERT_FALSE(g.inventory.empty()) << rel << " has no '=== inventory' section";
  auto cfg = config::ParseConfig(g.config, GetParam());
  ASSERT_TRUE(cfg) << cfg.error().ToString();
  TimePoint now{};
  std::string error;
  Inventory inv = ParseInventoryText(g.inventory, &now, &error);
  ASSERT_EQ(error, "") << rel;
  ASSERT_NE(now, TimePoint{}) << rel << ": the inventory needs a 'now' line";
  std::string got = RenderPlan(MakePlan(inv, *cfg, now));
  if (UpdateGolden()) {
    WriteTestdata(rel, g.header + "=== config\n" + g.config + "=== inventory\n" + g.inventory +
                           "=== plan\n" + got);
    return;
  }
  EXPECT_EQ(g.plan, got) << rel << " differs; rerun with DRSNAP_UPDATE_GOLDEN=1 to accept";
}

INSTANTIATE_TEST_SUITE_P(Files, PlannerGoldenTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param.substr(0, param_info.param.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(PlannerGoldenFilesTest, ThereAreGoldenFiles) { EXPECT_GE(GoldenFiles().size(), 6u); }

}  // namespace
}  // namespace drsnap::engine
