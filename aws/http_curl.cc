// The libcurl transport. One easy handle serves one request at a time; idle
// handles wait in a pool so that their connections (and TLS sessions, DNS
// cache) are reused by the next request.
#include "aws/http_curl.h"

#include <curl/curl.h>
#include <strings.h>

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/ca_bundle.h"
#include "aws/http.h"
#include "aws/redact.h"

namespace drsnap::aws {

namespace {

// Handles kept for reuse; more concurrent requests than this still work, their
// extra handles are closed afterwards.
constexpr size_t kMaxIdleHandles = 32;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::optional<std::string> FirstSet(const Environment& env,
                                    std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = env.GetNonEmpty(n)) return v;
  }
  return std::nullopt;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ::strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// "https://host:443/path" -> "host:443" (userinfo dropped) for messages.
std::string HostOf(std::string_view url) {
  auto p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

struct Exchange {
  HttpResponse response;
  bool saw_status_line = false;
  size_t max_body = kDefaultMaxResponseBody;
  // The final response's Content-Length; nullopt when it has none (chunked).
  std::optional<unsigned long long> content_length;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t n = size * nmemb;
  // Stop at the limit: a body announced larger is not read at all, one of
  // unknown length (chunked) up to the limit. Returning less than n makes
  // curl abort the transfer (CURLE_WRITE_ERROR).
  if ((ex->content_length && *ex->content_length > ex->max_body) ||
      n > ex->max_body - ex->response.body.size()) {
    ex->too_large = true;
    return 0;
  }
  ex->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (StartsWithNoCase(line, "HTTP/")) {
    // A new response begins (after 100 Continue or a proxy's CONNECT reply):
    // only the final response's headers count.
    ex->response.headers.clear();
    ex->content_length.reset();
    ex->saw_status_line = true;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // blank line or folding: ignore
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (name.size() == 14 && ::strncasecmp(name.data(), "Content-Length", 14) == 0) {
    unsigned long long length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc() && end == value.data() + value.size()) ex->content_length = length;
  }
  ex->response.headers.emplace_back(std::string(name), std::string(value));
  return n;
}

Error CurlError(CURLcode code, const char* detail, const HttpRequest& request) {
  std::string host = HostOf(request.url);
  std::string what = detail != nullptr && detail[0] != '\0' ? detail : curl_easy_strerror(code);
  std::string msg = what + " (curl error " + std::to_string(static_cast<int>(code)) + ")";
  std::string ctx = request.method + " " + host;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error::Transient("RequestTimeout", "timed out talking to " + host + ": " + msg)
          .With(ctx);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Error::Transient("ConnectionError", "could not resolve " + host + ": " + msg)
          .With(ctx);
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_AGAIN:
      return Error::Transient("ConnectionError", "connection to " + host + " failed: " + msg)
          .With(ctx);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: {
      Error e = Error::Terminal("TlsVerificationFailed",
                                "TLS certificate verification failed for " + host + ": " + msg);
      e.hint =
          "check the endpoint URL, the system clock, and SSL_CERT_FILE if a proxy "
          "re-signs TLS traffic";
      return std::move(e).With(ctx);
    }
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error::Terminal("InvalidUrl",
                             "invalid URL '" + RedactSecrets(request.url) + "': " + msg)
          .With(ctx);
    default:
      return Error::Terminal("HttpError", "request to " + host + " failed: " + msg).With(ctx);
  }
}

Error TooLargeError(size_t limit, const HttpRequest& request) {
  Error e = Error::Terminal("ResponseTooLarge", "the response body is larger than the " +
                                                    FormatByteCount(limit) +
                                                    " drsnap reads; it stopped reading there");
  e.hint =
      "no AWS API drsnap calls answers this much: check the endpoint (AWS_ENDPOINT_URL*, the "
      "account's endpoint_url) and any proxy in between";
  return std::move(e).With(request.method + " " + HostOf(request.url));
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(HttpOptions options) : options_(std::move(options)) {
    GlobalInitOnce();
    const Environment& env =
        options_.env ? *options_.env : static_cast<const Environment&>(*DefaultEnvironment());
    proxies_ = ProxySettingsFromEnv(env);
    if (!options_.ca_bundle.empty()) {
      ca_ = CaLocation{options_.ca_bundle, ""};
    } else {
      ca_ = DiscoverCaBundle(env);
    }
  }

  ~CurlTransport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    bool https = StartsWithNoCase(request.url, "https://");
    if (https && !ca_) {
      return Fail(Error(ca_.error()).With(request.method + " " + HostOf(request.url)));
    }
    CURL* h = Take();
    if (h == nullptr) {
      return Fail(Error::Terminal("HttpError", "curl_easy_init failed (out of memory?)"));
    }
    Exchange ex;
    ex.max_body =
        request.max_response_body != 0 ? request.max_response_body : options_.max_response_body;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
      if (::strcasecmp(name.c_str(), "User-Agent") == 0) has_user_agent = true;
      // "Name;" is curl's way to send a header with an empty value.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      headers = curl_slist_append(headers, line.c_str());
    }
    // No "Expect: 100-continue" round trip before large bodies.
    headers = curl_slist_append(headers, "Expect:");
    if (!has_user_agent && options_.user_agent.empty()) {
      headers = curl_slist_append(headers, "User-Agent:");
    }

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (https) {
      if (!ca_->file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_->file.c_str());
      if (!ca_->dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, ca_->dir.c_str());
    }
    // Always explicit, so that curl never reads the environment on its own.
    std::string proxy = ProxyForUrl(proxies_, request.url);
    curl_easy_setopt(h, CURLOPT_PROXY, proxy.c_str());
    curl_easy_setopt(h, CURLOPT_NOPROXY, proxies_.no_proxy.c_str());
    if (!options_.user_agent.empty()) {
      curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);

    const std::string& m = request.method;
    if (m == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (m == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      if (m != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
      // Always send the body (even empty): without Content-Length a PUT with
      // no body makes servers (the IMDS token endpoint among them) wait.
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    }

    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (ex.too_large) {
      // The rest of the body is still on the connection: don't keep it.
      if (request.keep_headers_when_too_large) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
        ex.response.status = static_cast<int>(status);
        ex.response.body.clear();
        ex.response.body_too_large = true;
        return std::move(ex.response);
      }
      curl_easy_cleanup(h);
      return Fail(TooLargeError(ex.max_body, request));
    }
    if (rc != CURLE_OK) {
      Error e = CurlError(rc, errbuf, request);
      if (!proxy.empty()) e.message += " (via proxy " + HostOf(proxy) + ")";
      // A failed connection may be in a bad state: don't keep the handle.
      curl_easy_cleanup(h);
      return Fail(std::move(e));
    }
    Give(h);
    ex.response.status = static_cast<int>(status);
    return std::move(ex.response);
  }

 private:
  CURL* Take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps the connection cache, TLS session and DNS cache
        return h;
      }
    }
    return curl_easy_init();
  }

  void Give(CURL* h) {
    // Pointers into this request's stack must not survive it.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  const HttpOptions options_;
  ProxySettings proxies_;
  Result<CaLocation> ca_;
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

}  // namespace

ProxySettings ProxySettingsFromEnv(const Environment& env) {
  ProxySettings p;
  auto all = FirstSet(env, {"all_proxy", "ALL_PROXY"});
  p.https_proxy = FirstSet(env, {"https_proxy", "HTTPS_PROXY"}).value_or(all.value_or(""));
  p.http_proxy = FirstSet(env, {"http_proxy", "HTTP_PROXY"}).value_or(all.value_or(""));
  p.no_proxy = FirstSet(env, {"no_proxy", "NO_PROXY"}).value_or("");
  return p;
}

std::string ProxyForUrl(const ProxySettings& proxies, std::string_view url) {
  if (StartsWithNoCase(url, "https://")) return proxies.https_proxy;
  if (StartsWithNoCase(url, "http://")) return proxies.http_proxy;
  return "";
}

std::shared_ptr<HttpTransport> NewCurlTransport(HttpOptions options) {
  return std::make_shared<CurlTransport>(std::move(options));
}

}  // namespace drsnap::aws
