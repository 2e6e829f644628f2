// drsnap-sim: the simulated RDS, STS and KMS endpoint on its own.
// See docs/sim.md and `drsnap-sim --help`.

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "core/log.h"
#include "sim/server.h"
#include "sim/simulator.h"

namespace {

constexpr const char* kUsage =
    R"(drsnap-sim: a local RDS, STS and KMS endpoint for drsnap (and any AWS client)

Usage:
  drsnap-sim [--port N] [--world FILE] [--state FILE] [options]

One port serves every service (rds, sts, kms) and every region: the region and
service come from each request's SigV4 credential scope. Requests must be
signed with access keys that the world defines. The admin API lives under
/_sim/ on the same port (no signature): see docs/sim.md.

The first line on stdout is "drsnap-sim listening on http://HOST:PORT", so a
script can start it with --port 0 and read the port back.

Options:
  --port N             port to listen on; 0 picks a free one (default 0)
  --host ADDR          address to bind (default 127.0.0.1). Anything else makes
                       the simulator reachable from other hosts (a warning is
                       printed); the admin API still answers loopback peers only
  --allow-remote-admin let other hosts use the admin API too: it has no
                       authentication and hands out every secret key of the world
  --world FILE         world file (YAML or JSON): accounts, keys, regions, DBs
  --state FILE         saved state: loaded at start when FILE exists (instead of
                       --world), written on SIGINT/SIGTERM
  --time-rate R        run the virtual clock at R x real time (default 0: it
                       only moves through POST /_sim/time/advance)
  --throttle           enable API throttling: a token bucket per service x
                       account x region, burst 300, refill 12/s (real time)
  --throttle-burst N   bucket size (default 300; implies --throttle)
  --throttle-rate R    refill per second (default 12; implies --throttle)
  --fail-rate P        probability 0..1 of answering 503 instead of executing
  --drop-rate P        probability 0..1 of closing the connection unanswered
  --latency-ms N       added latency per request, in real milliseconds
  --seed N             seed of the fault PRNG (default 1)
  --signature-clock C  what X-Amz-Date skew is checked against: wall (default:
                       real time, as clients sign with their real clock),
                       simulator (the virtual clock), or off
  --event-target URL   POST every new event as JSON to URL (loopback only)
  --threads N          worker threads (default 32; each open connection holds one)
  --max-body-bytes N   refuse larger request bodies with 413 (default 16777216)
  --read-timeout-ms N  drop a connection that sends nothing for N ms, also in the
                       middle of a request (default 5000); a request body must
                       arrive within 10 s in all
  --log-requests       log one line per AWS request to stderr
  --help               this text

Examples:
  drsnap-sim --port 4566 --world testdata/sim/two_accounts.yaml
  AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
    aws rds describe-db-snapshots --endpoint-url http://127.0.0.1:4566 --region eu-west-1
  curl -s -X POST localhost:4566/_sim/time/advance -d '{"seconds":3600}'
)";

struct Flags {
  int port = 0;
  std::string host = "127.0.0.1";
  std::string world;
  std::string state;
  drsnap::sim::ServerOptions options;
};

bool ParseDouble(std::string_view s, double* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseInt(std::string_view s, long long* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Returns an error message, or nullopt when the flags are fine.
std::optional<std::string> ParseFlags(int argc, char** argv, Flags* f, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    auto need_value = [&]() -> std::optional<std::string_view> {
      if (has_inline) return value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    auto missing = [&] { return std::string(arg) + " needs a value"; };
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return std::nullopt;
    } else if (arg == "--throttle") {
      f->options.faults.throttle = true;
    } else if (arg == "--log-requests") {
      f->options.log_requests = true;
    } else if (arg == "--allow-remote-admin") {
      f->options.allow_remote_admin = true;
    } else {
      static constexpr std::string_view kValueFlags[] = {
          "--port",         "--host",           "--world",          "--state",
          "--time-rate",    "--throttle-burst", "--throttle-rate",  "--fail-rate",
          "--drop-rate",    "--latency-ms",     "--seed",           "--signature-clock",
          "--event-target", "--threads",        "--max-body-bytes", "--read-timeout-ms"};
      if (std::find(std::begin(kValueFlags), std::end(kValueFlags), arg) == std::end(kValueFlags)) {
        return "unknown flag " + std::string(arg) + " (see --help)";
      }
      std::optional<std::string_view> v = need_value();
      if (!v) return missing();
      long long n = 0;
      double d = 0;
      if (arg == "--port") {
        if (!ParseInt(*v, &n) || n < 0 || n > 65535) return "--port must be 0..65535";
        f->port = static_cast<int>(n);
      } else if (arg == "--host") {
        f->host = std::string(*v);
      } else if (arg == "--world") {
        f->world = std::string(*v);
      } else if (arg == "--state") {
        f->state = std::string(*v);
      } else if (arg == "--time-rate") {
        if (!ParseDouble(*v, &d) || d < 0) return "--time-rate must be a number >= 0";
        f->options.time_rate = d;
      } else if (arg == "--throttle-burst") {
        if (!ParseDouble(*v, &d) || d < 0) return "--throttle-burst must be a number >= 0";
        f->options.faults.throttle = true;
        f->options.faults.throttle_burst = d;
      } else if (arg == "--throttle-rate") {
        if (!ParseDouble(*v, &d) || d < 0) return "--throttle-rate must be a number >= 0";
        f->options.faults.throttle = true;
        f->options.faults.throttle_rate = d;
      } else if (arg == "--fail-rate") {
        if (!ParseDouble(*v, &d) || d < 0 || d > 1) return "--fail-rate must be between 0 and 1";
        f->options.faults.error_rate = d;
      } else if (arg == "--drop-rate") {
        if (!ParseDouble(*v, &d) || d < 0 || d > 1) return "--drop-rate must be between 0 and 1";
        f->options.faults.drop_rate = d;
      } else if (arg == "--latency-ms") {
        if (!ParseInt(*v, &n) || n < 0 || n > 600000) return "--latency-ms must be 0..600000";
        f->options.faults.latency_ms = n;
      } else if (arg == "--seed") {
        if (!ParseInt(*v, &n) || n < 0) return "--seed must be a non-negative integer";
        f->options.faults.seed = static_cast<uint64_t>(n);
      } else if (arg == "--signature-clock") {
        auto ref = drsnap::sim::ParseSkewReference(*v);
        if (!ref) return "--signature-clock must be wall, simulator or off";
        f->options.auth.skew_reference = *ref;
      } else if (arg == "--event-target") {
        f->options.event_target_url = std::string(*v);
      } else if (arg == "--max-body-bytes") {
        if (!ParseInt(*v, &n) || n < 1024 || n > (1LL << 34))
          return "--max-body-bytes must be 1024..17179869184";
        f->options.max_body_bytes = static_cast<size_t>(n);
      } else if (arg == "--read-timeout-ms") {
        if (!ParseInt(*v, &n) || n < 10 || n > 3600000)
          return "--read-timeout-ms must be 10..3600000";
        f->options.read_timeout = std::chrono::milliseconds(n);
      } else if (arg == "--threads") {
        if (!ParseInt(*v, &n) || n < 1 || n > 1024) return "--threads must be 1..1024";
        f->options.threads = static_cast<int>(n);
      } else {
        return "unknown flag " + std::string(arg) + " (see --help)";
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes atomically: a temporary file next to path, then rename. The file
// holds every secret key of the world: readable by its owner only (0600).
bool WriteFileAtomically(const std::string& path, const std::string& data, std::string* error) {
  std::string tmp = path + ".tmp";
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      *error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
    bool ok = ::fchmod(fd, 0600) == 0;  // a leftover tmp file may have had other modes
    for (size_t done = 0; ok && done < data.size();) {
      ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
    ok = ::fsync(fd) == 0 && ok;
    if (::close(fd) != 0) ok = false;
    if (!ok) {
      *error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    *error = "cannot rename " + tmp + " to " + path + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  bool help = false;
  if (auto err = ParseFlags(argc, argv, &flags, &help)) {
    std::fprintf(stderr, "drsnap-sim: %s\n", err->c_str());
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  std::unique_ptr<drsnap::sim::Simulator> sim;
  bool from_state = false;
  if (!flags.state.empty() && std::filesystem::exists(flags.state)) {
    std::optional<std::string> text = ReadFile(flags.state);
    if (!text) {
      std::fprintf(stderr, "drsnap-sim: cannot read state file %s\n", flags.state.c_str());
      return 1;
    }
    sim = drsnap::sim::Simulator::Empty();
    drsnap::Status st = sim->LoadStateJson(*text);
    if (!st) {
      std::fprintf(stderr, "drsnap-sim: loading state %s: %s\n", flags.state.c_str(),
                   st.error().ToString().c_str());
      return 1;
    }
    from_state = true;
  } else if (!flags.world.empty()) {
    auto loaded = drsnap::sim::Simulator::FromWorldFile(flags.world);
    if (!loaded) {
      std::fprintf(stderr, "drsnap-sim: %s\n", loaded.error().ToString().c_str());
      return 1;
    }
    sim = std::move(*loaded);
  } else {
    sim = drsnap::sim::Simulator::Empty();
    std::fprintf(stderr,
                 "drsnap-sim: no --world given: starting with no accounts (load one with "
                 "POST /_sim/world)\n");
  }

  // SIGINT/SIGTERM are taken synchronously by this thread (sigwait); every
  // thread started from here on inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  flags.options.host = flags.host;
  flags.options.port = flags.port;
  std::shared_ptr<drsnap::sim::Simulator> shared(std::move(sim));
  auto server = drsnap::sim::Server::Start(shared, flags.options);
  if (!server) {
    std::fprintf(stderr, "drsnap-sim: %s\n", server.error().ToString().c_str());
    return 1;
  }
  std::printf("drsnap-sim listening on %s\n", (*server)->listen_url().c_str());
  std::fflush(stdout);
  if (!drsnap::sim::IsLoopbackHost(flags.host)) {
    std::fprintf(stderr,
                 "drsnap-sim: WARNING: listening on %s, reachable from other hosts. Anyone who "
                 "can reach this port can call the simulated AWS APIs with the world's keys%s.\n",
                 flags.host.c_str(),
                 flags.options.allow_remote_admin
                     ? ", and the admin API (no authentication) hands out every secret key "
                       "(GET /_sim/state) and can replace the world"
                     : "; the admin API answers loopback peers only");
  }
  drsnap::LogInfo("drsnap-sim started",
                  {{"endpoint", (*server)->endpoint()},
                   {"source", from_state            ? "state " + flags.state
                              : flags.world.empty() ? std::string("empty")
                                                    : "world " + flags.world}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  drsnap::LogInfo("drsnap-sim stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*server)->Stop();
  if (!flags.state.empty()) {
    std::string error;
    if (!WriteFileAtomically(flags.state, shared->DumpStateJson(), &error)) {
      std::fprintf(stderr, "drsnap-sim: saving state: %s\n", error.c_str());
      return 1;
    }
    drsnap::LogInfo("drsnap-sim saved state", {{"file", flags.state}});
  }
  return 0;
}
