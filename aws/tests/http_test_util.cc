#include "aws/tests/http_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace drsnap::aws::testing {

namespace {

// Binds a TCP socket to 127.0.0.1:0; returns the fd and sets *port.
int BindLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) std::abort();
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int UnusedLoopbackPort() {
  int port = 0;
  int fd = BindLoopback(&port);
  ::close(fd);
  return port;
}

SilentServer::SilentServer() {
  fd_ = BindLoopback(&port_);
  if (::listen(fd_, 16) != 0) std::abort();
}

SilentServer::~SilentServer() { ::close(fd_); }

CaptureServer::CaptureServer(std::string reply) : reply_(std::move(reply)) {
  fd_ = BindLoopback(&port_);
  if (::listen(fd_, 16) != 0) std::abort();
  thread_ = std::thread([this] { Loop(); });
}

CaptureServer::~CaptureServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::vector<std::string> CaptureServer::heads() const {
  std::lock_guard lock(mu_);
  return heads_;
}

void CaptureServer::Loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mu_);
      heads_.push_back(head.substr(0, head.find("\r\n\r\n")));
    }
    (void)::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
    ::shutdown(c, SHUT_WR);
    ::close(c);
  }
}

}  // namespace drsnap::aws::testing
