// The demo's displays: the live frame (content, colours, width), the
// terminal view's in-place redraw, and the log view's lines.
#include "cli/demo_view.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <functional>
#include <string>

#include "core/time_util.h"
#include "engine/naming.h"

namespace drsnap::cli::demo {
namespace {

using std::chrono::hours;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

struct Fixture {
  DemoSetup setup;
  engine::ReconcileReport reconcile;
  engine::StatusReport status;
  DemoTotals totals;

  Fixture() {
    setup.endpoint = "http://127.0.0.1:1234";
    setup.start = At("2026-11-23T00:00:00Z");
    setup.end = At("2026-11-26T00:00:00Z");
    setup.step = std::chrono::minutes(30);
    setup.days = 3;
    setup.source = "production 111111111111 us-east-1";
    setup.targets = {"vault 222222222222 eu-west-1, us-west-2"};

    engine::ActionResult copy;
    copy.action.kind = engine::ActionKind::kCopySnapshot;
    copy.action.stage = engine::Stage::kVault;
    copy.action.scope = {"222222222222", "eu-west-1"};
    copy.action.db_id = "orders";
    copy.action.snapshot_id = "drsnap-111111111111-orders-202611241200";
    copy.outcome = engine::Outcome::kDone;
    engine::ActionResult share = copy;
    share.action.kind = engine::ActionKind::kShareSnapshot;
    share.action.stage = engine::Stage::kShare;
    share.action.share_with = {"222222222222"};
    engine::ActionResult failed = copy;
    failed.outcome = engine::Outcome::kFailed;
    failed.error = Error::Terminal("SnapshotQuotaExceeded", "too many copies");
    reconcile.apply.results = {copy, share, failed};

    engine::TargetStatus ok;
    ok.policy = "critical";
    ok.db_id = "orders";
    ok.source = {"111111111111", "us-east-1"};
    ok.target = {"222222222222", "eu-west-1"};
    ok.rpo = hours(6);
    ok.state = engine::RpoState::kOk;
    ok.newest_point = At("2026-11-24T10:00:00Z");
    ok.age = hours(2);
    ok.in_flight.push_back(engine::InFlightCopy{"x", ok.target, "vault", "copying", 70, {}, {}});
    engine::TargetStatus unknown = ok;
    unknown.db_id = "analytics-warehouse-with-a-long-name";
    unknown.state = engine::RpoState::kUnknown;
    unknown.newest_point.reset();
    unknown.age = std::chrono::seconds(0);
    unknown.in_flight.clear();
    status.rows = {ok, unknown};
    status.generated_at = At("2026-11-24T12:00:00Z");
    totals.done_by_stage = {{"capture", 5}, {"share", 5}, {"vault", 9}};
    totals.failed = 1;
    totals.reconciles = 73;
  }

  DemoStep Step() const {
    DemoStep s;
    s.index = 73;
    s.now = At("2026-11-24T12:00:00Z");
    s.setup = &setup;
    s.reconcile = &reconcile;
    s.status = &status;
    s.totals = &totals;
    return s;
  }
};

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(DemoViewTest, FrameShowsTimeStagesAndEveryRow) {
  Fixture f;
  auto lines = RenderFrame(f.Step(), 200, false);
  std::string frame = Join(lines);
  EXPECT_NE(frame.find("simulated 2026-11-24 12:00 UTC  day 2 of 3"), std::string::npos) << frame;
  EXPECT_NE(frame.find("50%"), std::string::npos) << frame;
  EXPECT_NE(frame.find("reconcile #73: capture 0 share 1 vault 1 expire 0  failed 1"),
            std::string::npos)
      << frame;
  EXPECT_NE(frame.find("so far:      capture 5 share 5 vault 9 expire 0  failed 1"),
            std::string::npos)
      << frame;
  int rows = 0;
  for (const auto& l : lines)
    if (l.find("222222222222/eu-west-1") != std::string::npos) ++rows;
  EXPECT_EQ(rows, 2);
  EXPECT_NE(frame.find("2h / 6h"), std::string::npos);
  EXPECT_NE(frame.find("vault   " + TextBar(70, 10) + " 70%"), std::string::npos) << frame;
  EXPECT_NE(frame.find("overall: unknown (2 database x target pairs)"), std::string::npos);
  EXPECT_EQ(frame.find('\033'), std::string::npos);  // no colour asked
}

TEST(DemoViewTest, ColouredFrameFitsTheWidth) {
  Fixture f;
  auto lines = RenderFrame(f.Step(), 60, true);
  std::string frame = Join(lines);
  EXPECT_NE(frame.find("\033[32mok"), std::string::npos);       // ok is green
  EXPECT_NE(frame.find("\033[90munknown"), std::string::npos);  // unknown is grey
  for (const auto& l : lines) EXPECT_LE(DisplayWidth(l), 60) << l;
}

TEST(DemoViewTest, BarsAndWidths) {
  EXPECT_EQ(TextBar(0, 4), "\u2591\u2591\u2591\u2591");
  EXPECT_EQ(TextBar(50, 4), "\u2588\u2588\u2591\u2591");
  EXPECT_EQ(TextBar(100, 4), "\u2588\u2588\u2588\u2588");
  EXPECT_EQ(TextBar(250, 2), "\u2588\u2588");
  EXPECT_EQ(DisplayWidth("\033[1mab\033[0m\u2588"), 3);
}

std::string Capture(const std::function<void(std::FILE*)>& fn) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  fn(f);
  std::fclose(f);
  std::string out(buf, size);
  free(buf);
  return out;
}

TEST(DemoViewTest, TerminalViewRedrawsInPlace) {
  Fixture f;
  std::string out = Capture([&](std::FILE* file) {
    auto view = MakeTerminalView(file, 100, 50, std::chrono::milliseconds(0));
    view->Begin(f.setup);
    view->Step(f.Step());
    view->Step(f.Step());
    view->End();
  });
  EXPECT_NE(out.find("drsnap-sim is listening on http://127.0.0.1:1234"), std::string::npos);
  // The second frame moves the cursor up over the first one.
  size_t up = out.find("\033[");
  ASSERT_NE(up, std::string::npos);
  EXPECT_NE(out.find("A\r\033[2K"), std::string::npos) << "no cursor-up redraw";
  EXPECT_EQ(Count(out, "recent actions"), 2);
  EXPECT_NE(out.find("failed  vault    copy     orders -> 222222222222/eu-west-1: too many copies"),
            std::string::npos)
      << out;
}

TEST(DemoViewTest, TerminalViewKeepsTheFrameWithinTheScreen) {
  Fixture f;
  std::string out = Capture([&](std::FILE* file) {
    auto view = MakeTerminalView(file, 100, 12, std::chrono::milliseconds(0));
    view->Step(f.Step());
    view->Step(f.Step());
  });
  // 10 lines per frame at most: the second frame moves up exactly 10.
  EXPECT_NE(out.find("\033[10A"), std::string::npos) << out;
  EXPECT_NE(out.find("more lines: a taller terminal shows them"), std::string::npos);
}

TEST(DemoViewTest, LogViewPrintsActionsAndStateChangesOnce) {
  Fixture f;
  std::string out = Capture([&](std::FILE* file) {
    auto view = MakeLogView(file);
    view->Begin(f.setup);
    view->Step(f.Step());
    view->Step(f.Step());  // same states: no new state lines
    f.status.rows[1].state = engine::RpoState::kOk;
    view->Step(f.Step());
    view->End();
  });
  EXPECT_EQ(out.find('\033'), std::string::npos);
  EXPECT_EQ(Count(out, "day 2 of 3"), 1);
  EXPECT_EQ(Count(out, "[2026-11-24T12:00:00Z] orders instance -> 222222222222/eu-west-1: ok"), 1);
  EXPECT_EQ(Count(out,
                  "analytics-warehouse-with-a-long-name instance -> 222222222222/eu-west-1: "
                  "unknown ("),
            1);
  EXPECT_EQ(Count(out, "unknown -> ok"), 1);
  EXPECT_EQ(Count(out, "SnapshotQuotaExceeded"), 3) << out;  // the failed action, every step
}

}  // namespace
}  // namespace drsnap::cli::demo
