#include "sim/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <csignal>
#include <filesystem>
#include <random>
#include <utility>

#include "aws/encoding.h"
#include "core/log.h"

namespace drsnap::sim {
namespace {

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t a = dist(rng), b = dist(rng);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0x0fff),
                static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

bool IsPresignParam(std::string_view key) {
  return key == "X-Amz-Algorithm" || key == "X-Amz-Credential" || key == "X-Amz-Date" ||
         key == "X-Amz-Expires" || key == "X-Amz-SignedHeaders" || key == "X-Amz-Signature" ||
         key == "X-Amz-Security-Token";
}

// Appends the decoded pairs of a form-encoded string.
void ParseForm(std::string_view text, bool skip_presign,
               std::vector<std::pair<std::string, std::string>>* out) {
  size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    auto end = text.find('&', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view pair = text.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = aws::UriDecode(pair.substr(0, eq), /*plus_as_space=*/true);
    if (skip_presign && IsPresignParam(key)) continue;
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : aws::UriDecode(pair.substr(eq + 1), /*plus_as_space=*/true);
    out->emplace_back(std::move(key), std::move(value));
  }
}

// What the wire carried, decoded into an operation.
struct ParsedOperation {
  bool json = false;   // KMS JSON 1.1
  std::string action;  // "DescribeDBSnapshots" / "DescribeKey"
  std::string target;  // X-Amz-Target as sent (JSON only)
  std::vector<std::pair<std::string, std::string>> params;
};

ParsedOperation ParseOperation(const ReceivedRequest& r) {
  ParsedOperation op;
  std::string target = r.Header("X-Amz-Target");
  if (!target.empty()) {
    op.json = true;
    op.target = target;
    auto dot = target.rfind('.');
    op.action = dot == std::string::npos ? target : target.substr(dot + 1);
    return op;
  }
  std::vector<std::pair<std::string, std::string>> all;
  ParseForm(r.query, /*skip_presign=*/true, &all);
  if (r.method == "POST" && !r.body.empty()) ParseForm(r.body, /*skip_presign=*/false, &all);
  op.params.reserve(all.size());
  for (auto& [k, v] : all) {
    if (k == "Action") {
      if (op.action.empty()) op.action = std::move(v);
    } else if (k == "Version") {
      continue;
    } else {
      op.params.emplace_back(std::move(k), std::move(v));
    }
  }
  return op;
}

Error MakeError(std::string code, std::string message, int status) {
  Error e = status >= 500 ? Error::Transient(std::move(code), std::move(message))
                          : Error::Terminal(std::move(code), std::move(message));
  e.http_status = status;
  return e;
}

// Finds this process's sockets through /proc/self/fd and shuts down those
// that match: httplib does not expose a connection's socket to handlers.
// match(local_port, peer_ip, peer_port) decides. Linux-only, and only used on
// rare paths (an injected dropped connection, Stop()).
template <class Match>
void ShutdownMatchingSockets(Match match) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    char ip[INET6_ADDRSTRLEN] = {0};
    int local_port = 0, peer_port = 0;
    if (local.ss_family == AF_INET) {
      const auto* l = reinterpret_cast<const sockaddr_in*>(&local);
      const auto* p = reinterpret_cast<const sockaddr_in*>(&peer);
      local_port = ntohs(l->sin_port);
      peer_port = ntohs(p->sin_port);
      ::inet_ntop(AF_INET, &p->sin_addr, ip, sizeof(ip));
    } else if (local.ss_family == AF_INET6) {
      const auto* l = reinterpret_cast<const sockaddr_in6*>(&local);
      const auto* p = reinterpret_cast<const sockaddr_in6*>(&peer);
      local_port = ntohs(l->sin6_port);
      peer_port = ntohs(p->sin6_port);
      ::inet_ntop(AF_INET6, &p->sin6_addr, ip, sizeof(ip));
    } else {
      continue;
    }
    if (match(local_port, std::string_view(ip), peer_port)) ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace

class Server::Impl final : public httplib::Server {
 public:
  explicit Impl(drsnap::sim::Server* owner) : owner_(owner) {}

  // Closes every accepted connection (idle ones sit in keep-alive waits that
  // would otherwise delay stopping by the keep-alive timeout).
  void ShutdownOpenSockets() {
    const int port = owner_->port_;
    ShutdownMatchingSockets(
        [port](int local_port, std::string_view, int) { return local_port == port; });
  }

  void Install();

  // httplib listens with a backlog of 5 (compiled into Debian's library):
  // a burst of concurrent connects then loses SYNs and waits a 1 s
  // retransmit. Calling listen() again on Linux just raises the backlog.
  void RaiseListenBacklog() {
    int sock = svr_sock_;
    if (sock >= 0) ::listen(sock, 1024);
  }

 private:
  void Dispatch(const httplib::Request& req, httplib::Response& res, std::string body);
  void HandleAws(ReceivedRequest r, const httplib::Request& req, httplib::Response& res);
  static void Send(httplib::Response& res, int status, const std::string& content_type,
                   std::string body, const std::string& request_id);

  drsnap::sim::Server* owner_;
};

void Server::Impl::Send(httplib::Response& res, int status, const std::string& content_type,
                        std::string body, const std::string& request_id) {
  res.status = status;
  if (!request_id.empty()) res.set_header("x-amzn-RequestId", request_id);
  // A sized content provider, not set_content(): httplib would otherwise
  // compress text/xml and JSON bodies (brotli at its slowest level) whenever
  // the client accepts it, which costs more than serving the page.
  auto shared = std::make_shared<std::string>(std::move(body));
  res.set_content_provider(shared->size(), content_type,
                           [shared](size_t offset, size_t length, httplib::DataSink& sink) {
                             size_t n = std::min(length, shared->size() - offset);
                             return sink.write(shared->data() + offset, n);
                           });
}

void Server::Impl::Install() {
  const ServerOptions& o = owner_->options_;
  new_task_queue = [n = o.threads] {
    return new httplib::ThreadPool(static_cast<size_t>(n < 1 ? 1 : n));
  };
  set_keep_alive_max_count(100000);
  set_keep_alive_timeout(5);
  auto ms = o.read_timeout.count() < 1 ? 1 : o.read_timeout.count();
  set_read_timeout(ms / 1000, (ms % 1000) * 1000);
  set_write_timeout(30);
  set_tcp_nodelay(true);
  // Bodies with a larger Content-Length are answered 413 by httplib without
  // being read into memory.
  set_payload_max_length(o.max_body_bytes);
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    const ServerOptions& opt = owner_->options_;
    std::string body;
    const auto deadline = std::chrono::steady_clock::now() + opt.body_deadline;
    bool too_large = false, too_slow = false;
    bool complete = reader([&](const char* data, size_t len) {
      if (body.size() + len > opt.max_body_bytes) {  // chunked bodies have no Content-Length
        too_large = true;
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        too_slow = true;
        return false;
      }
      body.append(data, len);
      return true;
    });
    if (complete && !too_large && !too_slow) {
      Dispatch(req, res, std::move(body));
      return;
    }
    if (too_large || res.status == 413) {
      SimResponse r = MakeErrorResponse(
          "rds", 413, "RequestEntityTooLarge",
          "The request body is larger than " + std::to_string(opt.max_body_bytes) + " bytes.");
      Send(res, 413, r.content_type, std::move(r.body), r.request_id);
      return;
    }
    // A body that stalled (read timeout) or trickled past the deadline: drop
    // the connection, so that it holds a worker thread no longer.
    ShutdownMatchingSockets([&](int local_port, std::string_view peer_ip, int peer_port) {
      return local_port == req.local_port && peer_port == req.remote_port &&
             peer_ip == req.remote_addr;
    });
    res.status = 408;
  };
  auto without_body = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res, req.body);
  };
  Get(".*", without_body);
  Post(".*", with_body);
  Put(".*", with_body);
  Delete(".*", with_body);
  set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LogError("drsnap-sim: request handler threw", {{"error", what}});
    SimResponse r = MakeErrorResponse("rds", 500, "InternalFailure", what, "Receiver");
    Send(res, 500, r.content_type, std::move(r.body), r.request_id);
  });
}

void Server::Impl::Dispatch(const httplib::Request& req, httplib::Response& res, std::string body) {
  ReceivedRequest r;
  r.method = req.method;
  std::string_view target = req.target;
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.body = std::move(body);

  if (r.path.starts_with(kAdminPrefix)) {
    if (!AdminPeerAllowed(req.remote_addr, owner_->options_.allow_remote_admin)) {
      Send(res, 403, "application/json",
           nlohmann::json{{"error",
                           {{"code", "Forbidden"},
                            {"message",
                             "the admin API answers loopback peers only (start drsnap-sim with "
                             "--allow-remote-admin to change that)"}}}}
               .dump(),
           "");
      return;
    }
    AdminResponse a = owner_->admin_->Handle(r.method, r.path, r.query, r.body);
    Send(res, a.status, a.content_type, std::move(a.body), "");
    return;
  }
  r.headers.reserve(req.headers.size());
  for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
  HandleAws(std::move(r), req, res);
}

void Server::Impl::HandleAws(ReceivedRequest r, const httplib::Request& req,
                             httplib::Response& res) {
  drsnap::sim::Server& s = *owner_;
  ParsedOperation op = ParseOperation(r);
  std::string service = DetectService(r, op.action);

  auto fail = [&](const Error& e, RequestOutcome outcome, std::string_view account,
                  std::string_view region) {
    s.stats_.Record(service, op.action, account, region, outcome);
    SimResponse resp = ServiceErrorResponse(service, e);
    std::string id = resp.request_id.empty() ? NewRequestId() : resp.request_id;
    if (s.options_.log_requests) {
      LogInfo("drsnap-sim request", {{"service", service},
                                     {"action", op.action},
                                     {"account", std::string(account)},
                                     {"region", std::string(region)},
                                     {"status", resp.status},
                                     {"error", e.code}});
    }
    Send(res, resp.status, resp.content_type, std::move(resp.body), id);
  };

  const TimePoint wall_now = s.options_.wall_clock->Now();
  const TimePoint sim_now = s.simulator_->Now();
  Result<AuthenticatedCaller> caller = Authenticate(
      r, op.action, [&s](std::string_view akid) { return s.simulator_->LookupAccessKey(akid); },
      wall_now, sim_now, s.auth_options());
  if (!caller) return fail(caller.error(), RequestOutcome::kFailed, "", "");
  service = caller->service;

  if (service != "rds" && service != "sts" && service != "kms") {
    return fail(MakeError("InvalidAction",
                          "drsnap-sim serves the rds, sts and kms services; the credential scope "
                          "names '" +
                              service + "'",
                          400),
                RequestOutcome::kFailed, caller->account_id, caller->region);
  }
  if (service == "kms" && (!op.json || !op.target.starts_with("TrentService."))) {
    return fail(MakeError("UnknownOperationException",
                          op.json ? "Unknown target " + op.target
                                  : "KMS requests need an X-Amz-Target header",
                          400),
                RequestOutcome::kFailed, caller->account_id, caller->region);
  }
  if (service != "kms" && op.json) {
    return fail(MakeError("InvalidAction",
                          "the " + service + " API uses the Query protocol, not X-Amz-Target", 400),
                RequestOutcome::kFailed, caller->account_id, caller->region);
  }
  if (op.action.empty()) {
    return fail(MakeError("MissingAction", "The request must contain the parameter Action", 400),
                RequestOutcome::kFailed, caller->account_id, caller->region);
  }

  FaultDecision fault = s.faults_.Decide(service, caller->account_id, caller->region);
  if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
  switch (fault.action) {
    case FaultAction::kNone:
      break;
    case FaultAction::kDrop:
      s.stats_.Record(service, op.action, caller->account_id, caller->region,
                      RequestOutcome::kFaulted);
      ShutdownMatchingSockets([&](int local_port, std::string_view peer_ip, int peer_port) {
        return local_port == req.local_port && peer_port == req.remote_port &&
               peer_ip == req.remote_addr;
      });
      res.status = 500;
      return;
    case FaultAction::kError500:
      return fail(MakeError("InternalFailure",
                            "The request processing has failed because of an unknown error, "
                            "exception or failure.",
                            500),
                  RequestOutcome::kFaulted, caller->account_id, caller->region);
    case FaultAction::kError503:
      return fail(
          MakeError("ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.", 503),
          RequestOutcome::kFaulted, caller->account_id, caller->region);
    case FaultAction::kThrottle:
      return fail(MakeError("Throttling", "Rate exceeded", 400), RequestOutcome::kThrottled,
                  caller->account_id, caller->region);
  }

  SimRequest sim_request;
  sim_request.service = service;
  sim_request.region = caller->region;
  sim_request.account_id = caller->account_id;
  sim_request.caller_arn = caller->arn;
  sim_request.action = op.action;
  sim_request.params = std::move(op.params);
  sim_request.user_agent = r.Header("User-Agent");
  if (op.json) sim_request.json_body = std::move(r.body);
  SimResponse resp = s.simulator_->Handle(sim_request);
  if (s.options_.on_request) s.options_.on_request(sim_request, resp);
  s.stats_.Record(
      service, op.action, caller->account_id, caller->region,
      resp.status >= 200 && resp.status < 300 ? RequestOutcome::kOk : RequestOutcome::kFailed);
  if (s.options_.log_requests) {
    LogInfo("drsnap-sim request", {{"service", service},
                                   {"action", op.action},
                                   {"account", caller->account_id},
                                   {"region", caller->region},
                                   {"status", resp.status}});
  }
  std::string id = resp.request_id.empty() ? NewRequestId() : resp.request_id;
  Send(res, resp.status, resp.content_type, std::move(resp.body), id);
}

// --------------------------------------------------------------------- Server

Server::Server(std::shared_ptr<Simulator> simulator, ServerOptions options)
    : simulator_(std::move(simulator)),
      options_(std::move(options)),
      faults_(options_.faults, options_.wall_clock),
      auth_(options_.auth) {
  if (!options_.wall_clock) options_.wall_clock = std::make_shared<SystemClock>();
  AdminContext ctx;
  ctx.simulator = simulator_;
  ctx.faults = &faults_;
  ctx.stats = &stats_;
  ctx.get_auth = [this] { return auth_options(); };
  ctx.set_auth = [this](const AuthOptions& a) { set_auth_options(a); };
  ctx.wall_clock = options_.wall_clock;
  admin_ = std::make_unique<AdminApi>(std::move(ctx));
  impl_ = std::make_unique<Impl>(this);
}

Result<std::unique_ptr<Server>> Server::Start(std::shared_ptr<Simulator> simulator,
                                              ServerOptions options) {
  if (!simulator) return Fail(Error::Terminal("InvalidArgument", "no simulator given"));
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Server> server(new Server(std::move(simulator), std::move(options)));
  server->impl_->Install();
  const std::string& host = server->options_.host;
  int port = server->options_.port;
  if (port == 0) {
    port = server->impl_->bind_to_any_port(host);
    if (port <= 0) {
      return Fail(Error::Terminal("BindFailed", "cannot bind to a free port on " + host));
    }
  } else if (!server->impl_->bind_to_port(host, port)) {
    return Fail(Error::Terminal("BindFailed", "cannot bind to " + host + ":" +
                                                  std::to_string(port) +
                                                  " (in use, or not an address of this host?)"));
  }
  server->port_ = port;
  server->impl_->RaiseListenBacklog();
  Impl* impl = server->impl_.get();
  server->listener_ = std::thread([impl] { impl->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it,
  // so that a Stop() right after Start() cannot miss it (and hang in join).
  for (int i = 0; i < 5000 && !impl->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (server->options_.time_rate > 0) {
    Status st = server->admin_->time_runner().SetRate(server->options_.time_rate);
    if (!st) {
      server->Stop();
      return Fail(std::move(st).error().With("starting drsnap-sim"));
    }
  }
  if (!server->options_.event_target_url.empty()) {
    Status st = server->admin_->event_forwarder().SetTarget(server->options_.event_target_url);
    if (!st) {
      server->Stop();
      return Fail(std::move(st).error().With("starting drsnap-sim"));
    }
  }
  return server;
}

Server::~Server() { Stop(); }

std::string ListenUrl(std::string_view host, int port) {
  std::string h(host.empty() ? "0.0.0.0" : host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port);
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (host.starts_with("::ffff:")) host.remove_prefix(7);
  in_addr a{};
  std::string h(host);
  if (::inet_pton(AF_INET, h.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

bool AdminPeerAllowed(std::string_view peer_address, bool allow_remote) {
  return allow_remote || IsLoopbackHost(peer_address);
}

std::string Server::endpoint() const {
  std::string host = options_.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port_);
}

void Server::Stop() {
  std::call_once(stop_once_, [this] {
    admin_->Stop();
    impl_->stop();
    impl_->ShutdownOpenSockets();
    if (listener_.joinable()) listener_.join();
  });
}

AuthOptions Server::auth_options() const {
  std::lock_guard<std::mutex> lock(auth_mu_);
  return auth_;
}

void Server::set_auth_options(const AuthOptions& options) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  auth_ = options;
}

}  // namespace drsnap::sim
