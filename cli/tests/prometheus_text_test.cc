// The Prometheus text of drsnap status and drsnap run --listen
// (cli/output.h StatusPrometheus): valid exposition text with one HELP and
// TYPE per family, escaped label values, and the issue 17 families.
#include <gtest/gtest.h>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/tests/prometheus_util.h"
#include "core/time_util.h"

namespace drsnap::cli {
namespace {

using testing::PrometheusProblems;
using testing::PrometheusSamples;

engine::StatusReport TwoRows() {
  engine::StatusReport report;
  report.generated_at = *ParseIso8601("2026-11-23T06:00:00Z");
  engine::TargetStatus ok;
  ok.policy = "orders";
  ok.db_id = "db1";
  ok.target = engine::Scope{"222222222222", "eu-west-1"};
  ok.rpo = std::chrono::hours(6);
  ok.state = engine::RpoState::kOk;
  ok.newest_point = *ParseIso8601("2026-11-23T05:00:00Z");
  ok.age = std::chrono::hours(1);
  engine::TargetStatus odd = ok;
  // A policy name no one should choose, to show the escaping.
  odd.policy = "we\"ird\\po\nlicy";
  odd.state = engine::RpoState::kBreached;
  odd.newest_point.reset();
  report.rows = {ok, odd};
  return report;
}

TEST(PrometheusTextTest, StatusFamiliesAreValidAndEscaped) {
  engine::StatusReport report = TwoRows();
  PrometheusInput in;
  in.status = &report;
  in.exit_code = 2;
  in.findings = {
      engine::Finding{engine::Finding::Severity::kError, "orders", "db1", {}, "key refused"},
      engine::Finding{engine::Finding::Severity::kWarning, "orders", "db1", {}, "slow"},
      engine::Finding{engine::Finding::Severity::kError, "orders", "db2", {}, "quota"}};
  std::string text = StatusPrometheus(in);
  ASSERT_EQ(PrometheusProblems(text), "") << text;
  auto samples = PrometheusSamples(text);
  EXPECT_EQ(samples["drsnap_pairs{state=\"ok\"}"], 1);
  EXPECT_EQ(samples["drsnap_pairs{state=\"at-risk\"}"], 0);
  EXPECT_EQ(samples["drsnap_pairs{state=\"breached\"}"], 1);
  EXPECT_EQ(samples["drsnap_pairs{state=\"unknown\"}"], 0);
  EXPECT_EQ(samples["drsnap_findings{severity=\"error\"}"], 2);
  EXPECT_EQ(samples["drsnap_findings{severity=\"warning\"}"], 1);
  EXPECT_EQ(samples["drsnap_findings{severity=\"info\"}"], 0);
  EXPECT_EQ(samples["drsnap_status_exit_code"], 2);
  EXPECT_EQ(samples["drsnap_build_info{version=\"" + std::string(Version()) + "\"}"], 1);
  EXPECT_NE(text.find("policy=\"we\\\"ird\\\\po\\nlicy\""), std::string::npos) << text;
  // One-shot: no reconcile families.
  EXPECT_EQ(text.find("drsnap_last_reconcile"), std::string::npos);
  EXPECT_EQ(text.find("drsnap_action_failures_total"), std::string::npos);
}

TEST(PrometheusTextTest, ServiceFamiliesCountFailuresByStageAndCode) {
  engine::StatusReport report = TwoRows();
  ServiceMetrics service;
  service.action_failures[{"vault", "KMSKeyNotAccessibleFault"}] = 3;
  service.action_failures[{"capture", "Odd\"Code\\"}] = 1;
  service.reconciles = 4;
  service.last_reconcile = *ParseIso8601("2026-11-23T06:00:10Z");
  service.last_reconcile_success = false;
  PrometheusInput in;
  in.status = &report;
  in.service = &service;
  std::string text = StatusPrometheus(in);
  ASSERT_EQ(PrometheusProblems(text), "") << text;
  auto samples = PrometheusSamples(text);
  EXPECT_NE(text.find("# TYPE drsnap_action_failures_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE drsnap_last_reconcile_success gauge\n"), std::string::npos);
  EXPECT_EQ(
      samples["drsnap_action_failures_total{stage=\"vault\",code=\"KMSKeyNotAccessibleFault\"}"],
      3);
  EXPECT_EQ(samples["drsnap_action_failures_total{stage=\"capture\",code=\"Odd\\\"Code\\\\\"}"], 1)
      << text;
  EXPECT_EQ(samples["drsnap_reconciles_total"], 4);
  EXPECT_EQ(samples["drsnap_last_reconcile_timestamp_seconds"],
            static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                    service.last_reconcile->time_since_epoch())
                                    .count()));
  EXPECT_EQ(samples["drsnap_last_reconcile_success"], 0);
}

TEST(PrometheusTextTest, BeforeTheFirstReconcileOnlyTheBuildAndTheCounters) {
  ServiceMetrics service;
  PrometheusInput in;
  in.service = &service;
  std::string text = StatusPrometheus(in);
  ASSERT_EQ(PrometheusProblems(text), "") << text;
  auto samples = PrometheusSamples(text);
  EXPECT_EQ(samples.size(), 2u) << text;  // build info, reconciles
  EXPECT_EQ(samples["drsnap_reconciles_total"], 0);
  EXPECT_EQ(text.find("drsnap_pairs"), std::string::npos);
  EXPECT_EQ(text.find("drsnap_last_reconcile"), std::string::npos);
}

TEST(PrometheusTextTest, TheCheckerRefusesBrokenText) {
  EXPECT_NE(PrometheusProblems("x 1\n"), "");                                 // no TYPE
  EXPECT_NE(PrometheusProblems("# TYPE x gauge\nx{a=\"\\q\"} 1\n"), "");      // bad escape
  EXPECT_NE(PrometheusProblems("# TYPE x gauge\nx 1\nx 2\n"), "");            // series twice
  EXPECT_NE(PrometheusProblems("# TYPE x gauge\n# TYPE x gauge\n"), "");      // TYPE twice
  EXPECT_NE(PrometheusProblems("# TYPE x gauge\nx one\n"), "");               // value
  EXPECT_EQ(PrometheusProblems("# TYPE x gauge\nx{a=\"\\\"\\n\"} 1\n"), "");  // good escapes
}

}  // namespace
}  // namespace drsnap::cli
