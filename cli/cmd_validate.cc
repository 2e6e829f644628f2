// drsnap validate: load and check the policy file, with no AWS call at all.
#include <cstdio>
#include <set>

#include "cli/command.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"for", true, "lambda",
     "also check what the policy needs to work there: lambda refuses accounts with "
     "'profile:' (a Lambda function has no AWS profile files)"},
};

// Problems that make a valid policy unusable in AWS Lambda, one
// "file:line:col: message" each.
std::vector<std::string> LambdaProblems(const config::Config& cfg) {
  std::vector<std::string> out;
  for (const auto& a : cfg.accounts)
    if (!a.profile.empty())
      out.push_back(a.where.ToString() + ": account '" + a.name + "' uses 'profile: " + a.profile +
                    "', which cannot work in AWS Lambda (a function has no AWS profile files); "
                    "give it 'role_arn:' (a role the function's role may assume, e.g. the vault "
                    "stack's ReadRoleArn), or no credentials key when it is the account the "
                    "function runs in (its own role is used)");
  return out;
}

int RunValidateCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "validate", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("validate", "[--config FILE] [--for lambda]",
                   "Loads the policy file and checks everything drsnap checks before a run,\n"
                   "without calling AWS (no credentials needed). Prints a one-line summary.\n"
                   "Exit status: 0 valid; 2 not valid, each problem on its own line as\n"
                   "file:line:col: what is wrong.",
                   kFlags,
                   "  drsnap validate --config drsnap.yaml\n"
                   "  drsnap validate --config drsnap.yaml --for lambda\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "validate", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "validate", st.error().message);
  std::optional<std::string> for_what = flags->Get("for");
  if (for_what && *for_what != "lambda")
    return Usage(ctx, "validate", "--for '" + *for_what + "' is not lambda");
  // The environment only: no Cloud is made, so no AWS call can happen.
  if (!ctx.env) ctx.env = DefaultEnvironment();
  auto cfg = LoadConfigFromFlags(*flags, *ctx.env);
  if (!cfg) {
    const Error& e = cfg.error();
    // Problems in the file are printed as they are, one per line, each
    // starting with file:line:col (what editors and CI annotations read).
    if (e.code != "ConfigInvalid" && e.code != "ConfigSyntax") return Failure(ctx, "validate", e);
    if (Log().format() == LogFormat::kJson) return Failure(ctx, "validate", e);
    std::fprintf(ctx.err, "%s\n", e.message.c_str());
    return 2;
  }
  if (for_what) {
    std::vector<std::string> problems = LambdaProblems(*cfg);
    if (!problems.empty()) {
      std::string msg;
      for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
      if (Log().format() == LogFormat::kJson)
        return Failure(ctx, "validate", Error::Terminal("ConfigInvalid", msg));
      std::fprintf(ctx.err, "%s\n", msg.c_str());
      return 2;
    }
  }
  size_t regions = 0;
  std::set<std::string> target_accounts;
  for (const auto& p : cfg->policies)
    for (const auto& t : p.targets) {
      regions += t.regions.size();
      target_accounts.insert(t.account);
    }
  auto plural = [](size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string line = "valid: " + plural(cfg->policies.size(), "policy", "policies") + ", " +
                     plural(cfg->accounts.size(), "account", "accounts") + ", " +
                     plural(regions, "DR target region", "DR target regions") + " in " +
                     plural(target_accounts.size(), "DR account", "DR accounts") + " (" +
                     cfg->file + ")" + (for_what ? "; usable in AWS Lambda" : "") + "\n";
  std::fputs(line.c_str(), ctx.out);
  return 0;
}

}  // namespace

DRSNAP_REGISTER_COMMAND("validate", "check the policy file, with no AWS call (exit 0 or 2)",
                        RunValidateCommand);

}  // namespace drsnap::cli
