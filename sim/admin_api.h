// drsnap-sim's admin API: the control plane under the path prefix /_sim/ on
// the same port as the AWS endpoints, unsigned, JSON in and out. Every
// endpoint is documented with curl examples in docs/sim.md:
//
// clang-format off
//   GET    /_sim/ping                {"ok":true,"now":ISO}
//   GET    /_sim/state               the complete state (Simulator::DumpStateJson)
//   PUT    /_sim/state               replace the state with a dump
//   POST   /_sim/world               replace the world with a world file (YAML or JSON text)
//   GET    /_sim/time                {"now":ISO,"rate":R,"wall":ISO}
//   POST   /_sim/time/advance        {"seconds":N}
//   POST   /_sim/time/set            {"time":ISO}
//   POST   /_sim/time/rate           {"rate":R}  virtual clock runs at R x real time; 0 stops
//   GET    /_sim/events?since=ISO    [event, ...] in EventBridge shape
//   GET    /_sim/events/target       {"url":...}
//   POST   /_sim/events/target       {"url":"http://127.0.0.1:N/x"} POST each new event there; "" stops
//   GET    /_sim/snapshots?account=A&region=R   every snapshot, with who created it
//   GET    /_sim/stats               request counts per service x operation x account x region
//   DELETE /_sim/stats               reset the counts
//   GET    /_sim/faults              the transport fault configuration
//   POST   /_sim/faults              {"throttle":true,...} or a world fault {"kind":"fail_copies",...}
//   DELETE /_sim/faults              everything off (transport and world faults)
//   GET    /_sim/settings            simulator tunables + "signature_clock", "max_skew_seconds"
//   PUT    /_sim/settings            merge tunables
// clang-format on
//
// Errors: {"error":{"code":..,"message":..}} with 400 (bad input), 404
// (unknown path) or 405 (wrong method). The server answers 403 to peers that
// are not loopback (unless allowed) and 413 to bodies over its limit.
//
// Thread safety: Handle() may be called concurrently from server threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"
#include "sim/auth.h"
#include "sim/faults.h"
#include "sim/request_stats.h"
#include "sim/simulator.h"

namespace drsnap::sim {

inline constexpr std::string_view kAdminPrefix = "/_sim/";

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Everything the admin API controls. Pointers must outlive the AdminApi.
struct AdminContext {
  std::shared_ptr<Simulator> simulator;
  FaultInjector* faults = nullptr;
  RequestStats* stats = nullptr;
  std::function<AuthOptions()> get_auth;
  std::function<void(const AuthOptions&)> set_auth;
  std::shared_ptr<Clock> wall_clock;  // null: the system clock
};

// Runs the simulator's virtual clock at `rate` x real time on a background
// thread (ticks about every 50 ms of real time).
// Thread safety: all methods may be called concurrently.
class TimeRunner {
 public:
  explicit TimeRunner(std::shared_ptr<Simulator> simulator);
  ~TimeRunner();  // stops the thread
  // rate 0 stops the clock; REQUIRES: 0 <= rate <= 1e7.
  Status SetRate(double rate);
  double rate() const;
  void Stop();

 private:
  void Loop();

  std::shared_ptr<Simulator> simulator_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  double rate_ = 0;    // guarded by mu_
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

// Delivers each new simulator event as a JSON POST to a loopback URL, from a
// background thread, best effort (failures are logged and dropped, as AWS's
// delivery is best effort too). The queue holds at most 10,000 events.
// Thread safety: all methods may be called concurrently.
class EventForwarder {
 public:
  explicit EventForwarder(std::shared_ptr<Simulator> simulator,
                          std::shared_ptr<aws::HttpTransport> transport = nullptr);
  ~EventForwarder();  // detaches from the simulator and stops the thread
  // url "" stops forwarding. Only http:// URLs on 127.0.0.0/8, localhost or
  // [::1] are accepted.
  Status SetTarget(std::string url);
  std::string target() const;
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t failed() const { return failed_.load(); }
  void Stop();

 private:
  void Enqueue(const nlohmann::json& event);
  void Loop();

  std::shared_ptr<Simulator> simulator_;
  std::shared_ptr<aws::HttpTransport> transport_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string url_;                // guarded by mu_
  std::deque<std::string> queue_;  // guarded by mu_
  bool stop_ = false;              // guarded by mu_
  bool attached_ = false;          // guarded by mu_
  std::thread thread_;
  std::atomic<uint64_t> delivered_{0}, failed_{0};
};

// True when url is http(s) on a loopback host (127.0.0.0/8, localhost, [::1]).
bool IsLoopbackUrl(std::string_view url);

class AdminApi {
 public:
  explicit AdminApi(AdminContext context);
  ~AdminApi();

  // Handles one request whose path starts with kAdminPrefix. raw_query is
  // the undecoded query string.
  AdminResponse Handle(std::string_view method, std::string_view path, std::string_view raw_query,
                       const std::string& body);

  TimeRunner& time_runner() { return time_runner_; }
  EventForwarder& event_forwarder() { return forwarder_; }
  // Stops the background threads (idempotent).
  void Stop();

 private:
  AdminResponse Time();
  AdminResponse Settings();
  AdminResponse PutSettings(const nlohmann::json& body);
  AdminResponse PostFaults(const nlohmann::json& body);

  AdminContext ctx_;
  TimeRunner time_runner_;
  EventForwarder forwarder_;
};

}  // namespace drsnap::sim
