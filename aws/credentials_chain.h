// The credentials providers users know from the AWS SDKs, and the default
// chain that tries them in SDK order:
//
//   1. environment   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
//   2. shared files  the profile chosen by --profile / AWS_PROFILE (default
//                    "default"): role_arn (+ source_profile | credential_source |
//                    web_identity_token_file) -> AssumeRole, else static keys
//   3. web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]
//   4. container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with
//                    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN
//   5. EC2 IMDSv2    unless AWS_EC2_METADATA_DISABLED=true
//
// A provider that has nothing configured fails with code
// kCredentialsNotConfigured and the chain moves on; any other error (a
// broken profile, a failing AssumeRole, a container endpoint that answers
// 500) stops the chain, as in the SDKs. The first provider that yields
// credentials is remembered and used from then on.
//
// Temporary credentials are cached and refreshed `refresh_before` ahead of
// their expiration; a failed early refresh keeps serving the cached ones
// while they are valid, and expired credentials are never returned.
//
// Thread safety: every provider here is safe for concurrent Get(); a
// refreshing provider runs at most one refresh at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/shared_config.h"
#include "aws/sts_api.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

// Error code of a provider that has nothing configured (the chain continues).
inline constexpr std::string_view kCredentialsNotConfigured = "CredentialsNotConfigured";
// Error code of the chain when no provider had credentials.
inline constexpr std::string_view kNoCredentials = "NoCredentials";

inline constexpr std::string_view kDefaultContainerBaseUrl = "http://169.254.170.2";
inline constexpr std::string_view kDefaultImdsEndpoint = "http://169.254.169.254";

struct RefreshOptions {
  // Refresh this long before expiration (failures here keep the cached ones).
  Duration refresh_before = std::chrono::minutes(5);
  // Cached credentials closer than this to expiration are not served.
  Duration expiry_margin = std::chrono::seconds(60);
  // After a failed early refresh, wait this long before trying again.
  Duration retry_after_failure = std::chrono::seconds(30);
};

// Caches what `fetch` returns and calls it again before expiration.
// Credentials without expiration are fetched once. REQUIRES: clock non-null.
std::shared_ptr<CredentialsProvider> NewRefreshingProvider(
    std::function<Result<Credentials>()> fetch, std::shared_ptr<Clock> clock,
    RefreshOptions options = {});

// What providers share.
struct ProviderContext {
  std::shared_ptr<Environment> env{};  // REQUIRED
  std::shared_ptr<Clock> clock{};      // REQUIRED
  // For the container endpoint and IMDS: give it short timeouts (about 1s).
  // May be null when neither is used.
  std::shared_ptr<HttpTransport> metadata_transport{};
  StsFactory sts_factory{};  // for role_arn and web identity; may be null otherwise
  std::string region{};      // region of STS calls; empty: us-east-1
  std::string container_base_url{kDefaultContainerBaseUrl};  // for _RELATIVE_URI (tests)
  RefreshOptions refresh{};
};

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN], read on
// every Get(). Only one of the pair set is an error naming the other.
std::shared_ptr<CredentialsProvider> NewEnvCredentialsProvider(std::shared_ptr<Environment> env);

// The profile `profile` of `config`. An unknown profile fails with
// "ProfileNotFound" when `profile_required`, else kCredentialsNotConfigured.
std::shared_ptr<CredentialsProvider> NewProfileCredentialsProvider(
    ProviderContext ctx, std::shared_ptr<const SharedConfig> config, std::string profile,
    bool profile_required);

// AssumeRoleWithWebIdentity with a token read from `token_file` at every
// refresh. An empty session name becomes "drsnap-<unix seconds>".
struct WebIdentityConfig {
  std::string token_file{};
  std::string role_arn{};
  std::string role_session_name{};
  int duration_seconds = 3600;
};
std::shared_ptr<CredentialsProvider> NewWebIdentityProvider(ProviderContext ctx,
                                                            WebIdentityConfig config);
// The same, configured from AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
// AWS_ROLE_SESSION_NAME (kCredentialsNotConfigured when not set).
std::shared_ptr<CredentialsProvider> NewEnvWebIdentityProvider(ProviderContext ctx);

// ECS/EKS container credentials. _FULL_URI over http must name a loopback
// address, 169.254.170.2 (ECS), 169.254.170.23 or fd00:ec2::23 (EKS Pod
// Identity), or localhost; https may name any host.
std::shared_ptr<CredentialsProvider> NewContainerProvider(ProviderContext ctx);

// EC2 instance metadata, IMDSv2: PUT /latest/api/token, then
// /latest/meta-data/iam/security-credentials/[ROLE]. Endpoint from
// AWS_EC2_METADATA_SERVICE_ENDPOINT (or _ENDPOINT_MODE=IPv6); falls back to
// IMDSv1 when the token call answers 403/404/405 unless
// AWS_EC2_METADATA_V1_DISABLED=true. One retry per request; an unreachable
// service is kCredentialsNotConfigured (not on EC2).
std::shared_ptr<CredentialsProvider> NewImdsProvider(ProviderContext ctx);

// Assumes `params.role_arn` with `source`'s credentials via an StsApi built
// by `sts` for `region`, and keeps the result fresh. Used for profiles'
// role_arn and for reaching other accounts (external id). An empty session
// name becomes "drsnap-<unix seconds>". clock null: DefaultClock().
std::shared_ptr<CredentialsProvider> NewAssumeRoleProvider(
    std::shared_ptr<CredentialsProvider> source, StsFactory sts, AssumeRoleParams params,
    std::string region = "us-east-1", std::shared_ptr<Clock> clock = nullptr,
    RefreshOptions refresh = {});

// Tries providers in order (see the file comment). `what` names each for the
// final error ("environment", ...).
struct NamedProvider {
  std::string what;
  std::shared_ptr<CredentialsProvider> provider;
};
std::shared_ptr<CredentialsProvider> NewChainProvider(std::vector<NamedProvider> providers);

// The SDK default chain. `profile` empty: AWS_PROFILE / AWS_DEFAULT_PROFILE
// / "default"; non-empty: that profile, and (as botocore) the environment
// keys are not consulted. config null: loaded from the files on first use.
std::shared_ptr<CredentialsProvider> NewDefaultCredentialsChain(
    ProviderContext ctx, std::shared_ptr<const SharedConfig> config, std::string profile = "");

// Parses the JSON the container endpoint and IMDS return
// ({"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}). `where` names
// the endpoint in errors.
Result<Credentials> ParseCredentialsJson(std::string_view body, std::string_view where);

}  // namespace drsnap::aws
