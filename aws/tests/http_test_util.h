// Small loopback socket helpers for the HTTP transport tests (no httplib, so
// that every aws test binary that links this stays cheap to build).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace drsnap::aws::testing {

// A port on 127.0.0.1 that nobody listens on (bound, then closed).
int UnusedLoopbackPort();

// Listens on 127.0.0.1:0 and never accepts: connections complete in the
// kernel backlog, requests are never answered.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Accepts connections on 127.0.0.1:0, reads each request head (up to the
// blank line), records it, replies with `reply` verbatim and closes. Serves as
// a fake proxy.
class CaptureServer {
 public:
  explicit CaptureServer(std::string reply);
  ~CaptureServer();
  int port() const { return port_; }
  // Request heads received so far (request line and headers).
  std::vector<std::string> heads() const;

 private:
  void Loop();

  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

}  // namespace drsnap::aws::testing
