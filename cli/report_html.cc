#include "cli/report_html.h"

#include <time.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <set>

#include "cli/output.h"
#include "core/time_util.h"
#include "engine/naming.h"

namespace drsnap::cli {

using engine::InFlightCopy;
using engine::RpoState;
using engine::Snapshot;
using engine::SnapshotStatus;
using engine::TargetStatus;

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlRowKey(const TargetStatus& row) {
  return row.policy + "/" + row.db_id + "/" + engine::DbKindName(row.kind) + "/" +
         row.target.account_id + "/" + row.target.region;
}

namespace {

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return "";
  return std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
}

// Coordinates with one decimal: deterministic and compact.
std::string Num(double v) { return Printf("%.1f", v); }

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
std::string LongTime(TimePoint t) { return DRSNAP_STRFTIME_(t, "%Y-%m-%d %H:%M UTC"); }
std::string ShortTime(TimePoint t) { return DRSNAP_STRFTIME_(t, "%m-%d %H:%M"); }

std::string AgeText(std::chrono::seconds d) { return d.count() == 0 ? "0s" : Age(d); }

const char* StateName(RpoState s) { return engine::RpoStateName(s); }

// An id usable as an HTML anchor.
std::string Anchor(std::string_view key) {
  std::string out = "t-";
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
  }
  return out;
}

// ----------------------------------------------------------------- timeline

enum class Lane { kAutomated, kCaptured, kVaulted };
constexpr int kLanes = 3;
const char* LaneName(Lane l) {
  switch (l) {
    case Lane::kAutomated:
      return "automated";
    case Lane::kCaptured:
      return "captured";
    case Lane::kVaulted:
      return "vaulted";
  }
  return "";
}

struct Mark {
  Lane lane = Lane::kVaulted;
  TimePoint point{};
  SnapshotStatus status = SnapshotStatus::kOther;
  int percent = 0;
  std::string id;
};

TimePoint PointOf(const Snapshot& s, const std::optional<engine::naming::Lineage>& lineage) {
  if (s.recovery_point != TimePoint{}) return s.recovery_point;
  if (lineage) return lineage->recovery_point;
  return s.create_time;
}

// Every snapshot of the row's database that the timeline shows, in a stable
// order (lane, point, id).
std::vector<Mark> MarksFor(const engine::Inventory& inv, const TargetStatus& row) {
  std::vector<Mark> out;
  const std::string token = row.db_id.empty() ? "" : engine::naming::DbToken(row.db_id);
  for (const auto& scope : inv.scopes) {
    bool is_source = scope.scope == row.source;
    bool is_target = scope.scope == row.target;
    if (!is_source && !is_target) continue;
    for (const auto& s : scope.snapshots) {
      if (s.kind != row.kind || s.scope != scope.scope) continue;  // owned only
      auto lineage = engine::naming::ParseName(s.id);
      std::optional<Lane> lane;
      if (is_source && s.db_id == row.db_id) {
        if (s.type == engine::SnapshotType::kAutomated)
          lane = Lane::kAutomated;
        else if (lineage && lineage->stage == engine::naming::NameStage::kCapture)
          lane = Lane::kCaptured;
      }
      if (!lane && is_target && lineage && lineage->stage == engine::naming::NameStage::kVault &&
          lineage->source_account == row.source.account_id && lineage->db_token == token)
        lane = Lane::kVaulted;
      if (!lane) continue;
      out.push_back(Mark{*lane, PointOf(s, lineage), s.status, s.percent_progress, s.id});
    }
  }
  std::ranges::sort(out, [](const Mark& a, const Mark& b) {
    if (a.lane != b.lane) return a.lane < b.lane;
    if (a.point != b.point) return a.point < b.point;
    return a.id < b.id;
  });
  return out;
}

struct Axis {
  TimePoint start{};
  TimePoint end{};
  double x0 = 110, x1 = 980;
  double X(TimePoint t) const {
    double span = std::chrono::duration<double>(end - start).count();
    double at = std::chrono::duration<double>(t - start).count();
    if (span <= 0) return x1;
    return x0 + (x1 - x0) * std::clamp(at / span, 0.0, 1.0);
  }
};

// The span of the marks seen, but at least 6 hours and twice the largest RPO,
// and at most the larger of 7 days and four times the largest RPO (older
// marks are counted at the left edge): recent detail matters most.
std::chrono::seconds AutoWindow(const engine::StatusReport& report,
                                const std::vector<std::vector<Mark>>& marks) {
  using std::chrono::hours;
  using std::chrono::seconds;
  const TimePoint now = report.generated_at;
  seconds max_rpo{0};
  for (const auto& r : report.rows) max_rpo = std::max(max_rpo, r.rpo);
  seconds span{0};
  for (const auto& ms : marks)
    for (const auto& m : ms)
      if (m.point < now) span = std::max(span, std::chrono::duration_cast<seconds>(now - m.point));
  seconds lower = std::max<seconds>(hours(6), 2 * max_rpo);
  seconds upper = std::max<seconds>(hours(24 * 7), 4 * max_rpo);
  seconds window = std::clamp(span, lower, std::max(lower, upper));
  // Round up to whole hours and add a little room on the left.
  int64_t h = (window.count() + 3599) / 3600;
  h += std::max<int64_t>(1, h / 20);
  return hours(h);
}

// Tick spacing giving at most ~8 ticks.
std::chrono::seconds TickStep(std::chrono::seconds window) {
  using std::chrono::hours;
  for (auto step : {hours(1), hours(2), hours(3), hours(6), hours(12), hours(24), hours(48),
                    hours(24 * 7), hours(24 * 14)})
    if (window / step <= 8) return step;
  return hours(24 * 30);
}

std::string TimelineSvg(const TargetStatus& row, const std::vector<Mark>& marks,
                        const std::vector<RpoSample>* history, const Axis& axis) {
  const double lane_h = 24, top = 22;
  const double history_h = history && !history->empty() ? 70 : 0;
  const double lanes_bottom = top + lane_h * kLanes;
  const double height = lanes_bottom + 16 + (history_h > 0 ? history_h + 4 : 0) + 4;
  std::string svg = "<svg class=\"timeline\" viewBox=\"0 0 1000 " + Num(height) +
                    "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"" +
                    HtmlEscape("recovery points of " + row.db_id + " in " + row.target.ToString()) +
                    "\">\n";
  // Lanes.
  for (int i = 0; i < kLanes; ++i) {
    double y = top + lane_h * i;
    svg += "<rect class=\"lane" + std::string(i % 2 ? " odd" : "") + "\" x=\"" + Num(axis.x0) +
           "\" y=\"" + Num(y) + "\" width=\"" + Num(axis.x1 - axis.x0) + "\" height=\"" +
           Num(lane_h) + "\"/>";
    svg += "<text class=\"lane-label\" x=\"" + Num(axis.x0 - 8) + "\" y=\"" +
           Num(y + lane_h / 2 + 4) + "\" text-anchor=\"end\">" + LaneName(static_cast<Lane>(i)) +
           "</text>\n";
  }
  // The RPO band: a point inside it is within the RPO now.
  TimePoint band_start = axis.end - row.rpo;
  double bx = axis.X(band_start);
  svg += "<rect class=\"rpo-band\" x=\"" + Num(bx) + "\" y=\"" + Num(top) + "\" width=\"" +
         Num(axis.x1 - bx) + "\" height=\"" + Num(lanes_bottom - top) + "\"><title>" +
         HtmlEscape("within the RPO (" + AgeText(row.rpo) + ") at " + LongTime(axis.end)) +
         "</title></rect>";
  svg += "<line class=\"rpo-edge\" x1=\"" + Num(bx) + "\" x2=\"" + Num(bx) + "\" y1=\"" + Num(top) +
         "\" y2=\"" + Num(lanes_bottom) + "\"/>";
  svg += "<text class=\"rpo-label\" x=\"" + Num(axis.x1) + "\" y=\"" + Num(lanes_bottom + 12) +
         "\" text-anchor=\"end\">RPO " + HtmlEscape(AgeText(row.rpo)) + " window</text>\n";
  // Ticks, aligned to whole steps (UTC).
  auto window = std::chrono::duration_cast<std::chrono::seconds>(axis.end - axis.start);
  auto step = TickStep(window);
  int64_t first =
      std::chrono::duration_cast<std::chrono::seconds>(axis.start.time_since_epoch()).count();
  first = (first + step.count() - 1) / step.count() * step.count();
  for (TimePoint t = TimePoint(std::chrono::seconds(first)); t <= axis.end; t += step) {
    double x = axis.X(t);
    // Labels near the right edge are anchored at their end so they stay visible.
    const char* anchor = x > axis.x1 - 40 ? "end" : x < axis.x0 + 40 ? "start" : "middle";
    svg += "<line class=\"tick\" x1=\"" + Num(x) + "\" x2=\"" + Num(x) + "\" y1=\"" + Num(top - 4) +
           "\" y2=\"" + Num(height - 4) + "\"/><text class=\"tick-label\" x=\"" + Num(x) +
           "\" y=\"" + Num(top - 7) + "\" text-anchor=\"" + anchor + "\">" + ShortTime(t) +
           "</text>\n";
  }
  svg += "<line class=\"now\" x1=\"" + Num(axis.x1) + "\" x2=\"" + Num(axis.x1) + "\" y1=\"" +
         Num(top - 4) + "\" y2=\"" + Num(height - 4) + "\"><title>now: " + LongTime(axis.end) +
         "</title></line>\n";
  // Marks.
  int older[kLanes] = {0, 0, 0};
  for (const auto& m : marks) {
    int lane = static_cast<int>(m.lane);
    if (m.point < axis.start) {
      ++older[lane];
      continue;
    }
    double x = axis.X(m.point), y = top + lane_h * lane + lane_h / 2;
    std::string cls = "mark " + std::string(LaneName(m.lane));
    std::string what;
    if (m.status == SnapshotStatus::kAvailable) {
      cls += " available";
      what = "available";
    } else if (m.status == SnapshotStatus::kCreating || m.status == SnapshotStatus::kCopying) {
      cls += " in-flight";
      what =
          std::string(engine::SnapshotStatusName(m.status)) + " " + std::to_string(m.percent) + "%";
    } else if (m.status == SnapshotStatus::kFailed) {
      cls += " failed";
      what = "failed";
    } else {
      cls += " other";
      what = engine::SnapshotStatusName(m.status);
    }
    svg += "<circle class=\"" + cls + "\" cx=\"" + Num(x) + "\" cy=\"" + Num(y) +
           "\" r=\"5\"><title>" + HtmlEscape(m.id + "\npoint " + LongTime(m.point) + "\n" + what) +
           "</title></circle>\n";
  }
  for (int i = 0; i < kLanes; ++i) {
    if (older[i] == 0) continue;
    svg += "<text class=\"older\" x=\"" + Num(axis.x0 + 3) + "\" y=\"" +
           Num(top + lane_h * i + lane_h / 2 + 4) + "\">+" + std::to_string(older[i]) +
           " older</text>\n";
  }
  // Age of the newest point over time against the RPO line.
  if (history_h > 0) {
    double y0 = lanes_bottom + 18, y1 = y0 + history_h;
    double max_age = 1.25 * static_cast<double>(row.rpo.count());
    for (const auto& s : *history)
      if (s.has_point) max_age = std::max(max_age, static_cast<double>(s.age.count()));
    if (max_age <= 0) max_age = 1;
    auto Y = [&](double age) { return y1 - (y1 - y0) * std::clamp(age / max_age, 0.0, 1.0); };
    svg += "<rect class=\"lane\" x=\"" + Num(axis.x0) + "\" y=\"" + Num(y0) + "\" width=\"" +
           Num(axis.x1 - axis.x0) + "\" height=\"" + Num(history_h) + "\"/>";
    svg += "<text class=\"lane-label\" x=\"" + Num(axis.x0 - 8) + "\" y=\"" + Num(y0 + 14) +
           "\" text-anchor=\"end\">age</text>";
    double ry = Y(static_cast<double>(row.rpo.count()));
    svg += "<rect class=\"over-rpo\" x=\"" + Num(axis.x0) + "\" y=\"" + Num(y0) + "\" width=\"" +
           Num(axis.x1 - axis.x0) + "\" height=\"" + Num(ry - y0) + "\"/>";
    svg += "<line class=\"rpo-line\" x1=\"" + Num(axis.x0) + "\" x2=\"" + Num(axis.x1) +
           "\" y1=\"" + Num(ry) + "\" y2=\"" + Num(ry) + "\"><title>RPO " +
           HtmlEscape(AgeText(row.rpo)) + "</title></line>\n";
    std::string points;
    auto flush = [&]() {
      if (points.empty()) return;
      svg += "<polyline class=\"age\" points=\"" + points + "\"/>\n";
      points.clear();
    };
    for (const auto& s : *history) {
      if (s.at < axis.start || s.at > axis.end) continue;
      if (!s.has_point) {
        flush();
        continue;
      }
      if (!points.empty()) points += ' ';
      points += Num(axis.X(s.at)) + "," + Num(Y(static_cast<double>(s.age.count())));
    }
    flush();
  }
  svg += "</svg>\n";
  return svg;
}

// ------------------------------------------------------------------ pieces

bool FailureConcernsRow(const engine::ActionResult& r, const TargetStatus& row) {
  const auto& a = r.action;
  if (a.db_id != row.db_id || a.db_kind != row.kind) return false;
  if (!a.policy.empty() && a.policy != row.policy) return false;
  switch (a.stage) {
    case engine::Stage::kCapture:
      return a.scope == row.source;
    case engine::Stage::kShare:
      return true;
    case engine::Stage::kVault:
    case engine::Stage::kExpire:
      return a.scope == row.source ||
             (a.scope.account_id == row.target.account_id &&
              (a.scope.region == row.target.region || a.scope.region == row.source.region));
  }
  return false;
}

bool FindingConcernsRow(const engine::Finding& f, const TargetStatus& row) {
  if (f.db_id.empty() || f.db_id != row.db_id) return false;
  if (!f.policy.empty() && f.policy != row.policy) return false;
  // A finding about a DR scope belongs to that target only.
  if (!f.scope.account_id.empty() && f.scope != row.source &&
      f.scope.account_id == row.target.account_id)
    return f.scope.region == row.target.region || f.scope.region == row.source.region;
  return true;
}

std::string ErrorText(const engine::ActionResult& r) {
  if (r.error) return r.error->ToString();
  return r.reason;
}

std::string FailureItem(const engine::ActionResult& r) {
  return "<li class=\"failure\"><span class=\"what\">" + HtmlEscape(r.action.Describe()) +
         "</span><br><span class=\"why\">" + HtmlEscape(ErrorText(r)) + "</span></li>\n";
}

const char* SeverityName(engine::Finding::Severity s) {
  switch (s) {
    case engine::Finding::Severity::kInfo:
      return "info";
    case engine::Finding::Severity::kWarning:
      return "warning";
    case engine::Finding::Severity::kError:
      return "error";
  }
  return "info";
}

std::string FindingItem(const engine::Finding& f) {
  std::string where = f.scope.account_id.empty() ? "" : f.scope.ToString() + ": ";
  return std::string("<li class=\"finding ") + SeverityName(f.severity) +
         "\"><span class=\"sev\">" + SeverityName(f.severity) + "</span> " +
         HtmlEscape(where + f.message) + "</li>\n";
}

std::string ProgressBar(int percent) {
  int p = std::clamp(percent, 0, 100);
  return "<span class=\"bar\" role=\"progressbar\" aria-valuenow=\"" + std::to_string(p) +
         "\" aria-valuemin=\"0\" aria-valuemax=\"100\"><span style=\"width:" + std::to_string(p) +
         "%\"></span></span> <span class=\"pct\">" + std::to_string(p) + "%</span>";
}

std::string AgeGauge(const TargetStatus& row) {
  if (!row.newest_point || row.rpo.count() <= 0) return "";
  double ratio = static_cast<double>(row.age.count()) / static_cast<double>(row.rpo.count());
  int w = static_cast<int>(std::clamp(ratio, 0.0, 1.0) * 100.0 + 0.5);
  return "<span class=\"gauge " + std::string(StateName(row.state)) + "\" title=\"" +
         std::to_string(static_cast<int>(ratio * 100.0 + 0.5)) +
         "% of the RPO\"><span style=\"width:" + std::to_string(w) + "%\"></span></span>";
}

const char kCss[] = R"CSS(
:root{--ok:#1a7f37;--at-risk:#b35900;--breached:#cf222e;--unknown:#6e7781;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--panel:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0}
.muted,.note{color:var(--muted)}.note{margin:2px 0}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.state{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.state.ok{background:var(--ok)}.state.at-risk{background:var(--at-risk)}.state.breached{background:var(--breached)}.state.unknown{background:var(--unknown)}
.overall{display:flex;gap:16px;align-items:center;margin:14px 0;padding:12px 16px;border-radius:8px;background:var(--panel);border-left:6px solid var(--unknown)}
.overall.ok{border-left-color:var(--ok)}.overall.at-risk{border-left-color:var(--at-risk)}.overall.breached{border-left-color:var(--breached)}
.overall .big{font-size:18px;font-weight:600}
.counts span{margin-right:12px}
table.summary{border-collapse:collapse;width:100%}
table.summary th,table.summary td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
table.summary th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase}
table.summary td.num{text-align:right}table.summary td.mono{white-space:nowrap}
.gauge{display:inline-block;width:60px;height:6px;background:var(--line);border-radius:3px;vertical-align:middle;margin-left:6px;overflow:hidden}
.gauge span{display:block;height:100%;background:var(--ok)}
.gauge.at-risk span{background:var(--at-risk)}.gauge.breached span{background:var(--breached)}.gauge.unknown span{background:var(--unknown)}
.bar{display:inline-block;width:140px;height:8px;background:var(--line);border-radius:4px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%;background:#0969da}
section.target{border:1px solid var(--line);border-left:6px solid var(--unknown);border-radius:8px;padding:12px 16px;margin:14px 0}
section.target.ok{border-left-color:var(--ok)}section.target.at-risk{border-left-color:var(--at-risk)}section.target.breached{border-left-color:var(--breached)}
section.target header{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
.reason{margin:6px 0 8px}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:4px 18px;margin:8px 0}
dl.facts div{min-width:0}dl.facts dt{font-size:11px;color:var(--muted);text-transform:uppercase}dl.facts dd{margin:0;overflow-wrap:anywhere}
svg.timeline{width:100%;height:auto;display:block;margin:6px 0}
svg .lane{fill:#f6f8fa}svg .lane.odd{fill:#eef1f4}
svg .lane-label,svg .tick-label,svg .rpo-label,svg .older{font:11px sans-serif;fill:#59636e}
svg .tick{stroke:#d1d9e0;stroke-width:1}
svg .now{stroke:#1f2328;stroke-width:1.5;stroke-dasharray:3 2}
svg .rpo-band{fill:rgba(26,127,55,.13)}svg .rpo-edge{stroke:var(--ok);stroke-dasharray:4 3}
svg .mark{stroke-width:2}
svg .mark.available{fill:#0969da;stroke:#0969da}svg .mark.automated.available{fill:#8c959f;stroke:#8c959f}
svg .mark.captured.available{fill:#8250df;stroke:#8250df}
svg .mark.in-flight{fill:#fff;stroke:#0969da}svg .mark.failed{fill:var(--breached);stroke:var(--breached)}svg .mark.other{fill:#fff;stroke:#8c959f}
svg .over-rpo{fill:rgba(207,34,46,.08)}svg .rpo-line{stroke:var(--breached);stroke-dasharray:5 3}
svg polyline.age{fill:none;stroke:#0969da;stroke-width:1.5}
ul.flights,ul.failures,ul.findings{list-style:none;padding:0;margin:4px 0}
ul.flights li{margin:3px 0}
li.failure{margin:4px 0;padding:4px 8px;background:#fff1f0;border-left:3px solid var(--breached)}
li.failure .why{color:var(--breached);font-size:13px}
li.finding{margin:3px 0}li.finding .sev{font-size:11px;text-transform:uppercase;font-weight:600;color:var(--muted)}
li.finding.warning .sev{color:var(--at-risk)}li.finding.error .sev{color:var(--breached)}
.legend{font-size:12px;color:var(--muted)}.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 12px;vertical-align:-1px}
button{font:inherit;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:var(--panel);cursor:pointer}
body.problems-only .is-ok{display:none}
details.appendix{margin-top:24px}details.appendix pre{background:var(--panel);padding:10px;overflow:auto;font-size:12px}
footer{margin-top:32px;color:var(--muted);font-size:12px}
)CSS";

const char kScript[] = R"JS(
(function () {
  var order = ['ok', 'at-risk', 'breached', 'unknown'];
  var counts = {ok: 0, 'at-risk': 0, breached: 0, unknown: 0};
  var rows = document.querySelectorAll('table.summary tr.row');
  for (var i = 0; i < rows.length; i++) {
    var s = rows[i].getAttribute('data-state');
    if (counts.hasOwnProperty(s)) counts[s]++;
  }
  var parts = [];
  for (var j = 0; j < order.length; j++) parts.push(counts[order[j]] + ' ' + order[j]);
  var out = document.getElementById('js-summary');
  if (out) out.textContent = rows.length + ' database x target pairs: ' + parts.join(', ');
  var button = document.getElementById('filter');
  if (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var on = document.body.classList.toggle('problems-only');
      button.textContent = on ? 'Show all' : 'Show problems only';
    });
  }
  document.documentElement.setAttribute('data-rendered', 'yes');
})();
)JS";

}  // namespace

std::string RenderHtmlReport(const HtmlReportInput& input) {
  const engine::StatusReport& report = *input.status;
  const TimePoint now = report.generated_at;
  const RpoState overall = report.Overall();

  // Marks per row, then one time axis shared by every row.
  std::vector<std::vector<Mark>> marks(report.rows.size());
  if (input.inventory)
    for (size_t i = 0; i < report.rows.size(); ++i)
      marks[i] = MarksFor(*input.inventory, report.rows[i]);
  Axis axis;
  axis.end = now;
  axis.start =
      now - (input.timeline_window.count() > 0 ? input.timeline_window : AutoWindow(report, marks));

  int counts[4] = {0, 0, 0, 0};
  for (const auto& r : report.rows) ++counts[static_cast<int>(r.state)];
  std::vector<const engine::ActionResult*> failures;
  for (const auto& r : input.results)
    if (r.outcome == engine::Outcome::kFailed) failures.push_back(&r);

  std::string h;
  h.reserve(64 * 1024);
  h +=
      "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"no\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"drsnap\">\n<title>" +
      HtmlEscape(input.title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  h += "<h1>" + HtmlEscape(input.title) + "</h1>\n";
  h += "<p class=\"note\">Generated " + LongTime(now) + ".</p>\n";
  for (const auto& n : input.notes) h += "<p class=\"note\">" + HtmlEscape(n) + "</p>\n";

  // Overall.
  h += "<div class=\"overall " + std::string(StateName(overall)) +
       "\" id=\"overall\" data-state=\"" + StateName(overall) +
       "\"><span class=\"big\">Overall: <span class=\"state " + StateName(overall) + "\">" +
       StateName(overall) + "</span></span><span class=\"counts\">";
  for (int s = 0; s < 4; ++s)
    h += "<span class=\"count\" data-state=\"" + std::string(StateName(static_cast<RpoState>(s))) +
         "\">" + std::to_string(counts[s]) + " " + StateName(static_cast<RpoState>(s)) + "</span>";
  h += "</span><span id=\"js-summary\" class=\"muted\"></span>"
       "<button id=\"filter\" type=\"button\" hidden>Show problems only</button></div>\n";

  // Problems first: every pair that is not ok, with its cause, since when,
  // the errors AWS gave for it, and what to do.
  std::vector<const engine::TargetStatus*> problems;
  for (const auto& r : report.rows)
    if (r.state != RpoState::kOk) problems.push_back(&r);
  std::stable_sort(problems.begin(), problems.end(), [](const auto* a, const auto* b) {
    auto rank = [](RpoState st) {
      return st == RpoState::kBreached ? 0 : st == RpoState::kUnknown ? 1 : 2;
    };
    return rank(a->state) < rank(b->state);
  });
  if (!problems.empty()) {
    h += "<section id=\"problems\"><h2>Problems</h2>\n<table class=\"problems\">\n<thead><tr>"
         "<th>Database</th><th>Target</th><th>State</th><th>Cause</th><th>Since</th>"
         "<th>AWS said</th><th>What to do</th></tr></thead>\n<tbody>\n";
    for (const auto* r : problems) {
      const char* st = StateName(r->state);
      std::string aws;
      for (const auto* f : failures)
        if (f->action.db_id == r->db_id && f->error &&
            (f->action.scope == r->target || f->action.scope == r->source))
          aws = f->error->code + ": " + f->error->message;
      std::string todo;
      if (r->state == RpoState::kUnknown)
        todo = "give drsnap's role read access to " + r->target.ToString() +
               " (or check the region is reachable), then run drsnap status again";
      else if (r->reason.find("restore drill failed") != std::string::npos)
        todo = "look at why the restore failed, fix it, and run drsnap verify --force";
      else if (r->reason.find("failed cop") != std::string::npos || !aws.empty())
        todo = "fix the cause AWS gives for the failed copies (key policy, quota, region); "
               "drsnap retries with backoff";
      else if (r->reason.find("source database is gone") != std::string::npos)
        todo = "restore the database or remove it from the policy";
      else
        todo = "check that drsnap runs on schedule (drsnap apply) and that nothing is held back "
               "in drsnap plan";
      h += "<tr class=\"problem\" data-state=\"" + std::string(st) + "\"><td>" +
           HtmlEscape(r->db_id) + "</td><td class=\"mono\">" + HtmlEscape(r->target.ToString()) +
           "</td><td><span class=\"state " + st + "\">" + st + "</span></td><td>" +
           HtmlEscape(r->reason) + "</td><td>" +
           (r->since ? HtmlEscape(FormatIso8601Seconds(*r->since)) : std::string("-")) +
           "</td><td>" + (aws.empty() ? std::string("-") : HtmlEscape(aws)) + "</td><td>" +
           HtmlEscape(todo) + "</td></tr>\n";
    }
    h += "</tbody></table></section>\n";
  }

  // Summary table.
  h += "<h2>Databases x DR targets</h2>\n";
  if (report.rows.empty()) {
    h += "<p id=\"no-rows\">No protected databases found.</p>\n";
  } else {
    h += "<table class=\"summary\">\n<thead><tr><th>Database</th><th>Kind</th><th>Policy</th>"
         "<th>Source</th><th>Target</th><th>State</th><th>Newest point</th><th>Age / RPO</th>"
         "<th>Vaulted</th><th>In flight</th></tr></thead>\n<tbody>\n";
    for (const auto& r : report.rows) {
      const char* st = StateName(r.state);
      std::string key = HtmlRowKey(r);
      h += "<tr class=\"row" + std::string(r.state == RpoState::kOk ? " is-ok" : "") +
           "\" data-state=\"" + st + "\" data-key=\"" + HtmlEscape(key) + "\">";
      h += "<td><a href=\"#" + Anchor(key) + "\">" + HtmlEscape(r.db_id) + "</a>" +
           (r.database_exists ? "" : " <span class=\"muted\">(deleted)</span>") + "</td>";
      h += std::string("<td>") + engine::DbKindName(r.kind) + "</td>";
      h += "<td>" + HtmlEscape(r.policy) + "</td>";
      h += "<td class=\"mono\">" + HtmlEscape(r.source.ToString()) + "</td>";
      h += "<td class=\"mono\">" + HtmlEscape(r.target.ToString()) + "</td>";
      h += "<td><span class=\"state " + std::string(st) + "\">" + st + "</span></td>";
      h += "<td>" + (r.newest_point ? LongTime(*r.newest_point) : std::string("none")) + "</td>";
      h += "<td>" + (r.newest_point ? AgeText(r.age) : std::string("-")) + " / " + AgeText(r.rpo) +
           AgeGauge(r) + "</td>";
      h += "<td class=\"num vaulted\">" + std::to_string(r.vaulted_copies) + "</td>";
      h += "<td class=\"num in-flight\">" + std::to_string(r.in_flight.size()) + "</td></tr>\n";
    }
    h += "</tbody>\n</table>\n";
  }

  // Report-wide findings and failures.
  // Findings about one database go to its sections; the rest are listed here.
  std::vector<const engine::Finding*> findings;
  for (const auto& f : report.findings) findings.push_back(&f);
  for (const auto& f : input.findings) findings.push_back(&f);
  std::string general;
  for (const auto* f : findings) {
    bool placed = std::ranges::any_of(
        report.rows, [&](const TargetStatus& r) { return FindingConcernsRow(*f, r); });
    if (!placed) general += FindingItem(*f);
  }
  if (!general.empty())
    h += "<h2>Findings</h2>\n<ul class=\"findings\" id=\"findings\">\n" + general + "</ul>\n";
  if (!failures.empty()) {
    h += "<h2>Failed actions</h2>\n<ul class=\"failures\" id=\"failures\">\n";
    for (const auto* f : failures) h += FailureItem(*f);
    h += "</ul>\n";
  }

  // Details, one section per row.
  if (!report.rows.empty()) {
    h += "<h2>Timelines</h2>\n<p class=\"legend\">Each mark is a recovery point (placed at the "
         "time it restores to):<i style=\"background:#8c959f\"></i>automated snapshot (source)"
         "<i style=\"background:#8250df\"></i>drsnap capture (source)"
         "<i style=\"background:#0969da\"></i>vault copy (target)"
         "<i style=\"border:2px solid #0969da\"></i>copy in flight"
         "<i style=\"background:#cf222e\"></i>failed. The green band is the RPO window ending "
         "now: the target is within its RPO while a blue mark lies inside it.</p>\n";
  }
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const auto& r = report.rows[i];
    const char* st = StateName(r.state);
    std::string key = HtmlRowKey(r);
    h += "<section class=\"target " + std::string(st) + (r.state == RpoState::kOk ? " is-ok" : "") +
         "\" id=\"" + Anchor(key) + "\" data-state=\"" + st + "\" data-key=\"" + HtmlEscape(key) +
         "\">\n";
    h += "<header><h3>" + HtmlEscape(r.db_id) + " <span class=\"muted\">" +
         engine::DbKindName(r.kind) + (r.database_exists ? "" : ", deleted") + "</span> &rarr; " +
         HtmlEscape(r.target.ToString()) + "</h3><span class=\"state " + st + "\">" + st +
         "</span><span class=\"muted\">policy " + HtmlEscape(r.policy) + ", from " +
         HtmlEscape(r.source.ToString()) + "</span></header>\n";
    h += "<p class=\"reason\">" + HtmlEscape(r.reason) + "</p>\n";

    std::string tiers;
    for (const auto& t : r.tiers) {
      if (!tiers.empty()) tiers += ", ";
      tiers += t.tier + " " + std::to_string(t.count);
    }
    std::string verification = "never";
    if (auto v = input.verifications.find(key); v != input.verifications.end()) {
      verification = LongTime(v->second.at) + (v->second.ok ? ": restored OK" : ": FAILED") +
                     (v->second.snapshot_id.empty() ? "" : " (" + v->second.snapshot_id + ")") +
                     (v->second.detail.empty() ? "" : ", " + v->second.detail);
    }
    h += "<dl class=\"facts\">";
    h += "<div><dt>Newest recoverable point</dt><dd class=\"newest\">" +
         (r.newest_point ? LongTime(*r.newest_point) + "<br><code>" +
                               HtmlEscape(r.newest_snapshot_id) + "</code>"
                         : std::string("none yet")) +
         "</dd></div>";
    h += "<div><dt>Age / RPO</dt><dd>" + (r.newest_point ? AgeText(r.age) : std::string("-")) +
         " / " + AgeText(r.rpo) + AgeGauge(r) + "</dd></div>";
    h += "<div><dt>Vaulted copies</dt><dd class=\"vaulted\">" + std::to_string(r.vaulted_copies) +
         "</dd></div>";
    h += "<div><dt>Retention tiers</dt><dd class=\"tiers\">" +
         HtmlEscape(tiers.empty() ? "newest only" : tiers) + "</dd></div>";
    h += "<div><dt>Last verification</dt><dd class=\"verification\">" + HtmlEscape(verification) +
         "</dd></div>";
    h += "</dl>\n";

    if (input.inventory || input.history.contains(key)) {
      auto hist = input.history.find(key);
      h += TimelineSvg(r, marks[i], hist == input.history.end() ? nullptr : &hist->second, axis);
    }

    if (!r.in_flight.empty()) {
      h += "<h4>In flight</h4>\n<ul class=\"flights\">\n";
      for (const InFlightCopy& c : r.in_flight) {
        h += "<li class=\"flight\" data-stage=\"" + HtmlEscape(c.stage) + "\"><strong>" +
             HtmlEscape(c.stage) + "</strong> " + ProgressBar(c.percent_progress) + " <code>" +
             HtmlEscape(c.snapshot_id) + "</code> <span class=\"muted\">" +
             HtmlEscape(c.scope.ToString() + ", " + c.status + ", point " +
                        LongTime(c.recovery_point)) +
             (c.started != TimePoint{} ? HtmlEscape(", started " + LongTime(c.started)) : "") +
             "</span></li>\n";
      }
      h += "</ul>\n";
    }

    std::string items;
    for (const auto* f : findings)
      if (FindingConcernsRow(*f, r)) items += FindingItem(*f);
    std::string failed;
    for (const auto* f : failures)
      if (FailureConcernsRow(*f, r)) failed += FailureItem(*f);
    if (!items.empty()) h += "<h4>Findings</h4>\n<ul class=\"findings\">\n" + items + "</ul>\n";
    if (!failed.empty()) h += "<h4>Failures</h4>\n<ul class=\"failures\">\n" + failed + "</ul>\n";
    h += "</section>\n";
  }

  if (!input.appendix_text.empty()) {
    h += "<details class=\"appendix\"><summary>" +
         HtmlEscape(input.appendix_title.empty() ? "Appendix" : input.appendix_title) +
         "</summary>\n<pre>" + HtmlEscape(input.appendix_text) + "</pre></details>\n";
  }
  h += "<footer>drsnap &middot; one self-contained file: no network access is needed to view "
       "it. Times are UTC.</footer>\n";
  h += std::string("<script>") + kScript + "</script>\n</body>\n</html>\n";
  return h;
}

std::string StatusHtml(const engine::StatusReport& report, const engine::Inventory& inventory) {
  HtmlReportInput in;
  in.status = &report;
  in.inventory = &inventory;
  return RenderHtmlReport(in);
}

}  // namespace drsnap::cli
