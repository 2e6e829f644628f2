// drsnap-sim under hostile or careless input (issue 19, item 11), and the
// admin API's record of who created each snapshot.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "sim/tests/server_test_util.h"

namespace drsnap::sim {
namespace {

using testing::ProdAccount;
using testing::QueryRequest;
using testing::SignAndSend;
using testing::VaultAccount;

nlohmann::json Json(const Result<aws::HttpResponse>& r) {
  EXPECT_TRUE(r.has_value());
  if (!r) return nullptr;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r->body;
  return j;
}

// A raw TCP connection to 127.0.0.1:port.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Send(std::string_view s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Seconds until the server closes the connection (reads and drops any
  // answer); -1 when still open after `limit`.
  double SecondsUntilClosed(std::chrono::milliseconds limit) {
    auto start = std::chrono::steady_clock::now();
    char buf[4096];
    while (std::chrono::steady_clock::now() - start < limit) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) {
          return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
        received_.append(buf, static_cast<size_t>(n));
      }
    }
    return -1;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

TEST(ServerHardeningTest, InvalidPercentEscapesDoNotBreakTheAdminApi) {
  auto h = testing::StartHarness();
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  // Unsigned, with an action name that decodes to invalid UTF-8.
  aws::HttpRequest bad;
  bad.method = "POST";
  bad.url = h->endpoint() + "/";
  bad.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  bad.body = "Action=%AD&Version=2014-10-31";
  auto r = h->http->Send(bad);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 403);
  auto stats = testing::Admin(*h->http, h->endpoint(), "GET", "/_sim/stats");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->status, 200) << stats->body;
  EXPECT_EQ(Json(stats)["total"]["failed"], 1);
  // A signed request storing invalid UTF-8 in a tag value: state and
  // snapshot listings still answer.
  r = SignAndSend(*h->http,
                  QueryRequest(h->endpoint(), "CreateDBSnapshot", "2014-10-31",
                               {{"DBInstanceIdentifier", "orders"},
                                {"DBSnapshotIdentifier", "bad-utf8"},
                                {"Tags.Tag.1.Key", "k"},
                                {"Tags.Tag.1.Value", "\xff\xfe"}}),
                  ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_TRUE(r.has_value());
  for (const char* path : {"/_sim/state", "/_sim/snapshots", "/_sim/events"}) {
    auto a = testing::Admin(*h->http, h->endpoint(), "GET", path);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->status, 200) << path << ": " << a->body;
  }
}

TEST(ServerHardeningTest, RequestBodiesAreLimited) {
  ServerOptions o;
  o.max_body_bytes = 64 * 1024;
  auto h = testing::StartHarness(o);
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  auto req = QueryRequest(h->endpoint(), "DescribeDBSnapshots", "2014-10-31",
                          {{"Filler", std::string(100 * 1024, 'x')}});
  auto r = SignAndSend(*h->http, req, ProdAccount().credentials(), "eu-west-1", "rds");
  // Either answered 413 or cut off; never executed.
  if (r.has_value()) {
    EXPECT_EQ(r->status, 413) << r->body;
  }
  auto admin =
      testing::Admin(*h->http, h->endpoint(), "POST", "/_sim/world", std::string(100 * 1024, ' '));
  if (admin.has_value()) {
    EXPECT_EQ(admin->status, 413);
  }
  // A small request still works.
  r = SignAndSend(*h->http, QueryRequest(h->endpoint(), "DescribeDBSnapshots", "2014-10-31"),
                  ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(ServerOptions().max_body_bytes, 16u * 1024 * 1024);
}

TEST(ServerHardeningTest, ShortBodiesDoNotHoldAWorkerForLong) {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(500);
  o.body_deadline = std::chrono::milliseconds(1500);
  auto h = testing::StartHarness(o);
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  // Declares 1000 bytes, sends 10, then nothing.
  RawConnection stalled(h->server->port());
  ASSERT_TRUE(stalled.ok());
  ASSERT_TRUE(
      stalled.Send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=Des"));
  double t = stalled.SecondsUntilClosed(std::chrono::seconds(10));
  EXPECT_GE(t, 0) << "still open after 10 s";
  EXPECT_LT(t, 3);
  // Trickles a byte every 300 ms (each read resets the read timeout): cut off
  // at the body deadline.
  RawConnection trickle(h->server->port());
  ASSERT_TRUE(trickle.ok());
  ASSERT_TRUE(trickle.Send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"));
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    if (!trickle.Send("x")) {
      closed = true;
      break;
    }
    if (trickle.SecondsUntilClosed(std::chrono::milliseconds(300)) >= 0) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
  EXPECT_EQ(ServerOptions().read_timeout, std::chrono::seconds(5));
}

TEST(ServerHardeningTest, ListenUrlShowsTheBoundAddress) {
  EXPECT_EQ(ListenUrl("0.0.0.0", 4566), "http://0.0.0.0:4566");
  EXPECT_EQ(ListenUrl("127.0.0.1", 4566), "http://127.0.0.1:4566");
  EXPECT_EQ(ListenUrl("::", 80), "http://[::]:80");
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.5"));
  EXPECT_FALSE(IsLoopbackHost(""));
  // The admin API answers loopback peers; others only when allowed.
  EXPECT_TRUE(AdminPeerAllowed("127.0.0.1", false));
  EXPECT_TRUE(AdminPeerAllowed("::1", false));
  EXPECT_TRUE(AdminPeerAllowed("::ffff:127.0.0.1", false));
  EXPECT_FALSE(AdminPeerAllowed("10.1.2.3", false));
  EXPECT_TRUE(AdminPeerAllowed("10.1.2.3", true));
}

// ------------------------------------------------------------ who created it

TEST(SnapshotCreatorTest, AdminListsWhoCreatedEachSnapshot) {
  auto h = testing::StartHarness();
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  auto req = QueryRequest(h->endpoint(), "CreateDBSnapshot", "2014-10-31",
                          {{"DBInstanceIdentifier", "orders"}, {"DBSnapshotIdentifier", "m1"}});
  req.headers.emplace_back("User-Agent", "drsnap/1.2.3 test");
  auto r = SignAndSend(*h->http, req, ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(
      testing::Admin(*h->http, h->endpoint(), "POST", "/_sim/time/advance", R"({"seconds":86400})")
          ->status,
      200);
  auto list = Json(testing::Admin(*h->http, h->endpoint(), "GET",
                                  "/_sim/snapshots?account=111122223333&region=eu-west-1"));
  ASSERT_TRUE(list.is_array()) << list.dump();
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& s : list) by_id[s["id"]] = s;
  ASSERT_TRUE(by_id.count("m1")) << list.dump();
  nlohmann::json m1 = by_id["m1"];
  EXPECT_EQ(m1["account"], "111122223333");
  EXPECT_EQ(m1["region"], "eu-west-1");
  EXPECT_EQ(m1["arn"], "arn:aws:rds:eu-west-1:111122223333:snapshot:m1");
  EXPECT_EQ(m1["cluster"], false);
  EXPECT_EQ(m1["type"], "manual");
  EXPECT_EQ(m1["status"], "available");
  EXPECT_EQ(m1["created_by"]["source"], "api");
  EXPECT_EQ(m1["created_by"]["account"], "111122223333");
  EXPECT_EQ(m1["created_by"]["principal_arn"], "arn:aws:iam::111122223333:user/alice");
  EXPECT_EQ(m1["created_by"]["user_agent"], "drsnap/1.2.3 test");
  EXPECT_EQ(m1["created_by"]["action"], "CreateDBSnapshot");
  // Seeded by the world file, and taken by RDS itself.
  EXPECT_EQ(by_id["orders-manual-1"]["created_by"]["source"], "world");
  bool automated = false;
  for (const auto& s : list)
    if (s["type"] == "automated") {
      automated = true;
      EXPECT_EQ(s["created_by"]["source"], "automated");
    }
  EXPECT_TRUE(automated);
  // Shared copies: the vault's copy records the vault's principal.
  r = SignAndSend(*h->http,
                  QueryRequest(h->endpoint(), "ModifyDBSnapshotAttribute", "2014-10-31",
                               {{"DBSnapshotIdentifier", "m1"},
                                {"AttributeName", "restore"},
                                {"ValuesToAdd.AttributeValue.1", "444455556666"}}),
                  ProdAccount().credentials(), "eu-west-1", "rds");
  ASSERT_EQ(r->status, 200) << r->body;
  req = QueryRequest(
      h->endpoint(), "CopyDBSnapshot", "2014-10-31",
      {{"SourceDBSnapshotIdentifier", "arn:aws:rds:eu-west-1:111122223333:snapshot:m1"},
       {"TargetDBSnapshotIdentifier", "v1"}});
  req.headers.emplace_back("User-Agent", "Boto3/1.26 vault");
  r = SignAndSend(*h->http, req, VaultAccount().credentials(), "eu-west-1", "rds");
  ASSERT_EQ(r->status, 200) << r->body;
  list =
      Json(testing::Admin(*h->http, h->endpoint(), "GET", "/_sim/snapshots?account=444455556666"));
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["id"], "v1");
  EXPECT_EQ(list[0]["created_by"]["principal_arn"], "arn:aws:iam::444455556666:user/bob");
  EXPECT_EQ(list[0]["created_by"]["user_agent"], "Boto3/1.26 vault");
  EXPECT_EQ(list[0]["created_by"]["action"], "CopyDBSnapshot");
  EXPECT_EQ(list[0]["source_arn"], "arn:aws:rds:eu-west-1:111122223333:snapshot:m1");
  // The state dump keeps it.
  std::string state = h->sim->DumpStateJson();
  EXPECT_NE(state.find("Boto3/1.26 vault"), std::string::npos);
  auto other = Simulator::Empty();
  ASSERT_TRUE(other->LoadStateJson(state).has_value());
  EXPECT_EQ(other->DumpStateJson(), state);
  // Bad filters.
  auto bad = testing::Admin(*h->http, h->endpoint(), "GET", "/_sim/snapshots?account=12");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 400);
}

}  // namespace
}  // namespace drsnap::sim
