// Event-driven end to end, as deployed: drsnap-sim's RDS events reach the
// source function through (fake) EventBridge; the source function shares and
// puts a "drsnap Snapshot Shared" event, which the forwarding rule delivers to
// the vault function, which copies at once. No schedule is ever invoked.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "aws/endpoints.h"
#include "aws/events.h"
#include "cloud/aws_cloud.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "lambda/handler.h"
#include "lambda_sim.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;
using testing::kProdAccount;
using testing::kVaultAccount;

long long DeadlineMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + std::chrono::minutes(15)).time_since_epoch())
      .count();
}

std::shared_ptr<aws::HttpTransport> LongPoll() {
  aws::HttpOptions o;
  o.total_timeout = std::chrono::milliseconds(0);
  return aws::NewCurlTransport(o);
}

template <class Pred>
bool WaitFor(Pred pred, int seconds = 60) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

bool HasStage(const testing::LambdaSim& s, const std::string& account, const std::string& region,
              engine::naming::NameStage stage, const std::string& db) {
  for (const auto& snap : Owned(s, {account, region})) {
    auto l = engine::naming::ParseName(snap.id);
    if (l && l->stage == stage && l->db_token == engine::naming::DbToken(db)) return true;
  }
  return false;
}

TEST(EventDriven, SnapshotAvailableInProductionIsSharedAndVaultedWithoutASchedule) {
  auto s = testing::StartLambdaSim(testing::WorldYaml(),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(s, nullptr);

  auto source_api = std::make_unique<testing::FakeRuntimeApi>();
  auto vault_api = std::make_unique<testing::FakeRuntimeApi>();
  std::atomic<int> to_source{0}, to_vault{0}, scheduled{0};
  // The deployed rules: RDS events of prod -> source function (source.yaml's
  // RdsSnapshotEventRule); drsnap events -> the DR bus -> vault function.
  testing::FakeEventBridge bridge(kProdAccount, "us-east-1", [&](const json& ev) {
    std::string source = ev.value("source", "");
    if (source == "aws.events") ++scheduled;
    if (source == "aws.rds" && ev.value("account", "") == kProdAccount) {
      ++to_source;
      source_api->Push(ev.dump(), DeadlineMs());
    } else if (source == "drsnap") {
      ++to_vault;
      vault_api->Push(ev.dump(), DeadlineMs());
    }
  });
  ASSERT_TRUE(s->server->admin().event_forwarder().SetTarget(bridge.endpoint() + "/raw"));

  // The source function puts its events through the real EventBridge client,
  // its endpoint from AWS_ENDPOINT_URL_EVENTS.
  MapEnvironment env;
  env.Set("AWS_ENDPOINT_URL_EVENTS", bridge.endpoint());
  auto ep = aws::ResolveEndpoint("events", "us-east-1", env, nullptr);
  ASSERT_TRUE(ep) << ep.error().ToString();
  aws::ClientContext ctx;
  ctx.transport = aws::NewCurlTransport();
  ctx.credentials = std::make_shared<aws::StaticCredentialsProvider>(
      aws::Credentials{testing::kProdKeyId, testing::kProdSecret, "", std::nullopt, "test"});
  aws::EventsClient events(std::make_shared<aws::ServiceClient>(ctx, *ep));

  auto source_rec = s->NewReconciler();
  // The vault function holds the DR account's credentials only: a call into
  // the production account is impossible (it would fail the invocation),
  // and it still vaults, from what was shared with it.
  auto all_accounts = std::dynamic_pointer_cast<cloud::MultiAccountCloud>(s->cloud);
  ASSERT_NE(all_accounts, nullptr);
  auto dr_only = std::make_shared<cloud::MultiAccountCloud>();
  dr_only->Add(kVaultAccount, all_accounts->For(kVaultAccount));
  auto vault_rec = std::make_unique<engine::Reconciler>(dr_only, s->config, s->clock);
  HandlerOptions so;
  so.side = Side::kSource;
  so.emit = [&](const std::vector<aws::EventEntry>& entries) -> Status {
    DRSNAP_ASSIGN_OR_RETURN(auto r, events.PutEvents(entries));
    if (r.failed_entry_count > 0) return Fail(Error::Terminal("PutEventsFailed", "refused"));
    return OkStatus();
  };
  HandlerOptions vo;
  vo.side = Side::kVault;
  InvocationHandler source_handler(source_rec.get(), so);
  InvocationHandler vault_handler(vault_rec.get(), vo);
  RuntimeClient source_client(source_api->address(), LongPoll());
  RuntimeClient vault_client(vault_api->address(), LongPoll());
  std::thread source_fn([&] {
    RunLoop(
        source_client, [&](const Invocation& i) { return source_handler.Handle(i); },
        LoopOptions{0, 2});
  });
  std::thread vault_fn([&] {
    RunLoop(
        vault_client, [&](const Invocation& i) { return vault_handler.Handle(i); },
        LoopOptions{0, 2});
  });

  // 00:00 -> 05:00: RDS takes the 04:00 automated snapshot of orders-db
  // (RDS-EVENT-0091): the source function captures it.
  s->sim->Advance(std::chrono::hours(5));
  EXPECT_TRUE(WaitFor([&] {
    return HasStage(*s, kProdAccount, "us-east-1", engine::naming::NameStage::kCapture,
                    "orders-db");
  })) << "the automated-snapshot event did not lead to a capture";

  // The capture copy finishes (RDS-EVENT-0197): the source function shares
  // it and announces the share; the vault function copies at once.
  s->sim->Advance(std::chrono::minutes(30));
  EXPECT_TRUE(WaitFor([&] {
    return HasStage(*s, kVaultAccount, "eu-west-1", engine::naming::NameStage::kVault, "orders-db");
  })) << "the vault did not copy orders-db after the forwarded event";

  // What happened, and through which path.
  EXPECT_GE(to_source.load(), 2);
  EXPECT_GE(to_vault.load(), 1);
  EXPECT_EQ(scheduled.load(), 0);
  bool announced = false;
  for (const auto& e : bridge.put_entries()) {
    if (e.value("DetailType", "") == "drsnap Snapshot Shared" &&
        e.value("Detail", "").find("\"DBIdentifier\":\"orders-db\"") != std::string::npos)
      announced = true;
  }
  EXPECT_TRUE(announced);
  for (const auto& t : bridge.targets()) EXPECT_EQ(t, "AWSEvents.PutEvents");
  // The capture of orders-db is shared with the vault account (sim's own
  // view). (The cluster "ledger" is captured too, through the source
  // function's watch: RDS emits no event when a cluster snapshot copy ends;
  // lambda_handler_every_hop_test follows it to the vault.)
  int orders_captures = 0;
  for (const auto& snap : Owned(*s, {kProdAccount, "us-east-1"})) {
    auto l = engine::naming::ParseName(snap.id);
    if (!l || l->stage != engine::naming::NameStage::kCapture) continue;
    if (l->db_token != "orders-db") continue;
    ++orders_captures;
    auto shared = s->cloud->ListSharedAccounts({kProdAccount, "us-east-1"}, snap.kind, snap.id);
    ASSERT_TRUE(shared) << shared.error().ToString();
    EXPECT_EQ(*shared, std::vector<std::string>{kVaultAccount}) << snap.id;
  }
  EXPECT_GE(orders_captures, 1);
  // The vault's invocation was the fast path for orders-db.
  bool fast_path = false;
  for (const auto& o : vault_api->WaitForOutcomes(to_vault.load(), 30000)) {
    EXPECT_FALSE(o.error) << o.error_type << " " << o.body;
    json b = json::parse(o.body, nullptr, false);
    if (!b.is_discarded() && b.value("only_db", "") == "orders-db" && b.value("done", 0) >= 1)
      fast_path = true;
  }
  EXPECT_TRUE(fast_path);
  // The capture's copy-finished event (RDS-EVENT-0197, a drsnap name) freed
  // a slot of the copy quota: it ran every database (copies deferred for the
  // quota may be any database's), and named orders-db by its token.
  bool copy_finished_ran_full = false;
  for (const auto& o : source_api->WaitForOutcomes(to_source.load(), 30000)) {
    EXPECT_FALSE(o.error) << o.error_type << " " << o.body;
    json b = json::parse(o.body, nullptr, false);
    if (b.is_discarded() || !b.contains("triggers")) continue;
    for (const auto& t : b["triggers"]) {
      if (t.value("event_id", "") != "RDS-EVENT-0197" || t.value("db_token", "") != "orders-db")
        continue;
      EXPECT_EQ(b.value("run", ""), "full") << o.body;
      EXPECT_FALSE(b.contains("only_db")) << o.body;
      copy_finished_ran_full = true;
    }
  }
  EXPECT_TRUE(copy_finished_ran_full);

  ASSERT_TRUE(s->server->admin().event_forwarder().SetTarget(""));
  source_api.reset();
  vault_api.reset();
  source_fn.join();
  vault_fn.join();
}

}  // namespace
}  // namespace drsnap::lambda
