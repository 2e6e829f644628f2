// drsnap: the command-line entry point. Only dispatches: every command lives
// in its own file in cli/ and registers itself (cli/command.h).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"

namespace {

void PrintUsage(std::FILE* f) {
  std::fputs(
      "drsnap keeps every protected RDS database recoverable from another AWS account in\n"
      "another region, and proves it.\n\n"
      "usage: drsnap <command> [flags]\n\ncommands:\n",
      f);
  for (const auto& c : drsnap::cli::Commands()) {
    std::string name = "  " + c.name;
    name.resize(12, ' ');
    std::fprintf(f, "%s%s\n", name.c_str(), c.summary.c_str());
  }
  std::fputs(
      "\nglobal flags: --config FILE (default $DRSNAP_CONFIG, else ./drsnap.yaml),\n"
      "  --log-format text|json, --log-level debug|info|warn|error, --help, --version\n\n"
      "examples:\n"
      "  drsnap plan --config drsnap.yaml      what would be done, and why\n"
      "  drsnap apply --dry-run                the same, through the apply path\n"
      "  drsnap status --output prometheus     RPO per database x target\n"
      "  drsnap validate --config drsnap.yaml  check the policy file, no AWS call\n"
      "  drsnap <command> --help               each command's flags and examples\n",
      f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version") name = "version";  // the command of that name
  const auto* cmd = drsnap::cli::FindCommand(name);
  if (cmd == nullptr) {
    std::fprintf(stderr, "drsnap: unknown command '%s'; run 'drsnap --help' for the list\n",
                 name.c_str());
    return 2;
  }
  drsnap::cli::CommandContext ctx;
  ctx.args.assign(argv + 2, argv + argc);
  ctx.out_is_terminal = isatty(fileno(stdout)) != 0;
  return cmd->run(ctx);
}
