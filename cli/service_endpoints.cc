#include "cli/service_endpoints.h"

#include "cli/report_html.h"
#include "cli/verify_report.h"
#include "core/time_util.h"
#include "metrics/reconcile_metrics.h"

namespace drsnap::cli {
namespace {

constexpr char kPrometheusType[] = "text/plain; version=0.0.4; charset=utf-8";

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

ServiceEndpoints::ServiceEndpoints(const config::Config& config, std::shared_ptr<Clock> clock,
                                   Duration interval)
    : config_(config), clock_(std::move(clock)), interval_(interval) {}

void ServiceEndpoints::Record(engine::ReconcileReport report) {
  auto last = std::make_shared<Last>();
  last->status = engine::ComputeStatus(report.inventory, config_, report.inventory.observed_at);
  const bool success = metrics::ReconcileSucceeded(report);
  const TimePoint finished = report.finished;
  metrics::FailureCounts failures;
  metrics::AddActionFailures(report.apply, failures);
  last->report = std::move(report);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, n] : failures) service_.action_failures[key] += n;
  ++service_.reconciles;
  service_.last_reconcile = finished;
  service_.last_reconcile_success = success;
  if (success) last_success_ = finished;
  last_ = std::move(last);
}

HttpResponse ServiceEndpoints::Serve(const HttpRequest& request) const {
  if (request.path == "/metrics") return Metrics();
  if (request.path == "/healthz") return Text(200, "ok\n");
  if (request.path == "/readyz") return Ready();
  if (request.path == "/") return Report();
  return Text(404, "not found: " + request.path + " (served: /, /metrics, /healthz, /readyz)\n");
}

HttpResponse ServiceEndpoints::Metrics() const {
  std::shared_ptr<const Last> last;
  ServiceMetrics service;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = last_;
    service = service_;
  }
  PrometheusInput in;
  in.service = &service;
  if (last) {
    in.status = &last->status;
    in.exit_code = StatusExitCode(last->status, last->report.inventory);
    in.incomplete_scopes = last->report.inventory.IncompleteScopes();
    in.findings = last->report.plan.findings;
  }
  HttpResponse r = Text(200, StatusPrometheus(in));
  r.content_type = kPrometheusType;
  return r;
}

HttpResponse ServiceEndpoints::Ready() const {
  std::optional<TimePoint> success, last_finished;
  std::string last_summary;
  {
    std::lock_guard<std::mutex> lock(mu_);
    success = last_success_;
    last_finished = service_.last_reconcile;
    if (last_ && !service_.last_reconcile_success)
      last_summary = last_->report.Summary() + ", " +
                     std::to_string(metrics::ErrorFindings(last_->report.plan.findings)) +
                     " error findings";
  }
  const TimePoint now = clock_->Now();
  const Duration window = 2 * interval_;
  if (success && now - *success <= window)
    return Text(200, "ready: a reconcile succeeded at " + FormatIso8601Seconds(*success) + "\n");
  std::string why;
  if (!last_finished) {
    why = "not ready: no reconcile has finished yet";
  } else if (!success) {
    why = "not ready: no reconcile has succeeded yet; the last one, at " +
          FormatIso8601Seconds(*last_finished) + ", came to " + last_summary;
  } else {
    why = "not ready: the last successful reconcile was at " + FormatIso8601Seconds(*success) +
          ", more than two intervals (" +
          FormatDuration(std::chrono::duration_cast<std::chrono::seconds>(window)) + ") ago";
    if (!last_summary.empty())
      why += "; the last one, at " + FormatIso8601Seconds(*last_finished) + ", came to " +
             last_summary;
  }
  return Text(503, why + "\n");
}

HttpResponse ServiceEndpoints::Report() const {
  std::shared_ptr<const Last> last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = last_;
  }
  if (!last)
    return Text(503, "no reconcile has finished yet: the report appears after the first one\n");
  HtmlReportInput in;
  in.title = "drsnap run: live recoverability report";
  in.notes.push_back("The last reconcile finished at " +
                     FormatIso8601Seconds(last->report.finished) + ": " + last->report.Summary() +
                     ".");
  in.status = &last->status;
  in.inventory = &last->report.inventory;
  for (const auto& r : last->report.apply.results)
    if (r.outcome == engine::Outcome::kFailed) in.results.push_back(r);
  in.findings = last->report.plan.findings;
  in.verifications = VerificationsFor(last->status, last->report.inventory);
  HttpResponse r = Text(200, RenderHtmlReport(in));
  r.content_type = "text/html; charset=utf-8";
  return r;
}

}  // namespace drsnap::cli
