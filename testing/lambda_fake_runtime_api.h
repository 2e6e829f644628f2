// A loopback fake of the Lambda Runtime API for tests and benchmarks: queues
// events, hands them out on /next, records responses and errors, and when
// (steady clock) each invocation was handed out and answered.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace drsnap::testing {

class FakeRuntimeApi {
 public:
  struct Outcome {
    std::string request_id;
    bool error = false;
    std::string body;                                  // response body or error JSON
    std::string error_type;                            // Lambda-Runtime-Function-Error-Type
    std::chrono::steady_clock::time_point handed_out;  // its /next answered
    std::chrono::steady_clock::time_point answered;    // its response or error arrived
  };

  // answer_at_once: TCP_NODELAY on the server's sockets. Without it the
  // headers and the body of a /next answer are two writes, and Nagle's
  // algorithm holds the second one until the runtime's delayed ACK (about
  // 40 ms on Linux): a delay of this fake that a benchmark would measure as
  // the function's. Off by default for the tests, which were written with
  // it: lambda_handler_event_driven_test moves the simulated clock on by 30
  // minutes while its functions run, and an invocation handed out promptly
  // can start during that move and find its deadline (carried over to the
  // simulated clock) already passed.
  explicit FakeRuntimeApi(bool answer_at_once = false);
  ~FakeRuntimeApi();
  // "127.0.0.1:PORT", the value for AWS_LAMBDA_RUNTIME_API.
  std::string address() const;
  // Queues an event; returns its request id. deadline_ms: epoch milliseconds.
  // Its Lambda-Runtime-Trace-Id header is kDefaultTrace.
  std::string Push(std::string payload, long long deadline_ms);
  // The same with this trace header; "" sends the invocation without one.
  std::string PushWithTrace(std::string payload, long long deadline_ms, std::string trace_id);
  static constexpr char kDefaultTrace[] = "Root=1-5759e988-bd862e3fe1be46a994272793";
  // Waits until n outcomes were posted (or timeout); returns them.
  std::vector<Outcome> WaitForOutcomes(size_t n, int timeout_ms = 60000);
  std::vector<std::string> init_errors() const;
  // When each invocation handed out so far (answered or not) was, by request id.
  std::map<std::string, std::chrono::steady_clock::time_point> handed_out() const;
  // Waits until a runtime process asked for its next invocation (it is
  // ready) or timeout; whether one did.
  bool WaitForPoll(int timeout_ms = 10000);

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Pending {
    std::string id, payload;
    long long deadline_ms;
    std::string trace_id;  // "": no Lambda-Runtime-Trace-Id header
  };
  std::deque<Pending> queue_;
  std::vector<Outcome> outcomes_;
  std::vector<std::string> init_errors_;
  std::map<std::string, std::chrono::steady_clock::time_point> handed_out_;  // by request id
  int polls_ = 0;
  int next_id_ = 1;
  bool stopping_ = false;
};

}  // namespace drsnap::testing
