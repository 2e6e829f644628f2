// The drsnap binary against drsnap-sim: `drsnap apply` killed with SIGKILL at
// random points converges when run again, with no duplicate copies; a second
// apply after convergence has nothing to do; `drsnap run` stops cleanly on
// SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "engine/naming.h"
#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::Scope;
using engine::naming::NameStage;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVaultSrc{"222222222222", "us-east-1"};
const Scope kVaultEu{"222222222222", "eu-west-1"};

std::string World() {
  std::string dbs;
  for (int i = 0; i < 6; ++i)
    dbs += "      - {id: db" + std::to_string(i) +
           ", region: us-east-1, engine: postgres, size_gb: 10, backup_retention_days: 1" +
           (i % 2 ? ", encrypted: true, kms_key: alias/prod-share" : "") + "}\n";
  // No start_time: the virtual clock starts at the wall clock, which the
  // drsnap process reads as "now".
  SimWorld w = ProdAndVault(dbs);
  w.start_time = "";
  return w.Yaml();
}

const std::string kPolicy = SimPolicy{.from = "snapshot", .retention = "{daily: 7}"}.Yaml();

const std::string kDrsnap = std::string(DRSNAP_BINARY_DIR) + "/cli/drsnap";

using Child = ChildProcess;

Child Spawn(SimPipeline& p, std::vector<std::string> args, const std::string& tag) {
  const std::string out = p.dir + "/" + tag + ".out";
  return SpawnProcess(kDrsnap, std::move(args), p.ProcessEnv(), out, out + ".err");
}

int Wait(const Child& c) { return WaitProcess(c); }

std::string Slurp(const std::string& path) { return ReadTextFile(path); }

// Every drsnap-made snapshot, counted per (stage, db token, recovery point, scope).
std::map<std::string, int> Lineages(SimPipeline& p) {
  std::map<std::string, int> out;
  for (const Scope& scope : {kProd, kVaultSrc, kVaultEu})
    for (const auto& s : Owned(p, scope)) {
      auto l = engine::naming::ParseName(s.id);
      if (!l) continue;
      ++out[std::string(engine::naming::NameStageName(l->stage)) + " " + l->db_token + " " +
            std::to_string(l->recovery_point.time_since_epoch().count()) + " " + scope.ToString()];
    }
  return out;
}

TEST(ApplyProcessTest, KilledAtRandomPointsConvergesWithoutDuplicates) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> delay_ms(0, 250);
  int killed = 0, interrupted = 0;
  for (int i = 0; i < 30; ++i) {
    Child c = Spawn(*p, {"apply", "--log-level", "warn"}, "kill-" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    if (kill(c.pid, SIGKILL) == 0) ++killed;
    if (Wait(c) == 128 + SIGKILL) ++interrupted;  // killed while still running
    // Safety after every kill: one snapshot per lineage and scope, at most.
    for (const auto& [lineage, n] : Lineages(*p)) EXPECT_EQ(n, 1) << lineage;
    p->sim->Advance(std::chrono::minutes(3));
  }
  EXPECT_GT(killed, 0);
  EXPECT_GT(interrupted, 0);
  // Now let apply finish, until the plan is empty.
  bool converged = false;
  for (int i = 0; i < 20 && !converged; ++i) {
    Child c = Spawn(*p, {"apply"}, "finish-" + std::to_string(i));
    int code = Wait(c);
    EXPECT_EQ(code, 0) << Slurp(c.out_path) << Slurp(c.out_path + ".err");
    p->sim->Advance(std::chrono::minutes(10));
    Child plan = Spawn(*p, {"plan", "--output", "json"}, "plan-" + std::to_string(i));
    ASSERT_EQ(Wait(plan), 0) << Slurp(plan.out_path + ".err");
    auto j = nlohmann::json::parse(Slurp(plan.out_path), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << Slurp(plan.out_path);
    converged = j["actions"].empty();
  }
  ASSERT_TRUE(converged);
  // Exactly one vault copy per database, no duplicates anywhere.
  std::map<std::string, int> vault_per_db;
  for (const auto& [lineage, n] : Lineages(*p)) {
    EXPECT_EQ(n, 1) << lineage;
    if (lineage.starts_with("vault ")) ++vault_per_db[lineage.substr(6, lineage.find(' ', 6) - 6)];
  }
  EXPECT_EQ(vault_per_db.size(), 6u);
  for (const auto& [db, n] : vault_per_db) EXPECT_EQ(n, 1) << db;

  // Apply twice: the second has nothing to do.
  Child again = Spawn(*p, {"apply", "--output", "json"}, "again");
  ASSERT_EQ(Wait(again), 0) << Slurp(again.out_path + ".err");
  auto j = nlohmann::json::parse(Slurp(again.out_path), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j["results"].empty()) << j.dump(2);
}

TEST(ApplyProcessTest, RunStopsCleanlyOnSigterm) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"run", "--interval", "1s", "--log-format", "json"}, "run");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(Wait(c), 0);
  std::string log = Slurp(c.out_path + ".err");
  EXPECT_NE(log.find("\"msg\":\"reconcile finished\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"msg\":\"service stopped\""), std::string::npos) << log;
}

}  // namespace
}  // namespace drsnap::testing
