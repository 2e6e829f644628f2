#include "core/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/strings.h"

namespace drsnap {

std::string UrlHost(std::string_view url, std::string* scheme) {
  size_t p = url.find("://");
  if (p == std::string_view::npos) return "";
  if (scheme) *scheme = AsciiLower(url.substr(0, p));
  std::string_view rest = url.substr(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return "";
    return AsciiLower(rest.substr(1, close - 1));
  }
  return AsciiLower(rest.substr(0, rest.find(':')));
}

bool IsLoopbackAddress(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool IsLoopbackUrl(std::string_view url) {
  std::string scheme;
  std::string host = UrlHost(url, &scheme);
  if (scheme != "http" && scheme != "https") return false;
  return host == "localhost" || IsLoopbackAddress(host);
}

}  // namespace drsnap
