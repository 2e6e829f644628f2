#include "cli/demo_view.h"

#include <time.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "cli/output.h"
#include "core/time_util.h"

namespace drsnap::cli::demo {

namespace {

constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kDim[] = "\033[2m";

const char* StateColor(engine::RpoState s) {
  switch (s) {
    case engine::RpoState::kOk:
      return "\033[32m";
    case engine::RpoState::kAtRisk:
      return "\033[33m";
    case engine::RpoState::kBreached:
      return "\033[31m";
    case engine::RpoState::kUnknown:
      return "\033[90m";
  }
  return "";
}

// strftime with a format the compiler can check (-Wformat-nonliteral).
#define DRSNAP_STRFTIME_(t, fmt)                            \
  [&]() {                                                   \
    time_t secs_ = std::chrono::system_clock::to_time_t(t); \
    struct tm tm_ {};                                       \
    gmtime_r(&secs_, &tm_);                                 \
    char buf_[64];                                          \
    size_t n_ = strftime(buf_, sizeof(buf_), fmt, &tm_);    \
    return std::string(buf_, n_);                           \
  }()

std::string Pad(std::string s, size_t width) {
  int w = DisplayWidth(s);
  if (w < static_cast<int>(width)) s.append(width - static_cast<size_t>(w), ' ');
  return s;
}

// Cuts `s` to `width` visible columns, keeping ANSI escapes intact.
std::string Cut(const std::string& s, int width) {
  std::string out;
  int cols = 0;
  bool cut = false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) ++j;
      out.append(s, i, j - i + 1);
      i = j;
      continue;
    }
    bool continuation = (c & 0xC0) == 0x80;
    if (!continuation) {
      if (cols >= width) {
        cut = true;
        break;
      }
      ++cols;
    }
    out += s[i];
  }
  if (cut && out.find('\033') != std::string::npos) out += kReset;
  return out;
}

std::string Age(std::chrono::seconds d) { return d.count() == 0 ? "0s" : cli::Age(d); }

int DayOf(const DemoSetup& setup, TimePoint now) {
  auto elapsed = std::chrono::duration_cast<std::chrono::hours>(now - setup.start).count();
  return std::clamp(static_cast<int>(elapsed / 24) + 1, 1, std::max(1, setup.days));
}

// "done    vault    copy   orders -> 222222222222/eu-west-1" (the log view
// has the full ResultLine).
std::string ShortResult(const engine::ActionResult& r) {
  const auto& a = r.action;
  std::string verb;
  switch (a.kind) {
    case engine::ActionKind::kCreateSnapshot:
      verb = "snapshot";
      break;
    case engine::ActionKind::kCopySnapshot:
      verb = "copy";
      break;
    case engine::ActionKind::kShareSnapshot:
      verb = "share";
      break;
    case engine::ActionKind::kDeleteSnapshot:
      verb = "delete";
      break;
  }
  std::string where =
      a.kind == engine::ActionKind::kShareSnapshot
          ? " with " + (a.share_with.empty() ? std::string("?") : a.share_with.front())
          : (a.kind == engine::ActionKind::kCopySnapshot ? " -> " : " in ") + a.scope.ToString();
  std::string out = Pad(engine::OutcomeName(r.outcome), 8) + Pad(engine::StageName(a.stage), 9) +
                    Pad(verb, 9) + a.db_id + where;
  if (r.outcome == engine::Outcome::kFailed && r.error) out += ": " + r.error->message;
  return out;
}

std::string RowLabel(const engine::TargetStatus& r) {
  return r.db_id + " " + engine::DbKindName(r.kind) + " -> " + r.target.ToString();
}

}  // namespace

int DisplayWidth(std::string_view s) {
  int cols = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b && i + 1 < s.size() && s[i + 1] == '[') {
      size_t j = i + 2;
      while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) ++j;
      i = j;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++cols;
  }
  return cols;
}

std::string TextBar(int percent, int cells) {
  int p = std::clamp(percent, 0, 100);
  int full = (p * cells + 50) / 100;
  std::string out;
  for (int i = 0; i < cells; ++i) out += i < full ? "\u2588" : "\u2591";
  return out;
}

std::vector<std::string> RenderFrame(const DemoStep& step, int width, bool color) {
  const DemoSetup& setup = *step.setup;
  auto C = [&](const char* code) { return color ? std::string(code) : std::string(); };
  std::vector<std::string> lines;
  double span = std::chrono::duration<double>(setup.end - setup.start).count();
  double done = std::chrono::duration<double>(step.now - setup.start).count();
  int pct = span > 0 ? static_cast<int>(std::clamp(done / span, 0.0, 1.0) * 100.0) : 100;
  lines.push_back(C(kBold) + "drsnap demo" + C(kReset) + "  simulated " +
                  DRSNAP_STRFTIME_(step.now, "%Y-%m-%d %H:%M UTC") + "  day " +
                  std::to_string(DayOf(setup, step.now)) + " of " + std::to_string(setup.days) +
                  "  " + TextBar(pct, 20) + " " + std::to_string(pct) + "%");
  std::string targets;
  for (const auto& t : setup.targets) targets += (targets.empty() ? "" : ", ") + t;
  lines.push_back(C(kDim) + setup.source + "  ->  " + targets + C(kReset));
  lines.push_back("");

  // This reconcile, stage by stage.
  std::map<std::string, int> now_by_stage;
  int failed_now = 0, deferred_now = 0;
  if (step.reconcile) {
    for (const auto& r : step.reconcile->apply.results) {
      if (r.outcome == engine::Outcome::kDone || r.outcome == engine::Outcome::kAlreadyDone)
        ++now_by_stage[engine::StageName(r.action.stage)];
      else if (r.outcome == engine::Outcome::kFailed)
        ++failed_now;
      else
        ++deferred_now;
    }
  }
  static const char* kStages[] = {"capture", "share", "vault", "expire"};
  std::string run = "reconcile #" + std::to_string(step.index) + ":";
  std::string total = "so far:     ";
  for (const char* s : kStages) {
    int n = now_by_stage.contains(s) ? now_by_stage.at(s) : 0;
    run += " " + std::string(s) + " " + (n > 0 ? C(kBold) + std::to_string(n) + C(kReset) : "0");
    int t = step.totals && step.totals->done_by_stage.contains(s) ? step.totals->done_by_stage.at(s)
                                                                  : 0;
    total += " " + std::string(s) + " " + std::to_string(t);
  }
  run += "  failed " + (failed_now ? C("\033[31m") + std::to_string(failed_now) + C(kReset) : "0");
  if (deferred_now) run += "  deferred " + std::to_string(deferred_now);
  total += "  failed " + std::to_string(step.totals ? step.totals->failed : 0);
  if (step.totals && step.totals->failed_copies > 0)
    total += "  copies failed " + std::to_string(step.totals->failed_copies);
  lines.push_back(run);
  lines.push_back(C(kDim) + total + C(kReset));
  lines.push_back("");

  // RPO per database x target.
  if (step.status) {
    lines.push_back(C(kBold) + Pad("DATABASE", 11) + Pad("KIND", 9) + Pad("TARGET", 24) +
                    Pad("STATE", 9) + Pad("AGE / RPO", 14) + "IN FLIGHT" + C(kReset));
    for (const auto& r : step.status->rows) {
      std::string flight = "-";
      if (!r.in_flight.empty()) {
        const auto& c = r.in_flight.front();
        flight = Pad(c.stage, 8) + TextBar(c.percent_progress, 10) + " " +
                 std::to_string(c.percent_progress) + "%";
        if (r.in_flight.size() > 1) flight += " +" + std::to_string(r.in_flight.size() - 1);
      }
      std::string age = r.newest_point ? Age(r.age) : std::string("-");
      lines.push_back(Pad(r.db_id, 11) + Pad(engine::DbKindName(r.kind), 9) +
                      Pad(r.target.ToString(), 24) + C(StateColor(r.state)) +
                      Pad(engine::RpoStateName(r.state), 9) + C(kReset) +
                      Pad(age + " / " + Age(r.rpo), 14) + flight);
    }
    lines.push_back("");
    engine::RpoState overall = step.status->Overall();
    lines.push_back("overall: " + C(StateColor(overall)) + engine::RpoStateName(overall) +
                    C(kReset) + " (" + std::to_string(step.status->rows.size()) +
                    " database x target pairs)");
  }
  for (auto& l : lines) l = Cut(l, width);
  return lines;
}

namespace {

class TerminalView final : public DemoView {
 public:
  TerminalView(std::FILE* out, int width, int height, std::chrono::milliseconds delay)
      : out_(out), width_(std::max(40, width)), height_(std::max(10, height)), delay_(delay) {}

  void Begin(const DemoSetup& setup) override {
    std::fprintf(out_,
                 "drsnap demo: drsnap-sim is listening on %s; %d simulated days in %s steps\n\n",
                 setup.endpoint.c_str(), setup.days, FormatDuration(setup.step).c_str());
    std::fflush(out_);
  }

  void Step(const DemoStep& step) override {
    std::vector<std::string> lines = RenderFrame(step, width_, true);
    if (step.reconcile) {
      for (const auto& r : step.reconcile->apply.results) {
        if (r.outcome != engine::Outcome::kDone && r.outcome != engine::Outcome::kFailed) continue;
        recent_.push_back(DRSNAP_STRFTIME_(step.now, "%m-%d %H:%M ") + ShortResult(r));
        if (recent_.size() > 5) recent_.pop_front();
      }
    }
    lines.push_back("");
    lines.push_back("\033[1mrecent actions\033[0m");
    for (const auto& r : recent_) lines.push_back(Cut("  " + r, width_));
    // Cursor-up cannot reach above the screen: keep the frame shorter.
    size_t max_lines = static_cast<size_t>(height_ - 2);
    if (lines.size() > max_lines) {
      size_t hidden = lines.size() - (max_lines - 1);
      lines.resize(max_lines - 1);
      lines.push_back("\033[2m... " + std::to_string(hidden) +
                      " more lines: a taller terminal shows them\033[0m");
    }
    std::string frame;
    if (drawn_ > 0) frame += "\033[" + std::to_string(drawn_) + "A";
    for (const auto& l : lines) frame += "\r\033[2K" + l + "\n";
    frame += "\033[J";  // lines left over from a taller frame
    std::fputs(frame.c_str(), out_);
    std::fflush(out_);
    drawn_ = static_cast<int>(lines.size());
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
  }

  void End() override {
    std::fputs("\n", out_);
    std::fflush(out_);
  }

 private:
  std::FILE* out_;
  int width_;
  int height_;
  std::chrono::milliseconds delay_;
  int drawn_ = 0;
  std::deque<std::string> recent_;
};

class LogView final : public DemoView {
 public:
  explicit LogView(std::FILE* out) : out_(out) {}

  void Begin(const DemoSetup& setup) override {
    std::string targets;
    for (const auto& t : setup.targets) targets += (targets.empty() ? "" : ", ") + t;
    std::fprintf(out_,
                 "drsnap demo: drsnap-sim on %s; %s -> %s; %d simulated days from %s in %s steps\n",
                 setup.endpoint.c_str(), setup.source.c_str(), targets.c_str(), setup.days,
                 FormatIso8601Seconds(setup.start).c_str(), FormatDuration(setup.step).c_str());
    std::fflush(out_);
  }

  void Step(const DemoStep& step) override {
    std::string t = "[" + FormatIso8601Seconds(step.now) + "] ";
    int day = DayOf(*step.setup, step.now);
    if (day != day_) {
      day_ = day;
      std::fprintf(out_, "%sday %d of %d\n", t.c_str(), day, step.setup->days);
    }
    if (step.reconcile) {
      for (const auto& r : step.reconcile->apply.results)
        if (r.outcome == engine::Outcome::kDone || r.outcome == engine::Outcome::kFailed)
          std::fprintf(out_, "%s%s\n", t.c_str(), ResultLine(r).c_str());
      for (const auto& s : step.reconcile->inventory.scopes)
        if (!s.complete)
          std::fprintf(out_, "%sincomplete observation of %s: %s\n", t.c_str(),
                       s.scope.ToString().c_str(), s.error.c_str());
    }
    if (step.status) {
      for (const auto& r : step.status->rows) {
        std::string key = RowLabel(r);
        auto it = states_.find(key);
        if (it != states_.end() && it->second == r.state) continue;
        std::fprintf(out_, "%s%s: %s%s%s (%s)\n", t.c_str(), key.c_str(),
                     it == states_.end() ? "" : engine::RpoStateName(it->second),
                     it == states_.end() ? "" : " -> ", engine::RpoStateName(r.state),
                     r.reason.c_str());
        states_[key] = r.state;
      }
    }
    std::fflush(out_);
  }

  void End() override { std::fflush(out_); }

 private:
  std::FILE* out_;
  int day_ = 0;
  std::map<std::string, engine::RpoState> states_;
};

class QuietView final : public DemoView {
 public:
  void Begin(const DemoSetup&) override {}
  void Step(const DemoStep&) override {}
  void End() override {}
};

}  // namespace

std::unique_ptr<DemoView> MakeTerminalView(std::FILE* out, int width, int height,
                                           std::chrono::milliseconds frame_delay) {
  return std::make_unique<TerminalView>(out, width, height, frame_delay);
}
std::unique_ptr<DemoView> MakeLogView(std::FILE* out) { return std::make_unique<LogView>(out); }
std::unique_ptr<DemoView> MakeQuietView() { return std::make_unique<QuietView>(); }

}  // namespace drsnap::cli::demo
