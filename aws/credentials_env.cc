// Providers configured by environment variables: static keys and web identity.
#include <fstream>
#include <mutex>
#include <sstream>

#include "aws/credentials_chain.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

Error NotConfigured(std::string message) {
  return Error::Terminal(std::string(kCredentialsNotConfigured), std::move(message));
}

class EnvProvider final : public CredentialsProvider {
 public:
  explicit EnvProvider(std::shared_ptr<Environment> env) : env_(std::move(env)) {}

  Result<Credentials> Get() override {
    auto key = env_->GetNonEmpty("AWS_ACCESS_KEY_ID");
    auto secret = env_->GetNonEmpty("AWS_SECRET_ACCESS_KEY");
    if (!key && !secret) return Fail(NotConfigured("AWS_ACCESS_KEY_ID is not set"));
    if (!key || !secret) {
      std::string missing = key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
      std::string present = key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
      Error e = Error::Terminal("CredentialsInvalid",
                                present + " is set but " + missing + " is not; set both");
      e.hint = "or unset " + present + " to use a profile or a role";
      return Fail(std::move(e));
    }
    Credentials c;
    c.access_key_id = *key;
    c.secret_access_key = *secret;
    // AWS_SECURITY_TOKEN: the legacy name botocore still reads.
    c.session_token = env_->GetNonEmpty("AWS_SESSION_TOKEN")
                          .value_or(env_->GetNonEmpty("AWS_SECURITY_TOKEN").value_or(""));
    if (auto exp = env_->GetNonEmpty("AWS_CREDENTIAL_EXPIRATION")) {
      auto t = ParseIso8601(*exp);
      if (!t) {
        return Fail(Error::Terminal("CredentialsInvalid",
                                    "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time: " + *exp));
      }
      c.expiration = *t;
    }
    c.source = "environment";
    return c;
  }

 private:
  std::shared_ptr<Environment> env_;
};

Result<std::string> ReadTokenFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(
        Error::Terminal("CredentialsInvalid", "cannot read the " + std::string(what) + " " + path +
                                                  "; check that it exists and is readable"));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                            token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) {
    return Fail(Error::Terminal("CredentialsInvalid",
                                "the " + std::string(what) + " " + path + " is empty"));
  }
  return token;
}

class WebIdentityFetcher {
 public:
  WebIdentityFetcher(ProviderContext ctx, WebIdentityConfig config)
      : ctx_(std::move(ctx)), config_(std::move(config)) {}

  Result<Credentials> Fetch() {
    std::string what =
        "assuming role " + config_.role_arn + " with web identity token " + config_.token_file;
    // Re-read at every refresh: the token file is rotated by the platform.
    auto token = ReadTokenFile(config_.token_file, "web identity token file");
    if (!token) return Fail(std::move(token).error().With(what));
    if (!client_) {
      std::string region = ctx_.region.empty() ? "us-east-1" : ctx_.region;
      if (ctx_.sts_factory) client_ = ctx_.sts_factory(nullptr, region);
      if (!client_) {
        return Fail(Error::Terminal("StsUnavailable", "no STS client for web identity").With(what));
      }
    }
    WebIdentityParams p;
    p.role_arn = config_.role_arn;
    p.role_session_name = config_.role_session_name;
    if (p.role_session_name.empty()) {
      p.role_session_name =
          "drsnap-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         ctx_.clock->Now().time_since_epoch())
                                         .count());
    }
    p.web_identity_token = std::move(*token);
    p.duration_seconds = config_.duration_seconds;
    auto r = client_->AssumeRoleWithWebIdentity(p);
    if (!r) return Fail(std::move(r).error().With(what));
    if (r->source.empty()) r->source = "web identity " + config_.role_arn;
    return r;
  }

 private:
  ProviderContext ctx_;
  WebIdentityConfig config_;
  std::shared_ptr<StsApi> client_;
};

// Reads the environment on first use, then delegates to a web identity
// provider (the variables do not change within a process).
class EnvWebIdentityProvider final : public CredentialsProvider {
 public:
  explicit EnvWebIdentityProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}

  Result<Credentials> Get() override {
    std::shared_ptr<CredentialsProvider> inner;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!inner_) {
        auto file = ctx_.env->GetNonEmpty("AWS_WEB_IDENTITY_TOKEN_FILE");
        auto role = ctx_.env->GetNonEmpty("AWS_ROLE_ARN");
        if (!file) return Fail(NotConfigured("AWS_WEB_IDENTITY_TOKEN_FILE is not set"));
        if (!role) {
          return Fail(NotConfigured("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"));
        }
        WebIdentityConfig cfg;
        cfg.token_file = *file;
        cfg.role_arn = *role;
        cfg.role_session_name = ctx_.env->GetNonEmpty("AWS_ROLE_SESSION_NAME").value_or("");
        inner_ = NewWebIdentityProvider(ctx_, std::move(cfg));
      }
      inner = inner_;
    }
    return inner->Get();
  }

 private:
  ProviderContext ctx_;
  std::mutex mu_;
  std::shared_ptr<CredentialsProvider> inner_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> NewEnvCredentialsProvider(std::shared_ptr<Environment> env) {
  return std::make_shared<EnvProvider>(std::move(env));
}

std::shared_ptr<CredentialsProvider> NewWebIdentityProvider(ProviderContext ctx,
                                                            WebIdentityConfig config) {
  auto clock = ctx.clock;
  auto refresh = ctx.refresh;
  auto fetcher = std::make_shared<WebIdentityFetcher>(std::move(ctx), std::move(config));
  return NewRefreshingProvider([fetcher] { return fetcher->Fetch(); }, std::move(clock), refresh);
}

std::shared_ptr<CredentialsProvider> NewEnvWebIdentityProvider(ProviderContext ctx) {
  return std::make_shared<EnvWebIdentityProvider>(std::move(ctx));
}

}  // namespace drsnap::aws
