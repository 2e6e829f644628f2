// Test helpers for the Lambda handler against drsnap-sim (the pipeline of
// testing/sim_pipeline.h): a world with a production account (111111111111,
// us-east-1) and a DR account (222222222222), the policy that protects it,
// and the loopback fakes of EventBridge and the Runtime API and the deployed
// rules (testing/lambda_*.h) under this namespace.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "testing/lambda_deployed_rules.h"
#include "testing/lambda_fake_event_bridge.h"
#include "testing/lambda_fake_runtime_api.h"
#include "testing/sim_pipeline.h"

namespace drsnap::lambda::testing {

using drsnap::testing::kProdAccount;
using drsnap::testing::kVaultAccount;
inline const std::string kProdKeyId = drsnap::testing::SimAccountNamed("prod").access_key_id;
inline const std::string kProdSecret = drsnap::testing::SimAccountNamed("prod").secret;

// A world file: prod has `instances` DB instances (orders-db, db-001, ...,
// encrypted with the share key, daily backups at 04:00) and the cluster
// "ledger"; the clock starts at 2026-11-23T00:00:00Z; copy_rule one-step.
std::string WorldYaml(int instances = 1);
// The policy: every database of prod/us-east-1, from automated snapshots,
// vaulted into `target_account` eu-west-1 (kms key of that account).
// `endpoint` is each account's endpoint_url ("ENDPOINT" is replaced by the
// sim's URL; "": none); `with_profiles` names the profiles "prod"/"vault"
// (in-process tests) instead of using the default chain.
std::string PolicyYaml(const std::string& endpoint, const std::string& target_account,
                       bool with_profiles);

// The sim, its AWS files and the pipeline over them. Each simulated function
// gets its own Reconciler (NewReconciler); Owned(sim, scope) lists a scope.
using LambdaSim = drsnap::testing::SimPipeline;

// Starts the sim with `world_yaml` and loads `policy_yaml` (ENDPOINT
// replaced). ADD_FAILURE and null on errors.
inline std::unique_ptr<LambdaSim> StartLambdaSim(const std::string& world_yaml,
                                                 const std::string& policy_yaml) {
  return drsnap::testing::StartSimPipeline(world_yaml, policy_yaml);
}

// The text of testdata/events/<name>.
std::string EventFixture(const std::string& name);

using drsnap::testing::Bus;
using drsnap::testing::DeployedRules;
using drsnap::testing::FakeEventBridge;
using drsnap::testing::FakeRuntimeApi;
using drsnap::testing::Stack;

}  // namespace drsnap::lambda::testing
