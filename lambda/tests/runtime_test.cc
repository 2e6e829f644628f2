#include "lambda/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/lambda_fake_runtime_api.h"

namespace drsnap::lambda {
namespace {

std::shared_ptr<aws::HttpTransport> LongPollTransport() {
  aws::HttpOptions o;
  o.total_timeout = std::chrono::milliseconds(0);  // Next() long-polls
  return aws::NewCurlTransport(o);
}

TEST(RuntimeClient, NextCarriesIdDeadlineTraceAndPayload) {
  testing::FakeRuntimeApi api;
  std::string id = api.Push(R"({"source":"aws.events"})", 1795000000123);
  RuntimeClient client(api.address(), LongPollTransport());
  auto inv = client.Next();
  ASSERT_TRUE(inv) << inv.error().ToString();
  EXPECT_EQ(inv->request_id, id);
  EXPECT_EQ(inv->deadline, TimePoint(std::chrono::milliseconds(1795000000123)));
  EXPECT_EQ(inv->trace_id, "Root=1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(inv->function_arn, "arn:aws:lambda:us-east-1:111111111111:function:drsnap");
  EXPECT_EQ(inv->payload, R"({"source":"aws.events"})");
}

TEST(RunLoop, RespondsReportsErrorsAndSurvivesThrowingHandlers) {
  testing::FakeRuntimeApi api;
  api.Push(R"({"n":1})", 1795000000000);
  api.Push(R"({"n":2})", 1795000000000);
  api.Push(R"({"n":3})", 1795000000000);
  RuntimeClient client(api.address(), LongPollTransport());
  int calls = 0;
  Handler handler = [&](const Invocation& inv) -> HandlerResult {
    ++calls;
    if (inv.payload == R"({"n":2})") {
      return HandlerResult{false, "", "drsnap.ActionsFailed", "2 actions failed"};
    }
    if (inv.payload == R"({"n":3})") throw std::runtime_error("boom");
    return HandlerResult{true, R"({"done":1})", "", ""};
  };
  EXPECT_EQ(RunLoop(client, handler, LoopOptions{3, 5}), 0);
  EXPECT_EQ(calls, 3);
  auto outcomes = api.WaitForOutcomes(3);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].request_id, "req-1");
  EXPECT_FALSE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].body, R"({"done":1})");
  EXPECT_TRUE(outcomes[1].error);
  EXPECT_EQ(outcomes[1].error_type, "drsnap.ActionsFailed");
  EXPECT_NE(outcomes[1].body.find("2 actions failed"), std::string::npos);
  EXPECT_TRUE(outcomes[2].error);
  EXPECT_EQ(outcomes[2].error_type, "drsnap.InternalError");
  EXPECT_NE(outcomes[2].body.find("boom"), std::string::npos);
}

TEST(RunLoop, AnEventOverThePayloadLimitIsThatInvocationsErrorAndTheLoopGoesOn) {
  EXPECT_EQ(kMaxEventPayloadBytes, size_t{1} << 20);
  testing::FakeRuntimeApi api;
  // Valid JSON, one byte over the limit; then one at the limit; then a small one.
  auto event_of = [](size_t bytes) {
    return R"({"pad":")" + std::string(bytes - 10, 'x') + R"("})";
  };
  std::string too_big = api.Push(event_of(kMaxEventPayloadBytes + 1), 1795000000000);
  std::string at_limit = api.Push(event_of(kMaxEventPayloadBytes), 1795000000000);
  std::string small = api.Push(R"({"n":3})", 1795000000000);
  RuntimeClient client(api.address(), LongPollTransport());
  std::vector<size_t> handled;
  Handler handler = [&](const Invocation& inv) -> HandlerResult {
    handled.push_back(inv.payload.size());
    return HandlerResult{};
  };
  EXPECT_EQ(RunLoop(client, handler, LoopOptions{3, 5}), 0);
  EXPECT_EQ(handled, (std::vector<size_t>{kMaxEventPayloadBytes, 7}));
  auto outcomes = api.WaitForOutcomes(3);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].request_id, too_big);
  EXPECT_TRUE(outcomes[0].error);
  EXPECT_EQ(outcomes[0].error_type, kEventTooLargeErrorType);
  EXPECT_NE(outcomes[0].body.find("1 MiB"), std::string::npos) << outcomes[0].body;
  EXPECT_EQ(outcomes[1].request_id, at_limit);
  EXPECT_FALSE(outcomes[1].error);
  EXPECT_EQ(outcomes[2].request_id, small);
  EXPECT_FALSE(outcomes[2].error);
}

TEST(RuntimeClient, NextMarksAnEventOverItsLimit) {
  testing::FakeRuntimeApi api;
  std::string id = api.Push(std::string(101, 'x'), 1795000000000);
  RuntimeClient client(api.address(), LongPollTransport(), /*max_payload_bytes=*/100);
  auto inv = client.Next();
  ASSERT_TRUE(inv) << inv.error().ToString();
  EXPECT_EQ(inv->request_id, id);
  EXPECT_EQ(inv->payload, "");
  ASSERT_TRUE(inv->payload_error.has_value());
  EXPECT_EQ(inv->payload_error->code, "EventTooLarge");
  EXPECT_FALSE(inv->payload_error->retryable());
}

// What _X_AMZN_TRACE_ID holds right now; "<unset>" when it is not set.
std::string TraceEnv() {
  const char* v = std::getenv(kTraceIdEnv);
  return v == nullptr ? "<unset>" : v;
}

TEST(RunLoop, ExportsEachInvocationsTraceHeaderAndClearsItWhenAbsent) {
  testing::FakeRuntimeApi api;
  const std::string first =
      "Root=1-67a0b1c2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";
  const std::string second =
      "Root=1-67a0b1c3-fedcba9876543210fedcba98;Parent=1a2b3c4d5e6f7081;Sampled=0";
  api.PushWithTrace(R"({"n":1})", 1795000000000, first);
  api.PushWithTrace(R"({"n":2})", 1795000000000, second);
  api.PushWithTrace(R"({"n":3})", 1795000000000, "");  // no trace header
  api.PushWithTrace(R"({"n":4})", 1795000000000, first);
  // A stale value from before the loop must not survive an invocation without a header.
  ASSERT_EQ(::setenv(kTraceIdEnv, "Root=1-stale", 1), 0);
  RuntimeClient client(api.address(), LongPollTransport());
  std::vector<std::string> seen, trace_ids;
  Handler handler = [&](const Invocation& inv) -> HandlerResult {
    seen.push_back(TraceEnv());
    trace_ids.push_back(inv.trace_id);
    return HandlerResult{};
  };
  ASSERT_EQ(RunLoop(client, handler, LoopOptions{4, 5}), 0);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], first);
  EXPECT_EQ(seen[1], second);
  EXPECT_EQ(seen[2], "<unset>");
  EXPECT_EQ(seen[3], first);
  EXPECT_EQ(trace_ids, (std::vector<std::string>{first, second, "", first}));
  ::unsetenv(kTraceIdEnv);
}

TEST(RuntimeClient, InitError) {
  testing::FakeRuntimeApi api;
  RuntimeClient client(api.address(), LongPollTransport());
  ASSERT_TRUE(client.ReportInitError("drsnap.ConfigInvalid", "drsnap.yaml:3:1: unknown key"));
  auto errs = api.init_errors();
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("drsnap.yaml:3:1"), std::string::npos);
}

TEST(RunLoop, GivesUpWhenTheApiIsUnreachable) {
  // A port nobody listens on: bind a server, note its port, stop it.
  std::string address;
  {
    testing::FakeRuntimeApi api;
    address = api.address();
  }
  RuntimeClient client(address, aws::NewCurlTransport());
  int calls = 0;
  EXPECT_EQ(RunLoop(
                client,
                [&](const Invocation&) {
                  ++calls;
                  return HandlerResult{};
                },
                LoopOptions{0, 3}),
            1);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace drsnap::lambda
