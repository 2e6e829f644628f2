// Vault integrity, adversarially: random worlds run through weeks of
// split-side reconciles (a source-side and a vault-side drsnap, each with its
// own account's credentials) against drsnap-sim, while
//   - an attacker holding the production account's credentials (a principal
//     of its own) creates and shares look-alike captures: future and past
//     points, snapshots of another database, forged partial and complete tag
//     sets that do not agree with AWS's facts, copies made with CopyTags
//     under look-alike names, shares and re-shares;
//   - the vault side's listings come back with entries repeated and
//     reordered;
//   - copies fail, applies are killed part-way, the policy is renamed and a
//     DR admin deletes copies of their own.
// The properties are judged from the simulator's records (who created each
// snapshot, when, from what), never from drsnap's own view:
//   P1 no vault copy younger than min_retention is deleted by drsnap;
//   P2 drsnap never deletes the newest genuine vault copy of a database in a
//      target, and the newest available vault copy is never one made from an
//      attacker's snapshot;
//   P3 every delete drsnap issues targets a snapshot a drsnap principal made;
//   P4 nothing that is the source of an in-flight copy is deleted.
//
// DRSNAP_ADVERSARIAL_WORLDS=N sets the number of worlds (default 50; 6
// under sanitizers); DRSNAP_ADVERSARIAL_SEED the first seed (docs/sim.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cloud/aws_cloud.h"
#include "core/arn.h"
#include "core/time_util.h"
#include "engine/cloud.h"
#include "engine/naming.h"
#include "sim/simulator.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::Scope;
using engine::Snapshot;
using engine::naming::NameStage;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

const char kProdId[] = "111111111111";
const char kVaultId[] = "222222222222";
const Scope kProd{kProdId, "us-east-1"};
const char kAttacker[] = "arn:aws:iam::111111111111:user/mallory";
const char kDrAdmin[] = "arn:aws:iam::222222222222:user/dr-admin";

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kDefaultWorlds = 6;
#else
constexpr int kDefaultWorlds = 50;
#endif

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// The simulator's record of one snapshot.
struct Record {
  std::string account, region, id, arn, status, source_arn, principal, source;
  TimePoint created{};
};

std::map<std::string, Record> Records(sim::Simulator& sim) {  // by ARN
  std::map<std::string, Record> out;
  for (const auto& e : sim.Snapshots("", "")) {
    Record r;
    r.account = e["account"];
    r.region = e["region"];
    r.id = e["id"];
    r.arn = e["arn"];
    r.status = e["status"];
    r.source_arn = e.value("source_arn", "");
    r.created = ParseIso8601(e["created"].get<std::string>()).value_or(TimePoint{});
    r.source = e["created_by"].value("source", "");
    r.principal = e["created_by"].value("principal_arn", "");
    out.emplace(r.arn, std::move(r));
  }
  return out;
}

bool InFlight(const std::string& status) {
  return status == "creating" || status == "copying" || status == "pending";
}

// True when `arn`'s source chain (as the simulator recorded it) holds a
// snapshot the attacker made.
bool FromAttacker(const std::map<std::string, Record>& recs, std::string arn) {
  for (int depth = 0; depth < 8 && !arn.empty(); ++depth) {
    auto it = recs.find(arn);
    if (it == recs.end()) return false;
    if (it->second.principal == kAttacker) return true;
    arn = it->second.source_arn;
  }
  return false;
}

// One world's run: the state the properties are judged against.
struct Judge {
  std::shared_ptr<sim::Simulator> sim;
  // Every snapshot the simulator ever showed, kept after it is deleted: a
  // copy's source chain must be traced even when its source is gone.
  std::map<std::string, Record> ever;
  std::set<std::string> drsnap_principals;
  std::chrono::seconds min_retention{0};
  std::mutex mu;
  std::vector<std::string> violations;
  int deletes = 0;  // judged

  void Violation(std::string what) {
    std::lock_guard l(mu);
    violations.push_back(std::move(what));
  }

  // Right before drsnap deletes `id` in `scope`: P1-P4 from the records.
  // The simulator's records now, and every one seen before.
  std::map<std::string, Record> Refresh() {
    auto now = Records(*sim);
    std::lock_guard l(mu);
    for (const auto& [arn, r] : now) ever[arn] = r;
    return now;
  }
  bool FromAttacker(const std::string& arn) {
    std::lock_guard l(mu);
    return testing::FromAttacker(ever, arn);
  }

  void BeforeDelete(const Scope& scope, bool cluster, const std::string& id) {
    {
      std::lock_guard l(mu);
      ++deletes;
    }
    const auto recs = Refresh();
    const std::string arn = MakeArn(
        "rds", scope.region, scope.account_id,
        std::string(cluster ? "cluster-snapshot:" : "snapshot:") + id);
    auto it = recs.find(arn);
    if (it == recs.end()) return;  // gone already: AWS will say so
    const Record& r = it->second;
    if (!drsnap_principals.contains(r.principal))
      Violation("P3: drsnap deletes " + arn + ", made by '" + r.principal + "' (" + r.source + ")");
    auto lin = engine::naming::ParseName(id);
    const TimePoint now = sim->Now();
    if (lin && lin->stage == NameStage::kVault && r.status != "failed" &&
        now - r.created < min_retention)
      Violation("P1: drsnap deletes " + arn + ", made " + FormatIso8601Seconds(r.created) +
                ", younger than min_retention at " + FormatIso8601Seconds(now));
    for (const auto& [other_arn, o] : recs)
      if (InFlight(o.status) && o.source_arn == arn)
        Violation("P4: drsnap deletes " + arn + ", the source of " + other_arn + " in flight");
    if (lin && lin->stage == NameStage::kVault && r.status == "available" && !FromAttacker(arn)) {
      // The newest genuine available vault copy of this database here.
      TimePoint newest{};
      for (const auto& [a, o] : recs) {
        auto l = engine::naming::ParseName(o.id);
        if (o.account != scope.account_id || o.region != scope.region || !l ||
            l->stage != NameStage::kVault || l->db_token != lin->db_token ||
            o.status != "available" || FromAttacker(a))
          continue;
        newest = std::max(newest, l->recovery_point);
      }
      if (lin->recovery_point == newest)
        Violation("P2: drsnap deletes " + arn + ", the newest genuine vault copy there");
    }
  }
};

// The source side's cloud: every delete judged first.
class Judged : public engine::CloudWrapper {
 public:
  Judged(std::shared_ptr<engine::Cloud> inner, Judge& judge)
      : CloudWrapper(std::move(inner)), judge_(judge) {}
  Status DeleteSnapshot(const Scope& scope, engine::DbKind kind,
                        const std::string& snapshot_id) override {
    judge_.BeforeDelete(scope, kind == engine::DbKind::kCluster, snapshot_id);
    return CloudWrapper::DeleteSnapshot(scope, kind, snapshot_id);
  }

 private:
  Judge& judge_;
};

// The vault side's cloud: every delete judged first; listings of the DR
// account come back with entries repeated and reordered at random.
class Chaos final : public Judged {
 public:
  Chaos(std::shared_ptr<engine::Cloud> inner, Judge& judge, uint32_t seed)
      : Judged(std::move(inner), judge), rng_(seed) {}

  Result<std::vector<Snapshot>> ListSnapshots(const Scope& scope) override {
    auto r = Judged::ListSnapshots(scope);
    if (!r || r->empty()) return r;
    std::lock_guard l(mu_);
    if (rng_() % 4 == 0) std::shuffle(r->begin(), r->end(), rng_);
    if (rng_() % 6 == 0) r->push_back((*r)[rng_() % r->size()]);  // listed twice
    return r;
  }

 private:
  std::mutex mu_;
  std::mt19937 rng_;
};

// A call as the attacker (the production account, a principal of its own).
sim::SimResponse AsAttacker(sim::Simulator& sim, const std::string& action,
                            std::vector<std::pair<std::string, std::string>> params) {
  sim::SimRequest req;
  req.service = "rds";
  req.region = "us-east-1";
  req.account_id = kProdId;
  req.caller_arn = kAttacker;
  req.action = action;
  req.params = std::move(params);
  req.user_agent = "aws-cli/2.15";
  return sim.Handle(req);
}

std::vector<std::pair<std::string, std::string>> Tags(
    const std::vector<std::pair<std::string, std::string>>& tags) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < tags.size(); ++i) {
    out.emplace_back("Tags.member." + std::to_string(i + 1) + ".Key", tags[i].first);
    out.emplace_back("Tags.member." + std::to_string(i + 1) + ".Value", tags[i].second);
  }
  return out;
}

// One attack: a look-alike capture of `db` (or a snapshot of "evil" named
// as one), shared with the vault account.
void Attack(sim::Simulator& sim, std::mt19937& rng, const std::string& db) {
  const TimePoint now = sim.Now();
  TimePoint point = now;
  std::string source_db = db;
  bool all_tags = rng() % 2 == 0;
  switch (rng() % 4) {
    case 0:
      point = now + days(1 + rng() % 20);  // the future
      break;
    case 1:
      point = now - days(2 + rng() % 40);  // a past the snapshot is not of
      break;
    case 2:
      source_db = "evil";  // another database's data under db's name
      all_tags = true;
      break;
    case 3: {  // CopyTags of a drsnap capture, under another point's name
      for (const auto& e : sim.Snapshots(kProdId, "us-east-1")) {
        const std::string id = e["id"];
        auto lin = engine::naming::ParseName(id);
        if (!lin || lin->stage != NameStage::kCapture || e["status"] != "available") continue;
        const std::string copy = engine::naming::CaptureName(
            db, engine::naming::NamePoint(now + days(rng() % 3)), 0);
        AsAttacker(sim, "CopyDBSnapshot",
                   {{"SourceDBSnapshotIdentifier", id},
                    {"TargetDBSnapshotIdentifier", copy},
                    {"CopyTags", "true"}});
        AsAttacker(sim, "ModifyDBSnapshotAttribute",
                   {{"DBSnapshotIdentifier", copy},
                    {"AttributeName", "restore"},
                    {"ValuesToAdd.member.1", kVaultId}});
        return;
      }
      return;
    }
  }
  const TimePoint named = engine::naming::NamePoint(point);
  const std::string id = engine::naming::CaptureName(db, named, rng() % 3 == 0 ? 1 : 0);
  std::vector<std::pair<std::string, std::string>> tags = {
      {"drsnap:managed", "true"}, {"drsnap:policy", "tier1"}, {"drsnap:db", db},
      {"drsnap:stage", "capture"}};
  if (all_tags) {
    tags.emplace_back("drsnap:recovery-point", FormatIso8601Seconds(named));
    tags.emplace_back("drsnap:source-account", kProdId);
    tags.emplace_back("drsnap:source-arn", "arn:aws:rds:us-east-1:111111111111:db:" + db);
  }
  auto params = Tags(tags);
  params.insert(params.begin(), {{"DBInstanceIdentifier", source_db}, {"DBSnapshotIdentifier", id}});
  AsAttacker(sim, "CreateDBSnapshot", params);
  AsAttacker(sim, "ModifyDBSnapshotAttribute",
             {{"DBSnapshotIdentifier", id},
              {"AttributeName", "restore"},
              {"ValuesToAdd.member.1", kVaultId}});
}

// A DR admin deletes one of the vault's copies (not drsnap: not judged).
void AdminDeletes(sim::Simulator& sim, std::mt19937& rng) {
  auto snaps = sim.Snapshots(kVaultId, "eu-west-1");
  if (snaps.empty()) return;
  const auto& e = snaps[rng() % snaps.size()];
  if (e["cluster"].get<bool>() || e["status"] != "available") return;
  sim::SimRequest req;
  req.service = "rds";
  req.region = "eu-west-1";
  req.account_id = kVaultId;
  req.caller_arn = kDrAdmin;
  req.action = "DeleteDBSnapshot";
  req.params = {{"DBSnapshotIdentifier", e["id"].get<std::string>()}};
  sim.Handle(req);
}

// The policy `name` protects orders and billing (not evil) from their
// automated snapshots, vaulted into the vault account's eu-west-1.
std::string PolicyYaml(const std::string& name, const std::string& retention,
                       const std::string& min_retention, const std::string& endpoint = "ENDPOINT") {
  return "version: 1\n" + PolicyAccounts({"prod", "vault"}, true, endpoint) + "policies:\n  " +
         name +
         ":\n    databases: {names: [orders, billing]}\n"
         "    source: {account: prod, region: us-east-1, from: automated,\n"
         "             share_key: \"" +
         KeyArn("prod", "us-east-1") + "\"}\n    rpo: 24h\n    targets:\n" + SimTarget{}.Yaml() +
         "    retention: " + retention + "\n    min_retention: " + min_retention + "\n";
}

// What a run of worlds did, so that a tame run cannot pass unnoticed.
struct Tally {
  int deletes = 0, attacks = 0, rejected = 0;
};

void RunWorld(uint32_t seed, Tally& tally) {
  std::mt19937 rng(seed);
  const std::string dbs = CustomerKeyInstance("orders") + CustomerKeyInstance("billing") +
                          R"(      - {id: evil, region: us-east-1, engine: postgres, size_gb: 5,
         encrypted: true, kms_key: alias/prod-share, backup_retention_days: 0}
)";
  SimWorld world = ProdAndVault(dbs);
  if (rng() % 2) world.settings = "{copy_rule: one-step}";
  const char* retentions[] = {"{daily: 3}", "{daily: 2, weekly: 1}", "{last: 2}", "{}"};
  const std::string retention = retentions[rng() % std::size(retentions)];
  const int min_days = 1 + static_cast<int>(rng() % 4);
  std::string policy = PolicyYaml("tier1", retention, std::to_string(min_days) + "d");
  auto p = StartSimPipeline(world.Yaml(), policy);
  ASSERT_NE(p, nullptr) << "seed " << seed;

  Judge judge;
  judge.sim = p->sim;
  judge.min_retention = days(min_days);
  for (const auto& a : SimAccounts())
    if (auto key = p->sim->LookupAccessKey(a.access_key_id)) judge.drsnap_principals.insert(key->arn);
  ASSERT_FALSE(judge.drsnap_principals.contains(kAttacker));

  auto clouds = std::dynamic_pointer_cast<cloud::MultiAccountCloud>(p->cloud);
  ASSERT_NE(clouds, nullptr);
  auto source_cloud = std::make_shared<cloud::MultiAccountCloud>();
  source_cloud->Add(kProdId, std::make_shared<Judged>(clouds->For(kProdId), judge));
  source_cloud->Add(kVaultId, std::make_shared<Judged>(clouds->For(kVaultId), judge));
  auto vault_cloud = std::make_shared<cloud::MultiAccountCloud>();
  vault_cloud->Add(kVaultId, std::make_shared<Chaos>(clouds->For(kVaultId), judge, seed));

  config::Config cfg = p->config;
  auto source = std::make_unique<engine::Reconciler>(source_cloud, cfg, p->clock);
  auto vault = std::make_unique<engine::Reconciler>(vault_cloud, cfg, p->clock);
  const int kSteps = 8 * 6;  // eight days, every four hours
  bool renamed = false;
  for (int step = 0; step < kSteps; ++step) {
    if (rng() % 3 == 0) {
      Attack(*p->sim, rng, rng() % 2 ? "orders" : "billing");
      ++tally.attacks;
    }
    if (rng() % 12 == 0) AdminDeletes(*p->sim, rng);
    if (rng() % 10 == 0)
      p->sim->InjectFault({{"kind", "fail_copies"}, {"account", kVaultId}, {"count", 1}});
    if (!renamed && step > kSteps / 2 && rng() % 8 == 0) {
      // The policy is renamed: the old name's copies are another policy's now.
      auto renamed_cfg = config::ParseConfig(
          PolicyYaml("tier1-renamed", retention, std::to_string(min_days) + "d",
                     p->server->endpoint()),
          "policy.yaml");
      EXPECT_TRUE(renamed_cfg) << renamed_cfg.error().ToString();
      if (renamed_cfg) {
        cfg = *renamed_cfg;
        source = std::make_unique<engine::Reconciler>(source_cloud, cfg, p->clock);
        vault = std::make_unique<engine::Reconciler>(vault_cloud, cfg, p->clock);
        renamed = true;
      }
    }
    std::atomic<bool> stop{false};
    const int kill_after = rng() % 5 == 0 ? static_cast<int>(rng() % 6) : -1;
    int started = 0;
    engine::ReconcileOptions so, vo;
    so.side = engine::Side::kSource;
    vo.side = engine::Side::kVault;
    vo.stop = &stop;
    vo.progress = [&](const engine::ProgressEvent& ev) {
      if (ev.result == nullptr && kill_after >= 0 && ++started > kill_after) stop = true;
    };
    source->RunOnce(so);
    engine::ReconcileReport vr = vault->RunOnce(vo);
    // P2, second half: the newest available vault copy of each database in
    // each target is never made from an attacker's snapshot.
    const auto recs = judge.Refresh();
    std::map<std::string, std::pair<TimePoint, std::string>> newest;  // db token -> point, arn
    for (const auto& [arn, r] : recs) {
      auto lin = engine::naming::ParseName(r.id);
      if (r.account != kVaultId || !lin || lin->stage != NameStage::kVault || r.status != "available")
        continue;
      auto& n = newest[r.region + "/" + lin->db_token];
      if (lin->recovery_point >= n.first) n = {lin->recovery_point, arn};
    }
    for (const auto& [key, n] : newest)
      if (judge.FromAttacker(n.second))
        judge.Violation("P2: the newest vault copy " + n.second + " (" + key +
                        ") is made from an attacker's snapshot, day " +
                        FormatIso8601Seconds(p->sim->Now()));
    for (const auto& f : vr.plan.findings)
      tally.rejected += f.message.find("is not drsnap's to vault") != std::string::npos;
    p->sim->Advance(hours(4));
  }
  for (const auto& v : judge.violations) ADD_FAILURE() << "seed " << seed << ": " << v;
  tally.deletes += judge.deletes;
  // The worlds are not too tame: the vault holds copies at the end.
  int copies = 0;
  for (const auto& [arn, r] : Records(*p->sim))
    copies += r.account == kVaultId && r.principal != kAttacker && engine::naming::ParseName(r.id) &&
              r.status == "available";
  EXPECT_GT(copies, 0) << "seed " << seed;
}

TEST(AdversarialSimTest, ACompromisedSourceBadListingsAndFaultsLoseNoGoodCopy) {
  const int worlds = EnvInt("DRSNAP_ADVERSARIAL_WORLDS", kDefaultWorlds);
  const int first = EnvInt("DRSNAP_ADVERSARIAL_SEED", 1);
  Tally tally;
  for (int w = 0; w < worlds; ++w) {
    SCOPED_TRACE("world seed " + std::to_string(first + w));
    RunWorld(static_cast<uint32_t>(first + w), tally);
    if (::testing::Test::HasFailure()) break;  // one world's report is enough to act on
  }
  std::printf("%d worlds: %d attacks, %d rejections reported, %d deletes judged\n", worlds,
              tally.attacks, tally.rejected, tally.deletes);
  EXPECT_GT(tally.deletes, 0);
  EXPECT_GT(tally.rejected, 0);
}

}  // namespace
}  // namespace drsnap::testing
