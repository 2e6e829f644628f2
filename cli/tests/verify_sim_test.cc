// `drsnap verify` end to end against drsnap-sim, through the real HTTP path
// (SigV4, Query/XML, the typed RDS client, AwsCloud): the pipeline vaults
// copies, then the command restores them, waits on the simulator's virtual
// clock, records the result in tags on the vault copies and deletes the
// throw-away databases. Also: a failing restore, a run killed half-way, the
// safety rule on deletes, dry-run, and the HTML report's "Last verification".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include "cli/command.h"
#include "cloud/decorators.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/verify.h"
#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::cli {
int RunVerifyCommand(CommandContext& ctx);
}  // namespace drsnap::cli

namespace drsnap::testing {
namespace {

using engine::DbKind;
using engine::Scope;
using ::testing::HasSubstr;
namespace verify = engine::verify;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultEu{"222222222222", "eu-west-1"};

// prod's orders and ledger, vault, and vault2 (no keys).
SimWorld World() {
  SimWorld w = ProdAndVault(CustomerKeyInstance("orders"), LedgerCluster());
  w.accounts.push_back({"vault2", {}, "", ""});
  return w;
}
const std::string kWorld = World().Yaml();

std::string Policy(const std::string& verify) {
  return SimPolicy{.targets = {SimTarget{.region_extra = "verify: " + verify}},
                   .retention = "{daily: 7}"}
      .Yaml();
}

const char kVerify[] = "{instance_class: db.t3.micro, subnet_group: dr-subnets, timeout: 2h}";

struct CommandRun {
  int status = 0;
  std::string out, err;
};

class VerifySimTest : public ::testing::Test {
 protected:
  // The pipeline vaults one copy of each database into eu-west-1.
  void Start(const std::string& verify = kVerify) {
    p_ = StartSimPipeline(kWorld, Policy(verify));
    ASSERT_NE(p_, nullptr);
    p_->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
    auto reports = p_->RunUntilQuiet(16, std::chrono::minutes(30));
    ASSERT_TRUE(reports.back().plan.actions.empty()) << "the pipeline did not converge";
    ASSERT_EQ(VaultCopies().size(), 2u);
    counting_ = std::make_shared<cloud::CountingCloud>(p_->cloud);
  }

  CommandRun Run(int (*command)(cli::CommandContext&), const std::string& args) {
    cli::CommandContext ctx;
    ctx.args = {"--config", p_->policy_path, "--log-level", "warn"};
    std::string word;
    for (char c : args + " ") {
      if (c != ' ') {
        word += c;
      } else if (!word.empty()) {
        ctx.args.push_back(word);
        word.clear();
      }
    }
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    ctx.out = out;
    ctx.err = err;
    ctx.env = p_->env;
    ctx.clock = p_->clock;
    auto cloud = counting_;
    ctx.make_cloud = [cloud](const config::Config&) -> Result<std::shared_ptr<engine::Cloud>> {
      return std::shared_ptr<engine::Cloud>(cloud);
    };
    CommandRun r;
    r.status = command(ctx);
    r.out = ReadAllAndClose(out);
    r.err = ReadAllAndClose(err);
    return r;
  }
  CommandRun Verify(const std::string& args = "--interval 1m") {
    return Run(&cli::RunVerifyCommand, args);
  }

  std::vector<engine::Snapshot> VaultCopies() {
    std::vector<engine::Snapshot> out;
    for (auto& s : Owned(*p_, kVaultEu)) {
      auto l = engine::naming::ParseName(s.id);
      if (l && l->stage == engine::naming::NameStage::kVault) out.push_back(s);
    }
    return out;
  }
  // The vault copy of `db` (the test worlds have one per database).
  std::optional<engine::Snapshot> CopyOf(const std::string& db) {
    for (auto& s : VaultCopies())
      if (s.db_id == db) return s;
    return std::nullopt;
  }
  std::vector<std::string> DrillDatabases() {
    auto dbs = p_->cloud->ListDatabases(kVaultEu);
    EXPECT_TRUE(dbs.has_value());
    std::vector<std::string> out;
    if (dbs)
      for (const auto& d : *dbs)
        if (d.id.starts_with("drsnap-verify-")) out.push_back(d.id + ":" + d.status);
    return out;
  }
  // "Restored from snapshot" events in the vault region: the restores became available.
  int RestoredEvents() {
    int n = 0;
    for (const auto& e : p_->sim->Events(TimePoint{}))
      if (e.value("region", "") == "eu-west-1" &&
          e["detail"].value("Message", "").starts_with("Restored from snapshot"))
        ++n;
    return n;
  }

  std::unique_ptr<SimPipeline> p_;
  std::shared_ptr<cloud::CountingCloud> counting_;
};

TEST_F(VerifySimTest, InstanceAndClusterDrillsPassAreRecordedAndCleanedUp) {
  Start();
  TimePoint before = p_->sim->Now();
  CommandRun r = Verify();
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Every restore drill passed (2)."));
  EXPECT_THAT(r.out, HasSubstr("orders"));
  EXPECT_THAT(r.out, HasSubstr("ledger"));
  // One restore and one delete per database, nothing left behind.
  auto counts = counting_->Counts();
  EXPECT_EQ(counts["RestoreFromSnapshot"], 2);
  EXPECT_EQ(counts["DeleteDatabase"], 2);
  EXPECT_EQ(counts["TagSnapshot"], 2);
  EXPECT_TRUE(DrillDatabases().empty()) << ::testing::PrintToString(DrillDatabases());
  // The restores existed and became available (the simulator's events say so).
  EXPECT_EQ(RestoredEvents(), 2);
  // The waiting was on the virtual clock: about the restore time, polled each minute.
  EXPECT_GE(p_->sim->Now() - before, std::chrono::minutes(10));
  EXPECT_LE(p_->sim->Now() - before, std::chrono::minutes(30));
  // The result is in tags on the vault copies.
  for (const char* db : {"orders", "ledger"}) {
    auto s = CopyOf(db);
    ASSERT_TRUE(s.has_value()) << db;
    EXPECT_EQ(s->tags.at(verify::kTagVerifyResult), "ok") << db;
    EXPECT_THAT(s->tags.at(verify::kTagVerifyDetail), HasSubstr("restored in")) << db;
    auto at = ParseIso8601(s->tags.at(verify::kTagVerifiedAt));
    ASSERT_TRUE(at.has_value());
    EXPECT_GT(*at, before);
  }
  // A second run (a minute later): no `every`, so it drills again (once).
  p_->sim->Advance(std::chrono::minutes(1));
  r = Verify();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(counting_->Counts()["RestoreFromSnapshot"], 4);

  // The HTML report shows the last verification of both rows.
  r = Run(&cli::RunStatusCommand, "--output html");
  EXPECT_EQ(r.status, 0) << r.err;
  size_t n = 0;
  for (size_t pos = 0; (pos = r.out.find(": restored OK", pos)) != std::string::npos; ++pos) ++n;
  EXPECT_EQ(n, 2u) << "both rows show the drill";
}

TEST_F(VerifySimTest, AFailingRestoreIsRecordedAsFailedAndCleanedUp) {
  Start();
  ASSERT_TRUE(p_->sim
                  ->InjectFault({{"kind", "fail_restores"},
                                 {"account", kVaultEu.account_id},
                                 {"region", kVaultEu.region},
                                 {"count", 1}})
                  .has_value());
  CommandRun r = Verify("--db orders --interval 1m");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED"));
  EXPECT_THAT(r.out, HasSubstr("incompatible-restore"));
  EXPECT_THAT(r.out, HasSubstr("1 of 1 restore drill(s) FAILED"));
  EXPECT_TRUE(DrillDatabases().empty()) << ::testing::PrintToString(DrillDatabases());
  auto s = CopyOf("orders");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->tags.at(verify::kTagVerifyResult), "failed");
  EXPECT_THAT(s->tags.at(verify::kTagVerifyDetail), HasSubstr("incompatible-restore"));
  // --db: the cluster was not drilled.
  EXPECT_FALSE(CopyOf("ledger")->tags.contains(verify::kTagVerifyResult));
  // The next drill (the fault is used up) passes and replaces the result.
  p_->sim->Advance(std::chrono::minutes(1));
  r = Verify("--db orders --interval 1m");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(CopyOf("orders")->tags.at(verify::kTagVerifyResult), "ok");
}

TEST_F(VerifySimTest, AKilledRunIsResumedByTheNextOne) {
  Start("{instance_class: db.t3.micro, every: 7d}");
  // The first run only starts the drills (as if it were killed right after).
  CommandRun r = Verify("--no-wait");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("running"));
  auto left = DrillDatabases();
  ASSERT_EQ(left.size(), 2u);
  for (const auto& d : left) EXPECT_THAT(d, HasSubstr(":creating"));
  p_->sim->Advance(std::chrono::minutes(45));
  // The next run finds the drills, records them and cleans up; nothing is
  // restored twice.
  r = Verify();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Every restore drill passed (2)."));
  EXPECT_EQ(counting_->Counts()["RestoreFromSnapshot"], 2);
  EXPECT_TRUE(DrillDatabases().empty());
  for (const char* db : {"orders", "ledger"})
    EXPECT_THAT(CopyOf(db)->tags.at(verify::kTagVerifyDetail), HasSubstr("restored in 45m"));
  // every: 7d -> the next run has nothing due, and says so.
  p_->sim->Advance(std::chrono::hours(1));
  r = Verify();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("not due"));
  EXPECT_EQ(counting_->Counts()["RestoreFromSnapshot"], 2);
  // --force drills anyway.
  r = Verify("--force --db ledger --interval 1m");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(counting_->Counts()["RestoreFromSnapshot"], 3);
}

TEST_F(VerifySimTest, NeverDeletesADatabaseDrsnapDidNotMakeForADrill) {
  Start();
  auto vault = std::dynamic_pointer_cast<cloud::MultiAccountCloud>(p_->cloud)->For("222222222222");
  auto vault_aws = std::dynamic_pointer_cast<cloud::AwsCloud>(vault);
  ASSERT_NE(vault_aws, nullptr);
  auto rds = vault_aws->Rds("eu-west-1");
  ASSERT_TRUE(rds.has_value());
  // Someone else's databases in the DR region: one with the very name the
  // orders drill will use (no drsnap tags), one with drsnap's drill tags
  // under another name.
  auto orders = CopyOf("orders");
  ASSERT_TRUE(orders.has_value());
  const std::string drill_name = verify::DrillName("orders", orders->recovery_point);
  aws::CreateDBInstanceRequest a;
  a.db_instance_identifier = drill_name;
  a.db_instance_class = "db.t3.micro";
  a.engine = "postgres";
  ASSERT_TRUE((*rds)->CreateDBInstance(a).has_value());
  aws::CreateDBInstanceRequest b = a;
  b.db_instance_identifier = "reporting-replica";
  b.tags = {{"drsnap:managed", "true"},
            {"drsnap:verify", orders->id},
            {"drsnap:policy", "main"},
            {"drsnap:db", "orders"}};
  ASSERT_TRUE((*rds)->CreateDBInstance(b).has_value());
  p_->sim->Advance(std::chrono::minutes(30));  // both available

  CommandRun r = Verify();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("drsnap did not make"));
  auto dbs = p_->cloud->ListDatabases(kVaultEu);
  ASSERT_TRUE(dbs.has_value());
  std::set<std::string> ids;
  for (const auto& d : *dbs) ids.insert(d.id);
  EXPECT_TRUE(ids.contains(drill_name));
  EXPECT_TRUE(ids.contains("reporting-replica"));
  // The AWS layer itself refuses to delete anything not named like a drill.
  auto refused = vault_aws->DeleteDatabase(kVaultEu, DbKind::kInstance, "reporting-replica");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "RefusedBySafetyRule");
  // The cluster's drill was not blocked.
  EXPECT_EQ(CopyOf("ledger")->tags.at(verify::kTagVerifyResult), "ok");
}

TEST_F(VerifySimTest, DryRunChangesNothing) {
  Start();
  CommandRun r = Verify("--dry-run --output json");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["would_do"].size(), 2u) << r.out;
  EXPECT_THAT(j["would_do"][0].get<std::string>(), HasSubstr("restore 222222222222/eu-west-1"));
  EXPECT_EQ(j["drills"].size(), 2u);
  EXPECT_EQ(counting_->Counts()["RestoreFromSnapshot"], 0);
  EXPECT_TRUE(DrillDatabases().empty());
}

TEST_F(VerifySimTest, UsageErrorsAreOneSentence) {
  Start();
  CommandRun r = Verify("--target nowhere/eu-west-1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("names no account"));
  r = Verify("--target vault/us-east-1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("has no `verify:` block"));
  r = Verify("--interval soon");
  EXPECT_EQ(r.status, 2);
  r = Verify("--db nosuchdb");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("no vault copy of database 'nosuchdb'"));
  r = Verify("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: drsnap verify"));
  EXPECT_THAT(r.out, HasSubstr("drsnap-verify-"));
}

}  // namespace
}  // namespace drsnap::testing
