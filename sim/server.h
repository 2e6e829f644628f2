// drsnap-sim's HTTP server: one port serves RDS, STS and KMS for every
// account and region (the service and region come from each request's SigV4
// credential scope), plus the admin API under /_sim/ (sim/admin_api.h).
// Embeddable: tests start one on a free port, point a client at endpoint(),
// and stop it.
//
// For each AWS request, in order:
//   1. parse: Query (POST form body or GET query string: Action, Version,
//      parameters) or JSON 1.1 (X-Amz-Target: TrentService.<Op>, KMS);
//   2. authenticate: SigV4 header or presigned query (sim/auth.h); unsigned
//      only for STS AssumeRoleWithWebIdentity;
//   3. transport faults (sim/faults.h): latency, dropped connection, 500/503,
//      throttling bucket per service x account x region;
//   4. Simulator::Handle() executes the operation;
//   5. the answer carries x-amzn-RequestId; every request is counted in
//      RequestStats (GET /_sim/stats).
//
// Process-wide side effect: Start() sets SIGPIPE to SIG_IGN (a dropped
// connection must not kill the process).
//
// Thread safety: port()/endpoint() and the accessors may be called from any
// thread; Stop() is idempotent and is called by the destructor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "sim/admin_api.h"
#include "sim/auth.h"
#include "sim/faults.h"
#include "sim/request_stats.h"
#include "sim/simulator.h"

namespace drsnap::sim {

struct ServerOptions {
  // The address to bind. Anything but loopback exposes the admin API, which
  // hands out every secret key of the world: drsnap-sim's main warns, and the
  // admin API answers only loopback peers unless allow_remote_admin.
  std::string host = "127.0.0.1";
  int port = 0;      // 0: any free port (read it back with port())
  int threads = 32;  // worker threads; each open keep-alive connection holds one
  AuthOptions auth;
  FaultConfig faults;
  double time_rate = 0;               // >0: virtual clock runs at this multiple of real time
  std::string event_target_url;       // "": no event forwarding (see EventForwarder)
  bool log_requests = false;          // one LogInfo line per AWS request
  // Called with every AWS request the simulator executed (authenticated, not
  // faulted) and its answer, on the serving thread, after Simulator::Handle
  // and before the answer is sent: where a benchmark timestamps the calls
  // that reach the simulator. It must be quick and must not call the server.
  std::function<void(const SimRequest&, const SimResponse&)> on_request;
  std::shared_ptr<Clock> wall_clock;  // real time for skew checks and throttling; null: system
  bool allow_remote_admin = false;    // answer /_sim/ from non-loopback peers too
  // Larger request bodies are refused (413) without being buffered.
  size_t max_body_bytes = 16 * 1024 * 1024;
  // A connection that sends nothing for this long is dropped (also while
  // its request body is incomplete)...
  std::chrono::milliseconds read_timeout{5000};
  // ... and one whose body takes longer than this in all is dropped too.
  std::chrono::milliseconds body_deadline{10000};
};

// "http://HOST:PORT" for the address a server is bound to ("http://0.0.0.0:N",
// "http://[::]:N").
std::string ListenUrl(std::string_view host, int port);
// 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(std::string_view host);
// Whether the admin API answers a request from this peer address.
bool AdminPeerAllowed(std::string_view peer_address, bool allow_remote);

class Server {
 public:
  // Binds, starts the worker threads and returns once requests are accepted.
  static Result<std::unique_ptr<Server>> Start(std::shared_ptr<Simulator> simulator,
                                               ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:N": where a local client connects (a wildcard host is
  // reported as 127.0.0.1).
  std::string endpoint() const;
  // ListenUrl() of the bound address: what drsnap-sim prints.
  std::string listen_url() const { return ListenUrl(options_.host, port_); }
  // Stops accepting, closes open connections and joins every thread.
  void Stop();

  Simulator& simulator() { return *simulator_; }
  FaultInjector& faults() { return faults_; }
  RequestStats& stats() { return stats_; }
  AdminApi& admin() { return *admin_; }
  AuthOptions auth_options() const;
  void set_auth_options(const AuthOptions& options);

  class Impl;  // the httplib side (server.cc)

 private:
  Server(std::shared_ptr<Simulator> simulator, ServerOptions options);

  std::shared_ptr<Simulator> simulator_;
  ServerOptions options_;
  FaultInjector faults_;
  RequestStats stats_;
  std::unique_ptr<AdminApi> admin_;
  mutable std::mutex auth_mu_;
  AuthOptions auth_;  // guarded by auth_mu_
  std::unique_ptr<Impl> impl_;
  std::thread listener_;
  int port_ = 0;
  std::once_flag stop_once_;
};

}  // namespace drsnap::sim
