// drsnap as a Lambda function: cold start and memory of the `drsnap lambda`
// process (the binary Lambda's bootstrap execs), measured from outside.
//
// BM_ColdStartToFirstNext: process start (posix_spawn) to the first
//   GET /2018-06-01/runtime/invocation/next the process sends to a loopback
//   fake of the Runtime API, which timestamps it. Each iteration is one fresh
//   process (config load, AWS clouds built, Reconciler made). Goal < 10 ms.
// BM_InvocationPeakRss: one scheduled invocation reconciling a world of 50 DB
//   instances in drsnap-sim (a production and a DR account, captures of 50
//   automated snapshots); reports the process's VmHWM (peak RSS) read from
//   /proc/PID/status after the response, before the process is ended. Goal
//   < 15 MB.
//
// The binary: $DRSNAP_BIN, else ../cli/drsnap-lambda next to this program
// (the lean link scripts/package-lambda packages; cli/CMakeLists.txt).
// $DRSNAP_BOOTSTRAP (an unzipped package's bootstrap) adds the cold start
// through the packaged loader, and BM_InvocationPeakRss then runs the package.
// $DRSNAP_SMAPS_OUT: BM_InvocationPeakRss also copies the process's
// /proc/PID/smaps there after the response (per-mapping Rss, for the
// breakdown in docs/benchmarks.md). Use a Release build; the commands are in
// docs/benchmarks.md. Cold start: 50 processes per benchmark; median_ms /
// p90_ms / min_ms counters.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/time_util.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

std::string DrsnapBinary() {
  if (const char* b = std::getenv("DRSNAP_BIN")) return b;
  return (fs::read_symlink("/proc/self/exe").parent_path() / ".." / "cli" / "drsnap-lambda")
      .string();
}

// The Runtime API, reduced to what a bench needs: hands out queued events,
// records when the first /next arrived and the responses.
class RuntimeApi {
 public:
  RuntimeApi() {
    server_.Get("/2018-06-01/runtime/invocation/next", [this](const httplib::Request&,
                                                              httplib::Response& res) {
      std::unique_lock l(mu_);
      if (!first_next_) first_next_ = Steady::now();
      cv_.notify_all();
      // A killed process's poll must not hold a server thread:
      // Reset() ends the polls of the previous generation.
      int generation = generation_;
      cv_.wait(l, [&] { return stop_ || !queue_.empty() || generation != generation_; });
      if (stop_ || generation != generation_) {
        res.status = 500;
        return;
      }
      std::string ev = queue_.front();
      queue_.erase(queue_.begin());
      long long deadline =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              (std::chrono::system_clock::now() + std::chrono::minutes(15)).time_since_epoch())
              .count();
      res.set_header("Lambda-Runtime-Aws-Request-Id", "req-" + std::to_string(++ids_));
      res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(deadline));
      res.set_content(ev, "application/json");
    });
    server_.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/(response|error))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard l(mu_);
                   responses_.push_back(std::string(req.matches[2]) + " " + req.body);
                   cv_.notify_all();
                   res.status = 202;
                 });
    server_.Post("/2018-06-01/runtime/init/error",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard l(mu_);
                   responses_.push_back("init-error " + req.body);
                   cv_.notify_all();
                   res.status = 202;
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RuntimeApi() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    server_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Reset() {
    std::lock_guard l(mu_);
    first_next_.reset();
    responses_.clear();
    ++generation_;
    cv_.notify_all();
  }
  void Push(std::string ev) {
    std::lock_guard l(mu_);
    queue_.push_back(std::move(ev));
    cv_.notify_all();
  }
  std::optional<Steady::time_point> WaitFirstNext(std::chrono::seconds timeout) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, timeout, [this] { return first_next_.has_value() || !responses_.empty(); });
    return first_next_;
  }
  std::vector<std::string> WaitResponses(size_t n, std::chrono::seconds timeout) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, timeout, [&] { return responses_.size() >= n; });
    return responses_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Steady::time_point> first_next_;
  std::vector<std::string> queue_, responses_;
  bool stop_ = false;
  int ids_ = 0;
  int generation_ = 0;
};

pid_t Spawn(const std::vector<std::string>& argv_in, const std::vector<std::string>& env_in,
            const std::string& log) {
  std::vector<std::string> argv_s = argv_in, env_s = env_in;
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

std::string ReadText(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[512];
    size_t n = std::fread(buf, 1, sizeof buf, f);
    out.assign(buf, n);
    std::fclose(f);
  }
  return out;
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// A "Name:   123 kB" field of /proc/PID/status, in kB (0 when unreadable).
long StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}
long VmHwmKb(pid_t pid) { return StatusKb(pid, "VmHWM"); }

// prod with `dbs` encrypted instances (daily backups at 04:00), the DR
// account with its eu-west-1 key; one-step copies.
std::string WorldYaml(int dbs) {
  std::string instances;
  for (int i = 0; i < dbs; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "db-%03d", i);
    instances += drsnap::testing::CustomerKeyInstance(id);
  }
  drsnap::testing::SimWorld w = drsnap::testing::ProdAndVault(instances);
  w.settings = "{copy_rule: one-step}";
  w.Account("vault").keys = {drsnap::testing::Key("vault", "eu-west-1")};
  return w.Yaml();
}

// The profiles, no endpoint_url (AWS_ENDPOINT_URL), no hop (one-step).
const std::string kPolicy = drsnap::testing::SimPolicy{
    .endpoint = "",
    .targets = {drsnap::testing::SimTarget{
        .hop = false}}}.Yaml();

// A temp dir with the policy and AWS shared files for the accounts.
struct Setup {
  drsnap::testing::TempDir temp{"drsnap-lambda-bench"};
  const std::string dir = temp.path();
  Setup() {
    std::ofstream(dir + "/drsnap.yaml") << kPolicy;
    (void)drsnap::testing::WriteAwsProfiles(dir);
  }
  std::vector<std::string> Env(const std::string& api, const std::string& endpoint) const {
    std::vector<std::string> env = drsnap::testing::AwsProfileEnv(dir);
    env.insert(env.end(),
               {"AWS_LAMBDA_RUNTIME_API=" + api, "DRSNAP_CONFIG=" + dir + "/drsnap.yaml",
                "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=" + endpoint, "DRSNAP_LOG_FORMAT=json"});
    return env;
  }
};

void ColdStart(benchmark::State& state, std::vector<std::string> command) {
  Setup setup;
  RuntimeApi api;
  std::string log = setup.dir + "/cold.log";
  std::vector<double> ms;
  long idle_kb = 0;
  for (auto _ : state) {
    api.Reset();
    auto t0 = Steady::now();
    pid_t pid = Spawn(command, setup.Env(api.address(), "http://127.0.0.1:9"), log);
    auto first = api.WaitFirstNext(std::chrono::seconds(10));
    if (first) idle_kb = VmHwmKb(pid);
    KillAndReap(pid);
    if (!first) {
      std::string text = ReadText(log);
      state.SkipWithError(("no /next request: " + text.substr(0, 400)).c_str());
      break;
    }
    double seconds = std::chrono::duration<double>(*first - t0).count();
    ms.push_back(seconds * 1000.0);
    state.SetIterationTime(seconds);
  }
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    state.counters["median_ms"] = ms[ms.size() / 2];
    state.counters["p90_ms"] = ms[ms.size() * 9 / 10];
    state.counters["min_ms"] = ms.front();
    state.counters["rss_at_first_next_MB"] = static_cast<double>(idle_kb) / 1024.0;
  }
}

void BM_InvocationPeakRss(benchmark::State& state) {
  drsnap::Log().Configure(drsnap::LogLevel::kWarn, drsnap::LogFormat::kText);
  const int dbs = static_cast<int>(state.range(0));
  Setup setup;
  RuntimeApi api;
  std::string log = setup.dir + "/rss.log";
  long peak_kb = 0, anon_kb = 0, file_kb = 0;
  int actions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto sim = drsnap::testing::StartSimServer(WorldYaml(dbs));
    if (!sim) {
      state.SkipWithError(sim.error().ToString().c_str());
      break;
    }
    sim->sim->SetTime(
        *drsnap::ParseIso8601("2026-11-23T05:00:00Z"));  // 50 automated snapshots exist
    api.Reset();
    api.Push(R"({"version":"0","id":"s","detail-type":"Scheduled Event","source":"aws.events",)"
             R"("account":"111111111111","time":"2026-11-23T05:00:00Z","region":"us-east-1",)"
             R"("resources":[],"detail":{}})");
    state.ResumeTiming();
    std::vector<std::string> command = {DrsnapBinary(), "lambda"};
    if (const char* boot = std::getenv("DRSNAP_BOOTSTRAP")) command = {boot};
    pid_t pid = Spawn(command, setup.Env(api.address(), sim->server->endpoint()), log);
    auto responses = api.WaitResponses(1, std::chrono::seconds(120));
    // The process is parked in its next /next: its high-water mark is final.
    state.PauseTiming();
    peak_kb = VmHwmKb(pid);
    anon_kb = StatusKb(pid, "RssAnon");
    file_kb = StatusKb(pid, "RssFile");
    if (const char* out = std::getenv("DRSNAP_SMAPS_OUT")) {
      std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
      std::ofstream(out) << smaps.rdbuf();
    }
    KillAndReap(pid);
    if (responses.empty() || responses[0].rfind("response ", 0) != 0) {
      std::string text = ReadText(log);
      state.SkipWithError(("invocation failed: " + text.substr(0, 400)).c_str());
      break;
    }
    auto pos = responses[0].find("\"done\":");
    if (pos != std::string::npos) actions = std::atoi(responses[0].c_str() + pos + 7);
    sim->server->Stop();
    state.ResumeTiming();
  }
  state.counters["peak_rss_MB"] = static_cast<double>(peak_kb) / 1024.0;
  state.counters["actions_done"] = actions;
  // After the invocation (the process is parked in /next): anonymous memory
  // (heap, stacks) and file-backed pages (code and data of the libraries).
  state.counters["rss_anon_MB"] = static_cast<double>(anon_kb) / 1024.0;
  state.counters["rss_file_MB"] = static_cast<double>(file_kb) / 1024.0;
}
BENCHMARK(BM_InvocationPeakRss)->Arg(50)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("BM_ColdStartToFirstNext/drsnap", ColdStart,
                               std::vector<std::string>{DrsnapBinary(), "lambda"})
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond)
      ->Iterations(50);
  if (const char* boot = std::getenv("DRSNAP_BOOTSTRAP")) {
    benchmark::RegisterBenchmark("BM_ColdStartToFirstNext/bootstrap", ColdStart,
                                 std::vector<std::string>{boot})
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(50);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
