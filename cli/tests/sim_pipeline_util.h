// Helpers for pipeline tests against drsnap-sim through the real HTTP path:
// a simulator + server on a free loopback port, AWS shared config files with
// one profile per simulated account, and a Reconciler whose clock is the
// simulator's virtual clock (signing uses the wall clock, as the server
// checks skew against it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cloud/aws_cloud.h"
#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "engine/reconcile.h"
#include "sim/server.h"
#include "sim/simulator.h"

namespace drsnap::testing {

// The simulator's virtual clock as a drsnap Clock (SleepFor advances it).
class SimClock final : public Clock {
 public:
  explicit SimClock(std::shared_ptr<sim::Simulator> sim) : sim_(std::move(sim)) {}
  TimePoint Now() const override { return sim_->Now(); }
  void SleepFor(Duration d) override { sim_->Advance(d); }

 private:
  std::shared_ptr<sim::Simulator> sim_;
};

struct SimAccount {
  std::string name;  // profile name too
  std::string id;
  std::string access_key_id;
  std::string secret;
};

// prod 111111111111, vault 222222222222, vault2 333333333333.
std::vector<SimAccount> SimAccounts();

struct SimPipeline {
  std::shared_ptr<sim::Simulator> sim;
  std::unique_ptr<sim::Server> server;
  std::string dir;                      // temp dir with aws config files and the policy file
  std::shared_ptr<MapEnvironment> env;  // AWS_CONFIG_FILE etc. for the accounts
  std::shared_ptr<SimClock> clock;
  config::Config config;
  std::shared_ptr<engine::Cloud> cloud;  // AWS clouds over HTTP to the server
  std::unique_ptr<engine::Reconciler> reconciler;
  std::string policy_path;

  ~SimPipeline();
  // Reconciles; between runs advances the virtual clock by `step` until a plan is
  // empty or max_runs. Returns the reports.
  std::vector<engine::ReconcileReport> RunUntilQuiet(int max_runs, Duration step);
};

// Starts drsnap-sim with `world_yaml` and builds the pipeline for `policy_yaml`
// in which "ENDPOINT" is replaced by the server's URL. Fails the test (ADD_FAILURE)
// and returns null on errors.
std::unique_ptr<SimPipeline> StartSimPipeline(const std::string& world_yaml,
                                              const std::string& policy_yaml,
                                              const nlohmann::json& settings = {},
                                              cloud::RateLimiterSource rate_limiters = nullptr,
                                              int max_attempts = 2);

// Snapshots of one scope, read straight from the simulator via DescribeDBSnapshots
// through the cloud (owned only: type manual/automated).
std::vector<engine::Snapshot> Owned(SimPipeline& p, const engine::Scope& scope);

// The copies in status "copying" in a scope, counted through the sim's own view.
int CopiesInFlight(SimPipeline& p, const engine::Scope& scope);

}  // namespace drsnap::testing
