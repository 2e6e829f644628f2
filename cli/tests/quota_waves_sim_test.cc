// Converging under AWS's default quotas against drsnap-sim (issue 18): the
// source scope's manual snapshot quota has room for two captures, four
// databases need one each. Captures are made in waves that fit the room,
// deleted once vaulted (the policy leaves keep_newest unset), and every
// database reaches the vault; no call is refused for quota, and drsnap
// never deletes the snapshots of the production account's own.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/time_util.h"
#include "engine/naming.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

std::string Databases() {
  std::string dbs;
  for (int i = 0; i < 4; ++i) dbs += CustomerKeyInstance("db" + std::to_string(i), 10);
  // Someone else's: not protected, two manual snapshots of its own.
  dbs +=
      "      - {id: legacy, region: us-east-1, engine: postgres, size_gb: 10,\n"
      "         snapshots: [{id: theirs-1}, {id: theirs-2}]}\n";
  return dbs;
}

std::string Policy(const std::string& keep) {
  std::string p = SimPolicy{.from = "automated" + keep}.Yaml();
  const std::string from = "databases: {names: [\"*\"]}";
  p.replace(p.find(from), from.size(), "databases: {names: [\"db*\"]}");
  return p;
}

struct Outcome {
  int vaulted = 0;  // databases with an available vault copy in eu-west-1
  int refused = 0;  // calls AWS answered SnapshotQuotaExceeded
  int peak = 0;     // manual snapshots in prod's us-east-1, at most
  bool theirs_kept = false;
};

Outcome RunFor(const std::string& keep) {
  SimWorld w = ProdAndVault(Databases());
  w.settings = "{manual_snapshot_quota: 4}";
  auto p = StartSimPipeline(w.Yaml(), Policy(keep));
  Outcome out;
  if (!p) return out;
  p->sim->SetTime(*ParseIso8601("2026-11-23T04:00:00Z"));
  for (int i = 0; i < 90; ++i) {
    auto r = p->reconciler->RunOnce({});
    for (const auto& res : r.apply.results)
      if (res.error && res.error->code.find("SnapshotQuotaExceeded") != std::string::npos)
        ++out.refused;
    int manual = 0;
    for (const auto& s : p->sim->Snapshots(kProdAccount, "us-east-1"))
      manual += s.at("type") == "manual";
    out.peak = std::max(out.peak, manual);
    p->sim->Advance(std::chrono::minutes(1));
  }
  std::set<std::string> vaulted;
  for (const auto& s : p->sim->Snapshots(kVaultAccount, "eu-west-1")) {
    auto l = engine::naming::ParseName(s.at("id").get<std::string>());
    if (l && l->stage == engine::naming::NameStage::kVault && s.at("status") == "available")
      vaulted.insert(l->db_token);
  }
  out.vaulted = static_cast<int>(vaulted.size());
  int theirs = 0;
  for (const auto& s : p->sim->Snapshots(kProdAccount, "us-east-1"))
    theirs += s.at("id").get<std::string>().starts_with("theirs-");
  out.theirs_kept = theirs == 2;
  return out;
}

TEST(QuotaWavesSimTest, CapturesComeInWavesAndEveryDatabaseIsVaulted) {
  Outcome o = RunFor("");
  EXPECT_EQ(o.vaulted, 4);
  EXPECT_EQ(o.refused, 0);
  EXPECT_LE(o.peak, 4);
  EXPECT_TRUE(o.theirs_kept);
}

TEST(QuotaWavesSimTest, KeepNewestOneKeepsTheCapturesAndHoldsTheRestBack) {
  // The policy asks to keep a capture per database: two fit, two wait.
  Outcome o = RunFor(", keep_newest: 1");
  EXPECT_EQ(o.vaulted, 2);
  EXPECT_EQ(o.refused, 0);
  EXPECT_TRUE(o.theirs_kept);
}

}  // namespace
}  // namespace drsnap::testing
