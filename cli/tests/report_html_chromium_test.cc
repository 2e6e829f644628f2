// The HTML report as a browser shows it: headless Chromium (Debian's
// `chromium`, installed by scripts/setup) loads a rendered report from a
// file:// URL with networking off, runs its inline script, and we check the
// DOM it ends up with (rows, states, counts, the script's own summary) and
// that a screenshot of it is a real picture.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/report_html.h"
#include "cli/tests/report_html_fixture.h"

namespace drsnap::testing {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

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

struct ProcessRun {
  int status = -1;
  std::string out;
};

// Runs headless Chromium with `extra` arguments on `url`; stdout captured,
// stderr (D-Bus chatter) to a file in `dir`.
ProcessRun Chromium(const std::string& dir, const std::string& extra, const std::string& url) {
  std::string profile = dir + "/profile";
  std::filesystem::create_directories(profile);
  std::string cmd = std::string("timeout 120 ") + kChromium +
                    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --user-data-dir=" +
                    profile + " " + extra + " '" + url + "' 2>" + dir + "/chromium.err";
  ProcessRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string ReadErr(const std::string& dir) {
  std::ifstream f(dir + "/chromium.err");
  std::stringstream s;
  s << f.rdbuf();
  std::string e = s.str();
  return e.size() > 2000 ? e.substr(e.size() - 2000) : e;
}

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
  ProcessRun r = Chromium(dir_.path(), "--dump-dom", "file://" + report_);
  ASSERT_EQ(r.status, 0) << ReadErr(dir_.path());
  const std::string& dom = r.out;
  ASSERT_FALSE(dom.empty()) << ReadErr(dir_.path());
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
  ProcessRun r =
      Chromium(dir_.path(), "--window-size=1280,1600 --screenshot=" + png, "file://" + report_);
  ASSERT_EQ(r.status, 0) << ReadErr(dir_.path());
  std::ifstream f(png, std::ios::binary);
  ASSERT_TRUE(f) << "no screenshot written; " << ReadErr(dir_.path());
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
