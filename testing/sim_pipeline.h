// drsnap-sim for tests and benchmarks, through the real HTTP path: the
// simulator and its server in process on a free loopback port, AWS shared
// config and credentials files with one profile per simulated account, the
// environment that points the SDK at them, and a drsnap pipeline (policy,
// clouds, Reconciler) whose clock is the simulator's virtual clock (signing
// uses the wall clock, as the server checks skew against it;
// sim/simulator_clock.h).
//
// The simulated accounts (SimAccounts) are those of the test worlds
// (testing/sim_world.h): the same names, ids and access keys in both.
//
// Thread safety: set up and torn down on the test's thread; the pipeline's
// clock and cloud may be used from any thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/http.h"
#include "cloud/aws_cloud.h"
#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/error.h"
#include "engine/reconcile.h"
#include "sim/server.h"
#include "sim/simulator.h"
#include "sim/simulator_clock.h"

namespace drsnap::testing {

struct SimAccount {
  std::string name;  // profile name too
  std::string id;
  std::string access_key_id;
  std::string secret;
};

inline constexpr char kProdAccount[] = "111111111111";
inline constexpr char kVaultAccount[] = "222222222222";
inline constexpr char kVault2Account[] = "333333333333";

// prod 111111111111, vault 222222222222, vault2 333333333333.
const std::vector<SimAccount>& SimAccounts();
// One of SimAccounts() by name; REQUIRES: it is one.
const SimAccount& SimAccountNamed(const std::string& name);

// A new directory /tmp/<prefix>-XXXXXX (mkdtemp); the caller removes it.
Result<std::string> MakeTempDir(const std::string& prefix);

// A directory made with mkdtemp under /tmp ("<prefix>-XXXXXX"), removed with
// its contents on destruction. path() is "" when it could not be made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "drsnap-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes <dir>/credentials and <dir>/config: one profile per account, named
// after it, region us-east-1.
Status WriteAwsProfiles(const std::string& dir,
                        const std::vector<SimAccount>& accounts = SimAccounts());

// The environment that makes the AWS SDK read those files and nothing of the
// machine's: AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
// AWS_EC2_METADATA_DISABLED=true, HOME=<dir>; as "NAME=value" strings (for a
// child process) or as an Environment.
std::vector<std::string> AwsProfileEnv(const std::string& dir);
std::shared_ptr<MapEnvironment> AwsProfileEnvironment(const std::string& dir);

// drsnap-sim loaded from `world_yaml`, `settings` (JSON, null: none) applied,
// serving on a free loopback port.
struct SimServer {
  std::shared_ptr<sim::Simulator> sim;
  std::unique_ptr<sim::Server> server;
};
Result<SimServer> StartSimServer(const std::string& world_yaml,
                                 const nlohmann::json& settings = nullptr,
                                 const sim::ServerOptions& options = {});

struct SimPipelineOptions {
  nlohmann::json settings;                        // simulator settings; null: the world's
  cloud::RateLimiterSource rate_limiters;         // null: no client-side rate limiting
  std::shared_ptr<aws::HttpTransport> transport;  // null: libcurl
  int max_attempts = 2;                           // AWS call attempts (retry standard mode)
};

struct SimPipeline {
  std::shared_ptr<sim::Simulator> sim;
  std::unique_ptr<sim::Server> server;
  std::string dir;                             // temp dir with aws config files and the policy file
  std::shared_ptr<MapEnvironment> env;         // AwsProfileEnvironment(dir)
  std::shared_ptr<sim::SimulatorClock> clock;  // the simulator's virtual clock
  config::Config config;
  std::shared_ptr<engine::Cloud> cloud;  // AWS clouds over HTTP to the server
  std::unique_ptr<engine::Reconciler> reconciler;
  std::string policy_path;

  SimPipeline() = default;
  SimPipeline(const SimPipeline&) = delete;
  SimPipeline& operator=(const SimPipeline&) = delete;
  // Stops the server and removes `dir`.
  ~SimPipeline();

  // Starts drsnap-sim with `world_yaml` and builds the pipeline for
  // `policy_yaml`, in which "ENDPOINT" is replaced by the server's URL.
  static Result<std::unique_ptr<SimPipeline>> Start(const std::string& world_yaml,
                                                    const std::string& policy_yaml,
                                                    const SimPipelineOptions& options = {});

  // Reconciles; between runs advances the virtual clock by `step` until a plan is
  // empty or max_runs. Returns the reports.
  std::vector<engine::ReconcileReport> RunUntilQuiet(int max_runs, Duration step);
  // A new Reconciler over `cloud` (each simulated function gets its own).
  std::unique_ptr<engine::Reconciler> NewReconciler() const;
  // For a drsnap child process: AwsProfileEnv(dir), DRSNAP_CONFIG and
  // DRSNAP_CLOCK_URL (the child plans on the simulator's virtual clock).
  std::vector<std::string> ProcessEnv() const;
};

// SimPipeline::Start for tests: fails the test (ADD_FAILURE) and returns
// null on errors.
std::unique_ptr<SimPipeline> StartSimPipeline(const std::string& world_yaml,
                                              const std::string& policy_yaml,
                                              const nlohmann::json& settings = {},
                                              cloud::RateLimiterSource rate_limiters = nullptr,
                                              int max_attempts = 2);

// Snapshots owned by `scope`'s account in its region (type manual/automated),
// listed through the pipeline's cloud; a failed listing fails the test.
std::vector<engine::Snapshot> Owned(const SimPipeline& p, const engine::Scope& scope);

// The copies in flight in a scope (engine::IsCopyInFlight), counted through the sim's own view.
int CopiesInFlight(const SimPipeline& p, const engine::Scope& scope);

}  // namespace drsnap::testing
