// `drsnap run --listen 127.0.0.1:0` as a user runs it: the drsnap binary
// against drsnap-sim, scraped over HTTP while its loop runs (issue 17, "Shown
// by"): /metrics is valid Prometheus text with the issue's families,
// /healthz and /readyz answer, / is the live report as headless Chromium
// shows it; a vault key the DR account does not have makes every vault copy
// fail, and the failures are counted by stage and AWS error code while
// /readyz says why it is not ready.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/tests/chromium_util.h"
#include "cli/tests/http_client_util.h"
#include "cli/tests/prometheus_util.h"
#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

const std::string kDrsnap = std::string(DRSNAP_BINARY_DIR) + "/cli/drsnap";

std::string World() { return ChildProcessWorldYaml(3); }

std::string Policy() { return SimPolicy{.from = "snapshot", .retention = "{daily: 7}"}.Yaml(); }

// A drsnap run --listen child; stopped with SIGTERM (and waited for) when
// the test did not.
class ListeningRun {
 public:
  ListeningRun(const SimPipeline& p, const std::string& tag) {
    child_ = SpawnProcess(
        kDrsnap, {"run", "--interval", "1m", "--listen", "127.0.0.1:0", "--log-format", "json"},
        p.ProcessEnv(), "", p.dir + "/" + tag + ".err");
  }
  ~ListeningRun() {
    if (child_.pid > 0 && !waited_) {
      kill(child_.pid, SIGKILL);
      WaitProcess(child_);
    }
  }
  // The port from the "listening" log line; 0 when the child ended or never
  // said it (after many polls).
  int Port() {
    for (int i = 0; i < 2000 && child_.pid > 0; ++i) {
      std::istringstream in(ReadTextFile(child_.err_path));
      for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.value("msg", "") == "listening") {
          std::string address = j.value("address", "");
          return std::stoi(address.substr(address.rfind(':') + 1));
        }
      }
      if (waitpid(child_.pid, nullptr, WNOHANG) != 0) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  // SIGTERM, then its exit status.
  int Stop() {
    kill(child_.pid, SIGTERM);
    waited_ = true;
    return WaitProcess(child_);
  }
  std::string Log() const { return ReadTextFile(child_.err_path); }

 private:
  ChildProcess child_;
  bool waited_ = false;
};

// Polls `path` until `done(answer)`, advancing the simulator's clock by
// `step` between polls (the child sleeps on it); at most `polls` times.
template <typename Done>
HttpAnswer PollUntil(SimPipeline& p, int port, const std::string& path, Done done,
                     Duration step = std::chrono::seconds(20), int polls = 3000) {
  HttpAnswer a;
  for (int i = 0; i < polls; ++i) {
    a = HttpGet(port, path);
    if (done(a)) return a;
    p.sim->Advance(step);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return a;
}

TEST(RunListenProcessTest, ServesMetricsReadinessAndTheLiveReport) {
  auto p = StartSimPipeline(World(), Policy());
  ASSERT_NE(p, nullptr);
  ListeningRun run(*p, "listen");
  const int port = run.Port();
  ASSERT_GT(port, 0) << run.Log();

  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);
  // Ready once the first reconcile succeeded (the loop runs it at once).
  HttpAnswer ready = PollUntil(
      *p, port, "/readyz", [](const HttpAnswer& a) { return a.status == 200; }, Duration::zero());
  ASSERT_EQ(ready.status, 200) << ready.body << run.Log();

  HttpAnswer metrics = HttpGet(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << metrics.headers;
  ASSERT_EQ(PrometheusProblems(metrics.body), "") << metrics.body;
  auto samples = PrometheusSamples(metrics.body);
  EXPECT_EQ(samples["drsnap_last_reconcile_success"], 1) << metrics.body;
  EXPECT_GE(samples["drsnap_reconciles_total"], 1) << metrics.body;
  EXPECT_GT(samples["drsnap_last_reconcile_timestamp_seconds"], 0) << metrics.body;
  EXPECT_EQ(samples["drsnap_findings{severity=\"error\"}"], 0) << metrics.body;
  int pairs = 0;
  for (const char* s : {"ok", "at-risk", "breached", "unknown"})
    pairs += static_cast<int>(samples["drsnap_pairs{state=\"" + std::string(s) + "\"}"]);
  EXPECT_EQ(pairs, 3) << metrics.body;  // three databases, one DR region
  EXPECT_NE(metrics.body.find("drsnap_build_info{version=\""), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE drsnap_action_failures_total counter\n"), std::string::npos);

  EXPECT_EQ(HttpGet(port, "/nope").status, 404);
  EXPECT_EQ(ParseHttpAnswer(RawHttp(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n")).status,
            405);

  // The live report, as a browser shows it: the same page as status --output
  // html, its script run, one row per database x target.
  TempDir dir("drsnap-run-listen-chromium");
  ASSERT_FALSE(dir.path().empty());
  ChromiumRun page =
      Chromium(dir.path(), "--dump-dom", "http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_EQ(page.status, 0) << ChromiumErr(dir.path());
  EXPECT_NE(page.out.find("drsnap run: live recoverability report"), std::string::npos)
      << page.out.substr(0, 400);
  EXPECT_NE(page.out.find("data-rendered=\"yes\""), std::string::npos) << page.out.substr(0, 400);
  std::regex row_re("<tr class=\"row[^\"]*\" data-state=\"([a-z-]+)\"");
  int rows = static_cast<int>(std::distance(
      std::sregex_iterator(page.out.begin(), page.out.end(), row_re), std::sregex_iterator()));
  EXPECT_EQ(rows, 3) << page.out.substr(0, 2000);
  EXPECT_NE(page.out.find("3 database x target pairs:"), std::string::npos);

  EXPECT_EQ(run.Stop(), 0) << run.Log();
}

TEST(RunListenProcessTest, FailedCopiesAreCountedByStageAndCodeAndMakeItUnready) {
  // The vault account has no such key in eu-west-1: every vault copy into it
  // is refused.
  std::string policy = Policy();
  const std::string key = KeyArn("vault", "eu-west-1");
  ASSERT_NE(policy.find(key), std::string::npos) << policy;
  policy.replace(policy.find(key), key.size(),
                 key.substr(0, key.rfind('/') + 1) + "00000000-0000-0000-0000-0000000dead0");
  auto p = StartSimPipeline(World(), policy);
  ASSERT_NE(p, nullptr);
  ListeningRun run(*p, "fault");
  const int port = run.Port();
  ASSERT_GT(port, 0) << run.Log();

  // Virtual time moves until the captures are shared and the vault copies
  // are tried (and refused).
  const std::regex failures(
      "drsnap_action_failures_total\\{stage=\"vault\",code=\"([^\"]+)\"\\} "
      "([0-9]+)");
  HttpAnswer metrics = PollUntil(*p, port, "/metrics", [&](const HttpAnswer& a) {
    return std::regex_search(a.body, failures);
  });
  ASSERT_EQ(PrometheusProblems(metrics.body), "") << metrics.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics.body, m, failures)) << metrics.body << run.Log();
  EXPECT_GE(std::stoi(m[2]), 1) << m.str();
  EXPECT_NE(m[1], "Unknown") << m.str();  // AWS's code
  auto samples = PrometheusSamples(metrics.body);
  EXPECT_EQ(samples["drsnap_last_reconcile_success"], 0) << metrics.body;

  // Not ready once no reconcile has succeeded for two intervals, with a
  // sentence that says what the last reconcile came to.
  HttpAnswer ready =
      PollUntil(*p, port, "/readyz", [](const HttpAnswer& a) { return a.status == 503; });
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("not ready: "), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(" failed"), std::string::npos) << ready.body;
  EXPECT_EQ(HttpGet(port, "/healthz").status, 200);

  EXPECT_EQ(run.Stop(), 0) << run.Log();
}

}  // namespace
}  // namespace drsnap::testing
