// Every hop event-driven, in both accounts, as deployed: drsnap-sim's RDS
// events and the source function's "drsnap Snapshot Shared" events are
// routed by the EventBridge rules of deploy/*.yaml themselves
// (testing/lambda_deployed_rules.h) to the source function (production account, us-east-1)
// and the vault function (DR account, eu-west-1). No schedule is invoked:
// what happens here happens because an event (or the function's own watch
// of a copy AWS announces no end of) drove it.
//
// Each test is one thread: the pump hands each new event to the functions
// its rules reach, one invocation at a time (as Lambda does with a reserved
// concurrency of 1), until no event is pending, then moves the simulated
// clock on. The functions' watches move it too (they sleep on it). The
// one-time wake-ups a function asks for (EventBridge Scheduler in
// production) are delivered to it when the clock reaches them: the pump
// moves the clock to the next one rather than past it.
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "cloud/aws_cloud.h"
#include "engine/naming.h"
#include "lambda/handler.h"
#include "lambda_sim.h"
#include "testing/sim_world.h"

namespace drsnap::lambda {
namespace {

using engine::naming::NameStage;
using nlohmann::json;
using testing::Bus;
using testing::DeployedRules;
using testing::kProdAccount;
using testing::kVaultAccount;

constexpr char kSource[] = "source";
constexpr char kVault[] = "vault";

// One invocation a rule (or a wake-up) made, and the simulated time it
// started and ended at.
struct Call {
  std::string function;
  std::string rule;
  json event;
  HandlerResult result;
  json body;
  TimePoint started{}, ended{};
};

// A one-time wake-up a function asked for, not delivered yet.
struct PendingWakeUp {
  std::string function;
  WakeUpRequest request;
};

class Pipeline {
 public:
  explicit Pipeline(testing::LambdaSim& s)
      : s_(s), rules_(drsnap::testing::TwoAccountDeployment(kSource, kVault)) {
    source_rec_ = s.NewReconciler();
    // The vault function holds the DR account's credentials only.
    auto all = std::dynamic_pointer_cast<cloud::MultiAccountCloud>(s.cloud);
    EXPECT_NE(all, nullptr);
    auto dr_only = std::make_shared<cloud::MultiAccountCloud>();
    if (all) dr_only->Add(kVaultAccount, all->For(kVaultAccount));
    vault_rec_ = std::make_unique<engine::Reconciler>(dr_only, s.config, s.clock);
    HandlerOptions so;
    so.side = Side::kSource;
    // PutEvents on the production account's default bus, as EventBridge
    // would wrap each entry.
    so.emit = [this](const std::vector<aws::EventEntry>& entries) -> Status {
      for (const auto& e : entries) {
        json ev = {{"version", "0"},
                   {"id", "put-" + std::to_string(++put_)},
                   {"detail-type", e.detail_type},
                   {"source", e.source},
                   {"account", kProdAccount},
                   {"region", "us-east-1"},
                   {"resources", e.resources},
                   {"detail", json::parse(e.detail)}};
        pending_.push_back({ev, Bus{kProdAccount, "us-east-1", "default"}});
      }
      return OkStatus();
    };
    so.wake_at = [this](const WakeUpRequest& r) { return Schedule(kSource, r); };
    HandlerOptions vo;
    vo.side = Side::kVault;
    vo.wake_at = [this](const WakeUpRequest& r) { return Schedule(kVault, r); };
    source_ = std::make_unique<InvocationHandler>(source_rec_.get(), so);
    vault_ = std::make_unique<InvocationHandler>(vault_rec_.get(), vo);
  }

  // Delivers every event not yet delivered (the sim's, then those the
  // functions put) until none is pending.
  void Drain() {
    for (int guard = 0; guard < 10000; ++guard) {
      std::vector<json> all = s_.sim->Events(TimePoint{});
      for (size_t i = seen_; i < all.size(); ++i)
        pending_.push_back({all[i], DeployedRules::DefaultBusOf(all[i])});
      seen_ = all.size();
      if (pending_.empty()) return;
      auto [event, bus] = pending_.front();
      pending_.pop_front();
      for (const auto& d : rules_.Route(event, bus)) Invoke(d.function, d.rule, event);
    }
    ADD_FAILURE() << "events never stopped coming";
  }

  // Moves the simulated clock on by `step` (or to the next wake-up, when
  // sooner) until `total` has passed, delivering the wake-ups due and the
  // events after each step.
  void RunFor(Duration total, Duration step) {
    TimePoint until = s_.sim->Now() + total;
    Drain();
    while (s_.sim->Now() < until) {
      TimePoint next = s_.sim->Now() + step;
      for (const auto& w : wake_ups_) next = std::min(next, w.request.at);
      if (next > s_.sim->Now()) s_.sim->Advance(next - s_.sim->Now());
      DeliverWakeUps();
      Drain();
    }
  }

  // Every wake-up asked for, delivered or not.
  const std::vector<PendingWakeUp>& scheduled() const { return scheduled_; }

  const std::vector<Call>& calls() const { return calls_; }

  // The calls of `function` triggered by `event_id` (an RDS event id, or
  // "drsnap-shared").
  std::vector<const Call*> CallsFor(const std::string& function,
                                    const std::string& event_id) const {
    std::vector<const Call*> out;
    for (const auto& c : calls_) {
      if (c.function != function || !c.body.contains("triggers")) continue;
      for (const auto& t : c.body["triggers"])
        if (t.value("event_id", "") == event_id) out.push_back(&c);
    }
    return out;
  }

 private:
  // As EventBridge Scheduler: one schedule per name (a second request of a
  // name is success and schedules nothing).
  Status Schedule(const std::string& function, const WakeUpRequest& r) {
    for (const auto& w : scheduled_)
      if (w.function == function && w.request.name == r.name) return OkStatus();
    EXPECT_FALSE(r.function_arn.empty());
    scheduled_.push_back({function, r});
    wake_ups_.push_back({function, r});
    return OkStatus();
  }

  void DeliverWakeUps() {
    for (bool any = true; any;) {
      any = false;
      for (size_t i = 0; i < wake_ups_.size(); ++i) {
        if (wake_ups_[i].request.at > s_.sim->Now()) continue;
        PendingWakeUp w = wake_ups_[i];
        wake_ups_.erase(wake_ups_.begin() + static_cast<std::ptrdiff_t>(i));
        Invoke(w.function, "wake-up", json::parse(w.request.payload));
        any = true;
        break;
      }
    }
  }

  void Invoke(const std::string& function, const std::string& rule, const json& event) {
    Invocation inv;
    inv.request_id = function + "-" + std::to_string(calls_.size() + 1);
    inv.deadline = std::chrono::system_clock::now() + std::chrono::minutes(15);
    inv.payload = event.dump();
    inv.function_arn = function == kSource ? std::string("arn:aws:lambda:us-east-1:") +
                                                 kProdAccount + ":function:drsnap-source"
                                           : std::string("arn:aws:lambda:eu-west-1:") +
                                                 kVaultAccount + ":function:drsnap-vault-eu-west-1";
    InvocationHandler* h = function == kSource ? source_.get() : vault_.get();
    const TimePoint started = s_.sim->Now();
    Call c{function, rule, event, h->Handle(inv), json(), started, s_.sim->Now()};
    c.body = json::parse(c.result.body, nullptr, false);
    EXPECT_TRUE(c.result.ok) << function << " via " << rule << ": " << c.result.error_type << " "
                             << c.result.error_message;
    calls_.push_back(std::move(c));
  }

  testing::LambdaSim& s_;
  DeployedRules rules_;
  std::unique_ptr<engine::Reconciler> source_rec_, vault_rec_;
  std::unique_ptr<InvocationHandler> source_, vault_;
  std::deque<std::pair<json, Bus>> pending_;
  size_t seen_ = 0;
  int put_ = 0;
  std::vector<Call> calls_;
  std::vector<PendingWakeUp> scheduled_, wake_ups_;
};

// The snapshots of `stage` in a scope, by database token.
std::map<std::string, std::vector<engine::Snapshot>> ByDb(const testing::LambdaSim& s,
                                                          const std::string& account,
                                                          const std::string& region,
                                                          NameStage stage) {
  std::map<std::string, std::vector<engine::Snapshot>> out;
  for (const auto& snap : Owned(s, {account, region})) {
    auto l = engine::naming::ParseName(snap.id);
    if (l && l->stage == stage) out[l->db_token].push_back(snap);
  }
  return out;
}

bool AnyAvailable(const std::vector<engine::Snapshot>& snaps) {
  return std::ranges::any_of(
      snaps, [](const auto& s) { return s.status == engine::SnapshotStatus::kAvailable; });
}

// A world of prod (the given databases, the share key usable by the vault
// account) and vault; `copy_rule` strict: AWS copies a shared encrypted
// snapshot across account and region only through a same-region hop.
std::string World(std::string instances, std::string clusters, const std::string& copy_rule) {
  drsnap::testing::SimWorld w =
      drsnap::testing::ProdAndVault(std::move(instances), std::move(clusters));
  w.settings = "{copy_rule: " + copy_rule + "}";
  return w.Yaml();
}

void ExpectNoSchedule(const Pipeline& p) {
  for (const auto& c : p.calls()) {
    EXPECT_NE(c.event.value("source", ""), "aws.events") << c.event.dump();
    EXPECT_NE(c.body.value("run", ""), "verify");
  }
}

// (a) A hop copy finishing in the DR account (RDS-EVENT-0197 in D's source
// region, forwarded by vault-hop.yaml to the vault bus) starts the
// cross-region vault copy.
TEST(EveryHop, HopCopyFinishingInTheDrAccountStartsTheVaultCopy) {
  auto s = testing::StartLambdaSim(
      World(drsnap::testing::CustomerKeyInstance("orders-db"), "", "strict"),
      testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(s, nullptr);
  Pipeline p(*s);
  // 04:00 backup, capture, share, hop copy, vault copy.
  p.RunFor(std::chrono::hours(8), std::chrono::minutes(5));
  ExpectNoSchedule(p);

  auto vaulted = ByDb(*s, kVaultAccount, "eu-west-1", NameStage::kVault);
  ASSERT_EQ(vaulted.count("orders-db"), 1u)
      << "the hop copy finished but no cross-region vault copy was made";
  EXPECT_TRUE(AnyAvailable(vaulted["orders-db"]));
  // The path: the hop's copy-finished event of D/us-east-1 reached the vault
  // function through vault-hop.yaml and vault.yaml, and that invocation made
  // the vault copy. (The hop is gone by now: a staging copy goes once
  // vaulted.)
  int hop_events = 0;
  bool hop_event_vaulted = false;
  for (const Call* c : p.CallsFor(kVault, "RDS-EVENT-0197")) {
    const json& d = c->event["detail"];
    if (c->event.value("account", "") != kVaultAccount ||
        c->event.value("region", "") != "us-east-1" ||
        !d.value("SourceIdentifier", "").ends_with("-hop"))
      continue;
    ++hop_events;
    EXPECT_EQ(c->rule, "vault.yaml:HopCopyEventRule");
    for (const auto& r : c->body["left"]) ADD_FAILURE() << "left: " << r.dump();
    if (c->body.value("done", 0) >= 1) hop_event_vaulted = true;
  }
  EXPECT_EQ(hop_events, 1) << "the hop copy's copy-finished event never reached the vault function";
  EXPECT_TRUE(hop_event_vaulted) << "the vault invocation on the hop's copy-finished event did "
                                    "not make the vault copy";
}

// (b) Copy slots full: a copy-finished event of one database starts the
// copies deferred for the quota of other databases, in both accounts.
TEST(EveryHop, AFreedCopySlotStartsDeferredCopiesOfOtherDatabases) {
  // 22 instances back up at 04:00: 22 captures into one scope whose quota
  // is 20 copies in flight (the executor's, AWS's), then 22 one-step vault
  // copies into D/eu-west-1 (the same quota).
  constexpr int kDbs = 22;
  auto s = testing::StartLambdaSim(testing::WorldYaml(kDbs),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(s, nullptr);
  Pipeline p(*s);
  p.RunFor(std::chrono::hours(7), std::chrono::minutes(2));
  ExpectNoSchedule(p);

  // The quota was full: some capture was deferred by an automated-snapshot
  // event's run.
  int deferred = 0;
  for (const Call* c : p.CallsFor(kSource, "RDS-EVENT-0091"))
    deferred += c->body.value("deferred", 0);
  EXPECT_GE(deferred, kDbs - 20);

  auto captures = ByDb(*s, kProdAccount, "us-east-1", NameStage::kCapture);
  auto vaulted = ByDb(*s, kVaultAccount, "eu-west-1", NameStage::kVault);
  int captured = 0, vault_copies = 0;
  for (int i = 0; i < kDbs; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "db-%03d", i);
    std::string db = i == 0 ? std::string("orders-db") : std::string(name);
    captured += captures.count(db) ? 1 : 0;
    vault_copies += vaulted.count(db) ? 1 : 0;
    EXPECT_TRUE(captures.count(db)) << db << " was never captured";
    EXPECT_TRUE(vaulted.count(db)) << db << " was never vaulted";
  }
  EXPECT_EQ(captured, kDbs);
  EXPECT_EQ(vault_copies, kDbs);
  // And the path: a capture's copy-finished event ran every database and
  // started a copy of another one.
  bool woke_other = false;
  for (const Call* c : p.CallsFor(kSource, "RDS-EVENT-0197")) {
    EXPECT_EQ(c->body.value("run", ""), "full") << c->body.dump();
    if (c->body.value("done", 0) > 1) woke_other = true;  // its own share, and more
  }
  EXPECT_TRUE(woke_other);
  bool vault_woke = false;
  for (const Call* c : p.CallsFor(kVault, "RDS-EVENT-0060"))
    if (c->rule == "vault.yaml:CopyEventRule" && c->body.value("done", 0) >= 1) vault_woke = true;
  EXPECT_TRUE(vault_woke) << "no vault copy started on a vault copy's copy-finished event";
}

// (c) An Aurora cluster: the catalogue has events for a cluster snapshot
// created (RDS-EVENT-0169 here) but none for a cluster snapshot copy ending:
// the functions watch their copies, so the capture is shared and vaulted
// (through a hop, strict copy rule) without the schedule.
TEST(EveryHop, AnAuroraCaptureIsSharedAndVaultedByEventsAlone) {
  auto s = testing::StartLambdaSim(World("", drsnap::testing::LedgerCluster(20), "strict"),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(s, nullptr);
  Pipeline p(*s);
  // 03:00 cluster backup; then capture, share, hop, vault copy.
  p.RunFor(std::chrono::hours(6), std::chrono::minutes(5));
  ExpectNoSchedule(p);

  auto captures = ByDb(*s, kProdAccount, "us-east-1", NameStage::kCapture);
  ASSERT_EQ(captures.count("ledger"), 1u) << "the automated cluster snapshot was not captured";
  for (const auto& snap : captures["ledger"]) {
    auto shared = s->cloud->ListSharedAccounts({kProdAccount, "us-east-1"}, snap.kind, snap.id);
    ASSERT_TRUE(shared) << shared.error().ToString();
    EXPECT_EQ(*shared, std::vector<std::string>{kVaultAccount}) << snap.id << " not shared";
  }
  auto vaulted = ByDb(*s, kVaultAccount, "eu-west-1", NameStage::kVault);
  ASSERT_EQ(vaulted.count("ledger"), 1u) << "the cluster capture was not vaulted";
  EXPECT_TRUE(AnyAvailable(vaulted["ledger"]));
  EXPECT_FALSE(p.CallsFor(kSource, "RDS-EVENT-0169").empty());
  EXPECT_FALSE(p.CallsFor(kVault, "drsnap-shared").empty());
}

// (d) A long Aurora capture: 360 GB take round(360 * 1024 / 200) = 1843 s
// to copy within a region (the sim's default 200 MB/s), beyond the
// function's 15 minutes. The invocation that made it asks for a wake-up at
// its expected end (estimated from the PercentProgress it saw) and stops;
// the woken invocation shares the capture within a minute of the copy's
// end. No schedule runs; the DR account's long cluster copies (the hop, and
// the cross-region vault copy of about two hours) follow the same way.
TEST(EveryHop, ALongAuroraCopysNextHopFollowsFromTheWakeUp) {
  auto s = testing::StartLambdaSim(World("", drsnap::testing::LedgerCluster(360), "strict"),
                                   testing::PolicyYaml("ENDPOINT", kVaultAccount, true));
  ASSERT_NE(s, nullptr);
  Pipeline p(*s);
  p.RunFor(std::chrono::hours(10), std::chrono::minutes(5));
  ExpectNoSchedule(p);

  auto captures = ByDb(*s, kProdAccount, "us-east-1", NameStage::kCapture);
  ASSERT_EQ(captures.count("ledger"), 1u) << "the automated cluster snapshot was not captured";
  auto vaulted = ByDb(*s, kVaultAccount, "eu-west-1", NameStage::kVault);
  ASSERT_EQ(vaulted.count("ledger"), 1u) << "the cluster capture was not vaulted";
  EXPECT_TRUE(AnyAvailable(vaulted["ledger"]));

  // The capture: made by the invocation of the automated snapshot's event,
  // which could not see it end and asked for a wake-up.
  const Call* captured = nullptr;
  for (const Call* c : p.CallsFor(kSource, "RDS-EVENT-0169"))
    if (c->body.value("done", 0) >= 1) captured = c;
  ASSERT_NE(captured, nullptr);
  EXPECT_EQ(captured->body["watch"]["still_copying"].size(), 1u) << captured->body.dump();
  EXPECT_TRUE(captured->body["watch"]["handed_off"].get<bool>()) << captured->body.dump();
  const TimePoint capture_end = captured->started + std::chrono::seconds(1843);

  // The share: made by the woken invocation, within a minute of the end.
  const Call* shared = nullptr;
  for (const Call* c : p.CallsFor(kSource, "watch-wake-up"))
    if (!shared && c->body.value("done", 0) >= 1) shared = c;
  ASSERT_NE(shared, nullptr) << "no wake-up of the source function shared the capture";
  EXPECT_EQ(shared->rule, "wake-up");
  EXPECT_GE(shared->ended, capture_end);
  EXPECT_LT(shared->ended - capture_end, std::chrono::minutes(1))
      << "the share lagged the copy's end";
  // Each wake-up was asked for once.
  std::set<std::string> names;
  for (const auto& w : p.scheduled()) EXPECT_TRUE(names.insert(w.request.name).second);
  // The DR account's cluster copies were handed to wake-ups too.
  EXPECT_FALSE(p.CallsFor(kVault, "watch-wake-up").empty());
}

}  // namespace
}  // namespace drsnap::lambda
