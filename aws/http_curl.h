// Internals of the libcurl transport that tests check directly. Not for
// general use: callers use NewCurlTransport() from aws/http.h.
#pragma once

#include <string>
#include <string_view>

#include "core/env.h"

namespace drsnap::aws {

struct ProxySettings {
  std::string http_proxy;   // for http:// URLs; "" for none
  std::string https_proxy;  // for https:// URLs; "" for none
  std::string no_proxy;     // comma-separated hosts/domains that bypass the proxy
};

// Reads the proxy variables like curl and the AWS SDKs: for https URLs
// https_proxy, HTTPS_PROXY, then all_proxy/ALL_PROXY; for http URLs
// http_proxy, HTTP_PROXY (which curl alone ignores), then all_proxy/ALL_PROXY;
// no_proxy/NO_PROXY for exceptions. Lowercase wins when both are set.
ProxySettings ProxySettingsFromEnv(const Environment& env);

// The proxy to use for `url` ("" for none), before NO_PROXY is applied (curl
// applies it).
std::string ProxyForUrl(const ProxySettings& proxies, std::string_view url);

}  // namespace drsnap::aws
