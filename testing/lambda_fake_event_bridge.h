// A loopback fake of EventBridge for tests and benchmarks: accepts signed
// PutEvents (JSON 1.1, X-Amz-Target AWSEvents.PutEvents) on "/", and raw
// EventBridge-shaped events on "/raw" (drsnap-sim's event forwarder); wraps
// PutEvents entries into the EventBridge envelope (the bus's account and
// region) and hands every event to `route`, on the server's thread, before
// the PutEvents call is answered.
#pragma once

#include <httplib.h>

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace drsnap::testing {

class FakeEventBridge {
 public:
  using Route = std::function<void(const nlohmann::json& event)>;
  // answer_at_once: TCP_NODELAY on the server's sockets (see
  // FakeRuntimeApi: without it a PutEvents answer can wait about 40 ms for
  // the caller's delayed ACK).
  FakeEventBridge(std::string account, std::string region, Route route,
                  bool answer_at_once = false);
  ~FakeEventBridge();
  std::string endpoint() const;                     // "http://127.0.0.1:N"
  std::vector<nlohmann::json> put_entries() const;  // PutEvents entries received
  std::vector<std::string> targets() const;         // X-Amz-Target of each PutEvents call

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string account_, region_;
  Route route_;
  mutable std::mutex mu_;
  std::vector<nlohmann::json> entries_;
  std::vector<std::string> targets_;
  int next_id_ = 1;
};

}  // namespace drsnap::testing
