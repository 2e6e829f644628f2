#include "sim/tests/sim_world_util.h"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "core/time_util.h"

namespace drsnap::sim::worldtest {

std::unique_ptr<Simulator> ExampleWorld(const nlohmann::json& settings) {
  auto sim = Simulator::FromWorldFile(std::string(DRSNAP_SOURCE_DIR) + "/testdata/sim/world.yaml");
  if (!sim) {
    ADD_FAILURE() << sim.error().ToString();
    return Simulator::Empty();
  }
  if (!settings.empty()) {
    auto st = (*sim)->UpdateSettings(settings);
    if (!st) ADD_FAILURE() << st.error().ToString();
  }
  return std::move(*sim);
}

TimePoint ExampleStart() { return *ParseIso8601("2026-11-23T00:00:00Z"); }

SimResponse Rds(Simulator& sim, const std::string& account, const std::string& region,
                const std::string& action, QueryParams params) {
  SimRequest req;
  req.service = "rds";
  req.region = region;
  req.account_id = account;
  req.caller_arn = "arn:aws:iam::" + account + ":user/drsnap";
  req.action = action;
  req.params = std::move(params);
  return sim.Handle(req);
}

SimResponse Sts(Simulator& sim, const std::string& account, const std::string& action,
                QueryParams params, const std::string& caller_arn) {
  SimRequest req;
  req.service = "sts";
  req.region = "us-east-1";
  req.account_id = account;
  req.caller_arn = caller_arn.empty() && !account.empty()
                       ? "arn:aws:iam::" + account + ":user/drsnap"
                       : caller_arn;
  req.action = action;
  req.params = std::move(params);
  return sim.Handle(req);
}

SimResponse Kms(Simulator& sim, const std::string& account, const std::string& region,
                const std::string& action, const nlohmann::json& body) {
  SimRequest req;
  req.service = "kms";
  req.region = region;
  req.account_id = account;
  req.caller_arn = "arn:aws:iam::" + account + ":user/drsnap";
  req.action = action;
  req.json_body = body.dump();
  return sim.Handle(req);
}

std::vector<std::string> XAll(const SimResponse& r, const std::string& xpath) {
  pugi::xml_document doc;
  auto ok = doc.load_string(r.body.c_str());
  EXPECT_TRUE(ok) << "not XML: " << r.body;
  std::vector<std::string> out;
  for (const auto& n : doc.select_nodes(xpath.c_str())) out.push_back(n.node().text().get());
  return out;
}

std::string XText(const SimResponse& r, const std::string& xpath) {
  auto all = XAll(r, xpath);
  return all.empty() ? "" : all.front();
}

std::string ErrorCode(const SimResponse& r) {
  if (r.status == 200) return "";
  if (r.content_type.find("json") != std::string::npos)
    return nlohmann::json::parse(r.body).value("__type", "?");
  return XText(r, "/ErrorResponse/Error/Code");
}

std::string ProdSnapshotArn(const std::string& id, const std::string& region) {
  return "arn:aws:rds:" + region + ":" + kProd + ":snapshot:" + id;
}

}  // namespace drsnap::sim::worldtest
