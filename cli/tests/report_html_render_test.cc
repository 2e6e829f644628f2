// The HTML report renderer against a hand-built StatusReport + Inventory:
// structure (one row and one section per database x target, states,
// counts, marks on the timelines, failures in the right places), escaping,
// self-containment, determinism, and a golden file.
//
// Regenerate the golden file after an intended change with
//   DRSNAP_UPDATE_GOLDEN=1 build/cli/cli_report_html_render_test
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/report_html.h"
#include "cli/tests/report_html_fixture.h"
#include "testing/golden.h"

namespace drsnap::testing {
namespace {

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

// The text of the element whose opening tag starts at `open`, up to `close`.
std::string Between(const std::string& s, const std::string& open, const std::string& close) {
  size_t a = s.find(open);
  if (a == std::string::npos) return "";
  size_t b = s.find(close, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The <section> of one row, by its key ("" when absent).
std::string Section(const std::string& html, const std::string& key) {
  size_t at = html.find("data-key=\"" + key + "\">\n<header>");
  if (at == std::string::npos) return "";
  size_t begin = html.rfind("<section", at);
  size_t end = html.find("</section>", at);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return html.substr(begin, end - begin);
}

TEST(ReportHtmlRenderTest, OneRowAndOneSectionPerDatabaseTarget) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  EXPECT_EQ(Count(html, "<tr class=\"row"), 3);
  EXPECT_EQ(Count(html, "<section class=\"target"), 3);
  // Rows in the report's order, with their states.
  std::regex row_re("<tr class=\"row[^\"]*\" data-state=\"([a-z-]+)\" data-key=\"([^\"]+)\"");
  std::vector<std::pair<std::string, std::string>> rows;
  for (std::sregex_iterator it(html.begin(), html.end(), row_re), end; it != end; ++it)
    rows.emplace_back((*it)[1], (*it)[2]);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], std::make_pair(std::string("unknown"),
                                    std::string("critical/ledger/cluster/222222222222/eu-west-1")));
  EXPECT_EQ(rows[1],
            std::make_pair(std::string("ok"),
                           std::string("critical/orders/instance/222222222222/eu-west-1")));
  EXPECT_EQ(rows[2],
            std::make_pair(std::string("breached"),
                           std::string("critical/orders/instance/222222222222/us-west-2")));
  // The overall state is the worst one; the counts per state.
  EXPECT_NE(html.find("id=\"overall\" data-state=\"unknown\""), std::string::npos);
  EXPECT_NE(html.find("data-state=\"ok\">1 ok</span>"), std::string::npos);
  EXPECT_NE(html.find("data-state=\"at-risk\">0 at-risk</span>"), std::string::npos);
  EXPECT_NE(html.find("data-state=\"breached\">1 breached</span>"), std::string::npos);
  EXPECT_NE(html.find("data-state=\"unknown\">1 unknown</span>"), std::string::npos);
}

TEST(ReportHtmlRenderTest, TimelinesShowEveryCopyOfTheRowOnly) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  std::string ok = Section(html, "critical/orders/instance/222222222222/eu-west-1");
  std::string bad = Section(html, "critical/orders/instance/222222222222/us-west-2");
  std::string ledger = Section(html, "critical/ledger/cluster/222222222222/eu-west-1");
  ASSERT_FALSE(ok.empty());
  ASSERT_FALSE(bad.empty());
  ASSERT_FALSE(ledger.empty());
  // eu-west-1: three available vault copies in the window, one copying, one
  // older than the window (counted, not drawn).
  EXPECT_EQ(Count(ok, "class=\"mark vaulted available\""), 3);
  EXPECT_EQ(Count(ok, "class=\"mark vaulted in-flight\""), 1);
  EXPECT_NE(ok.find("+1 older"), std::string::npos);
  // The source lanes: the automated snapshot and drsnap's capture.
  EXPECT_EQ(Count(ok, "class=\"mark automated available\""), 1);
  EXPECT_EQ(Count(ok, "class=\"mark captured available\""), 1);
  // Someone else's snapshot of another database is on no timeline.
  EXPECT_EQ(html.find("manual-backup"), std::string::npos);
  // us-west-2: one available, one failed; none of eu-west-1's copies.
  EXPECT_EQ(Count(bad, "class=\"mark vaulted available\""), 1);
  EXPECT_EQ(Count(bad, "class=\"mark vaulted failed\""), 1);
  EXPECT_EQ(Count(bad, "in-flight\""), 0);
  // The cluster has no copies (instance snapshots of the same name are not its).
  EXPECT_EQ(Count(ledger, "class=\"mark vaulted"), 0);
  // Every row has the RPO band; the row with history has the age chart.
  EXPECT_EQ(Count(html, "class=\"rpo-band\""), 3);
  EXPECT_EQ(Count(ok, "<polyline class=\"age\""), 1);
  EXPECT_EQ(Count(bad, "<polyline class=\"age\""), 0);
}

// Problems come first: every pair that is not ok, breached before unknown,
// with its cause, what AWS said and what to do; ok pairs are not there.
TEST(ReportHtmlRenderTest, ProblemsComeFirstWithTheirCause) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  size_t problems = html.find("<section id=\"problems\">");
  ASSERT_NE(problems, std::string::npos);
  EXPECT_LT(problems, html.find("<table class=\"summary\">"));
  std::string p = Between(html, "<section id=\"problems\">", "</section>");
  EXPECT_EQ(Count(p, "<tr class=\"problem\""), 2);
  EXPECT_LT(p.find("data-state=\"breached\""), p.find("data-state=\"unknown\""));
  EXPECT_NE(p.find("KMSKeyNotAccessibleFault"), std::string::npos) << p;
  EXPECT_NE(p.find("over rpo 6h"), std::string::npos) << p;
  EXPECT_NE(p.find("never vaulted in this target"), std::string::npos) << p;
  EXPECT_EQ(p.find("within rpo"), std::string::npos) << p;  // the ok pair
  // Nothing wrong: no Problems section.
  for (auto& row : f.status.rows) row.state = engine::RpoState::kOk;
  EXPECT_EQ(cli::RenderHtmlReport(f.Input()).find("id=\"problems\""), std::string::npos);
}

TEST(ReportHtmlRenderTest, InFlightTiersVerificationAndFailures) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  std::string ok = Section(html, "critical/orders/instance/222222222222/eu-west-1");
  std::string bad = Section(html, "critical/orders/instance/222222222222/us-west-2");
  std::string ledger = Section(html, "critical/ledger/cluster/222222222222/eu-west-1");
  EXPECT_NE(ok.find("aria-valuenow=\"42\""), std::string::npos);
  EXPECT_NE(ok.find("<dd class=\"tiers\">newest 1, hourly 3, daily 2</dd>"), std::string::npos);
  EXPECT_NE(ok.find("<dd class=\"verification\">never</dd>"), std::string::npos);
  // The failed copy into us-west-2: in the failures list and in that row only.
  EXPECT_EQ(Count(html, "<li class=\"failure\">"), 2);
  EXPECT_NE(bad.find("KMSKeyNotAccessibleFault"), std::string::npos);
  EXPECT_EQ(ok.find("KMSKeyNotAccessibleFault"), std::string::npos);
  // The done action is not a failure (the third mention is the Problems table's).
  EXPECT_EQ(Count(html, "the key is disabled"), 3);
  // The planner's finding about ledger goes to ledger's section; the scope
  // finding to the top.
  EXPECT_NE(ledger.find("waiting for the cluster snapshot"), std::string::npos);
  EXPECT_NE(Between(html, "<ul class=\"findings\" id=\"findings\">", "</ul>")
                .find("222222222222/ap-south-1: scope could not be listed"),
            std::string::npos);
  // A verification result replaces "never".
  auto in = f.Input();
  in.verifications["critical/orders/instance/222222222222/eu-west-1"] =
      cli::VerificationInfo{At("2026-11-25T12:00:00Z"), true, "drsnap-verify-1", "12m"};
  std::string verified = cli::RenderHtmlReport(in);
  EXPECT_NE(verified.find("2026-11-25 12:00 UTC: restored OK (drsnap-verify-1), 12m"),
            std::string::npos);
}

TEST(ReportHtmlRenderTest, EscapesTextAndIsSelfContained) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  EXPECT_NE(html.find("within rpo 6h &lt;ok&gt;"), std::string::npos);
  EXPECT_NE(html.find("a note with &lt;markup&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<markup>"), std::string::npos);
  // Nothing is fetched: no external scripts, styles, images or fonts.
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(cli::HtmlEscape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
}

TEST(ReportHtmlRenderTest, EmptyReportSaysSo) {
  engine::StatusReport empty;
  empty.generated_at = At("2026-11-26T00:00:00Z");
  engine::Inventory inv;
  std::string html = cli::StatusHtml(empty, inv);
  EXPECT_NE(html.find("No protected databases found."), std::string::npos);
  EXPECT_EQ(Count(html, "<tr class=\"row"), 0);
  EXPECT_NE(html.find("id=\"overall\" data-state=\"ok\""), std::string::npos);
}

TEST(ReportHtmlRenderTest, IsDeterministicAndMatchesTheGoldenFile) {
  auto f = MakeReportFixture();
  std::string html = cli::RenderHtmlReport(f.Input());
  EXPECT_EQ(html, cli::RenderHtmlReport(MakeReportFixture().Input()));
  ExpectGolden("demo/report_golden.html", html);
}

}  // namespace
}  // namespace drsnap::testing
