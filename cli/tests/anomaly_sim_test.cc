// The anomaly freeze end to end against drsnap-sim: a production account
// that makes a burst of honest-looking captures (real snapshots of the real
// database, all of drsnap's tags, shared with the DR account) freezes the
// vault's retention; `drsnap clear-anomaly` records a person's review in the
// DR account and retention resumes.
#include <gtest/gtest.h>

#include <cstdio>

#include "cli/command.h"
#include "core/time_util.h"
#include "engine/anomaly.h"
#include "engine/naming.h"
#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::cli {
int RunClearAnomalyCommand(CommandContext& ctx);
}

namespace drsnap::testing {
namespace {

using engine::Scope;
using std::chrono::hours;
using std::chrono::minutes;

const char kProdId[] = "111111111111";
const char kVaultId[] = "222222222222";
const Scope kVaultEu{kVaultId, "eu-west-1"};

std::set<std::string> VaultCopies(SimPipeline& p) {
  std::set<std::string> out;
  for (const auto& s : Owned(p, kVaultEu)) {
    auto l = engine::naming::ParseName(s.id);
    if (l && l->stage == engine::naming::NameStage::kVault) out.insert(s.id);
  }
  return out;
}

// The production account (its own principal) snapshots orders now, with
// every drsnap tag, and shares it with the vault account.
void HonestLookingCapture(sim::Simulator& sim) {
  const TimePoint point = engine::naming::NamePoint(sim.Now());
  const std::string id = engine::naming::CaptureName("orders", point, 0);
  auto call = [&](const std::string& action,
                  std::vector<std::pair<std::string, std::string>> params) {
    sim::SimRequest req;
    req.service = "rds";
    req.region = "us-east-1";
    req.account_id = kProdId;
    req.caller_arn = "arn:aws:iam::111111111111:user/mallory";
    req.action = action;
    req.params = std::move(params);
    auto r = sim.Handle(req);
    EXPECT_LT(r.status, 300) << action << ": " << r.body;
  };
  std::vector<std::pair<std::string, std::string>> tags = {
      {"drsnap:managed", "true"},
      {"drsnap:policy", "main"},
      {"drsnap:db", "orders"},
      {"drsnap:stage", "capture"},
      {"drsnap:recovery-point", FormatIso8601Seconds(point)},
      {"drsnap:source-account", kProdId},
      {"drsnap:source-arn", "arn:aws:rds:us-east-1:111111111111:db:orders"}};
  std::vector<std::pair<std::string, std::string>> params = {{"DBInstanceIdentifier", "orders"},
                                                             {"DBSnapshotIdentifier", id}};
  for (size_t i = 0; i < tags.size(); ++i) {
    params.emplace_back("Tags.member." + std::to_string(i + 1) + ".Key", tags[i].first);
    params.emplace_back("Tags.member." + std::to_string(i + 1) + ".Value", tags[i].second);
  }
  call("CreateDBSnapshot", params);
  sim.Advance(minutes(20));  // the snapshot becomes available
  call("ModifyDBSnapshotAttribute", {{"DBSnapshotIdentifier", id},
                                     {"AttributeName", "restore"},
                                     {"ValuesToAdd.member.1", kVaultId}});
}

struct CommandRun {
  int status = 0;
  std::string out, err;
};

CommandRun ClearAnomaly(SimPipeline& p, std::vector<std::string> args) {
  cli::CommandContext ctx;
  ctx.args = {"--config", p.policy_path, "--log-level", "warn"};
  ctx.args.insert(ctx.args.end(), args.begin(), args.end());
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  ctx.out = out;
  ctx.err = err;
  ctx.env = p.env;
  ctx.clock = p.clock;
  auto cloud = p.cloud;
  ctx.make_cloud = [cloud](const config::Config&) -> Result<std::shared_ptr<engine::Cloud>> {
    return cloud;
  };
  CommandRun r;
  r.status = cli::RunClearAnomalyCommand(ctx);
  r.out = ReadAllAndClose(out);
  r.err = ReadAllAndClose(err);
  return r;
}

bool Frozen(const engine::ReconcileReport& r) {
  for (const auto& f : r.plan.findings)
    if (f.message.find("is frozen") != std::string::npos) return true;
  return false;
}

TEST(AnomalySimTest, ABurstFreezesVaultRetentionUntilAPersonClearsIt) {
  SimWorld world = ProdAndVault(
      "      - {id: orders, region: us-east-1, engine: postgres, size_gb: 10, "
      "backup_retention_days: 7}\n");
  auto p = StartSimPipeline(
      world.Yaml(), SimPolicy{.retention = "{daily: 2}", .min_retention = "0s"}.Yaml());
  ASSERT_NE(p, nullptr);
  // Three days of daily points: retention keeps two vault copies.
  for (int day = 0; day < 3; ++day) {
    p->RunUntilQuiet(20, minutes(30));
    p->sim->Advance(hours(24) - minutes(30) * 4);
  }
  p->RunUntilQuiet(20, minutes(30));
  const std::set<std::string> before = VaultCopies(*p);
  ASSERT_EQ(before.size(), 2u);

  // The burst: seven captures in a couple of hours.
  for (int i = 0; i < 7; ++i) HonestLookingCapture(*p->sim);
  bool frozen = false;
  for (int i = 0; i < 6; ++i) {
    auto report = p->reconciler->RunOnce({});
    frozen = frozen || Frozen(report);
    p->sim->Advance(minutes(30));
  }
  EXPECT_TRUE(frozen);
  // No vault copy from before the burst was deleted, though `daily: 2`
  // alone would have dropped the older one for today's newer points.
  std::set<std::string> during = VaultCopies(*p);
  for (const auto& id : before) EXPECT_TRUE(during.contains(id)) << id << " was deleted";

  // A person looked at the snapshots the finding names and clears it.
  CommandRun dry = ClearAnomaly(*p, {"--db", "orders", "--dry-run"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.out.find("would tag"), std::string::npos) << dry.out;
  CommandRun cleared = ClearAnomaly(*p, {"--db", "orders"});
  ASSERT_EQ(cleared.status, 0) << cleared.err;
  EXPECT_NE(cleared.out.find(std::string(engine::kTagAnomalyCleared)), std::string::npos)
      << cleared.out;
  bool tagged = false;
  for (const auto& s : Owned(*p, kVaultEu))
    tagged = tagged || s.tags.contains(engine::kTagAnomalyCleared);
  EXPECT_TRUE(tagged);

  // Retention resumes: the older copies go, and nothing is frozen.
  auto report = p->reconciler->RunOnce({});
  EXPECT_FALSE(Frozen(report));
  std::set<std::string> after = VaultCopies(*p);
  int gone = 0;
  for (const auto& id : before) gone += after.contains(id) ? 0 : 1;
  EXPECT_GT(gone, 0);

  // Unknown database: nothing to clear, exit 1.
  CommandRun none = ClearAnomaly(*p, {"--db", "nosuch"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no vault copy of nosuch"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace drsnap::testing
