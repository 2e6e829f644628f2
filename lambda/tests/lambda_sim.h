// Test helpers for the Lambda handler against drsnap-sim: a world with a
// production account (111111111111, us-east-1) and a DR account
// (222222222222), the policy that protects it, a Reconciler over the real
// HTTP path, and a loopback fake of EventBridge that routes events like the
// deployed rules do (aws.rds -> source function, drsnap -> vault function).
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "engine/reconcile.h"
#include "sim/server.h"
#include "sim/simulator.h"

namespace drsnap::lambda::testing {

// The simulator's virtual clock as a drsnap Clock.
class SimClock final : public Clock {
 public:
  explicit SimClock(std::shared_ptr<sim::Simulator> sim) : sim_(std::move(sim)) {}
  TimePoint Now() const override { return sim_->Now(); }
  void SleepFor(Duration d) override { sim_->Advance(d); }

 private:
  std::shared_ptr<sim::Simulator> sim_;
};

inline constexpr char kProdAccount[] = "111111111111";
inline constexpr char kVaultAccount[] = "222222222222";
inline constexpr char kProdKeyId[] = "AKIAPROD000000000001";
inline constexpr char kProdSecret[] = "prod-secret-key-0000000000000000000001";

// A world file: prod has `instances` DB instances (orders-db, db-001, ...,
// encrypted with the share key, daily backups at 04:00) and the cluster
// "ledger"; the clock starts at 2026-11-23T00:00:00Z; copy_rule one-step.
std::string WorldYaml(int instances = 1);
// The policy: every database of prod/us-east-1, from automated snapshots,
// vaulted into `target_account` eu-west-1 (kms key of that account).
// ENDPOINT is replaced by the sim's URL; `with_profiles` names the profiles
// "prod"/"vault" (in-process tests) instead of using the default chain.
std::string PolicyYaml(const std::string& endpoint, const std::string& target_account,
                       bool with_profiles);

struct LambdaSim {
  std::shared_ptr<sim::Simulator> sim;
  std::unique_ptr<sim::Server> server;
  std::string dir;  // temp dir: AWS config files, policy file
  std::string policy_path;
  std::shared_ptr<MapEnvironment> env;
  std::shared_ptr<SimClock> clock;
  config::Config config;
  std::shared_ptr<engine::Cloud> cloud;

  ~LambdaSim();
  // A new Reconciler over `cloud` (each simulated function gets its own).
  std::unique_ptr<engine::Reconciler> NewReconciler() const;
  // Snapshots owned by `account` in `region`, straight from the cloud.
  std::vector<engine::Snapshot> Owned(const std::string& account, const std::string& region) const;
};

// Starts the sim with `world_yaml` and loads `policy_yaml` (ENDPOINT
// replaced). ADD_FAILURE and null on errors.
std::unique_ptr<LambdaSim> StartLambdaSim(const std::string& world_yaml,
                                          const std::string& policy_yaml);

// The text of testdata/events/<name>.
std::string EventFixture(const std::string& name);

// A loopback EventBridge: accepts signed PutEvents (JSON 1.1, X-Amz-Target
// AWSEvents.PutEvents) on "/", and raw EventBridge-shaped events on "/raw"
// (drsnap-sim's event forwarder); wraps PutEvents entries into the
// EventBridge envelope and hands every event to `route`.
class FakeEventBridge {
 public:
  using Route = std::function<void(const nlohmann::json& event)>;
  FakeEventBridge(std::string account, std::string region, Route route);
  ~FakeEventBridge();
  std::string endpoint() const;                     // "http://127.0.0.1:N"
  std::vector<nlohmann::json> put_entries() const;  // PutEvents entries received
  std::vector<std::string> targets() const;         // X-Amz-Target of each PutEvents call

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string account_, region_;
  Route route_;
  mutable std::mutex mu_;
  std::vector<nlohmann::json> entries_;
  std::vector<std::string> targets_;
  int next_id_ = 1;
};

}  // namespace drsnap::lambda::testing
