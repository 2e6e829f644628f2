#include "testing/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace drsnap::testing {

bool UpdateGolden() {
  const char* v = std::getenv("DRSNAP_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

std::string TestdataPath(const std::string& relative) {
  return std::string(DRSNAP_SOURCE_DIR) + "/testdata/" + relative;
}

std::string ReadTestdata(const std::string& relative) {
  std::ifstream in(TestdataPath(relative), std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteTestdata(const std::string& relative, const std::string& text) {
  std::ofstream(TestdataPath(relative), std::ios::binary) << text;
}

void ExpectGoldenFile(const std::string& path, const std::string& got, GoldenMode mode) {
  if (mode == GoldenMode::kUpdate) {
    std::ofstream(path, std::ios::binary) << got;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "missing golden file " << path << "; run with DRSNAP_UPDATE_GOLDEN=1";
    return;
  }
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(want.str(), got) << "golden file " << path
                             << " differs; if the change is intended, rerun with "
                                "DRSNAP_UPDATE_GOLDEN=1 and review the diff";
}

void ExpectGolden(const std::string& relative, const std::string& got) {
  ExpectGoldenFile(TestdataPath(relative), got,
                   UpdateGolden() ? GoldenMode::kUpdate : GoldenMode::kCompare);
}

}  // namespace drsnap::testing
