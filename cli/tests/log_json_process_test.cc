// The drsnap binary against drsnap-sim with --log-format json: stderr holds
// only JSON lines (one object each, nothing else: no "drsnap: stopping"
// notice, no progress text, no plain error), and numbers and booleans in
// them are JSON numbers and booleans, not text.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

const std::string kDrsnap = std::string(DRSNAP_BINARY_DIR) + "/cli/drsnap";

std::string World() { return ChildProcessWorldYaml(3); }

const std::string kPolicy = SimPolicy{.from = "snapshot", .retention = "{daily: 7}"}.Yaml();

using Child = ChildProcess;

Child Spawn(const SimPipeline& p, std::vector<std::string> args, const std::string& tag) {
  return SpawnProcess(kDrsnap, std::move(args), p.ProcessEnv(), "", p.dir + "/" + tag + ".err");
}

int Wait(const Child& c) { return WaitProcess(c); }

std::string Slurp(const std::string& path) { return ReadTextFile(path); }

// Every line of `text` parsed as a JSON object; a line that is not one fails
// the test (and is left out).
std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ADD_FAILURE() << "not a JSON line: '" << line << "' in:\n" << text;
      continue;
    }
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    out.push_back(std::move(j));
  }
  return out;
}

const nlohmann::json* Find(const std::vector<nlohmann::json>& lines, std::string_view msg) {
  for (const auto& j : lines)
    if (j.value("msg", "") == msg) return &j;
  return nullptr;
}

TEST(LogJsonProcessTest, RunWritesOnlyJsonLinesWithTypedNumbers) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"run", "--max-runs", "1", "--log-format", "json"}, "run");
  ASSERT_EQ(Wait(c), 0) << Slurp(c.err_path);
  std::string err = Slurp(c.err_path);
  auto lines = JsonLines(err);
  const nlohmann::json* started = Find(lines, "service started");
  ASSERT_NE(started, nullptr) << err;
  EXPECT_TRUE((*started)["policies"].is_number_integer()) << started->dump();
  const nlohmann::json* finished = Find(lines, "reconcile finished");
  ASSERT_NE(finished, nullptr) << err;
  for (const char* k : {"actions", "done", "deferred", "failed", "incomplete_scopes"})
    EXPECT_TRUE((*finished)[k].is_number_integer()) << k << " in " << finished->dump();
  EXPECT_GT((*finished)["actions"].get<int>(), 0) << finished->dump();
  const nlohmann::json* stopped = Find(lines, "service stopped");
  ASSERT_NE(stopped, nullptr) << err;
  EXPECT_EQ((*stopped)["reconciles"], 1) << stopped->dump();
}

// `run` logs each finding when it appears (once, not every reconcile) and
// exits like apply when --max-runs ends it: 1 with an error finding.
TEST(LogJsonProcessTest, RunLogsFindingsOnceAndExitsOneOnAnError) {
  // db-default is encrypted with the default RDS key and the policy has no
  // share key: nothing can be shared, an error finding every reconcile.
  SimWorld w = ProdAndVault(
      "      - {id: db-default, region: us-east-1, engine: postgres, size_gb: 10, "
      "encrypted: true, backup_retention_days: 1}\n");
  w.start_time = "";
  std::string policy = SimPolicy{.from = "snapshot", .retention = "{daily: 7}"}.Yaml();
  const std::string share = ",\n             share_key: \"" + KeyArn("prod", "us-east-1") + "\"";
  ASSERT_NE(policy.find(share), std::string::npos) << policy;
  policy.erase(policy.find(share), share.size());
  auto p = StartSimPipeline(w.Yaml(), policy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"run", "--max-runs", "3", "--interval", "1m", "--log-format", "json"},
                  "findings");
  // The child sleeps on the simulator's clock (DRSNAP_CLOCK_URL): move it.
  int status = 0;
  while (waitpid(c.pid, &status, WNOHANG) == 0) {
    p->sim->Advance(std::chrono::seconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << Slurp(c.err_path);
  std::string err = Slurp(c.err_path);
  int logged = 0;
  for (const auto& j : JsonLines(err))
    if (j.value("msg", "") == "finding" && j.value("severity", "") == "error" &&
        j.value("finding", "").find("default RDS key") != std::string::npos)
      ++logged;
  EXPECT_EQ(logged, 1) << err;  // three reconciles, one line: when it appeared
}

TEST(LogJsonProcessTest, ApplyWritesOnlyJsonLinesWithTypedNumbers) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"apply", "--log-format", "json"}, "apply");
  ASSERT_EQ(Wait(c), 0) << Slurp(c.err_path);
  std::string err = Slurp(c.err_path);
  auto lines = JsonLines(err);
  const nlohmann::json* planned = Find(lines, "plan made");
  ASSERT_NE(planned, nullptr) << err;
  EXPECT_TRUE((*planned)["actions"].is_number_integer()) << planned->dump();
  const nlohmann::json* action = Find(lines, "action finished");
  ASSERT_NE(action, nullptr) << err;
  EXPECT_TRUE((*action)["finished"].is_number_integer()) << action->dump();
  EXPECT_TRUE((*action)["total"].is_number_integer()) << action->dump();
}

// SIGTERM while the service waits for its next run: the notice that it is
// stopping is a JSON line too.
TEST(LogJsonProcessTest, StopNoticeIsAJsonLine) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"run", "--interval", "1h", "--log-format", "json"}, "stop");
  // Wait (by the log, not by the clock) until the first reconcile is done.
  for (;;) {
    if (Slurp(c.err_path).find("\"msg\":\"reconcile finished\"") != std::string::npos) break;
    int status = 0;
    ASSERT_EQ(waitpid(c.pid, &status, WNOHANG), 0) << "drsnap run exited early:\n"
                                                   << Slurp(c.err_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(Wait(c), 0);
  std::string err = Slurp(c.err_path);
  auto lines = JsonLines(err);
  const nlohmann::json* stopping = Find(lines, "stopping");
  ASSERT_NE(stopping, nullptr) << err;
  EXPECT_EQ((*stopping)["signal"], "SIGTERM") << stopping->dump();
  EXPECT_NE(Find(lines, "service stopped"), nullptr) << err;
}

// A config error under --log-format json is a JSON line at level error.
TEST(LogJsonProcessTest, ConfigErrorIsAJsonLine) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  std::string bad = p->dir + "/missing.yaml";
  Child c = Spawn(*p, {"apply", "--log-format", "json", "--config", bad}, "bad");
  EXPECT_EQ(Wait(c), 2);
  std::string err = Slurp(c.err_path);
  auto lines = JsonLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_EQ(lines[0]["level"], "error") << err;
  EXPECT_EQ(lines[0]["command"], "apply") << err;
  EXPECT_NE(lines[0]["msg"].get<std::string>().find(bad), std::string::npos) << err;
}

// A bad flag value under --log-format json (the format itself is valid) is a
// JSON line at level error too.
TEST(LogJsonProcessTest, UsageErrorIsAJsonLine) {
  auto p = StartSimPipeline(World(), kPolicy);
  ASSERT_NE(p, nullptr);
  Child c = Spawn(*p, {"run", "--log-format", "json", "--interval", "soon"}, "usage");
  EXPECT_EQ(Wait(c), 2);
  std::string err = Slurp(c.err_path);
  auto lines = JsonLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_EQ(lines[0]["level"], "error") << err;
  EXPECT_EQ(lines[0]["command"], "run") << err;
  EXPECT_NE(lines[0]["msg"].get<std::string>().find("--interval 'soon'"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace drsnap::testing
