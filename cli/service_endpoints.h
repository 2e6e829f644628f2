// What `drsnap run --listen ADDR` serves over HTTP (cli/http_server.h), from
// the reconciles the service loop records:
//
//   /metrics  the Prometheus text of the last reconcile's observation (the
//             status metrics of `drsnap status --output prometheus`, the
//             findings of its plan) plus what only the service knows: action
//             failures since it started, reconciles, when the last one
//             finished and whether it succeeded (cli/output.h
//             StatusPrometheus). Before the first reconcile: the build info
//             and the counters only.
//   /healthz  200 "ok" while the process runs.
//   /readyz   200 when a reconcile succeeded (metrics::ReconcileSucceeded)
//             within two intervals of now, on the reconcile clock; else 503
//             with a sentence saying why (none yet, or when the last success
//             was and what the last reconcile came to).
//   /         the live HTML report (cli/report_html.h, the renderer of
//             `drsnap status --output html`) of the last reconcile, with its
//             failed actions and its plan's findings; 503 with a sentence
//             before the first reconcile.
//   anything else 404.
//
// Thread safety: Record() (the service loop) and Serve() (the HTTP server's
// thread) may be called concurrently; the state is guarded by one mutex and
// the pages are rendered outside it from an immutable snapshot of the last
// reconcile.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "cli/http_server.h"
#include "cli/output.h"
#include "config/policy.h"
#include "core/clock.h"
#include "engine/reconcile.h"
#include "engine/status.h"

namespace drsnap::cli {

class ServiceEndpoints {
 public:
  // `clock`: the reconcile clock (the one the loop sleeps on); `interval`:
  // the time between reconciles (> 0). REQUIRES: `config` outlives this.
  ServiceEndpoints(const config::Config& config, std::shared_ptr<Clock> clock, Duration interval);

  // One finished reconcile. Computes its status report (engine::ComputeStatus
  // at the observation's time) and adds its failed actions to the counters.
  void Record(engine::ReconcileReport report);

  HttpResponse Serve(const HttpRequest& request) const;

 private:
  // The last reconcile, as served; never changed once made.
  struct Last {
    engine::ReconcileReport report;
    engine::StatusReport status;
  };
  HttpResponse Metrics() const;
  HttpResponse Ready() const;
  HttpResponse Report() const;

  const config::Config& config_;
  std::shared_ptr<Clock> clock_;
  Duration interval_;
  mutable std::mutex mu_;
  std::shared_ptr<const Last> last_;       // guarded by mu_
  ServiceMetrics service_;                 // guarded by mu_
  std::optional<TimePoint> last_success_;  // guarded by mu_
};

}  // namespace drsnap::cli
