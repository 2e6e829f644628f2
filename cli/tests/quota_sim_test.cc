// The manual snapshot quota against drsnap-sim (issue: truth under failure,
// case 5): with room for three snapshots and six databases to capture, drsnap
// makes three, reports the quota with its use, and no call is refused with
// SnapshotQuotaExceeded on any reconcile.
#include <gtest/gtest.h>

#include "cli/output.h"
#include "core/time_util.h"
#include "engine/status.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

TEST(QuotaSimTest, AFullQuotaIsAFindingNotARefusedCall) {
  std::string dbs;
  for (int i = 0; i < 6; ++i)
    dbs += "      - {id: db" + std::to_string(i) +
           ", region: us-east-1, engine: postgres, size_gb: 10, backup_retention_days: 7, "
           "backup_window: \"04:00-04:30\"}\n";
  SimWorld w = ProdAndVault(dbs);
  w.settings = "{manual_snapshot_quota: 3}";
  // The policy keeps its newest capture of each database (keep_newest set):
  // captures do not become transient, so the quota stays full.
  auto p = StartSimPipeline(w.Yaml(), SimPolicy{.from = "automated, keep_newest: 1"}.Yaml());
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  int refused = 0;
  bool reported = false;
  for (int i = 0; i < 4; ++i) {
    auto r = p->reconciler->RunOnce({});
    for (const auto& res : r.apply.results)
      if (res.error && res.error->code == "SnapshotQuotaExceeded") ++refused;
    for (const auto& f : r.plan.findings)
      reported = reported || (f.message.find("quota of 111111111111/us-east-1 is full (3 of 3") !=
                              std::string::npos);
    p->sim->Advance(std::chrono::minutes(30));
  }
  EXPECT_EQ(refused, 0);
  EXPECT_TRUE(reported);
  // The databases left without a copy say why.
  engine::Inventory inv = p->reconciler->Observe();
  auto status = engine::ComputeStatus(inv, p->config, inv.observed_at);
  int quota_caused = 0;
  for (const auto& row : status.rows)
    if (row.state == engine::RpoState::kBreached &&
        row.reason.find("quota of 111111111111/us-east-1 is full (3 of 3 used)") !=
            std::string::npos)
      ++quota_caused;
  EXPECT_EQ(quota_caused, 3);
  cli::PrometheusInput metrics;
  metrics.status = &status;
  const std::string text = cli::StatusPrometheus(metrics);
  EXPECT_NE(text.find("drsnap_pairs{state=\"breached\"} 3"), std::string::npos) << text;
}

}  // namespace
}  // namespace drsnap::testing
