// aws/events.h: the EventBridge PutEvents client the source function
// announces shares with, against a loopback fake (signed JSON 1.1 requests).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/endpoints.h"
#include "aws/events.h"
#include "lambda_sim.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;

std::shared_ptr<ServiceClient> ClientFor(const std::string& url) {
  ClientContext ctx;
  ctx.transport = NewCurlTransport();
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "secret", "", std::nullopt, "test"});
  ctx.retry.max_attempts = 1;
  return std::make_shared<ServiceClient>(ctx, ServiceEndpoint{url, "us-east-1", "events"});
}

EventEntry Entry(int i) {
  EventEntry e;
  e.source = "drsnap";
  e.detail_type = "drsnap Snapshot Shared";
  e.detail = R"({"n":)" + std::to_string(i) + "}";
  e.resources = {"arn:aws:rds:us-east-1:111111111111:snapshot:s" + std::to_string(i)};
  return e;
}

TEST(EventsClient, PutsEntriesTenPerCallAndTheyArriveAsEvents) {
  std::vector<json> routed;
  std::mutex mu;
  lambda::testing::FakeEventBridge bridge("111111111111", "us-east-1", [&](const json& ev) {
    std::lock_guard l(mu);
    routed.push_back(ev);
  });
  EventsClient client(ClientFor(bridge.endpoint()));
  std::vector<EventEntry> entries;
  for (int i = 0; i < 23; ++i) entries.push_back(Entry(i));
  auto r = client.PutEvents(entries);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->failed_entry_count, 0);
  ASSERT_EQ(r->entries.size(), 23u);
  EXPECT_FALSE(r->entries[22].event_id.empty());
  EXPECT_EQ(bridge.targets().size(), 3u);  // 10 + 10 + 3
  ASSERT_EQ(routed.size(), 23u);
  EXPECT_EQ(routed[5]["source"], "drsnap");
  EXPECT_EQ(routed[5]["detail-type"], "drsnap Snapshot Shared");
  EXPECT_EQ(routed[5]["detail"]["n"], 5);
  EXPECT_EQ(routed[5]["resources"][0], "arn:aws:rds:us-east-1:111111111111:snapshot:s5");
}

TEST(EventsClient, ServiceErrorsCarryTheAwsCode) {
  lambda::testing::FakeEventBridge bridge("111111111111", "us-east-1", [](const json&) {});
  // Wrong signing name: the fake refuses like a validation error.
  ClientContext ctx;
  ctx.transport = NewCurlTransport();
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDEXAMPLE", "secret", "", std::nullopt, "test"});
  ctx.retry.max_attempts = 1;
  EventsClient client(
      std::make_shared<ServiceClient>(ctx, ServiceEndpoint{bridge.endpoint(), "us-east-1", "sqs"}));
  auto r = client.PutEvents({Entry(1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ValidationException");
  EXPECT_NE(r.error().ToString().find("putting 1 events on EventBridge"), std::string::npos)
      << r.error().ToString();
}

TEST(EventsCodec, RequestShape) {
  EventEntry e = Entry(1);
  e.event_bus_name = "drsnap-bus";
  e.time = TimePoint(std::chrono::seconds(1795000000));
  json j = json::parse(EncodePutEventsRequest({e}));
  ASSERT_EQ(j["Entries"].size(), 1u);
  EXPECT_EQ(j["Entries"][0]["Source"], "drsnap");
  EXPECT_EQ(j["Entries"][0]["DetailType"], "drsnap Snapshot Shared");
  EXPECT_EQ(j["Entries"][0]["Detail"], R"({"n":1})");  // a string holding JSON
  EXPECT_EQ(j["Entries"][0]["EventBusName"], "drsnap-bus");
  EXPECT_EQ(j["Entries"][0]["Time"], 1795000000);
  EventEntry bare;
  bare.source = "drsnap";
  json b = json::parse(EncodePutEventsRequest({bare}));
  EXPECT_FALSE(b["Entries"][0].contains("EventBusName"));
  EXPECT_FALSE(b["Entries"][0].contains("Resources"));
  EXPECT_EQ(b["Entries"][0]["Detail"], "{}");
}

TEST(EventsCodec, PartialFailureAndMalformedResponses) {
  auto r = DecodePutEventsResponse(
      R"({"FailedEntryCount":1,"Entries":[{"EventId":"a"},{"ErrorCode":"InternalFailure","ErrorMessage":"x"}]})");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->failed_entry_count, 1);
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_EQ(r->entries[0].event_id, "a");
  EXPECT_EQ(r->entries[1].error_code, "InternalFailure");
  for (const char* bad : {"", "[]", "nope", R"({"FailedEntryCount":"1"})", R"({"Entries":5})",
                          R"({"Entries":[5]})"}) {
    auto e = DecodePutEventsResponse(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, "MalformedResponse");
  }
}

TEST(EventsEndpoint, HonoursTheEventsOverrideThenTheGlobalOne) {
  MapEnvironment env;
  env.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:1111");
  auto g = ResolveEndpoint("events", "eu-west-1", env, nullptr);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->url, "http://127.0.0.1:1111");
  EXPECT_EQ(g->signing_name, "events");
  env.Set("AWS_ENDPOINT_URL_EVENTS", "http://127.0.0.1:2222/");
  auto s = ResolveEndpoint("events", "eu-west-1", env, nullptr);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->url, "http://127.0.0.1:2222");
  MapEnvironment none;
  auto d = ResolveEndpoint("events", "eu-west-1", none, nullptr);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->url, "https://events.eu-west-1.amazonaws.com");
}

}  // namespace
}  // namespace drsnap::aws
