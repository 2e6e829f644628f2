// The host of a URL and whether it is this machine: for the few places that
// accept an http URL only when it stays on loopback (the container
// credentials endpoint, the rehearsal clock).
//
// Thread safety: pure.
#pragma once

#include <string>
#include <string_view>

namespace drsnap {

// The host of an absolute URL, lowercased, without brackets or port
// ("http://[::1]:8080/x" -> "::1", "http://user@Host:1/" -> "host"); "" if
// malformed. `scheme` (may be null) gets the lowercased scheme.
std::string UrlHost(std::string_view url, std::string* scheme = nullptr);

// An IPv4 address in 127.0.0.0/8 or the IPv6 loopback address, written as a
// literal (names, "localhost" included, are not resolved).
bool IsLoopbackAddress(const std::string& host);

// An http(s) URL whose host is a loopback address or "localhost".
bool IsLoopbackUrl(std::string_view url);

}  // namespace drsnap
