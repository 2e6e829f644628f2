// A refusal through the whole stack (issue 17: "a refusal AWS does not
// remember must survive process restarts"): drsnap-sim refuses every vault
// copy of a database whose option group the policy maps to a group that
// does not exist in the DR region. The apply that met the refusal writes it
// to drsnap's ledger in the DR account (a DB parameter group's tags, over
// AwsCloud and HTTP); a new reconciler — a new process — asks nothing
// before the backoff, says why in an error finding, and status gives it as
// the pair's cause.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/output.h"
#include "core/time_util.h"
#include "engine/ledger.h"
#include "engine/reconcile.h"
#include "engine/status.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap {
namespace {

using namespace drsnap::testing;
const engine::Scope kVaultEu{"222222222222", "eu-west-1"};

int VaultCopiesAsked(const engine::ReconcileReport& r) {
  int n = 0;
  for (const auto& res : r.apply.results)
    if (res.action.kind == engine::ActionKind::kCopySnapshot && res.action.scope == kVaultEu &&
        res.outcome != engine::Outcome::kDeferred)
      ++n;
  return n;
}

TEST(LedgerPipelineTest, ARefusedVaultCopyIsRememberedByTheNextProcess) {
  SimWorld w = ProdAndVault(
      "      - {id: orders, region: us-east-1, engine: postgres, engine_version: \"16.3\",\n"
      "         option_group: orders-og,\n"
      "         size_gb: 20, encrypted: true, kms_key: alias/prod-share,\n"
      "         backup_retention_days: 7, backup_window: \"04:00-04:30\"}\n");
  // prod's own option group (default groups exist everywhere and are never mapped).
  std::string world = w.Yaml();
  const size_t at = world.find("    db_instances:");
  ASSERT_NE(at, std::string::npos);
  world.insert(at,
               "    option_groups:\n"
               "      - {name: orders-og, region: us-east-1, engine: postgres, "
               "major_engine_version: \"16\"}\n");
  SimPolicy policy;
  policy.targets = {SimTarget{.region_extra = "option_groups: {orders-og: missing-og}"}};
  auto p = StartSimPipeline(world, policy.Yaml());
  ASSERT_NE(p, nullptr);
  p->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));

  if (std::getenv("DRSNAP_TEST_DEBUG"))
    for (const auto& si : p->reconciler->Observe().scopes)
      for (const auto& d : si.databases)
        std::fprintf(stderr, "db %s og '%s'\n", d.id.c_str(), d.option_group.c_str());
  // Capture, share (and hop) go through; the vault copy is refused once.
  int asked = 0;
  for (const auto& r : p->RunUntilQuiet(12, std::chrono::minutes(5))) {
    asked += VaultCopiesAsked(r);
    if (std::getenv("DRSNAP_TEST_DEBUG"))
      for (const auto& res : r.apply.results)
        std::fprintf(stderr, "%s %s %s\n", res.action.Describe().c_str(),
                     engine::OutcomeName(res.outcome),
                     res.error ? res.error->ToString().c_str() : res.reason.c_str());
  }
  ASSERT_EQ(asked, 1) << "the vault copy should be asked for once, then held back";
  auto tags = p->cloud->ReadLedger(kVaultEu);
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  engine::Ledger ledger = engine::DecodeLedger(*tags, p->clock->Now());
  ASSERT_EQ(ledger.refusals.size(), 1u);
  EXPECT_EQ(ledger.refusals[0].code, "OptionGroupNotFoundFault");

  // A new process within the backoff: no copy, an error finding with AWS's code.
  p->sim->Advance(std::chrono::minutes(5));
  auto fresh = p->NewReconciler();
  engine::Inventory inv = fresh->Observe();
  engine::Plan plan = fresh->PlanFor(inv);
  EXPECT_TRUE(std::ranges::none_of(plan.actions, [](const engine::Action& a) {
    return a.kind == engine::ActionKind::kCopySnapshot && a.scope == kVaultEu;
  }));
  EXPECT_TRUE(std::ranges::any_of(plan.findings, [](const engine::Finding& f) {
    return f.severity == engine::Finding::Severity::kError &&
           f.message.find("OptionGroupNotFoundFault") != std::string::npos &&
           f.message.find("asks again after") != std::string::npos;
  }));
  engine::StatusReport status = engine::ComputeStatus(inv, p->config, inv.observed_at);
  ASSERT_EQ(status.rows.size(), 1u);
  EXPECT_EQ(status.rows[0].state, engine::RpoState::kBreached);
  EXPECT_NE(status.rows[0].reason.find("AWS refused copy"), std::string::npos)
      << status.rows[0].reason;
  EXPECT_NE(status.rows[0].reason.find("OptionGroupNotFoundFault"), std::string::npos);
  cli::PrometheusInput metrics;
  metrics.status = &status;
  metrics.findings = plan.findings;
  const std::string text = cli::StatusPrometheus(metrics);
  EXPECT_NE(text.find("drsnap_pairs{state=\"breached\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("drsnap_findings{severity=\"error\"} 0"), std::string::npos) << text;

  // After the backoff a new process asks once more (and is refused again:
  // counted twice, the same first time).
  p->sim->Advance(std::chrono::minutes(30));
  auto later = p->NewReconciler();
  asked = VaultCopiesAsked(later->RunOnce(engine::ReconcileOptions{}));
  EXPECT_EQ(asked, 1);
  ledger = engine::DecodeLedger(*p->cloud->ReadLedger(kVaultEu), p->clock->Now());
  ASSERT_EQ(ledger.refusals.size(), 1u);
  EXPECT_EQ(ledger.refusals[0].count, 2);
}

}  // namespace
}  // namespace drsnap
