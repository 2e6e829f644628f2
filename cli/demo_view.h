// What `drsnap demo` shows while it runs: a live view redrawn in place on a
// terminal (ANSI), plain log lines otherwise, or nothing (--quiet). The
// driver (demo_driver.h) calls Begin once, Step after every reconcile, and
// End before printing the final table.
//
// Thread safety: a view is used from one thread.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/reconcile.h"
#include "engine/status.h"

namespace drsnap::cli::demo {

struct DemoSetup {
  std::string endpoint;  // drsnap-sim's URL
  TimePoint start{};
  TimePoint end{};
  std::chrono::seconds step{0};
  int days = 0;
  std::string source;                // "production 111111111111 us-east-1"
  std::vector<std::string> targets;  // "vault 222222222222 us-west-2", ...
};

// Actions per stage over the whole demo so far ("capture", "share", "vault",
// "expire"), counting those that were done (or already done), and failures:
// the calls AWS refused (`failed`) and, apart, the snapshots drsnap started
// that AWS later ended in status failed (`failed_copies`: the call was done,
// the copy or snapshot was not; each counted once, by scope and id).
struct DemoTotals {
  std::map<std::string, int> done_by_stage;
  int failed = 0;
  int failed_copies = 0;
  int reconciles = 0;
};

struct DemoStep {
  int index = 0;    // 1-based reconcile number
  TimePoint now{};  // virtual time of the reconcile
  const DemoSetup* setup = nullptr;
  const engine::ReconcileReport* reconcile = nullptr;
  const engine::StatusReport* status = nullptr;  // computed from the reconcile's inventory
  const DemoTotals* totals = nullptr;            // including this step
};

class DemoView {
 public:
  virtual ~DemoView() = default;
  virtual void Begin(const DemoSetup& setup) = 0;
  virtual void Step(const DemoStep& step) = 0;
  virtual void End() = 0;
};

// Redraws a frame (RenderFrame) in place on a terminal of `width` x `height`
// (lines are cut to the width and the frame to the height, so the redraw
// never wraps or scrolls); waits frame_delay after each frame so a person
// can follow it.
std::unique_ptr<DemoView> MakeTerminalView(std::FILE* out, int width, int height,
                                           std::chrono::milliseconds frame_delay);
// One line per action done or failed and per state change, prefixed with
// the virtual time.
std::unique_ptr<DemoView> MakeLogView(std::FILE* out);
std::unique_ptr<DemoView> MakeQuietView();

// The live frame, as lines (no trailing newlines). color: ANSI colours.
std::vector<std::string> RenderFrame(const DemoStep& step, int width, bool color);

// "[#####-----]" style bar of `cells` cells (Unicode blocks).
std::string TextBar(int percent, int cells);

// Width in columns of a UTF-8 string without ANSI escapes (each code point
// counts one).
int DisplayWidth(std::string_view s);

}  // namespace drsnap::cli::demo
