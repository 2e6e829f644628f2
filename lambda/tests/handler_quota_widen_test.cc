// An event names one database while the production scope's manual snapshot
// quota has room for one capture, and the schedule gives that room to
// another database (issue 18). Narrowed to the event's database, the run
// would issue nothing and leave the room unused until the next full run;
// it runs every database instead and says why.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/time_util.h"
#include "engine/naming.h"
#include "lambda/handler.h"
#include "lambda_sim.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using testing::kProdAccount;
using testing::kVaultAccount;

int Captures(const testing::LambdaSim& s, const std::string& db) {
  int n = 0;
  for (const auto& snap : Owned(s, {kProdAccount, "us-east-1"})) {
    auto l = engine::naming::ParseName(snap.id);
    n += l && l->stage == engine::naming::NameStage::kCapture &&
         l->db_token == engine::naming::DbToken(db);
  }
  return n;
}

int ManualInstanceSnapshots(const testing::LambdaSim& s) {
  int n = 0;
  for (const auto& snap : Owned(s, {kProdAccount, "us-east-1"}))
    n += snap.type == engine::SnapshotType::kManual && snap.kind == engine::DbKind::kInstance;
  return n;
}

TEST(HandlerQuotaWidenTest, TheRoomGoesToTheMoreUrgentDatabaseAtOnce) {
  // orders-db and db-001, both with the automated snapshot of 04:00.
  auto sim = testing::StartLambdaSim(testing::WorldYaml(2),
                                     testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(sim, nullptr);
  sim->sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  Status set =
      sim->sim->UpdateSettings(json{{"manual_snapshot_quota", ManualInstanceSnapshots(*sim) + 1}});
  ASSERT_TRUE(set) << set.error().ToString();
  auto reconciler = sim->NewReconciler();

  // Which of the two the schedule serves first.
  engine::Plan full = reconciler->PlanFor(reconciler->Observe());
  std::string first, waiting;
  for (const auto& a : full.actions)
    if (a.stage == engine::Stage::kCapture) first = a.db_id;
  ASSERT_FALSE(first.empty()) << "no capture planned";
  waiting = first == "orders-db" ? "db-001" : "orders-db";

  // The automated snapshot event of the database that waits.
  std::string event = testing::EventFixture("eventbridge_automated_snapshot.json");
  for (size_t at = event.find("orders-db"); at != std::string::npos;
       at = event.find("orders-db", at + waiting.size()))
    event.replace(at, 9, waiting);

  HandlerOptions o;
  o.side = Side::kSource;
  o.watch_first_poll = Duration::zero();
  InvocationHandler h(reconciler.get(), o);
  Invocation inv;
  inv.request_id = "req-widen";
  inv.deadline = std::chrono::system_clock::now() + std::chrono::minutes(14);
  inv.payload = event;
  HandlerResult r = h.Handle(inv);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  json b = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(b.is_discarded()) << r.body;
  EXPECT_EQ(b["only_db"], waiting) << r.body;  // what the event asked for
  EXPECT_EQ(b["run"], "full") << r.body;       // what ran
  EXPECT_NE(b.value("widened", "").find("quota"), std::string::npos) << r.body;
  EXPECT_EQ(Captures(*sim, first), 1) << r.body;
  EXPECT_EQ(Captures(*sim, waiting), 0) << r.body;
}

}  // namespace
}  // namespace drsnap::lambda
