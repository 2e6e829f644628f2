#include "aws/sts.h"

#include <algorithm>
#include <random>
#include <utility>

#include "aws/encoding.h"
#include "aws/endpoints.h"
#include "aws/query.h"
#include "aws/xml.h"

namespace drsnap::aws {
namespace {

// An StsApi whose every call fails with one error (unresolvable endpoint).
class FailingSts final : public StsApi {
 public:
  explicit FailingSts(Error e) : error_(std::move(e)) {}
  Result<Credentials> AssumeRole(const AssumeRoleParams&) override { return Fail(error_); }
  Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentityParams&) override {
    return Fail(error_);
  }
  Result<CallerIdentity> GetCallerIdentity() override { return Fail(error_); }

 private:
  Error error_;
};

double Jitter(const ClientContext& ctx) {
  if (ctx.jitter) return ctx.jitter();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

ServiceEndpoint DefaultStsEndpoint(std::string_view region) {
  std::string r(region.empty() ? std::string_view("us-east-1") : region);
  return ServiceEndpoint{"https://sts." + r + "." + PartitionForRegion(r).dns_suffix, r, "sts"};
}

Result<Credentials> DecodeStsCredentialsResponse(std::string_view action, std::string_view body) {
  auto decode = [&]() -> Result<Credentials> {
    DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(body));
    DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, action));
    pugi::xml_node node = result.child("Credentials");
    if (!node) {
      return Fail(xml::Malformed("<" + std::string(action) + "Result> has no <Credentials>"));
    }
    Credentials c;
    xml::FieldReader r(node);
    r.String("AccessKeyId", &c.access_key_id);
    r.String("SecretAccessKey", &c.secret_access_key);
    r.String("SessionToken", &c.session_token);
    r.Time("Expiration", &c.expiration);
    DRSNAP_RETURN_IF_ERROR(r.status());
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return Fail(xml::Malformed("<Credentials> lacks AccessKeyId or SecretAccessKey"));
    }
    return c;
  };
  auto r = decode();
  if (!r) r.error().With("decoding the " + std::string(action) + " response");
  return r;
}

Result<CallerIdentity> DecodeGetCallerIdentityResponse(std::string_view body) {
  auto decode = [&]() -> Result<CallerIdentity> {
    DRSNAP_ASSIGN_OR_RETURN(auto doc, xml::Parse(body));
    DRSNAP_ASSIGN_OR_RETURN(pugi::xml_node result, xml::ResultNode(*doc, "GetCallerIdentity"));
    CallerIdentity id;
    id.account = xml::ChildText(result, "Account");
    id.arn = xml::ChildText(result, "Arn");
    id.user_id = xml::ChildText(result, "UserId");
    if (id.account.empty() || id.arn.empty()) {
      return Fail(xml::Malformed("<GetCallerIdentityResult> lacks Account or Arn"));
    }
    return id;
  };
  auto r = decode();
  if (!r) r.error().With("decoding the GetCallerIdentity response");
  return r;
}

StsClient::StsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}

Result<Credentials> StsClient::AssumeRole(const AssumeRoleParams& p) {
  std::string what = "assuming role " + p.role_arn;
  if (!client_->context().credentials) {
    return Fail(Error::Terminal("MissingCredentials",
                                "AssumeRole must be signed, and no source credentials were given")
                    .With(what));
  }
  QueryBuilder q;
  q.Add("RoleArn", p.role_arn);
  q.Add("RoleSessionName", p.role_session_name);
  if (p.duration_seconds > 0) q.AddIfSet("DurationSeconds", std::optional<int>(p.duration_seconds));
  q.AddIfSet("ExternalId", p.external_id);
  auto body = client_->CallQuery("AssumeRole", kStsVersion, q.params());
  if (!body) return Fail(std::move(body).error().With(what));
  DRSNAP_ASSIGN_OR_RETURN(Credentials c, DecodeStsCredentialsResponse("AssumeRole", *body));
  c.source = "assume-role " + p.role_arn;
  return c;
}

Result<Credentials> StsClient::AssumeRoleWithWebIdentity(const WebIdentityParams& p) {
  std::string what = "assuming role " + p.role_arn + " with a web identity token";
  QueryBuilder q;
  q.Add("RoleArn", p.role_arn);
  q.Add("RoleSessionName", p.role_session_name);
  q.Add("WebIdentityToken", p.web_identity_token);
  if (p.duration_seconds > 0) q.AddIfSet("DurationSeconds", std::optional<int>(p.duration_seconds));
  auto body = CallUnsigned("AssumeRoleWithWebIdentity", q.params());
  if (!body) return Fail(std::move(body).error().With(what));
  DRSNAP_ASSIGN_OR_RETURN(Credentials c,
                          DecodeStsCredentialsResponse("AssumeRoleWithWebIdentity", *body));
  c.source = "web-identity " + p.role_arn;
  return c;
}

Result<CallerIdentity> StsClient::GetCallerIdentity() {
  if (!client_->context().credentials) {
    return Fail(Error::Terminal("MissingCredentials",
                                "GetCallerIdentity must be signed, and no credentials were given"));
  }
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallQuery("GetCallerIdentity", kStsVersion, QueryParams{}));
  return DecodeGetCallerIdentityResponse(body);
}

Result<std::string> StsClient::CallUnsigned(std::string_view action, const QueryParams& params) {
  const ClientContext& ctx = client_->context();
  if (!ctx.transport) {
    return Fail(Error::Terminal("InvalidClient", "the STS client has no HTTP transport"));
  }
  QueryParams all;
  all.reserve(params.size() + 2);
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(kStsVersion));
  all.insert(all.end(), params.begin(), params.end());
  HttpRequest request;
  request.method = "POST";
  request.url = client_->endpoint().url + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                     {"User-Agent", ctx.user_agent}};
  request.body = FormUrlEncodeParams(all);

  const int max_attempts = std::max(1, ctx.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    Error error;
    auto response = ctx.transport->Send(request);
    if (response && response->status >= 200 && response->status < 300) {
      return std::move(response->body);
    }
    if (response) {
      error = ParseAwsError(*response, /*json=*/false);
      // The SDKs retry these for web identity: the IdP may be briefly unreachable.
      if (error.code == "IDPCommunicationError") error.error_class = ErrorClass::kTransient;
    } else {
      error = std::move(response).error();
    }
    if (!error.retryable() || attempt >= max_attempts) {
      return Fail(std::move(error).With(std::string(action) + " (unsigned)"));
    }
    auto cap = std::min<std::chrono::milliseconds>(
        ctx.retry.max_backoff, ctx.retry.base_delay * (1LL << std::min(attempt - 1, 20)));
    auto delay = std::chrono::duration_cast<Duration>(cap * Jitter(ctx));
    if (ctx.clock) ctx.clock->SleepFor(delay);
  }
}

StsFactory MakeStsFactory(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock,
                          StsEndpointResolver resolver) {
  ClientContext base;
  base.transport = std::move(transport);
  base.clock = std::move(clock);
  return MakeStsFactory(std::move(base), std::move(resolver));
}

StsFactory MakeStsFactory(ClientContext base, StsEndpointResolver resolver) {
  return [base = std::move(base), resolver = std::move(resolver)](
             std::shared_ptr<CredentialsProvider> caller,
             const std::string& region) -> std::shared_ptr<StsApi> {
    std::string r = region.empty() ? "us-east-1" : region;
    Result<ServiceEndpoint> endpoint =
        resolver ? resolver(r) : Result<ServiceEndpoint>(DefaultStsEndpoint(r));
    if (!endpoint) {
      return std::make_shared<FailingSts>(
          std::move(endpoint).error().With("resolving the STS endpoint of " + r));
    }
    ClientContext ctx = base;
    ctx.credentials = std::move(caller);
    auto client = std::make_shared<ServiceClient>(std::move(ctx), std::move(*endpoint));
    return std::make_shared<StsClient>(std::move(client));
  };
}

}  // namespace drsnap::aws
