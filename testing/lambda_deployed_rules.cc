#include "testing/lambda_deployed_rules.h"

#include <fstream>
#include <sstream>

#include "core/arn.h"
#include "testing/sim_pipeline.h"

namespace drsnap::testing {
namespace {

// A template scalar with its CloudFormation tag resolved: !Ref of a pseudo
// parameter or a stack parameter, !Sub with ${...} of either.
std::string Resolve(const YAML::Node& node, const Stack& stack) {
  auto value_of = [&stack](const std::string& name) -> std::string {
    if (name == "AWS::AccountId") return stack.account;
    if (name == "AWS::Region") return stack.region;
    if (name == "AWS::Partition") return "aws";
    auto it = stack.parameters.find(name);
    return it == stack.parameters.end() ? "${" + name + "}" : it->second;
  };
  std::string text = node.IsScalar() ? node.Scalar() : "";
  if (node.Tag() == "!Ref") return value_of(text);
  if (node.Tag() == "!Sub") {
    std::string out;
    for (size_t i = 0; i < text.size();) {
      size_t open = text.find("${", i);
      if (open == std::string::npos) {
        out += text.substr(i);
        break;
      }
      size_t close = text.find('}', open);
      out += text.substr(i, open - i) + value_of(text.substr(open + 2, close - open - 2));
      i = close + 1;
    }
    return out;
  }
  return text;
}

bool ValueMatches(const nlohmann::json& value, const YAML::Node& allowed, const Stack& stack) {
  if (value.is_array()) {
    for (const auto& v : value)
      if (ValueMatches(v, allowed, stack)) return true;
    return false;
  }
  if (!value.is_string()) return false;
  const std::string v = value.get<std::string>();
  for (const auto& a : allowed) {
    if (a.IsMap() && a["prefix"]) {
      if (v.starts_with(a["prefix"].Scalar())) return true;
    } else if (a.IsScalar() && v == Resolve(a, stack)) {
      return true;
    }
  }
  return false;
}

bool PatternMatches(const nlohmann::json& event, const YAML::Node& pattern, const Stack& stack) {
  if (!event.is_object()) return false;
  for (const auto& field : pattern) {
    const std::string key = field.first.Scalar();
    auto it = event.find(key);
    if (it == event.end()) return false;
    if (field.second.IsMap()) {
      if (!PatternMatches(*it, field.second, stack)) return false;
    } else if (!ValueMatches(*it, field.second, stack)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<Stack> TwoAccountDeployment(const std::string& source_function,
                                        const std::string& vault_function) {
  return {
      {"source.yaml",
       kProdAccount,
       "us-east-1",
       {{"DrEventBusArn", std::string("arn:aws:events:eu-west-1:") + kVaultAccount +
                              ":event-bus/drsnap-vault-eu-west-1"}},
       source_function},
      {"vault.yaml", kVaultAccount, "eu-west-1", {}, vault_function},
      {"vault-hop.yaml", kVaultAccount, "us-east-1", {{"VaultRegion", "eu-west-1"}}, ""},
  };
}

DeployedRules::DeployedRules(std::vector<Stack> stacks) {
  for (auto& s : stacks) {
    Loaded l{std::move(s), false, YAML::Node()};
    std::ifstream in(std::string(DRSNAP_SOURCE_DIR) + "/deploy/" + l.stack.template_file);
    if (in.good()) {
      std::stringstream text;
      text << in.rdbuf();
      l.tmpl = YAML::Load(text.str());
      l.loaded = true;
    }
    stacks_.push_back(std::move(l));
  }
}

Bus DeployedRules::DefaultBusOf(const nlohmann::json& event) {
  return Bus{event.value("account", ""), event.value("region", ""), "default"};
}

std::vector<Delivery> DeployedRules::Route(const nlohmann::json& event, const Bus& bus) const {
  std::vector<Delivery> out;
  RouteInto(event, bus, 0, out);
  return out;
}

void DeployedRules::RouteInto(const nlohmann::json& event, const Bus& bus, int depth,
                              std::vector<Delivery>& out) const {
  if (depth > 3) return;  // bus -> bus -> bus is no deployment of ours
  for (const auto& l : stacks_) {
    if (!l.loaded || l.stack.account != bus.account || l.stack.region != bus.region) continue;
    for (const auto& res : l.tmpl["Resources"]) {
      const YAML::Node& r = res.second;
      if (r["Type"].Scalar() != "AWS::Events::Rule") continue;
      const YAML::Node& props = r["Properties"];
      if (!props["EventPattern"]) continue;  // a schedule
      std::string on = props["EventBusName"] ? Resolve(props["EventBusName"], l.stack) : "default";
      // `!Ref EventBus` names the stack's own bus resource: its Name.
      if (props["EventBusName"] && props["EventBusName"].Tag() == "!Ref") {
        const YAML::Node& named = l.tmpl["Resources"][props["EventBusName"].Scalar()];
        on = named ? Resolve(named["Properties"]["Name"], l.stack) : on;
      }
      if (on != bus.name || !PatternMatches(event, props["EventPattern"], l.stack)) continue;
      for (const auto& target : props["Targets"]) {
        const YAML::Node& arn = target["Arn"];
        if (arn.Tag() == "!GetAtt" && arn.Scalar() == "Function.Arn") {
          out.push_back({l.stack.function, l.stack.template_file + ":" + res.first.Scalar()});
          continue;
        }
        const std::string arn_text = Resolve(arn, l.stack);  // ParseArn's views point into it
        auto parsed = ParseArn(arn_text);
        if (!parsed || parsed->service != "events" || !parsed->resource.starts_with("event-bus/"))
          continue;
        Bus next{std::string(parsed->account), std::string(parsed->region),
                 std::string(parsed->resource.substr(10))};
        RouteInto(event, next, depth + 1, out);
      }
    }
  }
}

}  // namespace drsnap::testing
