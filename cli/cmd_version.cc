// drsnap version (also `drsnap --version`): the version of this build.
#include <cstdio>

#include "cli/command.h"

// The project version of the top-level CMakeLists.txt (project(... VERSION)),
// set for this file alone in cli/CMakeLists.txt: the one place it is written.
#ifndef DRSNAP_VERSION
#error "DRSNAP_VERSION must be defined by the build (cli/CMakeLists.txt)"
#endif

namespace drsnap::cli {

std::string_view Version() { return DRSNAP_VERSION; }

namespace {

int RunVersionCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, {});
  if (!flags) return Usage(ctx, "version", flags.error().message);
  if (flags->help) {
    std::fputs(FormatHelp("version", "", "Prints drsnap's version and exits 0.", {},
                          "  drsnap version\n  drsnap --version\n")
                   .c_str(),
               ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "version", "unexpected argument '" + flags->positional[0] + "'; see --help");
  std::fprintf(ctx.out, "drsnap %.*s\n", static_cast<int>(Version().size()), Version().data());
  return 0;
}

}  // namespace

DRSNAP_REGISTER_COMMAND("version", "print the version (also --version)", RunVersionCommand);

}  // namespace drsnap::cli
