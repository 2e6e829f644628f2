// What drsnap run --listen serves (cli/service_endpoints.h), in process, from
// reconcile reports made here: readiness within two intervals on the
// reconcile clock, failure counters that add up across reconciles, the
// report page, and 404 for the rest.
#include "cli/service_endpoints.h"

#include <gtest/gtest.h>

#include "cli/tests/prometheus_util.h"
#include "core/time_util.h"

namespace drsnap::cli {
namespace {

using testing::PrometheusProblems;
using testing::PrometheusSamples;

const TimePoint kStart = *ParseIso8601("2026-11-23T06:00:00Z");
constexpr Duration kInterval = std::chrono::minutes(5);

engine::ReconcileReport Report(TimePoint finished, int failed) {
  engine::ReconcileReport r;
  r.started = finished - std::chrono::seconds(10);
  r.finished = finished;
  r.inventory.observed_at = r.started;
  for (int i = 0; i < failed; ++i) {
    engine::ActionResult res;
    res.action.stage = engine::Stage::kVault;
    res.action.kind = engine::ActionKind::kCopySnapshot;
    res.outcome = engine::Outcome::kFailed;
    res.error = Error::Terminal("KMSKeyNotAccessibleFault", "the key is not accessible");
    r.apply.results.push_back(res);
    r.plan.actions.push_back(res.action);
  }
  return r;
}

HttpResponse Get(const ServiceEndpoints& e, const std::string& path) {
  return e.Serve(HttpRequest{"GET", path});
}

class ServiceEndpointsTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>(kStart);
  config::Config config_;
  ServiceEndpoints endpoints_{config_, clock_, kInterval};
};

TEST_F(ServiceEndpointsTest, BeforeTheFirstReconcile) {
  EXPECT_EQ(Get(endpoints_, "/healthz").status, 200);
  HttpResponse ready = Get(endpoints_, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("no reconcile has finished yet"), std::string::npos) << ready.body;
  EXPECT_EQ(Get(endpoints_, "/").status, 503);
  HttpResponse metrics = Get(endpoints_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  ASSERT_EQ(PrometheusProblems(metrics.body), "") << metrics.body;
  EXPECT_EQ(PrometheusSamples(metrics.body)["drsnap_reconciles_total"], 0);
  EXPECT_EQ(Get(endpoints_, "/nope").status, 404);
  EXPECT_EQ(Get(endpoints_, "/metrics/").status, 404);
}

TEST_F(ServiceEndpointsTest, ReadyOnlyWithinTwoIntervalsOfASuccess) {
  endpoints_.Record(Report(kStart, /*failed=*/2));
  HttpResponse ready = Get(endpoints_, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("no reconcile has succeeded yet"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("2 failed"), std::string::npos) << ready.body;

  clock_->Advance(kInterval);
  endpoints_.Record(Report(clock_->Now(), 0));
  EXPECT_EQ(Get(endpoints_, "/readyz").status, 200);
  clock_->Advance(2 * kInterval);
  EXPECT_EQ(Get(endpoints_, "/readyz").status, 200);  // exactly two intervals
  clock_->Advance(std::chrono::seconds(1));
  ready = Get(endpoints_, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("more than two intervals (10m) ago"), std::string::npos) << ready.body;

  // A later failure does not make it ready again, and says what it came to.
  endpoints_.Record(Report(clock_->Now(), 1));
  ready = Get(endpoints_, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("1 failed"), std::string::npos) << ready.body;
}

TEST_F(ServiceEndpointsTest, FailureCountersAddUpAndTheLastReconcileIsShown) {
  endpoints_.Record(Report(kStart, 2));
  clock_->Advance(kInterval);
  endpoints_.Record(Report(clock_->Now(), 1));
  HttpResponse metrics = Get(endpoints_, "/metrics");
  ASSERT_EQ(PrometheusProblems(metrics.body), "") << metrics.body;
  auto samples = PrometheusSamples(metrics.body);
  EXPECT_EQ(
      samples["drsnap_action_failures_total{stage=\"vault\",code=\"KMSKeyNotAccessibleFault\"}"], 3)
      << metrics.body;
  EXPECT_EQ(samples["drsnap_reconciles_total"], 2);
  EXPECT_EQ(samples["drsnap_last_reconcile_success"], 0);
  EXPECT_EQ(samples["drsnap_last_reconcile_timestamp_seconds"],
            static_cast<double>(
                std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch())
                    .count()));
  EXPECT_EQ(samples["drsnap_pairs{state=\"ok\"}"], 0);

  HttpResponse page = Get(endpoints_, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u) << page.body.substr(0, 200);
  EXPECT_NE(page.body.find("the key is not accessible"), std::string::npos);
}

}  // namespace
}  // namespace drsnap::cli
