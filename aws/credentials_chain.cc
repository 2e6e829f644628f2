// The shared-files provider (profiles, role chaining) and the default chain.
#include "aws/credentials_chain.h"

#include <charconv>
#include <mutex>
#include <optional>

namespace drsnap::aws {
namespace {

Error NotConfigured(std::string message) {
  return Error::Terminal(std::string(kCredentialsNotConfigured), std::move(message));
}

Error ProfileError(const std::string& where, const std::string& message, std::string hint = "") {
  Error e = Error::Terminal("ProfileInvalid", where + ": " + message);
  e.hint = std::move(hint);
  return e;
}

bool HasStaticKeys(const Profile& p) {
  return p.Get("aws_access_key_id").has_value() && p.Get("aws_secret_access_key").has_value();
}

// Turns a profile into a provider, following source_profile links.
class ProfileBuilder {
 public:
  ProfileBuilder(const ProviderContext& ctx, const SharedConfig& cfg) : ctx_(ctx), cfg_(cfg) {}

  Result<std::shared_ptr<CredentialsProvider>> Top(const std::string& name, bool required) {
    const Profile* p = cfg_.FindProfile(name);
    if (p == nullptr) {
      if (required) return Fail(cfg_.GetProfile(name).error());
      return Fail(NotConfigured("not found in " + cfg_.FilesDescription()));
    }
    DRSNAP_RETURN_IF_ERROR(cfg_.CheckSourceProfileChain(name));
    // As in the SDKs, role_arn wins over static keys in the selected profile.
    if (p->Get("role_arn")) return Role(*p);
    if (p->Find("aws_access_key_id") || p->Find("aws_secret_access_key")) return Static(*p);
    if (p->Get("credential_process")) {
      return Fail(ProfileError(
          p->Where("credential_process"),
          "profile '" + name + "' uses credential_process, which drsnap does not support",
          "run the process yourself and export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/"
          "AWS_SESSION_TOKEN, or use role_arn"));
    }
    if (p->Get("sso_session") || p->Get("sso_start_url")) {
      std::string key = p->Get("sso_session") ? "sso_session" : "sso_start_url";
      return Fail(ProfileError(
          p->Where(key),
          "profile '" + name + "' uses IAM Identity Center (SSO), which drsnap does not support",
          "run: eval \"$(aws configure export-credentials --profile " + name + " --format env)\""));
    }
    return Fail(
        NotConfigured("has no aws_access_key_id or role_arn in " + p->Where("aws_access_key_id")));
  }

 private:
  Result<std::shared_ptr<CredentialsProvider>> Static(const Profile& p) {
    auto key = p.Get("aws_access_key_id");
    auto secret = p.Get("aws_secret_access_key");
    if (!key || !secret) {
      std::string have = key ? "aws_access_key_id" : "aws_secret_access_key";
      std::string missing = key ? "aws_secret_access_key" : "aws_access_key_id";
      return Fail(ProfileError(p.Where(have), "profile '" + p.name + "' has " + have + " but no " +
                                                  missing + "; add " + missing + " = ..."));
    }
    Credentials c;
    c.access_key_id = *key;
    c.secret_access_key = *secret;
    // aws_security_token: the legacy name botocore still reads.
    c.session_token = p.Get("aws_session_token").value_or(p.Get("aws_security_token").value_or(""));
    c.source = "profile " + p.name + " (" + p.Where("aws_access_key_id") + ")";
    return std::shared_ptr<CredentialsProvider>(
        std::make_shared<StaticCredentialsProvider>(std::move(c)));
  }

  Result<int> Duration(const Profile& p) {
    const ConfigValue* v = p.Find("duration_seconds");
    if (v == nullptr || p.Get("duration_seconds") == std::nullopt) return 3600;
    std::string s = *p.Get("duration_seconds");
    int n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || ptr != s.data() + s.size() || n < 900 || n > 43200) {
      return Fail(ProfileError(v->Where(),
                               "duration_seconds must be a whole number of seconds "
                               "from 900 to 43200, not '" +
                                   s + "'"));
    }
    return n;
  }

  Result<std::shared_ptr<CredentialsProvider>> Role(const Profile& p) {
    std::string role_arn = *p.Get("role_arn");
    if (!role_arn.starts_with("arn:")) {
      return Fail(ProfileError(p.Where("role_arn"),
                               "role_arn must be an IAM role ARN "
                               "(arn:aws:iam::ACCOUNT:role/NAME), not '" +
                                   role_arn + "'"));
    }
    if (p.Get("mfa_serial")) {
      return Fail(ProfileError(p.Where("mfa_serial"),
                               "profile '" + p.name +
                                   "' needs an MFA code (mfa_serial), which "
                                   "drsnap cannot ask for as it runs unattended",
                               "use a role without an MFA condition for drsnap"));
    }
    DRSNAP_ASSIGN_OR_RETURN(int duration, Duration(p));
    auto source_profile = p.Get("source_profile");
    auto credential_source = p.Get("credential_source");
    auto token_file = p.Get("web_identity_token_file");
    std::string session_name = p.Get("role_session_name").value_or("");
    if (source_profile && credential_source) {
      return Fail(ProfileError(
          p.Where("credential_source"),
          "profile '" + p.name + "' has both source_profile and credential_source; keep one"));
    }
    std::shared_ptr<CredentialsProvider> source;
    if (credential_source) {
      if (*credential_source == "Environment") {
        source = NewEnvCredentialsProvider(ctx_.env);
      } else if (*credential_source == "Ec2InstanceMetadata") {
        source = NewImdsProvider(ctx_);
      } else if (*credential_source == "EcsContainer") {
        source = NewContainerProvider(ctx_);
      } else {
        return Fail(ProfileError(p.Where("credential_source"),
                                 "credential_source must be Environment, Ec2InstanceMetadata or "
                                 "EcsContainer, not '" +
                                     *credential_source + "'"));
      }
    } else if (source_profile) {
      const Profile* sp = cfg_.FindProfile(*source_profile);
      if (sp == nullptr) {
        // CheckSourceProfileChain reports this with the list of profiles.
        return Fail(cfg_.GetProfile(*source_profile).error());
      }
      if (sp == &p && !HasStaticKeys(p)) {
        return Fail(
            ProfileError(p.Where("source_profile"), "profile '" + p.name +
                                                        "' is its own source_profile but has no "
                                                        "aws_access_key_id/aws_secret_access_key"));
      }
      DRSNAP_ASSIGN_OR_RETURN(source, Source(*sp, p));
    } else if (token_file) {
      WebIdentityConfig wi;
      wi.token_file = *token_file;
      wi.role_arn = role_arn;
      wi.role_session_name = session_name;
      wi.duration_seconds = duration;
      return NewWebIdentityProvider(ctx_, std::move(wi));
    } else {
      return Fail(ProfileError(p.Where("role_arn"),
                               "profile '" + p.name +
                                   "' has role_arn but no source_profile, credential_source or "
                                   "web_identity_token_file to get the credentials that assume "
                                   "it; add one"));
    }
    AssumeRoleParams params;
    params.role_arn = role_arn;
    params.role_session_name = session_name;
    params.external_id = p.Get("external_id").value_or("");
    params.duration_seconds = duration;
    return NewAssumeRoleProvider(std::move(source), ctx_.sts_factory, std::move(params),
                                 ctx_.region, ctx_.clock, ctx_.refresh);
  }

  // A source_profile: its static keys win over its own role_arn.
  Result<std::shared_ptr<CredentialsProvider>> Source(const Profile& sp, const Profile& of) {
    if (HasStaticKeys(sp)) return Static(sp);
    if (sp.Get("role_arn")) return Role(sp);
    if (sp.Find("aws_access_key_id") || sp.Find("aws_secret_access_key")) return Static(sp);
    return Fail(ProfileError(of.Where("source_profile"),
                             "profile '" + sp.name + "' (the source_profile of '" + of.name +
                                 "') has no aws_access_key_id/aws_secret_access_key or role_arn"));
  }

  const ProviderContext& ctx_;
  const SharedConfig& cfg_;
};

class ProfileProvider final : public CredentialsProvider {
 public:
  ProfileProvider(ProviderContext ctx, std::shared_ptr<const SharedConfig> config,
                  std::string profile, bool required)
      : ctx_(std::move(ctx)),
        config_(std::move(config)),
        profile_(std::move(profile)),
        required_(required) {}

  Result<Credentials> Get() override {
    std::shared_ptr<CredentialsProvider> inner;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!inner_ && !build_error_) Build();
      if (build_error_) return Fail(*build_error_);
      inner = inner_;
    }
    auto r = inner->Get();
    if (!r) {
      Error e = std::move(r).error();
      // The profile is configured (credential_source = Ec2InstanceMetadata
      // off EC2, say): its failure must stop the chain, not be skipped.
      if (e.code == kCredentialsNotConfigured) e.code = "CredentialsUnavailable";
      return Fail(std::move(e).With("profile " + profile_));
    }
    return r;
  }

 private:
  // REQUIRES: mu_ held.
  void Build() {
    if (!config_) {
      auto loaded = LoadSharedConfig(*ctx_.env);
      if (!loaded) {
        build_error_ = loaded.error();
        return;
      }
      config_ = std::make_shared<const SharedConfig>(std::move(*loaded));
    }
    ProfileBuilder builder(ctx_, *config_);
    auto built = builder.Top(profile_, required_);
    if (!built) {
      build_error_ = std::move(built).error();
      return;
    }
    inner_ = std::move(*built);
  }

  ProviderContext ctx_;
  std::shared_ptr<const SharedConfig> config_;
  const std::string profile_;
  const bool required_;
  std::mutex mu_;
  std::shared_ptr<CredentialsProvider> inner_;
  std::optional<Error> build_error_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> NewProfileCredentialsProvider(
    ProviderContext ctx, std::shared_ptr<const SharedConfig> config, std::string profile,
    bool profile_required) {
  return std::make_shared<ProfileProvider>(std::move(ctx), std::move(config), std::move(profile),
                                           profile_required);
}

std::shared_ptr<CredentialsProvider> NewDefaultCredentialsChain(
    ProviderContext ctx, std::shared_ptr<const SharedConfig> config, std::string profile) {
  std::vector<NamedProvider> providers;
  // As in botocore, an explicitly given profile (not AWS_PROFILE) skips the
  // environment keys: the user asked for that profile.
  if (profile.empty()) providers.push_back({"environment", NewEnvCredentialsProvider(ctx.env)});
  bool required = ProfileExplicitlySelected(*ctx.env, profile);
  std::string name = SelectedProfileName(*ctx.env, profile);
  providers.push_back(
      {"profile " + name, NewProfileCredentialsProvider(ctx, std::move(config), name, required)});
  providers.push_back({"web identity", NewEnvWebIdentityProvider(ctx)});
  providers.push_back({"container", NewContainerProvider(ctx)});
  providers.push_back({"EC2 instance metadata", NewImdsProvider(ctx)});
  return NewChainProvider(std::move(providers));
}

}  // namespace drsnap::aws
