#include "cli/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace drsnap::cli {
namespace {

using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

int RemainingMillis(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Writes all of `data` before `deadline`; false when the peer is gone or slow.
bool WriteAll(int fd, std::string_view data, SteadyClock::time_point deadline) {
  while (!data.empty()) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, RemainingMillis(deadline)) <= 0) return false;
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Serialize(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + HttpStatusLine(r.status) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += r.body;
  return out;
}

HttpResponse Plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// "GET /metrics?x HTTP/1.1" -> method and path; false when it is not that shape.
bool ParseRequestLine(std::string_view line, HttpRequest& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  std::string_view version = line.substr(sp2 + 1);
  if (!version.starts_with("HTTP/1.")) return false;
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.front() != '/') return false;
  out.method = std::string(line.substr(0, sp1));
  out.path = std::string(target.substr(0, target.find('?')));
  return true;
}

Error ListenError(std::string_view address, const std::string& what) {
  return Error::Terminal("ListenFailed", "cannot listen on " + std::string(address) + ": " + what);
}

// "host" and "port" of "host:port", ":port" or "[v6]:port".
bool SplitAddress(std::string_view address, std::string& host, std::string& port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = std::string(address.substr(0, colon));
  port = std::string(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port)
    if (c < '0' || c > '9') return false;
  return std::stoi(port) <= 65535;
}

}  // namespace

std::string HttpStatusLine(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 400:
      return "400 Bad Request";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 408:
      return "408 Request Timeout";
    case 431:
      return "431 Request Header Fields Too Large";
    case 500:
      return "500 Internal Server Error";
    case 503:
      return "503 Service Unavailable";
    default:
      return std::to_string(status) + " Status";
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(std::string_view address, HttpHandler handler,
                                                      HttpServerOptions options) {
  std::string host, port;
  if (!SplitAddress(address, host, port))
    return Fail(Error::Terminal("UsageError", "'" + std::string(address) +
                                                  "' is not HOST:PORT or :PORT (e.g. "
                                                  "127.0.0.1:9464, :9464, [::1]:9464)"));
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return Fail(ListenError(address, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);

  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(ListenError(address, std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 16) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Fail(ListenError(address, why));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  char text[INET6_ADDRSTRLEN] = {0};
  int bound_port = 0;
  std::string bound_address;
  if (bound.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    bound_port = ntohs(a->sin6_port);
    bound_address = "[" + std::string(text) + "]:" + std::to_string(bound_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&bound);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    bound_port = ntohs(a->sin_port);
    bound_address = std::string(text) + ":" + std::to_string(bound_port);
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    std::string why = std::strerror(errno);
    close(fd);
    return Fail(ListenError(address, why));
  }
  std::unique_ptr<HttpServer> server(
      new HttpServer(fd, wake[0], wake[1], std::move(handler), options, bound_address, bound_port));
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

HttpServer::HttpServer(int listen_fd, int wake_read, int wake_write, HttpHandler handler,
                       HttpServerOptions options, std::string address, int port)
    : listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      handler_(std::move(handler)),
      options_(options),
      address_(std::move(address)),
      port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  char c = 1;
  while (write(wake_write_, &c, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

void HttpServer::Serve() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    if ((p[0].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    ServeConnection(fd);
    close(fd);
  }
}

void HttpServer::ServeConnection(int fd) {
  const auto deadline = SteadyClock::now() + options_.read_timeout;
  std::string head;
  size_t end = std::string::npos;
  char buf[1024];
  while (end == std::string::npos) {
    if (head.size() > options_.max_request_bytes) break;
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    int ready = poll(p, 2, RemainingMillis(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || p[1].revents != 0) return;  // an error, or stopping
    if (ready == 0) {
      WriteAll(fd, Serialize(Plain(408, "no complete request within the read timeout\n")),
               SteadyClock::now() + options_.read_timeout);
      return;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;  // the client went away
    head.append(buf, static_cast<size_t>(n));
    end = head.find("\r\n\r\n");
  }
  HttpResponse response;
  HttpRequest request;
  if (end == std::string::npos || end + 4 > options_.max_request_bytes) {
    response = Plain(431, "the request line and headers are over " +
                              std::to_string(options_.max_request_bytes) + " bytes\n");
  } else if (!ParseRequestLine(std::string_view(head).substr(0, head.find("\r\n")), request)) {
    response = Plain(400, "not an HTTP/1.x request line\n");
  } else if (request.method != "GET") {
    response = Plain(405, "only GET is served here\n");
    response.headers.emplace_back("Allow", "GET");
  } else {
    try {
      response = handler_(request);
    } catch (const std::exception& e) {
      response = Plain(500, std::string("drsnap could not answer: ") + e.what() + "\n");
    }
  }
  WriteAll(fd, Serialize(response), SteadyClock::now() + options_.read_timeout);
  // What the client sent past the request (a body, an oversized header)
  // must not turn the close into a reset that discards the answer on its
  // side: half-close, then read and drop a bounded amount.
  shutdown(fd, SHUT_WR);
  const auto drain_until = SteadyClock::now() + std::chrono::milliseconds(100);
  for (size_t drained = 0; drained < 65536;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, RemainingMillis(drain_until)) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

}  // namespace drsnap::cli
