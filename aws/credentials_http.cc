// Providers that fetch credentials over HTTP: the ECS/EKS container endpoint
// and EC2 instance metadata (IMDSv2).

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/credentials_chain.h"
#include "aws/redact.h"
#include "core/strings.h"
#include "core/time_util.h"
#include "core/url.h"

namespace drsnap::aws {
namespace {

Error NotConfigured(std::string message) {
  return Error::Terminal(std::string(kCredentialsNotConfigured), std::move(message));
}

std::string TrimRightSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// One request with one retry on a transport error or a 5xx answer.
Result<HttpResponse> SendWithRetry(HttpTransport& transport, const HttpRequest& request) {
  Result<HttpResponse> r = transport.Send(request);
  for (int attempt = 1; attempt < 2; ++attempt) {
    bool retry = r ? r->status >= 500 : r.error().retryable();
    if (!retry) break;
    r = transport.Send(request);
  }
  return r;
}

Error HttpStatusError(std::string_view code, const HttpResponse& resp, const std::string& what) {
  // A credentials endpoint's answer may hold credentials: redacted before
  // it is cut short.
  std::string body = RedactSecrets(resp.body).substr(0, 200);
  std::string msg = what + " answered HTTP " + std::to_string(resp.status);
  if (!body.empty()) msg += ": " + body;
  Error e = resp.status >= 500 || resp.status == 429 ? Error::Transient(std::string(code), msg)
                                                     : Error::Terminal(std::string(code), msg);
  e.http_status = resp.status;
  return e;
}

// The SDKs' rule for AWS_CONTAINER_CREDENTIALS_FULL_URI.
Status CheckFullUri(const std::string& url) {
  std::string scheme;
  std::string host = UrlHost(url, &scheme);
  if (host.empty() || (scheme != "http" && scheme != "https")) {
    return Fail(Error::Terminal(
        "CredentialsInvalid", "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL: " + url));
  }
  if (scheme == "https" || IsLoopbackAddress(host)) return OkStatus();
  static const char* const kAllowed[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23",
                                         "localhost"};
  for (const char* a : kAllowed) {
    if (host == a) return OkStatus();
  }
  Error e = Error::Terminal(
      "CredentialsInvalid",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI names host " + host +
          ", which is not allowed over http (only loopback addresses, 169.254.170.2, "
          "169.254.170.23, fd00:ec2::23 and localhost are)");
  e.hint = "use an https URL or a loopback address";
  return Fail(std::move(e));
}

// The Authorization header value, if configured. The token file wins and is
// re-read at every fetch (EKS rotates it).
Result<std::optional<std::string>> ContainerAuthToken(const Environment& env) {
  std::optional<std::string> token;
  if (auto file = env.GetNonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      return Fail(Error::Terminal("CredentialsInvalid",
                                  "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file +
                                      "; check that it exists and is readable"));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string t = ss.str();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    token = std::move(t);
  } else if (auto t = env.GetNonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    token = *t;
  }
  if (token && token->find_first_of("\r\n") != std::string::npos) {
    return Fail(Error::Terminal(
        "CredentialsInvalid",
        "the container authorization token contains a line break, which is not a legal "
        "header value"));
  }
  return token;
}

class ContainerFetcher {
 public:
  explicit ContainerFetcher(ProviderContext ctx) : ctx_(std::move(ctx)) {}

  Result<Credentials> Fetch() {
    auto relative = ctx_.env->GetNonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    auto full = ctx_.env->GetNonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full) {
      return Fail(NotConfigured("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI are not set"));
    }
    std::string url;
    if (relative) {
      url = TrimRightSlash(ctx_.container_base_url) + (relative->starts_with("/") ? "" : "/") +
            *relative;
    } else {
      DRSNAP_RETURN_IF_ERROR(CheckFullUri(*full));
      url = *full;
    }
    std::string what = "container credentials endpoint " + url;
    if (!ctx_.metadata_transport) {
      return Fail(Error::Terminal("CredentialsInvalid", "no HTTP transport configured").With(what));
    }
    HttpRequest req;
    req.method = "GET";
    req.url = url;
    req.headers.emplace_back("Accept", "application/json");
    auto token = ContainerAuthToken(*ctx_.env);
    if (!token) return Fail(std::move(token).error().With(what));
    if (*token) req.headers.emplace_back("Authorization", **token);
    auto resp = SendWithRetry(*ctx_.metadata_transport, req);
    if (!resp) return Fail(std::move(resp).error().With(what));
    if (resp->status != 200) return Fail(HttpStatusError("ContainerCredentialsError", *resp, what));
    auto creds = ParseCredentialsJson(resp->body, what);
    if (!creds) return creds;
    creds->source = relative ? "container (ECS)" : "container " + url;
    return creds;
  }

 private:
  ProviderContext ctx_;
};

class ImdsFetcher {
 public:
  explicit ImdsFetcher(ProviderContext ctx) : ctx_(std::move(ctx)) {}

  Result<Credentials> Fetch() {
    const Environment& env = *ctx_.env;
    if (AsciiLower(env.GetNonEmpty("AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
      return Fail(NotConfigured("disabled by AWS_EC2_METADATA_DISABLED"));
    }
    std::string base;
    if (auto e = env.GetNonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      base = TrimRightSlash(*e);
    } else if (AsciiLower(env.GetNonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE").value_or("")) ==
               "ipv6") {
      base = "http://[fd00:ec2::254]";
    } else {
      base = std::string(kDefaultImdsEndpoint);
    }
    std::string what = "EC2 instance metadata at " + base;
    if (!ctx_.metadata_transport) return Fail(NotConfigured("no HTTP transport configured"));
    HttpTransport& transport = *ctx_.metadata_transport;

    // 1. Session token (IMDSv2).
    HttpRequest put;
    put.method = "PUT";
    put.url = base + "/latest/api/token";
    put.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    // An empty PUT must say so, or servers wait for a body.
    put.headers.emplace_back("Content-Length", "0");
    auto token_resp = SendWithRetry(transport, put);
    if (!token_resp) {
      return Fail(NotConfigured("not reachable at " + base + ": " + token_resp.error().message));
    }
    std::string token;
    if (token_resp->status == 200) {
      token = token_resp->body;
    } else if (token_resp->status == 403 || token_resp->status == 404 ||
               token_resp->status == 405) {
      if (AsciiLower(env.GetNonEmpty("AWS_EC2_METADATA_V1_DISABLED").value_or("")) == "true") {
        return Fail(HttpStatusError("ImdsError", *token_resp, what + " token request")
                        .With("IMDSv1 fallback is disabled by AWS_EC2_METADATA_V1_DISABLED"));
      }
      // IMDSv1 fallback: no token.
    } else {
      return Fail(HttpStatusError("ImdsError", *token_resp, what + " token request"));
    }
    auto get = [&](const std::string& path) {
      HttpRequest req;
      req.method = "GET";
      req.url = base + path;
      if (!token.empty()) req.headers.emplace_back("X-aws-ec2-metadata-token", token);
      return SendWithRetry(transport, req);
    };

    // 2. The instance profile's role name.
    const std::string kPath = "/latest/meta-data/iam/security-credentials/";
    auto roles = get(kPath);
    if (!roles) {
      return Fail(NotConfigured("not reachable at " + base + ": " + roles.error().message));
    }
    if (roles->status == 404) {
      return Fail(NotConfigured("this EC2 instance has no IAM role (instance profile)"));
    }
    if (roles->status != 200) return Fail(HttpStatusError("ImdsError", *roles, what));
    std::string role = roles->body.substr(0, roles->body.find('\n'));
    while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
    if (role.empty()) {
      return Fail(NotConfigured("this EC2 instance has no IAM role (instance profile)"));
    }

    // 3. The role's credentials.
    auto creds_resp = get(kPath + role);
    if (!creds_resp) return Fail(std::move(creds_resp).error().With(what));
    if (creds_resp->status != 200) {
      return Fail(HttpStatusError("ImdsError", *creds_resp, what + " role " + role));
    }
    auto creds = ParseCredentialsJson(creds_resp->body, what);
    if (!creds) return creds;
    creds->source = "EC2 instance role " + role;
    return creds;
  }

 private:
  ProviderContext ctx_;
};

}  // namespace

Result<Credentials> ParseCredentialsJson(std::string_view body, std::string_view where) {
  auto bad = [&](const std::string& why) {
    return Fail(Error::Transient("CredentialsInvalid", std::string(where) + " returned " + why));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    return bad("a body that is not JSON");
  }
  if (!j.is_object()) return bad("JSON that is not an object");
  if (j.contains("Code") && j["Code"].is_string() && j["Code"].get<std::string>() != "Success") {
    std::string msg = j.value("Message", std::string());
    return Fail(
        Error::Terminal("CredentialsInvalid", std::string(where) + " returned Code " +
                                                  j["Code"].get<std::string>() +
                                                  (msg.empty() ? "" : ": " + RedactSecrets(msg))));
  }
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return "";
    return it->get<std::string>();
  };
  Credentials c;
  c.access_key_id = str("AccessKeyId");
  c.secret_access_key = str("SecretAccessKey");
  c.session_token = str("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return bad("JSON without AccessKeyId/SecretAccessKey");
  }
  std::string exp = str("Expiration");
  if (!exp.empty()) {
    auto t = ParseIso8601(exp);
    if (!t) return bad("an Expiration that is not an ISO 8601 time: " + exp);
    c.expiration = *t;
  }
  return c;
}

std::shared_ptr<CredentialsProvider> NewContainerProvider(ProviderContext ctx) {
  auto clock = ctx.clock;
  auto refresh = ctx.refresh;
  auto fetcher = std::make_shared<ContainerFetcher>(std::move(ctx));
  return NewRefreshingProvider([fetcher] { return fetcher->Fetch(); }, std::move(clock), refresh);
}

std::shared_ptr<CredentialsProvider> NewImdsProvider(ProviderContext ctx) {
  auto clock = ctx.clock;
  auto refresh = ctx.refresh;
  auto fetcher = std::make_shared<ImdsFetcher>(std::move(ctx));
  return NewRefreshingProvider([fetcher] { return fetcher->Fetch(); }, std::move(clock), refresh);
}

}  // namespace drsnap::aws
