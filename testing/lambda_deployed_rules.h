// The EventBridge rules of deploy/*.yaml as deployed, for tests and
// benchmarks that drive the Lambda functions with drsnap-sim's events:
// which function (or which other bus) an event reaches is read from the
// templates themselves, so a rule missing from a template is an event no
// test function receives.
//
// A deployment is a list of stacks (a template in an account and region,
// with its parameters). An event arrives on a bus (account, region, name;
// RDS events on the default bus of their account and region); every rule of
// a stack on that bus whose EventPattern matches sends it to its targets:
// the stack's function (`!GetAtt Function.Arn`), or another bus (an event
// bus ARN, `!Ref <parameter>` or `!Sub`), where the rules there apply in
// turn. Schedule rules never fire (tests invoke no schedule).
//
// Patterns: maps of field -> list of allowed values (strings, `!Ref
// AWS::AccountId`, `{prefix: ...}`) or nested maps; a list field of the
// event matches when any element does. That is all deploy/*.yaml uses.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace drsnap::testing {

struct Stack {
  std::string template_file;  // "source.yaml", relative to deploy/
  std::string account, region;
  std::map<std::string, std::string> parameters;  // parameter -> value
  std::string function;                           // the name its function has in the test
};

// The stacks of a two-account deployment: source.yaml in the production
// account's us-east-1 (forwarding drsnap's events to the DR bus of
// eu-west-1), vault.yaml in the DR account's eu-west-1, vault-hop.yaml in
// the DR account's us-east-1 (the source region, where hop copies are made)
// forwarding to eu-west-1. The functions are named `source_function` and
// `vault_function`; the accounts are testing/sim_pipeline.h's kProdAccount
// and kVaultAccount.
std::vector<Stack> TwoAccountDeployment(const std::string& source_function,
                                        const std::string& vault_function);

struct Bus {
  std::string account, region, name;  // name "default" or the bus's name
  bool operator==(const Bus&) const = default;
};

struct Delivery {
  std::string function;  // Stack::function
  std::string rule;      // "<template>:<rule>" that delivered it last
};

class DeployedRules {
 public:
  // Loads each stack's template from <source dir>/deploy/. A template that
  // does not exist is a stack without rules (ADD_FAILURE is not called:
  // the test's own expectations say what did not arrive).
  explicit DeployedRules(std::vector<Stack> stacks);
  // Where an event put on `bus` ends up (functions, in rule order).
  std::vector<Delivery> Route(const nlohmann::json& event, const Bus& bus) const;
  // The default bus of the event's own account and region (RDS events).
  static Bus DefaultBusOf(const nlohmann::json& event);

 private:
  struct Loaded {
    Stack stack;
    bool loaded = false;  // the template file exists
    YAML::Node tmpl;
  };
  void RouteInto(const nlohmann::json& event, const Bus& bus, int depth,
                 std::vector<Delivery>& out) const;
  std::vector<Loaded> stacks_;
};

}  // namespace drsnap::testing
