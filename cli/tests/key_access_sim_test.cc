// A database encrypted with a key the DR account may not use (issue: truth
// under failure, case 1), against drsnap-sim: the plan has an error finding
// naming the key and the account before any copy is tried, no copy AWS
// would refuse is issued, and status says breached with the key as the
// cause.
#include <gtest/gtest.h>

#include "cli/output.h"
#include "core/time_util.h"
#include "engine/status.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using std::chrono::minutes;

const char kPrivateKey[] = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-00000000a0ff";

std::string World(bool allow_vault) {
  SimWorld w = ProdAndVault(
      "      - {id: orders, region: us-east-1, engine: postgres, size_gb: 10, encrypted: true,\n"
      "         kms_key: alias/prod-private, backup_retention_days: 7, "
      "backup_window: \"04:00-04:30\"}\n");
  SimKey key{"us-east-1", "00000000-0000-0000-0000-00000000a0ff", "alias/prod-private", {}};
  if (allow_vault) key.allow_accounts = {SimAccountNamed("vault").id};
  w.Account("prod").keys.push_back(key);
  return w.Yaml();
}

bool HasFinding(const engine::Plan& plan, const std::string& a, const std::string& b) {
  for (const auto& f : plan.findings)
    if (f.severity == engine::Finding::Severity::kError &&
        f.message.find(a) != std::string::npos && f.message.find(b) != std::string::npos)
      return true;
  return false;
}

TEST(KeyAccessSimTest, AKeyTheDrAccountMayNotUseIsAFindingNotARefusedCopy) {
  auto p = StartSimPipeline(World(false), SimPolicy{}.Yaml());
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));  // after the backup window
  int refused_copies = 0;
  bool reported = false;
  engine::Plan last;
  for (int i = 0; i < 8; ++i) {
    auto r = p->reconciler->RunOnce({});
    for (const auto& res : r.apply.results)
      if (res.error && res.error->code.find("KMSKeyNotAccessible") != std::string::npos)
        ++refused_copies;
    reported = reported || HasFinding(r.plan, kPrivateKey, "222222222222");
    last = r.plan;
    p->sim->Advance(minutes(30));
  }
  EXPECT_TRUE(reported) << "no finding named the key and the DR account";
  EXPECT_EQ(refused_copies, 0);
  for (const auto& a : last.actions) EXPECT_NE(a.stage, engine::Stage::kVault) << a.Describe();

  engine::Inventory inv = p->reconciler->Observe();
  auto status = engine::ComputeStatus(inv, p->config, inv.observed_at);
  ASSERT_FALSE(status.rows.empty());
  for (const auto& row : status.rows) {
    EXPECT_EQ(row.state, engine::RpoState::kBreached) << row.reason;
    EXPECT_NE(row.reason.find(kPrivateKey), std::string::npos) << row.reason;
    EXPECT_NE(row.reason.find("AccessDeniedException"), std::string::npos) << row.reason;
  }
  // The same truth in the metrics monitoring scrapes.
  cli::PrometheusInput metrics;
  metrics.status = &status;
  metrics.findings = last.findings;
  const std::string text = cli::StatusPrometheus(metrics);
  EXPECT_NE(text.find("drsnap_pairs{state=\"breached\"} " + std::to_string(status.rows.size())),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("drsnap_findings{severity=\"error\"} 0"), std::string::npos) << text;
}

// The same database once the key policy allows the DR account: vaulted.
TEST(KeyAccessSimTest, AllowedKeyIsVaulted) {
  auto p = StartSimPipeline(World(true), SimPolicy{}.Yaml());
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto reports = p->RunUntilQuiet(16, minutes(30));
  engine::Inventory inv = p->reconciler->Observe();
  auto status = engine::ComputeStatus(inv, p->config, inv.observed_at);
  ASSERT_FALSE(status.rows.empty());
  for (const auto& row : status.rows) EXPECT_EQ(row.state, engine::RpoState::kOk) << row.reason;
}

}  // namespace
}  // namespace drsnap::testing
