// The HTML report as a browser shows it: headless Chromium (Debian's
// `chromium`, installed by scripts/setup) loads a rendered report from a
// file:// URL with networking off, runs its inline script, and we check the
// DOM it ends up with (rows, states, counts, the script's own summary) and
// that a screenshot of it is a real picture.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "cli/report_html.h"
#include "cli/tests/chromium_util.h"
#include "cli/tests/report_html_fixture.h"

namespace drsnap::testing {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = std::filesystem::temp_directory_path() / "drsnap-chromium-XXXXXX";
    if (mkdtemp(t.data()) != nullptr) path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

class ReportHtmlChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kChromium, X_OK), 0)
        << kChromium << " is missing: this test needs Debian's chromium (scripts/setup installs "
        << "it: apt-get install chromium)";
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    auto f = MakeReportFixture();
    report_ = dir_.path() + "/report.html";
    std::ofstream(report_, std::ios::binary) << cli::RenderHtmlReport(f.Input());
  }

  TempDir dir_;
  std::string report_;
};

TEST_F(ReportHtmlChromiumTest, TheBrowserShowsEveryRowStateAndCount) {
  ChromiumRun r = Chromium(dir_.path(), "--dump-dom", "file://" + report_);
  ASSERT_EQ(r.status, 0) << ChromiumErr(dir_.path());
  const std::string& dom = r.out;
  ASSERT_FALSE(dom.empty()) << ChromiumErr(dir_.path());
  // The inline script ran: it marks the document and writes the summary it
  // computed from the rows it found in the DOM.
  EXPECT_NE(dom.find("data-rendered=\"yes\""), std::string::npos) << dom.substr(0, 400);
  EXPECT_NE(dom.find("3 database x target pairs: 1 ok, 0 at-risk, 1 breached, 1 unknown"),
            std::string::npos);
  // The filter button the script reveals.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("<button id=\"filter\"[^>]*>")));
  EXPECT_EQ(m.str().find("hidden"), std::string::npos) << m.str();
  // One row per database x target, in order, with its state.
  std::regex row_re("<tr class=\"row[^\"]*\" data-state=\"([a-z-]+)\"");
  std::vector<std::string> states;
  for (std::sregex_iterator it(dom.begin(), dom.end(), row_re), end; it != end; ++it)
    states.push_back((*it)[1]);
  EXPECT_EQ(states, (std::vector<std::string>{"unknown", "ok", "breached"}));
  EXPECT_EQ(Count(dom, "<section class=\"target"), 3);
  // The parser kept the SVG timelines with their marks.
  EXPECT_EQ(Count(dom, "<svg class=\"timeline\""), 3);
  EXPECT_EQ(Count(dom, "class=\"mark vaulted available\""), 4);
  EXPECT_EQ(Count(dom, "class=\"mark vaulted in-flight\""), 1);
  EXPECT_EQ(Count(dom, "class=\"mark vaulted failed\""), 1);
  // The failure with its reason, and the overall state.
  EXPECT_NE(dom.find("the key is disabled"), std::string::npos);
  EXPECT_NE(dom.find("id=\"overall\" data-state=\"unknown\""), std::string::npos);
}

TEST_F(ReportHtmlChromiumTest, AScreenshotIsARealPicture) {
  std::string png = dir_.path() + "/shot.png";
  ChromiumRun r =
      Chromium(dir_.path(), "--window-size=1280,1600 --screenshot=" + png, "file://" + report_);
  ASSERT_EQ(r.status, 0) << ChromiumErr(dir_.path());
  std::ifstream f(png, std::ios::binary);
  ASSERT_TRUE(f) << "no screenshot written; " << ChromiumErr(dir_.path());
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(16), 1280u);
  EXPECT_EQ(be32(20), 1600u);
  // A blank page compresses to a few kilobytes; a rendered report with text,
  // tables and timelines is far larger.
  EXPECT_GT(bytes.size(), 40000u);
}

}  // namespace
}  // namespace drsnap::testing
