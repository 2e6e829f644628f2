// Issue 19 item 6: an Aurora cluster's captures are vaulted the way an
// instance's are, against drsnap-sim through the real HTTP path. Where the
// target allows it (copy_rule: one-step, AWS's rule since September 2025)
// the DR account copies the shared capture across account and region in one
// CopyDBClusterSnapshot; where AWS refuses that (copy_rule: strict), drsnap
// recognises the refusal by what it asked and the error's class, learns it,
// and hops through the source region, as for instances.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

using engine::Scope;
using engine::SnapshotStatus;
using engine::naming::NameStage;

const Scope kVaultSrc{"222222222222", "us-east-1"};
const Scope kVaultEu{"222222222222", "eu-west-1"};

// Records the Authorization header and form body of every request it
// forwards (the PreSignedUrl a copy carries is not kept by the simulator).
class RecordingTransport : public aws::HttpTransport {
 public:
  explicit RecordingTransport(std::shared_ptr<aws::HttpTransport> inner)
      : inner_(std::move(inner)) {}
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    {
      std::lock_guard l(mu_);
      bodies_.push_back(aws::HeaderValue(request.headers, "Authorization") + "\n" + request.body);
    }
    return inner_->Send(request);
  }
  // The bodies of the requests whose Authorization and body contain every needle.
  std::vector<std::string> BodiesWith(const std::vector<std::string>& needles) const {
    std::lock_guard l(mu_);
    std::vector<std::string> out;
    for (const auto& b : bodies_)
      if (std::ranges::all_of(needles, [&](const auto& n) { return b.find(n) != b.npos; }))
        out.push_back(b.substr(b.find('\n') + 1));
    return out;
  }

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  mutable std::mutex mu_;
  std::vector<std::string> bodies_;
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The decoded value of `key` in a form body; "" when absent.
std::string FormValue(const std::string& body, const std::string& key) {
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    std::string_view pair(body.data() + start, end - start);
    if (pair.starts_with(key + "=")) return PercentDecode(pair.substr(key.size() + 1));
    start = end + 1;
  }
  return "";
}

struct Pipeline {
  std::unique_ptr<SimPipeline> p;
  std::shared_ptr<RecordingTransport> transport;
};

// The ledger cluster (share key) in prod's us-east-1, vaulted by account
// vault into eu-west-1 (hop key in us-east-1); `copy_rule` as given.
Pipeline Start(const std::string& copy_rule) {
  Pipeline out;
  out.transport = std::make_shared<RecordingTransport>(aws::NewCurlTransport());
  SimPipelineOptions options;
  options.settings = {{"copy_rule", copy_rule}};
  options.transport = out.transport;
  auto p = SimPipeline::Start(ProdAndVault("", LedgerCluster()).Yaml(),
                              SimPolicy{.from = "automated", .rpo = "24h"}.Yaml(), options);
  if (!p) {
    ADD_FAILURE() << p.error().ToString();
    return out;
  }
  out.p = std::move(*p);
  return out;
}

void ExpectNoFailures(const std::vector<engine::ReconcileReport>& reports) {
  for (const auto& r : reports)
    for (const auto& res : r.apply.results)
      if (res.outcome == engine::Outcome::kFailed) ADD_FAILURE() << res.error->ToString();
}

// The simulator's own record of the snapshots in a scope (never drsnap's view).
std::vector<nlohmann::json> SimClusterSnapshots(const SimPipeline& p, const Scope& scope) {
  std::vector<nlohmann::json> out;
  for (const auto& s : p.sim->Snapshots(scope.account_id, scope.region))
    if (s.value("cluster", false)) out.push_back(s);
  return out;
}

sim::RequestCounts CopyCalls(const SimPipeline& p, const Scope& scope) {
  return p.server->stats().Get("rds", "CopyDBClusterSnapshot", scope.account_id, scope.region);
}

TEST(ClusterOneStepSimTest, ClusterIsVaultedInOneCopyWhereTheTargetAllowsIt) {
  Pipeline t = Start("one-step");
  ASSERT_NE(t.p, nullptr);
  SimPipeline& p = *t.p;
  p.sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));  // after the 03:00 backup
  auto reports = p.RunUntilQuiet(20, std::chrono::minutes(30));
  ExpectNoFailures(reports);
  ASSERT_TRUE(reports.back().plan.actions.empty()) << "did not converge in 20 runs";

  // Exactly one copy call from the DR account: into the DR region, none in
  // the source region (no hop), none refused.
  EXPECT_EQ(CopyCalls(p, kVaultEu).total, 1u);
  EXPECT_EQ(CopyCalls(p, kVaultEu).ok, 1u);
  EXPECT_EQ(CopyCalls(p, kVaultSrc).total, 0u);
  EXPECT_TRUE(SimClusterSnapshots(p, kVaultSrc).empty());
  EXPECT_TRUE(p.reconciler->facts().one_step_copy_refused.empty());

  // The vault copy: the DR account's, in the DR region, made from the
  // production account's capture, re-encrypted with the DR key.
  auto vault = SimClusterSnapshots(p, kVaultEu);
  ASSERT_EQ(vault.size(), 1u);
  const auto& v = vault[0];
  auto lineage = engine::naming::ParseName(v["id"].get<std::string>());
  ASSERT_TRUE(lineage) << v.dump();
  EXPECT_EQ(lineage->stage, NameStage::kVault);
  EXPECT_EQ(v["status"], "available");
  EXPECT_EQ(v["created_by"]["action"], "CopyDBClusterSnapshot");
  EXPECT_EQ(v["created_by"]["account"], kVaultAccount);
  std::string source = v["source_arn"].get<std::string>();
  EXPECT_TRUE(source.starts_with("arn:aws:rds:us-east-1:111111111111:cluster-snapshot:drsnap-"))
      << source;
  bool encrypted_with_dr_key = false;
  for (const auto& s : Owned(p, kVaultEu))
    if (s.id == v["id"].get<std::string>())
      encrypted_with_dr_key = s.encrypted && s.kms_key_id == KeyArn("vault", "eu-west-1");
  EXPECT_TRUE(encrypted_with_dr_key);

  // The request: the capture's ARN, the DR key, and a PreSignedUrl for the
  // source region (what the SDKs add for SourceRegion; botocore's
  // inject_presigned_url_rds covers CopyDBClusterSnapshot).
  auto bodies = t.transport->BodiesWith(
      {"Action=CopyDBClusterSnapshot", "Credential=" + SimAccountNamed("vault").access_key_id});
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(FormValue(bodies[0], "SourceDBClusterSnapshotIdentifier"), source);
  EXPECT_EQ(FormValue(bodies[0], "KmsKeyId"), KeyArn("vault", "eu-west-1"));
  std::string presigned = FormValue(bodies[0], "PreSignedUrl");
  EXPECT_NE(presigned.find("Action=CopyDBClusterSnapshot"), std::string::npos) << presigned;
  EXPECT_NE(presigned.find("DestinationRegion=eu-west-1"), std::string::npos) << presigned;
  EXPECT_NE(presigned.find("%2Fus-east-1%2Frds%2Faws4_request"), std::string::npos) << presigned;
}

TEST(ClusterOneStepSimTest, RefusedOneStepCopyFallsBackToTheHop) {
  Pipeline t = Start("strict");
  ASSERT_NE(t.p, nullptr);
  SimPipeline& p = *t.p;
  p.sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  auto reports = p.RunUntilQuiet(20, std::chrono::minutes(30));
  ExpectNoFailures(reports);
  ASSERT_TRUE(reports.back().plan.actions.empty()) << "did not converge in 20 runs";

  // One refused one-step copy, deferred (not failed), learned for the scope.
  int deferred = 0;
  for (const auto& r : reports)
    for (const auto& res : r.apply.results)
      if (res.outcome == engine::Outcome::kDeferred && res.error &&
          res.error->code == "InvalidParameterCombination")
        ++deferred;
  EXPECT_EQ(deferred, 1);
  EXPECT_EQ(p.reconciler->facts().one_step_copy_refused, std::vector<Scope>{kVaultEu});
  EXPECT_EQ(CopyCalls(p, kVaultEu).failed, 1u);
  EXPECT_EQ(CopyCalls(p, kVaultEu).ok, 1u);   // the vault copy, from the hop
  EXPECT_EQ(CopyCalls(p, kVaultSrc).ok, 1u);  // the hop

  auto vault = SimClusterSnapshots(p, kVaultEu);
  ASSERT_EQ(vault.size(), 1u);
  EXPECT_EQ(vault[0]["status"], "available");
  std::string source = vault[0]["source_arn"].get<std::string>();
  auto from = engine::naming::ParseName(source.substr(source.rfind(':') + 1));
  ASSERT_TRUE(from) << source;
  EXPECT_EQ(from->stage, NameStage::kHop);
  EXPECT_TRUE(source.starts_with("arn:aws:rds:us-east-1:222222222222:cluster-snapshot:")) << source;

  // The next day: the learned refusal holds, no second refused call.
  p.sim->SetTime(*ParseIso8601("2026-11-24T05:00:00Z"));
  reports = p.RunUntilQuiet(20, std::chrono::minutes(30));
  ExpectNoFailures(reports);
  ASSERT_TRUE(reports.back().plan.actions.empty()) << "day 2 did not converge";
  EXPECT_EQ(CopyCalls(p, kVaultEu).failed, 1u);
  EXPECT_EQ(CopyCalls(p, kVaultEu).ok, 2u);
  EXPECT_EQ(CopyCalls(p, kVaultSrc).ok, 2u);
}

// A new process (the CLI's every run, a Lambda cold start) knows no learned
// facts: drsnap's ledger (engine/ledger.h) tells it that AWS refused the
// one-step copy, so it neither asks again nor drops a hop whose vault copy
// is still to be made.
TEST(ClusterOneStepSimTest, FreshProcessesRememberTheRefusal) {
  Pipeline t = Start("strict");
  ASSERT_NE(t.p, nullptr);
  SimPipeline& p = *t.p;
  p.sim->SetTime(*ParseIso8601("2026-11-23T05:00:00Z"));
  bool quiet = false;
  for (int run = 0; run < 20 && !quiet; ++run) {
    auto fresh = p.NewReconciler();
    auto report = fresh->RunOnce(engine::ReconcileOptions{});
    ExpectNoFailures({report});
    quiet = report.plan.actions.empty();
    p.sim->Advance(std::chrono::minutes(30));
  }
  ASSERT_TRUE(quiet) << "did not converge in 20 runs";
  EXPECT_EQ(CopyCalls(p, kVaultEu).failed, 1u);  // asked once
  EXPECT_EQ(CopyCalls(p, kVaultEu).ok, 1u);
  EXPECT_EQ(CopyCalls(p, kVaultSrc).ok, 1u);  // one hop, never made twice
  EXPECT_EQ(p.server->stats().Get("rds", "DeleteDBClusterSnapshot", kVaultAccount, "us-east-1").ok,
            1u);  // the hop, once vaulted
  // The ledger where the refused copy was asked for.
  EXPECT_EQ(p.server->stats().Get("rds", "CreateDBParameterGroup", kVaultAccount, "eu-west-1").ok,
            1u);
  auto vault = SimClusterSnapshots(p, kVaultEu);
  ASSERT_EQ(vault.size(), 1u);
  EXPECT_EQ(vault[0]["status"], "available");
}

}  // namespace
}  // namespace drsnap::testing
