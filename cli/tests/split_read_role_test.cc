// Issue 17, case 8: a split deployment whose source side reaches the DR
// account through a read role that was never deployed there. `drsnap plan
// --side source` must not fail with a bare AccessDenied: it exits non-zero
// and names the role and what to deploy (deploy/vault.yaml's ReadRole) or fix.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap {
namespace {

using namespace drsnap::testing;

TEST(SplitReadRoleTest, AMissingReadRoleIsOneClearFindingNamingTheRole) {
  const std::string role = "arn:aws:iam::222222222222:role/drsnap-read-us-east-1";
  // prod by profile; vault through a role the world does not define.
  std::string policy = SimPolicy{}.Yaml();
  const std::string vault_line = "  vault: {id: \"222222222222\", profile: vault";
  const size_t at = policy.find(vault_line);
  ASSERT_NE(at, std::string::npos) << policy;
  policy.replace(at, vault_line.size(),
                 "  vault: {id: \"222222222222\", role_arn: \"" + role + "\"");
  auto p = StartSimPipeline(ProdAndVault(CustomerKeyInstance("orders")).Yaml(), policy);
  ASSERT_NE(p, nullptr);
  p->env->Set("AWS_PROFILE", "prod");  // the default chain: the source side's own credentials

  // One command's exit status and everything it wrote.
  auto run = [&](int (*command)(cli::CommandContext&), std::vector<std::string> extra) {
    cli::CommandContext ctx;
    ctx.args = {"--config", p->policy_path, "--side", "source", "--log-level", "warn"};
    ctx.args.insert(ctx.args.end(), extra.begin(), extra.end());
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    ctx.out = out;
    ctx.err = err;
    ctx.env = p->env;
    ctx.clock = p->clock;
    const int code = command(ctx);
    return std::pair{code, ReadAllAndClose(out) + ReadAllAndClose(err)};
  };
  const auto [status, text] = run(&cli::RunPlanCommand, {});
  EXPECT_NE(status, 0) << text;
  EXPECT_NE(text.find(role), std::string::npos) << text;
  EXPECT_NE(text.find("ReadRole"), std::string::npos) << text;
  EXPECT_NE(text.find("AccessDenied"), std::string::npos) << text;
  EXPECT_EQ(text.find("No changes"), std::string::npos) << text;
  // Monitoring sees it too: status exits non-zero and the metrics count the
  // DR scopes that could not be observed.
  const auto [status_code, metrics] = run(&cli::RunStatusCommand, {"--output", "prometheus"});
  EXPECT_NE(status_code, 0) << metrics;
  EXPECT_NE(metrics.find("drsnap_incomplete_scopes 2"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace drsnap
