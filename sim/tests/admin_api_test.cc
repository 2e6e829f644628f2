// The admin API under /_sim/, over real HTTP.
#include "sim/admin_api.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "core/time_util.h"
#include "sim/tests/server_test_util.h"

namespace drsnap::sim {
namespace {

using testing::ProdAccount;
using testing::QueryRequest;
using testing::SignAndSend;
using testing::XmlCount;

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = testing::StartHarness();
    ASSERT_TRUE(h.has_value()) << h.error().ToString();
    h_ = std::move(*h);
  }

  // Returns (status, parsed JSON body or null).
  std::pair<int, nlohmann::json> Call(std::string_view method, std::string_view path,
                                      std::string body = "") {
    auto r = testing::Admin(*h_.http, h_.endpoint(), method, path, std::move(body));
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r) return {0, nullptr};
    EXPECT_NE(r->Header("Content-Type").find("application/json"), std::string::npos);
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    return {r->status, j.is_discarded() ? nlohmann::json() : j};
  }

  int SnapshotCount() {
    auto r = SignAndSend(*h_.http, QueryRequest(h_.endpoint(), "DescribeDBSnapshots", "2014-10-31"),
                         ProdAccount().credentials(), "eu-west-1", "rds");
    EXPECT_TRUE(r.has_value());
    return r && r->status == 200 ? XmlCount(r->body, "DBSnapshot") : -1;
  }

  testing::Harness h_;
};

TEST_F(AdminApiTest, PingAndTime) {
  auto [status, ping] = Call("GET", "/_sim/ping");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(ping["ok"], true);

  auto [s1, t1] = Call("GET", "/_sim/time");
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(t1["now"], "2026-11-20T00:00:00.000Z");
  EXPECT_EQ(t1["rate"], 0.0);

  auto [s2, t2] = Call("POST", "/_sim/time/advance", R"({"seconds":3600})");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(t2["now"], "2026-11-20T01:00:00.000Z");
  EXPECT_EQ(FormatIso8601(h_.sim->Now()), "2026-11-20T01:00:00.000Z");

  auto [s3, t3] = Call("POST", "/_sim/time/set", R"({"time":"2026-12-01T00:00:00Z"})");
  EXPECT_EQ(s3, 200);
  EXPECT_EQ(t3["now"], "2026-12-01T00:00:00.000Z");

  EXPECT_EQ(Call("POST", "/_sim/time/advance", R"({"seconds":-5})").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/time/advance", R"({"minutes":5})").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/time/set", R"({"time":"yesterday"})").first, 400);
}

TEST_F(AdminApiTest, TimeRateRunsTheClock) {
  const TimePoint start = h_.sim->Now();
  auto [status, body] = Call("POST", "/_sim/time/rate", R"({"rate":100000})");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body["rate"], 100000.0);
  // Wait (bounded) until the virtual clock has visibly moved.
  for (int i = 0; i < 200 && h_.sim->Now() - start < std::chrono::hours(1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(h_.sim->Now() - start, std::chrono::hours(1));
  ASSERT_EQ(Call("POST", "/_sim/time/rate", R"({"rate":0})").first, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let a tick in flight land
  const TimePoint stopped = h_.sim->Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(h_.sim->Now(), stopped);
  EXPECT_EQ(Call("POST", "/_sim/time/rate", R"({"rate":-1})").first, 400);
}

TEST_F(AdminApiTest, EventsSinceATime) {
  // orders takes an automated snapshot in its backup window every day.
  ASSERT_EQ(Call("POST", "/_sim/time/advance", R"({"seconds":172800})").first, 200);
  auto [status, events] = Call("GET", "/_sim/events?since=2026-11-20T00:00:00Z");
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(events.is_array());
  ASSERT_FALSE(events.empty());
  bool automated_created = false;
  for (const auto& e : events) {
    EXPECT_EQ(e["source"], "aws.rds");
    if (e["detail"]["EventID"] == "RDS-EVENT-0091") automated_created = true;
  }
  EXPECT_TRUE(automated_created) << events.dump();
  auto [s2, later] = Call("GET", "/_sim/events?since=2030-01-01T00:00:00Z");
  EXPECT_EQ(s2, 200);
  EXPECT_TRUE(later.empty());
  EXPECT_EQ(Call("GET", "/_sim/events?since=garbage").first, 400);
}

TEST_F(AdminApiTest, EventsArePostedToATarget) {
  httplib::Server receiver;
  std::mutex mu;
  std::vector<nlohmann::json> got;
  receiver.Post("/events", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(nlohmann::json::parse(req.body, nullptr, false));
    res.status = 204;
  });
  receiver.set_keep_alive_max_count(1);  // no idle connection to wait for on stop()
  int port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { receiver.listen_after_bind(); });

  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/events";
  auto [status, body] = Call("POST", "/_sim/events/target", nlohmann::json{{"url", url}}.dump());
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(Call("GET", "/_sim/events/target").second["url"], url);
  ASSERT_EQ(Call("POST", "/_sim/time/advance", R"({"seconds":172800})").first, 200);
  size_t expected = h_.sim->Events(TimePoint{}).size();
  ASSERT_GT(expected, 0u);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (got.size() >= expected) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(got.size(), expected);
    EXPECT_EQ(got[0]["source"], "aws.rds");
    EXPECT_TRUE(got[0]["detail"].contains("EventID"));
  }
  EXPECT_EQ(Call("POST", "/_sim/events/target", R"({"url":""})").first, 200);
  receiver.stop();
  t.join();

  // Only loopback targets.
  EXPECT_EQ(Call("POST", "/_sim/events/target", R"({"url":"http://10.0.0.1/x"})").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/events/target", R"({"url":"http://example.com/x"})").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/events/target", R"({"url":"file:///etc/passwd"})").first, 400);
}

TEST_F(AdminApiTest, LoopbackUrls) {
  EXPECT_TRUE(IsLoopbackUrl("http://127.0.0.1:8080/x"));
  EXPECT_TRUE(IsLoopbackUrl("http://127.1.2.3/x"));
  EXPECT_TRUE(IsLoopbackUrl("http://localhost:1/"));
  EXPECT_TRUE(IsLoopbackUrl("http://[::1]:9/"));
  EXPECT_FALSE(IsLoopbackUrl("http://127.0.0.1.evil.com/"));
  EXPECT_FALSE(IsLoopbackUrl("http://user@127.0.0.1/"));
  EXPECT_FALSE(IsLoopbackUrl("http://192.168.1.1/"));
  EXPECT_FALSE(IsLoopbackUrl("ftp://127.0.0.1/"));
}

TEST_F(AdminApiTest, StatsCountRequests) {
  ASSERT_EQ(SnapshotCount(), 2);
  ASSERT_EQ(SnapshotCount(), 2);
  auto [status, stats] = Call("GET", "/_sim/stats");
  ASSERT_EQ(status, 200);
  EXPECT_EQ(stats["total"]["total"], 2);
  ASSERT_EQ(stats["requests"].size(), 1u);
  const auto& row = stats["requests"][0];
  EXPECT_EQ(row["service"], "rds");
  EXPECT_EQ(row["operation"], "DescribeDBSnapshots");
  EXPECT_EQ(row["account"], ProdAccount().id);
  EXPECT_EQ(row["region"], "eu-west-1");
  EXPECT_EQ(row["ok"], 2);
  EXPECT_EQ(Call("DELETE", "/_sim/stats").first, 200);
  EXPECT_EQ(Call("GET", "/_sim/stats").second["total"]["total"], 0);
}

TEST_F(AdminApiTest, FaultsAndWorldFaults) {
  auto [s1, f1] = Call("GET", "/_sim/faults");
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(f1["throttle"], false);
  auto [s2, f2] = Call("POST", "/_sim/faults", R"({"throttle":true,"latency_ms":0})");
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(f2["faults"]["throttle"], true);
  EXPECT_TRUE(h_.server->faults().config().throttle);
  EXPECT_EQ(Call("POST", "/_sim/faults", R"({"error_rate":2})").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/faults", R"({"nonsense":1})").first, 400);
  // World faults go to the simulator.
  EXPECT_EQ(Call("POST", "/_sim/faults", R"({"kind":"fail_copies","count":1})").first, 200);
  EXPECT_EQ(Call("POST", "/_sim/faults", R"({"kind":"meteor"})").first, 400);
  // clear resets both.
  EXPECT_EQ(Call("POST", "/_sim/faults", R"({"kind":"clear"})").first, 200);
  EXPECT_FALSE(h_.server->faults().config().throttle);
  EXPECT_EQ(Call("DELETE", "/_sim/faults").first, 200);
}

TEST_F(AdminApiTest, Settings) {
  auto [s1, settings] = Call("GET", "/_sim/settings");
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(settings["signature_clock"], "wall");
  EXPECT_EQ(settings["max_skew_seconds"], 300);
  EXPECT_TRUE(settings.contains("manual_snapshot_quota"));
  auto [s2, updated] =
      Call("PUT", "/_sim/settings", R"({"manual_snapshot_quota":5,"signature_clock":"off"})");
  ASSERT_EQ(s2, 200) << updated.dump();
  EXPECT_EQ(updated["manual_snapshot_quota"], 5);
  EXPECT_EQ(updated["signature_clock"], "off");
  EXPECT_EQ(h_.server->auth_options().skew_reference, SkewReference::kNone);
  EXPECT_EQ(Call("PUT", "/_sim/settings", R"({"no_such_setting":1})").first, 400);
  EXPECT_EQ(Call("PUT", "/_sim/settings", R"({"signature_clock":"sundial"})").first, 400);
}

TEST_F(AdminApiTest, StateRoundTrip) {
  auto dump = testing::Admin(*h_.http, h_.endpoint(), "GET", "/_sim/state");
  ASSERT_TRUE(dump.has_value());
  ASSERT_EQ(dump->status, 200);
  ASSERT_EQ(Call("POST", "/_sim/time/advance", R"({"seconds":86400})").first, 200);
  ASSERT_EQ(Call("POST", "/_sim/world", "accounts: []\n").first, 200);
  EXPECT_EQ(SnapshotCount(), -1);  // the key is gone with the account
  auto [status, body] = Call("PUT", "/_sim/state", dump->body);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(FormatIso8601(h_.sim->Now()), "2026-11-20T00:00:00.000Z");
  EXPECT_EQ(SnapshotCount(), 2);
  EXPECT_EQ(Call("PUT", "/_sim/state", "{not json").first, 400);
}

TEST_F(AdminApiTest, WorldLoadReplacesTheWorld) {
  auto [status, body] = Call("POST", "/_sim/world", testing::TestWorldText());
  EXPECT_EQ(status, 200) << body.dump();
  EXPECT_EQ(SnapshotCount(), 2);
  auto [bad, err] = Call("POST", "/_sim/world", "accounts:\n  - id: 12\n");
  EXPECT_EQ(bad, 400);
  EXPECT_FALSE(err["error"]["message"].get<std::string>().empty());
  EXPECT_EQ(SnapshotCount(), 2);  // a bad world changes nothing
}

TEST_F(AdminApiTest, UnknownPathsAndMethods) {
  auto [s1, e1] = Call("GET", "/_sim/nope");
  EXPECT_EQ(s1, 404);
  EXPECT_EQ(e1["error"]["code"], "NotFound");
  EXPECT_EQ(Call("DELETE", "/_sim/time").first, 405);
  EXPECT_EQ(Call("POST", "/_sim/time/advance", "[1,2]").first, 400);
  EXPECT_EQ(Call("POST", "/_sim/time/advance", "{oops").first, 400);
}

}  // namespace
}  // namespace drsnap::sim
