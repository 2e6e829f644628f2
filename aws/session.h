// A Session is what the rest of drsnap uses to reach AWS: resolved
// credentials (the SDK chain, optionally a role assumed on top), a region,
// and endpoint resolution for that profile and environment.
//
//   auto env = DefaultEnvironment();
//   auto transport = NewCurlTransport();
//   // aws/sts.h; the resolver makes STS honour AWS_ENDPOINT_URL(_STS) too.
//   StsFactory sts = MakeStsFactory(transport, DefaultClock(),
//                                   MakeEndpointResolver("sts", env, "prod"));
//   auto s = Session::Create({.profile = "prod"}, env, DefaultClock(), transport, sts);
//   ClientContext ctx{.transport = transport, .credentials = (*s)->credentials(), ...};
//   ServiceClient rds(ctx, *(*s)->Endpoint("rds", (*s)->region()));
//   auto vault = (*s)->AssumeRole({.role_arn = "arn:aws:iam::222:role/x", .external_id = "e"});
//
// Credentials are resolved lazily (at the first Get()): Create() fails only
// for a malformed config file, an unknown profile, a source_profile cycle or
// no region.
//
// Thread safety: immutable after Create(); share freely.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "aws/credentials_chain.h"
#include "aws/http.h"
#include "aws/shared_config.h"
#include "aws/sts_api.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

struct SessionOptions {
  // Empty: AWS_PROFILE, else "default". An explicit profile skips the
  // AWS_ACCESS_KEY_ID/... environment keys (as botocore does).
  std::string profile{};
  std::string region{};       // empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  std::string role_arn{};     // non-empty: assume this role on top of the chain
  std::string external_id{};  // for role_arn
  std::string role_session_name = "drsnap";
  // Used for IMDS and the container endpoint. Null: a libcurl transport with
  // 1s connect / 2s total timeouts, reading proxies from the session's env.
  std::shared_ptr<HttpTransport> metadata_transport{};
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved (tests).
  std::string container_base_url{kDefaultContainerBaseUrl};
};

class Session {
 public:
  // Resolves credentials chain + region from env/files (+ optional role to
  // assume). REQUIRES: env, clock, transport non-null; sts may be null only
  // when no role is ever assumed.
  static Result<std::shared_ptr<Session>> Create(const SessionOptions& options,
                                                 std::shared_ptr<Environment> env,
                                                 std::shared_ptr<Clock> clock,
                                                 std::shared_ptr<HttpTransport> transport,
                                                 StsFactory sts);

  std::shared_ptr<CredentialsProvider> credentials() const { return credentials_; }
  const std::string& region() const { return region_; }
  const std::string& profile_name() const { return profile_name_; }
  // The selected profile, or null when no file defines it.
  const Profile* profile() const;
  const std::shared_ptr<Environment>& env() const { return env_; }
  const std::shared_ptr<Clock>& clock() const { return clock_; }
  const std::shared_ptr<HttpTransport>& transport() const { return transport_; }
  const StsFactory& sts_factory() const { return sts_; }

  // The endpoint of `service` in `region` (see endpoints.h).
  Result<ServiceEndpoint> Endpoint(std::string_view service, std::string_view region) const;

  // A new Session that assumes params.role_arn (with external id) using this
  // session's credentials; same region, profile and endpoints. An empty
  // role_session_name becomes "drsnap". Credentials are fetched lazily.
  Result<std::shared_ptr<Session>> AssumeRole(const AssumeRoleParams& params) const;

 private:
  Session() = default;

  std::shared_ptr<Environment> env_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<HttpTransport> transport_;
  StsFactory sts_;
  std::shared_ptr<const SharedConfig> config_;
  std::string profile_name_;
  std::string region_;
  std::shared_ptr<CredentialsProvider> credentials_;
};

}  // namespace drsnap::aws
