#include <gtest/gtest.h>

#include <cstdio>

#include "lambda_sim.h"
#include "testing/golden.h"
#include "testing/sim_world.h"

namespace drsnap::lambda::testing {

using drsnap::testing::Key;
using drsnap::testing::SimPolicy;
using drsnap::testing::SimTarget;
using drsnap::testing::SimWorld;

std::string WorldYaml(int instances) {
  std::string dbs;
  for (int i = 0; i < instances; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "db-%03d", i);
    dbs +=
        drsnap::testing::CustomerKeyInstance(i == 0 ? std::string("orders-db") : std::string(name));
  }
  SimWorld w = drsnap::testing::ProdAndVault(dbs, drsnap::testing::LedgerCluster(20));
  w.settings = "{copy_rule: one-step}";
  w.Account("prod").keys.push_back(Key("prod", "eu-west-1"));
  return w.Yaml();
}

std::string PolicyYaml(const std::string& endpoint, const std::string& target_account,
                       bool with_profiles) {
  bool same = target_account == kProdAccount;
  SimPolicy p;
  p.accounts = same ? std::vector<std::string>{"prod"} : std::vector<std::string>{"prod", "vault"};
  p.profiles = with_profiles;
  p.endpoint = endpoint;
  p.targets = {SimTarget{.account = same ? "prod" : "vault", .hop = !same}};
  return p.Yaml();
}

std::string EventFixture(const std::string& name) {
  std::string text = drsnap::testing::ReadTestdata("events/" + name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

}  // namespace drsnap::lambda::testing
