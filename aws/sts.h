// Typed AWS STS operations (API version 2011-06-15, Query protocol):
// GetCallerIdentity and AssumeRole are SigV4-signed through ServiceClient;
// AssumeRoleWithWebIdentity is sent unsigned (the token is the proof, and
// the caller usually has no credentials yet), straight over the transport,
// with the same error decoding and a small retry for retryable errors.
//
// Thread safety: an StsClient may be shared by many threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "aws/sts_api.h"
#include "core/error.h"

namespace drsnap::aws {

inline constexpr std::string_view kStsVersion = "2011-06-15";

// The STS endpoint of a region (url and signing region). Typically
// [&](const std::string& r) { return ResolveEndpoint("sts", r, env, profile); }
// (endpoints.h), so AWS_ENDPOINT_URL_STS and profiles apply.
using StsEndpointResolver = std::function<Result<ServiceEndpoint>(const std::string& region)>;

// The regional STS endpoint: url "https://sts.<region>.<partition dns suffix>",
// signing region `region`, signing name "sts".
ServiceEndpoint DefaultStsEndpoint(std::string_view region);

class StsClient final : public StsApi {
 public:
  // client: its credentials sign AssumeRole and GetCallerIdentity (null
  // credentials: those two fail with "MissingCredentials"); its transport,
  // endpoint, clock and retry options serve the unsigned web identity call.
  explicit StsClient(std::shared_ptr<ServiceClient> client);

  // RoleArn, RoleSessionName, DurationSeconds (when > 0), ExternalId (when
  // non-empty). The returned Credentials have source "assume-role <arn>".
  Result<Credentials> AssumeRole(const AssumeRoleParams& params) override;
  // Unsigned. source "web-identity <arn>".
  Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentityParams& params) override;
  Result<CallerIdentity> GetCallerIdentity() override;

 private:
  Result<std::string> CallUnsigned(std::string_view action, const QueryParams& params);

  std::shared_ptr<ServiceClient> client_;
};

// Builds StsClients for StsFactory users (the credentials chain): each call
// makes a ServiceClient for `region` (empty: us-east-1) signed by `caller`
// (null: unsigned only) over `transport`. resolver null: DefaultStsEndpoint.
// When the resolver fails, the returned StsApi fails every call with its error.
StsFactory MakeStsFactory(std::shared_ptr<HttpTransport> transport, std::shared_ptr<Clock> clock,
                          StsEndpointResolver resolver);
// The same with every ClientContext setting (retry, rate limiter, user agent)
// taken from `base`; base.credentials is ignored (the caller's are used).
StsFactory MakeStsFactory(ClientContext base, StsEndpointResolver resolver);

// Response decoders (exposed for tests). Errors have code "MalformedResponse".
Result<Credentials> DecodeStsCredentialsResponse(std::string_view action, std::string_view xml);
Result<CallerIdentity> DecodeGetCallerIdentityResponse(std::string_view xml);

}  // namespace drsnap::aws
