// Helpers for the world/operation tests: the example world, calls in the
// shape the server hands to Simulator::Handle, and XML probes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/simulator.h"

namespace drsnap::sim::worldtest {

inline constexpr char kProd[] = "111111111111";
inline constexpr char kVault[] = "222222222222";
inline constexpr char kEast[] = "us-east-1";
inline constexpr char kWest[] = "us-west-2";

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// testdata/sim/world.yaml, optionally with settings changed.
std::unique_ptr<Simulator> ExampleWorld(const nlohmann::json& settings = nlohmann::json::object());
// 2026-11-23T00:00:00Z, the example world's start.
TimePoint ExampleStart();

SimResponse Rds(Simulator& sim, const std::string& account, const std::string& region,
                const std::string& action, QueryParams params = {});
SimResponse Sts(Simulator& sim, const std::string& account, const std::string& action,
                QueryParams params = {}, const std::string& caller_arn = "");
SimResponse Kms(Simulator& sim, const std::string& account, const std::string& region,
                const std::string& action, const nlohmann::json& body);

// Text of the first node matching an XPath (element names without prefix);
// "" when none.
std::string XText(const SimResponse& r, const std::string& xpath);
std::vector<std::string> XAll(const SimResponse& r, const std::string& xpath);
// The <Code> of an error response ("" for success).
std::string ErrorCode(const SimResponse& r);

std::string ProdSnapshotArn(const std::string& id, const std::string& region = kEast);

}  // namespace drsnap::sim::worldtest
