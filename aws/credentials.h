// AWS credentials and the provider interface. The provider chain (env, shared
// files, web identity, container, IMDS, assume-role) is in credentials_chain.h.
//
// Thread safety: providers are safe for concurrent Get() calls; refreshing
// providers refresh at most once at a time and serve cached credentials
// until shortly before they expire.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;           // empty for long-term keys
  std::optional<TimePoint> expiration;  // nullopt: does not expire
  std::string source;                   // where they came from ("env", "profile prod", ...)
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials, refreshed when needed. Errors name what to fix.
  virtual Result<Credentials> Get() = 0;
};

// Always returns the same credentials (tests, explicit keys).
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials c) : creds_(std::move(c)) {}
  Result<Credentials> Get() override { return creds_; }

 private:
  Credentials creds_;
};

}  // namespace drsnap::aws
