// The EventBridge rules of deploy/*.yaml as deployed, for tests that drive
// the Lambda functions with drsnap-sim's events: which function (or which
// other bus) an event reaches is read from the templates themselves, so a
// rule missing from a template is an event no test function receives.
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

namespace drsnap::lambda::testing {

struct Stack {
  std::string template_file;  // "source.yaml", relative to deploy/
  std::string account, region;
  std::map<std::string, std::string> parameters;  // parameter -> value
  std::string function;                           // the name its function has in the test
};

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

}  // namespace drsnap::lambda::testing
