#include "aws/session.h"

#include "aws/endpoints.h"

namespace drsnap::aws {

Result<std::shared_ptr<Session>> Session::Create(const SessionOptions& options,
                                                 std::shared_ptr<Environment> env,
                                                 std::shared_ptr<Clock> clock,
                                                 std::shared_ptr<HttpTransport> transport,
                                                 StsFactory sts) {
  if (!env || !clock || !transport) {
    return Fail(Error::Terminal("InvalidArgument",
                                "Session::Create needs an environment, a clock and a transport"));
  }
  auto loaded = LoadSharedConfig(*env);
  if (!loaded) return Fail(std::move(loaded).error().With("reading the AWS config files"));
  auto config = std::make_shared<const SharedConfig>(std::move(*loaded));

  std::string profile_name = SelectedProfileName(*env, options.profile);
  const Profile* profile = config->FindProfile(profile_name);
  if (profile == nullptr && ProfileExplicitlySelected(*env, options.profile)) {
    return Fail(config->GetProfile(profile_name).error());
  }
  if (profile != nullptr) DRSNAP_RETURN_IF_ERROR(config->CheckSourceProfileChain(profile_name));
  DRSNAP_ASSIGN_OR_RETURN(std::string region,
                          ResolveRegion(*env, profile, profile_name, options.region));

  ProviderContext ctx;
  ctx.env = env;
  ctx.clock = clock;
  ctx.metadata_transport = options.metadata_transport;
  if (!ctx.metadata_transport) {
    // The SDKs give the metadata services ~1s: off EC2/ECS, failing fast
    // matters more than patience.
    HttpOptions metadata_options;
    metadata_options.connect_timeout = std::chrono::milliseconds(1000);
    metadata_options.total_timeout = std::chrono::milliseconds(2000);
    metadata_options.env = env;
    ctx.metadata_transport = NewCurlTransport(metadata_options);
  }
  ctx.sts_factory = sts;
  ctx.region = region;
  ctx.container_base_url = options.container_base_url;
  std::shared_ptr<CredentialsProvider> credentials =
      NewDefaultCredentialsChain(ctx, config, options.profile);
  if (!options.role_arn.empty()) {
    AssumeRoleParams params;
    params.role_arn = options.role_arn;
    params.external_id = options.external_id;
    params.role_session_name =
        options.role_session_name.empty() ? "drsnap" : options.role_session_name;
    credentials =
        NewAssumeRoleProvider(std::move(credentials), sts, std::move(params), region, clock);
  }

  auto s = std::shared_ptr<Session>(new Session());
  s->env_ = std::move(env);
  s->clock_ = std::move(clock);
  s->transport_ = std::move(transport);
  s->sts_ = std::move(sts);
  s->config_ = std::move(config);
  s->profile_name_ = std::move(profile_name);
  s->region_ = std::move(region);
  s->credentials_ = std::move(credentials);
  return s;
}

const Profile* Session::profile() const { return config_->FindProfile(profile_name_); }

Result<ServiceEndpoint> Session::Endpoint(std::string_view service, std::string_view region) const {
  auto ep = ResolveEndpoint(service, region, *env_, profile());
  if (!ep) {
    return Fail(std::move(ep).error().With("resolving the " + std::string(service) +
                                           " endpoint for " + std::string(region)));
  }
  return ep;
}

Result<std::shared_ptr<Session>> Session::AssumeRole(const AssumeRoleParams& params) const {
  if (params.role_arn.empty()) {
    return Fail(Error::Terminal("InvalidArgument", "AssumeRole needs a role ARN"));
  }
  if (!sts_) {
    return Fail(Error::Terminal(
        "StsUnavailable", "this session has no STS client factory to assume " + params.role_arn));
  }
  AssumeRoleParams p = params;
  if (p.role_session_name.empty()) p.role_session_name = "drsnap";
  auto s = std::shared_ptr<Session>(new Session(*this));
  s->credentials_ = NewAssumeRoleProvider(credentials_, sts_, std::move(p), region_, clock_);
  return s;
}

}  // namespace drsnap::aws
