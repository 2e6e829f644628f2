// drsnap-sim throughput and memory.
//
// BM_DescribePages: DescribeDBSnapshots pages of 100 records served per
// second over loopback, by client threads that each sign with aws/sigv4.h and
// send with the curl transport (goal: >= 2,000 pages/s on 2 cores).
//
// BM_BigWorldMemory: loads a world of 10,000 DBs and 1,000,000 snapshots and
// reports the resident memory it takes (goal: < 2 GB), then serves a few pages
// from it. Run it in its own process so the peak RSS is its own:
//   sim_describe_bench --benchmark_filter='BM_BigWorldMemory/10000/'
// (BM_BigWorldMemory/1000/ is the same at a tenth of the size.)
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "aws/client.h"
#include "aws/encoding.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "core/clock.h"
#include "core/log.h"
#include "sim/server.h"
#include "sim/simulator.h"
#include "testing/sim_pipeline.h"

namespace {

using drsnap::sim::Server;
using drsnap::sim::ServerOptions;
using drsnap::sim::Simulator;

constexpr const char* kAccount = "111122223333";
constexpr const char* kKeyId = "AKIABENCH00000000001";
constexpr const char* kSecret = "benchsecretbenchsecretbenchsecretbenchse";

// A world with `dbs` databases spread over `accounts` accounts and two
// regions, each with `snaps_per_db` manual snapshots (tagged like drsnap's).
std::string WorldText(int accounts, int dbs, int snaps_per_db) {
  std::string w;
  w.reserve(static_cast<size_t>(dbs) * snaps_per_db * 90 + 4096);
  w += "start_time: \"2026-11-20T00:00:00Z\"\n";
  w += "regions: [eu-west-1, eu-central-1]\n";
  w += "settings: {manual_snapshot_quota: 100000000}\n";
  w += "accounts:\n";
  int db = 0;
  for (int a = 0; a < accounts; ++a) {
    char id[24];
    std::snprintf(id, sizeof(id), "%012lld", 200000000000LL + a);
    std::string account = a == 0 ? std::string(kAccount) : std::string(id);
    w += "  - id: \"" + account + "\"\n";
    if (a == 0) {
      w += std::string("    access_keys: [{id: ") + kKeyId + ", secret: " + kSecret + "}]\n";
    }
    w += "    db_instances:\n";
    const int per_account = dbs / accounts + (a < dbs % accounts ? 1 : 0);
    for (int d = 0; d < per_account; ++d, ++db) {
      char name[32];
      std::snprintf(name, sizeof(name), "db%05d", db);
      w += "      - id: ";
      w += name;
      w += "\n        region: ";
      w += d % 2 == 0 ? "eu-west-1" : "eu-central-1";
      w += "\n        backup_retention_days: 0\n";
      if (snaps_per_db > 0) w += "        snapshots:\n";
      for (int s = 0; s < snaps_per_db; ++s) {
        char line[160];
        std::snprintf(line, sizeof(line),
                      "          - {id: %s-2026-11-%02d-%02d-%02d, created: "
                      "\"2026-11-%02dT%02d:%02d:00Z\", tags: {drsnap: managed}}\n",
                      name, 1 + s / 96 % 19, s / 4 % 24, s % 4 * 15, 1 + s / 96 % 19, s / 4 % 24,
                      s % 4 * 15);
        w += line;
      }
    }
  }
  return w;
}

// Resident and peak memory of this process, in MiB (from /proc/self/status).
std::pair<double, double> RssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double rss = 0, hwm = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) rss = std::stod(line.substr(6)) / 1024.0;
    if (line.starts_with("VmHWM:")) hwm = std::stod(line.substr(6)) / 1024.0;
  }
  return {rss, hwm};
}

// User + system CPU of the whole process, in seconds.
double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

drsnap::aws::Credentials Creds() {
  drsnap::aws::Credentials c;
  c.access_key_id = kKeyId;
  c.secret_access_key = kSecret;
  return c;
}

// One signed DescribeDBSnapshots page; returns the next Marker ("" at the end).
std::string DescribePage(drsnap::aws::HttpTransport& http, const std::string& endpoint,
                         const std::string& region, const std::string& marker, bool* ok) {
  drsnap::aws::QueryParams params = {
      {"Action", "DescribeDBSnapshots"}, {"Version", "2014-10-31"}, {"MaxRecords", "100"}};
  if (!marker.empty()) params.emplace_back("Marker", marker);
  drsnap::aws::HttpRequest r;
  r.method = "POST";
  r.url = endpoint + "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = drsnap::aws::FormUrlEncodeParams(params);
  drsnap::aws::SignRequest(r, Creds(), drsnap::aws::SigningScope{region, "rds"},
                           drsnap::SystemClock().Now());
  auto resp = http.Send(r);
  *ok = resp && resp->status == 200;
  if (!*ok) return {};
  const std::string& b = resp->body;
  auto start = b.find("<Marker>");
  if (start == std::string::npos) return {};
  start += 8;
  return drsnap::aws::UriDecode(b.substr(start, b.find("</Marker>", start) - start));
}

drsnap::testing::SimServer& Shared() {
  static drsnap::testing::SimServer* s = [] {
    drsnap::Log().Configure(drsnap::LogLevel::kWarn, drsnap::LogFormat::kText);
    ServerOptions options;
    options.threads = 16;
    auto started = drsnap::testing::StartSimServer(WorldText(1, 10, 100), nullptr, options);
    if (!started) {
      std::fprintf(stderr, "%s\n", started.error().ToString().c_str());
      std::abort();
    }
    return new drsnap::testing::SimServer(std::move(*started));
  }();
  return *s;
}

// 10 DBs x 100 snapshots, 5 per region: each page holds 100 records.
void BM_DescribePages(benchmark::State& state) {
  drsnap::testing::SimServer& s = Shared();
  auto http = drsnap::aws::NewCurlTransport();
  std::string marker;
  int64_t pages = 0, failures = 0;
  const double cpu_before = ProcessCpuSeconds();
  for (auto _ : state) {
    bool ok = false;
    marker = DescribePage(*http, s.server->endpoint(), "eu-west-1", marker, &ok);
    ++pages;
    if (!ok) ++failures;
  }
  if (state.threads() == 1 && pages > 0) {
    // Client + server CPU of the whole process per page: on a loaded machine
    // the rate above is noisy, while 2 cores / this figure is the capacity.
    const double cpu_per_page = (ProcessCpuSeconds() - cpu_before) / static_cast<double>(pages);
    state.counters["process_cpu_us_per_page"] = cpu_per_page * 1e6;
    state.counters["capacity_2_cores_pages_per_s"] = 2.0 / cpu_per_page;
  }
  state.SetItemsProcessed(pages);
  state.counters["pages_per_s"] =
      benchmark::Counter(static_cast<double>(pages), benchmark::Counter::kIsRate);
  state.counters["failures"] = static_cast<double>(failures);
}
BENCHMARK(BM_DescribePages)->Threads(1)->Threads(2)->Threads(4)->Threads(8)->UseRealTime();

// The world file holds the 10,000 DBs; the 1,000,000 snapshots are created
// in-process through Simulator::Handle (CreateDBSnapshot with one tag, then
// the clock moves until all are available), so the figure is the world's
// own footprint, not a YAML parser's (yaml-cpp needs several GB for a
// million-entry file).
void BM_BigWorldMemory(benchmark::State& state) {
  drsnap::Log().Configure(drsnap::LogLevel::kWarn, drsnap::LogFormat::kText);
  constexpr int kAccounts = 10, kSnapsPerDb = 100;
  const int kDbs = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const double base_rss = RssMiB().first;
    auto t0 = std::chrono::steady_clock::now();
    std::shared_ptr<Simulator> sim;
    {
      auto loaded = Simulator::FromWorldText(WorldText(kAccounts, kDbs, 0), "big world");
      if (!loaded) {
        state.SkipWithError(loaded.error().ToString().c_str());
        return;
      }
      sim = std::move(*loaded);
    }
    int failures = 0;
    std::string first_error;
    int db = 0;
    for (int a = 0; a < kAccounts; ++a) {
      char account[24];
      std::snprintf(account, sizeof(account), "%012lld", 200000000000LL + a);
      const std::string acct = a == 0 ? std::string(kAccount) : std::string(account);
      const int per_account = kDbs / kAccounts + (a < kDbs % kAccounts ? 1 : 0);
      for (int d = 0; d < per_account; ++d, ++db) {
        char name[32];
        std::snprintf(name, sizeof(name), "db%05d", db);
        drsnap::sim::SimRequest req;
        req.service = "rds";
        req.region = d % 2 == 0 ? "eu-west-1" : "eu-central-1";
        req.account_id = acct;
        req.caller_arn = "arn:aws:iam::" + acct + ":user/bench";
        req.action = "CreateDBSnapshot";
        for (int s = 0; s < kSnapsPerDb; ++s) {
          char sid[64];
          std::snprintf(sid, sizeof(sid), "drsnap-%s-2026-11-%02d-%02d-%02d", name, 1 + s / 96 % 19,
                        s / 4 % 24, s % 4 * 15);
          req.params = {{"DBInstanceIdentifier", name},
                        {"DBSnapshotIdentifier", sid},
                        {"Tags.Tag.1.Key", "drsnap:source"},
                        {"Tags.Tag.1.Value", name}};
          drsnap::sim::SimResponse r = sim->Handle(req);
          if (r.status != 200) {
            if (first_error.empty()) first_error = r.body;
            ++failures;
          }
        }
      }
    }
    sim->Advance(std::chrono::hours(24 * 7));
    auto t1 = std::chrono::steady_clock::now();
    if (failures > 0) {
      state.SkipWithError(("CreateDBSnapshot failed: " + first_error).c_str());
      return;
    }
    const auto [rss, hwm] = RssMiB();
    state.counters["build_s"] = std::chrono::duration<double>(t1 - t0).count();
    state.counters["world_rss_MiB"] = rss - base_rss;
    state.counters["bytes_per_snapshot"] =
        (rss - base_rss) * 1048576.0 / (static_cast<double>(kDbs) * kSnapsPerDb);
    state.counters["peak_rss_MiB"] = hwm;
    auto server = Server::Start(sim, ServerOptions{});
    if (!server) {
      state.SkipWithError("server did not start");
      return;
    }
    auto http = drsnap::aws::NewCurlTransport();
    std::string marker;
    int ok_pages = 0;
    auto t2 = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
      bool ok = false;
      marker = DescribePage(*http, (*server)->endpoint(), "eu-west-1", marker, &ok);
      ok_pages += ok;
    }
    auto t3 = std::chrono::steady_clock::now();
    state.counters["big_world_pages_per_s"] =
        ok_pages / std::chrono::duration<double>(t3 - t2).count();
    state.counters["big_world_ok_pages"] = ok_pages;
    state.counters["peak_rss_after_serving_MiB"] = RssMiB().second;
  }
}
BENCHMARK(BM_BigWorldMemory)
    ->Arg(10000)
    ->Arg(1000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
