// STS as the credential providers need it: the seam between the credentials
// chain (credentials_chain.h) and the typed STS client (sts.h), so providers
// can be unit-tested with fakes and the chain has no hard dependency on the
// HTTP client stack.
//
// Thread safety: implementations must be safe for concurrent use.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "core/error.h"

namespace drsnap::aws {

struct AssumeRoleParams {
  std::string role_arn{};
  std::string role_session_name{};
  std::string external_id{};  // empty: not sent
  int duration_seconds = 3600;
};

struct WebIdentityParams {
  std::string role_arn{};
  std::string role_session_name{};
  std::string web_identity_token{};
  int duration_seconds = 3600;
};

struct CallerIdentity {
  std::string account{};
  std::string arn{};
  std::string user_id{};
};

// STS as the credential providers need it. Implemented by aws/sts.h's
// StsClient (helper C2) and by fakes in tests.
class StsApi {
 public:
  virtual ~StsApi() = default;
  // Signed with the client's credentials. The returned Credentials carry
  // session_token and expiration.
  virtual Result<Credentials> AssumeRole(const AssumeRoleParams&) = 0;
  // An unsigned call (the token is the proof).
  virtual Result<Credentials> AssumeRoleWithWebIdentity(const WebIdentityParams&) = 0;
  virtual Result<CallerIdentity> GetCallerIdentity() = 0;
};

// Builds an StsApi for a region, signing with `caller` (null: unsigned, for
// web identity).
using StsFactory = std::function<std::shared_ptr<StsApi>(
    std::shared_ptr<CredentialsProvider> caller, const std::string& region)>;

}  // namespace drsnap::aws
