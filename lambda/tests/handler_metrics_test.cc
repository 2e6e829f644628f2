// The Lambda handler's CloudWatch Embedded Metric Format lines (issue 17):
// each invocation that reconciles writes valid EMF documents whose values
// are the invocation's outcome (the pairs by state, the failures with their
// stage and AWS code, the success flag), against drsnap-sim.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "lambda/handler.h"
#include "lambda_sim.h"
#include "testing/emf_check.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using testing::kVaultAccount;

Invocation Scheduled() {
  Invocation inv;
  inv.request_id = "req-metrics";
  inv.deadline = std::chrono::system_clock::now() + std::chrono::minutes(15);
  inv.payload = testing::EventFixture("scheduled.json");
  return inv;
}

struct Captured {
  std::vector<json> lines;
  // The line with dimensions [["Side"]] (the reconcile's numbers).
  const json* Main() const {
    for (const auto& j : lines)
      if (j["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == json::parse("[[\"Side\"]]")) return &j;
    return nullptr;
  }
};

HandlerOptions Options(Captured& out) {
  HandlerOptions o;
  o.watch_first_poll = Duration::zero();
  o.write_metrics = [&out](const std::string& line) {
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    json j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_EQ(drsnap::testing::EmfProblems(j), "") << line;
    EXPECT_EQ(j["_aws"]["CloudWatchMetrics"][0]["Namespace"], "drsnap") << line;
    out.lines.push_back(std::move(j));
  };
  return o;
}

int Pairs(const json& main) {
  return main["PairsOk"].get<int>() + main["PairsAtRisk"].get<int>() +
         main["PairsBreached"].get<int>() + main["PairsUnknown"].get<int>();
}

TEST(HandlerMetricsTest, EachReconcileWritesItsPairsUntilEveryPairIsOk) {
  auto sim = testing::StartLambdaSim(testing::WorldYaml(),
                                     testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(sim, nullptr);
  sim->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto rec = sim->NewReconciler();
  Captured out;
  InvocationHandler h(rec.get(), Options(out));

  HandlerResult r = h.Handle(Scheduled());
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  ASSERT_EQ(out.lines.size(), 1u);  // no failure: no per-kind lines
  const json* main = out.Main();
  ASSERT_NE(main, nullptr);
  EXPECT_EQ((*main)["Side"], "all");
  EXPECT_EQ(Pairs(*main), 2);                              // orders-db and ledger, one DR region
  EXPECT_EQ((*main)["PairsBreached"], 2) << main->dump();  // nothing vaulted yet
  EXPECT_EQ((*main)["ActionFailures"], 0);
  EXPECT_EQ((*main)["IncompleteScopes"], 0);
  EXPECT_EQ((*main)["ReconcileSuccess"], 1);
  const int64_t first_timestamp = (*main)["_aws"]["Timestamp"].get<int64_t>();
  EXPECT_GT(first_timestamp, 0);

  // Hourly schedules until both are vaulted: the metric follows.
  for (int i = 0; i < 48 && out.Main() != nullptr && (*out.Main())["PairsOk"] != 2; ++i) {
    sim->sim->Advance(std::chrono::hours(1));
    out.lines.clear();
    r = h.Handle(Scheduled());
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  }
  ASSERT_NE(out.Main(), nullptr);
  EXPECT_EQ((*out.Main())["PairsOk"], 2) << out.Main()->dump();
  EXPECT_EQ((*out.Main())["PairsBreached"], 0);
}

TEST(HandlerMetricsTest, FailedActionsAreCountedByStageAndCode) {
  // The DR key does not exist: every vault copy fails.
  std::string policy = testing::PolicyYaml("ENDPOINT", kVaultAccount, true);
  const std::string good = "00000000-0000-0000-0000-00000000b002";
  ASSERT_NE(policy.find(good), std::string::npos);
  policy.replace(policy.find(good), good.size(), "00000000-0000-0000-0000-0000000dead0");
  auto sim = testing::StartLambdaSim(testing::WorldYaml(), policy);
  ASSERT_NE(sim, nullptr);
  sim->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto rec = sim->NewReconciler();
  Captured out;
  InvocationHandler h(rec.get(), Options(out));
  HandlerResult r;
  for (int i = 0; i < 4 && r.ok; ++i) {
    out.lines.clear();
    r = h.Handle(Scheduled());
    sim->sim->Advance(std::chrono::hours(1));
  }
  ASSERT_FALSE(r.ok) << r.body;
  json body = json::parse(r.body);
  const int failed = body["failed"].get<int>();
  ASSERT_GE(failed, 1);
  const json* main = out.Main();
  ASSERT_NE(main, nullptr);
  EXPECT_EQ((*main)["ActionFailures"], failed) << main->dump();
  EXPECT_EQ((*main)["ReconcileSuccess"], 0);
  EXPECT_EQ((*main)["PairsBreached"], 2) << main->dump();  // never vaulted: breached
  // One line per (stage, code), adding up to the total, with AWS's code.
  int by_kind = 0;
  for (const auto& j : out.lines) {
    if (&j == main) continue;
    EXPECT_EQ(j["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
              json::parse("[[\"Side\",\"Stage\",\"Code\"]]"));
    EXPECT_EQ(j["Stage"], "vault") << j.dump();
    EXPECT_NE(body["failures"][0]["error"].get<std::string>().find(j["Code"].get<std::string>()),
              std::string::npos)
        << j.dump() << body["failures"].dump();
    by_kind += j["ActionFailures"].get<int>();
  }
  EXPECT_EQ(by_kind, failed);
}

TEST(HandlerMetricsTest, AnIgnoredEventWritesNoMetrics) {
  auto sim = testing::StartLambdaSim(testing::WorldYaml(),
                                     testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(sim, nullptr);
  auto rec = sim->NewReconciler();
  Captured out;
  InvocationHandler h(rec.get(), Options(out));
  Invocation inv = Scheduled();
  inv.payload = "{\"unrelated\": true}";
  HandlerResult r = h.Handle(inv);
  ASSERT_TRUE(r.ok) << r.body;
  EXPECT_EQ(json::parse(r.body)["run"], "none") << r.body;
  EXPECT_TRUE(out.lines.empty());
}

}  // namespace
}  // namespace drsnap::lambda
