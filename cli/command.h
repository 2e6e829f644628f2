// The CLI's commands: each lives in its own file (cmd_plan.cc, cmd_apply.cc,
// cmd_run.cc, cmd_status.cc, cmd_validate.cc, cmd_version.cc; demo and
// lambda by their owners) and registers
// itself with DRSNAP_REGISTER_COMMAND; drsnap_main.cc only dispatches. The drsnap
// binary links drsnap_cli whole, so every registered command is present.
//
// Exit codes: 0 success; 1 the command ran but found a problem (failed
// actions, RPO at risk); 2 bad usage, bad config, or RPO breached/unknown.
//
// Thread safety: the registry is filled during static initialisation and
// read-only afterwards.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/error.h"
#include "core/log.h"
#include "engine/cloud.h"
#include "engine/side.h"

namespace drsnap::cli {

// Builds the Cloud for a config (test seam; default: AWS via cloud/aws_cloud.h
// with one rate limiter registry for the process and the logging decorator).
using CloudFactory = std::function<Result<std::shared_ptr<engine::Cloud>>(const config::Config&)>;

// What every command gets.
struct CommandContext {
  std::vector<std::string> args;  // after the command name
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  std::shared_ptr<Environment> env;  // null: process environment
  std::shared_ptr<Clock> clock;      // null: system clock
  CloudFactory make_cloud;           // null: DefaultCloudFactory
  bool out_is_terminal = false;      // set by main (isatty)
};

struct CommandInfo {
  std::string name;
  std::string summary;  // one line for `drsnap --help`
  std::function<int(CommandContext&)> run;
};

// Registry.
bool RegisterCommand(CommandInfo info);
const std::vector<CommandInfo>& Commands();
const CommandInfo* FindCommand(std::string_view name);

#define DRSNAP_CONCAT2_(a, b) a##b
#define DRSNAP_CONCAT1_(a, b) DRSNAP_CONCAT2_(a, b)
#define DRSNAP_REGISTER_COMMAND(name, summary, fn)                          \
  static const bool DRSNAP_CONCAT1_(drsnap_command_registered_, __LINE__) = \
      ::drsnap::cli::RegisterCommand(::drsnap::cli::CommandInfo{name, summary, fn})

// ------------------------------------------------------------- flags

// A flag a command accepts: "--name value" or "--name=value"; boolean flags
// take no value.
struct FlagSpec {
  std::string name;  // without "--"
  bool takes_value = true;
  std::string value_name;  // for help ("FILE")
  std::string help;
};

// The flags every command accepts.
std::vector<FlagSpec> GlobalFlags();

struct ParsedFlags {
  std::vector<std::pair<std::string, std::string>> values;  // name -> value ("" for booleans)
  std::vector<std::string> positional;
  bool help = false;
  bool Has(std::string_view name) const;
  std::optional<std::string> Get(std::string_view name) const;
};

// Parses args against `specs` + GlobalFlags(). Unknown flags and missing
// values are one clear sentence (code "UsageError").
Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                               const std::vector<FlagSpec>& specs);

// Help text: "usage: drsnap NAME [flags]\n\n<description>\n\nflags:\n..." with
// the global flags, then "example:" lines.
std::string FormatHelp(std::string_view name, std::string_view usage, std::string_view description,
                       const std::vector<FlagSpec>& specs, std::string_view examples);

// Applies --log-format / --log-level to the process logger. Usage error when invalid.
Status ApplyLogFlags(const ParsedFlags& flags);

// --config, else $DRSNAP_CONFIG, else ./drsnap.yaml.
std::string ConfigPath(const ParsedFlags& flags, const Environment& env);

// The --side flag (plan, apply, run): which half of the pipeline this
// process runs (engine/side.h).
FlagSpec SideFlag();
// --side, else $DRSNAP_SIDE, else all. Usage error for anything else.
Result<engine::Side> SideFromFlags(const ParsedFlags& flags, const Environment& env);

// The --clock-url flag (plan, apply, run, status, verify): take the
// reconcile clock from a drsnap-sim (cli/remote_clock.h) to rehearse a
// pipeline on the simulator's virtual time.
FlagSpec ClockUrlFlag();
// --clock-url, else $DRSNAP_CLOCK_URL: replaces ctx.clock with the rehearsal
// clock; neither set: ctx.clock is left alone. A URL that is not loopback is
// refused unless $DRSNAP_CLOCK_URL_ALLOW_REMOTE is "true".
// REQUIRES: FillDefaults(ctx) ran.
Status ApplyClockFlag(CommandContext& ctx, const ParsedFlags& flags);

// Loads the config named by the flags.
Result<config::Config> LoadConfigFromFlags(const ParsedFlags& flags, const Environment& env);

// The process-wide default: AwsCloud per account (MakeAwsClouds) with a
// shared RateLimiterRegistry and LoggingCloud on top.
CloudFactory DefaultCloudFactory(std::shared_ptr<Environment> env, std::shared_ptr<Clock> clock);

// Prints "drsnap NAME: <message>" (plus hint) to err and returns `code`;
// with --log-format json applied (ApplyLogFlags), logs it as one JSON line
// at level error instead (to the logger's stream, stderr).
int Usage(CommandContext& ctx, std::string_view name, std::string_view message);
int Failure(CommandContext& ctx, std::string_view name, const Error& e, int code = 2);

// Resolves ctx's defaults (env, clock, make_cloud).
void FillDefaults(CommandContext& ctx);

}  // namespace drsnap::cli

#include "engine/reconcile.h"

namespace drsnap::cli {

// Loads the config named by the flags, builds the Cloud, and makes a
// Reconciler. Errors are ready to print (Failure()).
Result<std::unique_ptr<engine::Reconciler>> MakeReconciler(CommandContext& ctx,
                                                           const ParsedFlags& flags);

// Installs SIGINT/SIGTERM handlers that set StopFlag() (a second signal
// exits at once with status 130). Idempotent. The handler writes nothing to
// stderr itself (a JSON log stream must hold only JSON lines): the notice
// that drsnap is stopping is logged by a StopNotice.
void InstallStopHandlers();
std::atomic<bool>& StopFlag();

// While alive (after InstallStopHandlers), logs "stopping" with the
// signal's name through the process logger when the first SIGINT/SIGTERM
// arrives, from a thread of its own, at once, whatever the command is doing.
// One per command that installs the handlers; not copyable.
class StopNotice {
 public:
  StopNotice();
  ~StopNotice();
  StopNotice(const StopNotice&) = delete;
  StopNotice& operator=(const StopNotice&) = delete;

 private:
  std::thread thread_;
};

// The commands (also reachable through the registry).
int RunPlanCommand(CommandContext& ctx);
int RunApplyCommand(CommandContext& ctx);
int RunRunCommand(CommandContext& ctx);
int RunStatusCommand(CommandContext& ctx);

// drsnap's version: the project version in the top-level CMakeLists.txt.
std::string_view Version();

// Parses a positive integer flag value; usage error naming the flag otherwise.
Result<int> PositiveIntFlag(const ParsedFlags& flags, std::string_view name, int fallback);

}  // namespace drsnap::cli
