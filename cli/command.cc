#include "cli/command.h"

#include <algorithm>

#include "aws/rate_limiter.h"
#include "cli/remote_clock.h"
#include "cloud/aws_cloud.h"
#include "cloud/decorators.h"

namespace drsnap::cli {

namespace {
std::vector<CommandInfo>& Registry() {
  static std::vector<CommandInfo> r;
  return r;
}
}  // namespace

bool RegisterCommand(CommandInfo info) {
  auto& r = Registry();
  std::erase_if(r, [&](const CommandInfo& c) { return c.name == info.name; });
  r.push_back(std::move(info));
  std::ranges::sort(r, {}, &CommandInfo::name);
  return true;
}

const std::vector<CommandInfo>& Commands() { return Registry(); }

const CommandInfo* FindCommand(std::string_view name) {
  for (const auto& c : Registry())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<FlagSpec> GlobalFlags() {
  return {
      {"config", true, "FILE", "the policy file (default: $DRSNAP_CONFIG, else ./drsnap.yaml)"},
      {"log-format", true, "text|json", "log line format on stderr (default text)"},
      {"log-level", true, "debug|info|warn|error", "least severe level logged (default info)"},
      {"help", false, "", "show this help"},
  };
}

FlagSpec SideFlag() {
  return {"side", true, "source|vault|all",
          "the half of the pipeline to run: source (capture, share, expire staging copies), "
          "vault (vault copies and DR retention; observes only the DR accounts) or all "
          "(default: $DRSNAP_SIDE, else all)"};
}

Result<engine::Side> SideFromFlags(const ParsedFlags& flags, const Environment& env) {
  std::optional<std::string> flag = flags.Get("side");
  std::string text = flag ? *flag : env.Get("DRSNAP_SIDE").value_or("");
  auto side = engine::ParseSide(text);
  if (side) return side;
  return Fail(Error::Terminal("UsageError", std::string(flag ? "--side" : "DRSNAP_SIDE") + " '" +
                                                text + "' is not one of source, vault, all"));
}

bool ParsedFlags::Has(std::string_view name) const {
  return std::ranges::any_of(values, [&](const auto& kv) { return kv.first == name; });
}

std::optional<std::string> ParsedFlags::Get(std::string_view name) const {
  std::optional<std::string> v;
  for (const auto& [k, val] : values)
    if (k == name) v = val;  // the last one wins
  return v;
}

Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                               const std::vector<FlagSpec>& specs) {
  std::vector<FlagSpec> all = specs;
  for (auto& g : GlobalFlags()) all.push_back(g);
  ParsedFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a == "--") {
      if (a.rfind("-", 0) == 0 && a.size() > 1)
        return Fail(Error::Terminal(
            "UsageError", "unknown flag '" + a + "' (flags are spelled --name; see --help)"));
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = std::ranges::find(all, name, &FlagSpec::name);
    if (it == all.end()) {
      std::string known;
      for (const auto& s : specs) known += (known.empty() ? "--" : ", --") + s.name;
      return Fail(Error::Terminal("UsageError",
                                  "unknown flag '--" + name + "'" +
                                      (known.empty() ? "" : " (this command takes " + known + ")") +
                                      "; see --help"));
    }
    if (!it->takes_value) {
      if (value) return Fail(Error::Terminal("UsageError", "flag '--" + name + "' takes no value"));
      out.values.emplace_back(name, "");
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size())
        return Fail(Error::Terminal(
            "UsageError", "flag '--" + name + "' needs a value (" + it->value_name + ")"));
      value = args[++i];
    }
    out.values.emplace_back(name, *value);
  }
  return out;
}

std::string FormatHelp(std::string_view name, std::string_view usage, std::string_view description,
                       const std::vector<FlagSpec>& specs, std::string_view examples) {
  std::string out = "usage: drsnap " + std::string(name) + " " + std::string(usage) + "\n\n" +
                    std::string(description) + "\n\nflags:\n";
  auto add = [&](const FlagSpec& f) {
    std::string left = "  --" + f.name + (f.takes_value ? " " + f.value_name : "");
    if (left.size() < 34)
      left.resize(34, ' ');
    else
      left += "  ";
    out += left + f.help + "\n";
  };
  for (const auto& f : specs) add(f);
  for (const auto& f : GlobalFlags()) add(f);
  out += "\nexamples:\n" + std::string(examples);
  if (!out.ends_with('\n')) out += "\n";
  return out;
}

Status ApplyLogFlags(const ParsedFlags& flags) {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  if (auto v = flags.Get("log-level")) {
    auto l = ParseLogLevel(*v);
    if (!l)
      return Fail(Error::Terminal(
          "UsageError", "--log-level '" + *v + "' is not one of debug, info, warn, error"));
    level = *l;
  }
  if (auto v = flags.Get("log-format")) {
    auto f = ParseLogFormat(*v);
    if (!f)
      return Fail(Error::Terminal("UsageError", "--log-format '" + *v + "' is not text or json"));
    format = *f;
  }
  Log().Configure(level, format);
  return OkStatus();
}

FlagSpec ClockUrlFlag() {
  return {"clock-url", true, "URL",
          "reconcile clock from a drsnap-sim (e.g. http://127.0.0.1:4566/_sim/time), to rehearse "
          "on virtual time; default $DRSNAP_CLOCK_URL, else the wall clock"};
}

Status ApplyClockFlag(CommandContext& ctx, const ParsedFlags& flags) {
  std::optional<std::string> url = flags.Get("clock-url");
  if (!url) url = ctx.env->GetNonEmpty("DRSNAP_CLOCK_URL");
  if (!url) return OkStatus();
  RemoteClockOptions o;
  o.url = *url;
  o.allow_remote = ctx.env->Get("DRSNAP_CLOCK_URL_ALLOW_REMOTE").value_or("") == "true";
  DRSNAP_ASSIGN_OR_RETURN(ctx.clock, MakeRemoteClock(std::move(o)));
  return OkStatus();
}

std::string ConfigPath(const ParsedFlags& flags, const Environment& env) {
  if (auto v = flags.Get("config")) return *v;
  if (auto v = env.GetNonEmpty("DRSNAP_CONFIG")) return *v;
  return "drsnap.yaml";
}

Result<config::Config> LoadConfigFromFlags(const ParsedFlags& flags, const Environment& env) {
  std::string path = ConfigPath(flags, env);
  auto c = config::LoadConfigFile(path);
  if (!c) {
    Error e = std::move(c).error();
    if (e.hint.empty() && e.code == "ConfigUnreadable")
      e.hint = "pass --config FILE or set DRSNAP_CONFIG (see docs/configuration.md)";
    return Fail(std::move(e));
  }
  return c;
}

CloudFactory DefaultCloudFactory(std::shared_ptr<Environment> env, std::shared_ptr<Clock> clock) {
  (void)clock;  // the reconcile clock; signing and backoff always use the wall clock
  return [env](const config::Config& cfg) -> Result<std::shared_ptr<engine::Cloud>> {
    // One registry for the whole process: every account-region has exactly
    // one bucket, shared by every worker and every Cloud.
    static std::shared_ptr<aws::RateLimiterRegistry> registry =
        std::make_shared<aws::RateLimiterRegistry>(aws::RateLimiterOptions{}, DefaultClock());
    cloud::AwsCloudFactoryOptions o;
    o.env = env;
    // The account drsnap runs in (set by the CloudFormation templates): it
    // is reached with the ambient credentials, whatever the file says.
    o.own_account_id = env->GetNonEmpty("DRSNAP_ACCOUNT_ID").value_or("");
    if (!o.own_account_id.empty() &&
        (o.own_account_id.size() != 12 ||
         !std::ranges::all_of(o.own_account_id, [](char c) { return c >= '0' && c <= '9'; })))
      return Fail(Error::Terminal("UsageError", "DRSNAP_ACCOUNT_ID '" + o.own_account_id +
                                                    "' is not a 12-digit AWS account id"));
    o.rate_limiters = [](const std::string& account, const std::string& region) {
      return registry->ForScope(account, region);
    };
    DRSNAP_ASSIGN_OR_RETURN(auto multi, cloud::MakeAwsClouds(cfg, o));
    return std::shared_ptr<engine::Cloud>(std::make_shared<cloud::LoggingCloud>(multi));
  };
}

int Usage(CommandContext& ctx, std::string_view name, std::string_view message) {
  if (Log().format() == LogFormat::kJson) {
    // --log-format json was applied: a JSON log stream holds JSON lines only.
    LogError(message, {{"command", name}, {"code", "UsageError"}, {"exit_code", 2}});
    return 2;
  }
  std::fprintf(ctx.err, "drsnap %.*s: %.*s\n", static_cast<int>(name.size()), name.data(),
               static_cast<int>(message.size()), message.data());
  return 2;
}

int Failure(CommandContext& ctx, std::string_view name, const Error& e, int code) {
  std::string msg = e.code == "ConfigInvalid" || e.code == "UsageError" ? e.message : e.ToString();
  if (Log().format() == LogFormat::kJson) {
    // A JSON log stream holds JSON lines only: the error is one of them.
    LogFields f{{"command", name}, {"code", e.code}, {"exit_code", code}};
    if (!e.hint.empty() && msg.find(e.hint) == std::string::npos) f.emplace_back("hint", e.hint);
    LogError(msg, f);
    return code;
  }
  std::fprintf(ctx.err, "drsnap %.*s: %s\n", static_cast<int>(name.size()), name.data(),
               msg.c_str());
  if (!e.hint.empty() && msg.find(e.hint) == std::string::npos)
    std::fprintf(ctx.err, "hint: %s\n", e.hint.c_str());
  return code;
}

void FillDefaults(CommandContext& ctx) {
  if (!ctx.env) ctx.env = DefaultEnvironment();
  if (!ctx.clock) ctx.clock = DefaultClock();
  if (!ctx.make_cloud) ctx.make_cloud = DefaultCloudFactory(ctx.env, ctx.clock);
}

}  // namespace drsnap::cli

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace drsnap::cli {

Result<std::unique_ptr<engine::Reconciler>> MakeReconciler(CommandContext& ctx,
                                                           const ParsedFlags& flags) {
  FillDefaults(ctx);
  DRSNAP_RETURN_IF_ERROR(ApplyClockFlag(ctx, flags));
  DRSNAP_ASSIGN_OR_RETURN(auto cfg, LoadConfigFromFlags(flags, *ctx.env));
  DRSNAP_ASSIGN_OR_RETURN(auto cloud, ctx.make_cloud(cfg));
  return std::make_unique<engine::Reconciler>(std::move(cloud), std::move(cfg), ctx.clock);
}

std::atomic<bool>& StopFlag() {
  static std::atomic<bool> stop{false};
  return stop;
}

namespace {

// The handler may not take the logger's lock or allocate: it only sets the
// flag and writes the signal's number (one byte) to this pipe, from which
// StopNotice's thread logs the notice. -1 until InstallStopHandlers.
int g_stop_pipe[2] = {-1, -1};

extern "C" void DrsnapStopHandler(int sig) {
  if (StopFlag().exchange(true)) _exit(130);
  if (g_stop_pipe[1] >= 0) {
    const char b = static_cast<char>(sig);
    ssize_t n = write(g_stop_pipe[1], &b, 1);  // non-blocking: never waits in a handler
    (void)n;
  }
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
  }
  return "signal";
}

}  // namespace

void InstallStopHandlers() {
  static const bool piped = [] {
    if (pipe2(g_stop_pipe, O_CLOEXEC) != 0) {
      g_stop_pipe[0] = g_stop_pipe[1] = -1;
      return false;
    }
    // Both ends non-blocking: the handler never waits, and ~StopNotice can
    // drain what is left without blocking (the thread waits in poll()).
    for (int fd : g_stop_pipe) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return true;
  }();
  (void)piped;
  struct sigaction sa {};
  sa.sa_handler = DrsnapStopHandler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

StopNotice::StopNotice() {
  if (g_stop_pipe[0] < 0) return;  // InstallStopHandlers not called, or no pipe
  thread_ = std::thread([] {
    for (;;) {
      pollfd p{g_stop_pipe[0], POLLIN, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return;
      char b = 0;
      ssize_t n = read(g_stop_pipe[0], &b, 1);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n != 1 || b == 0) return;  // 0: the destructor's wake-up
      LogInfo("stopping", {{"signal", SignalName(b)},
                           {"detail", "finishing what is in flight; signal again to abort"}});
      return;  // a second signal exits the process (130)
    }
  });
}

StopNotice::~StopNotice() {
  if (!thread_.joinable()) return;
  const char b = 0;
  ssize_t n = write(g_stop_pipe[1], &b, 1);
  (void)n;
  thread_.join();
  // Leave the pipe empty for the next StopNotice (a wake-up byte is left
  // when the thread had already logged a signal and returned).
  char drain[16];
  while (read(g_stop_pipe[0], drain, sizeof drain) > 0) {
  }
}

Result<int> PositiveIntFlag(const ParsedFlags& flags, std::string_view name, int fallback) {
  auto v = flags.Get(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used == v->size() && n > 0) return n;
  } catch (...) {
  }
  return Fail(Error::Terminal(
      "UsageError", "--" + std::string(name) + " '" + *v + "' is not a positive whole number"));
}

}  // namespace drsnap::cli
