#include "aws/endpoints.h"

#include <cctype>
#include <mutex>
#include <optional>

#include "core/arn.h"
#include "core/strings.h"

namespace drsnap::aws {
namespace {

bool IsTrue(std::string_view v) { return AsciiLower(v) == "true"; }

bool IgnoreConfiguredEndpoints(const Environment& env, const Profile* profile) {
  if (auto v = env.GetNonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) return IsTrue(*v);
  if (profile != nullptr) {
    if (auto v = profile->Get("ignore_configured_endpoint_urls")) return IsTrue(*v);
  }
  return false;
}

// Checks an override URL and drops trailing slashes. `from` names its origin.
Result<std::string> CheckUrl(std::string url, const std::string& from) {
  std::string lower = AsciiLower(url);
  size_t scheme_end = lower.find("://");
  bool ok = (lower.starts_with("http://") || lower.starts_with("https://")) &&
            scheme_end + 3 < url.size() && url[scheme_end + 3] != '/';
  if (ok) {
    for (char c : url) {
      if (std::isspace(static_cast<unsigned char>(c)) ||
          std::iscntrl(static_cast<unsigned char>(c))) {
        ok = false;
      }
    }
  }
  if (!ok) {
    Error e = Error::Terminal("InvalidEndpoint", from + " is not an http(s) URL: '" + url + "'");
    e.hint = "write it like https://rds.us-east-1.amazonaws.com or http://127.0.0.1:4566";
    return Fail(std::move(e));
  }
  while (url.size() > scheme_end + 4 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Partition PartitionForRegion(std::string_view region) {
  std::string name(PartitionOfRegion(region));
  if (name == "aws-cn") return {name, "amazonaws.com.cn"};
  if (name == "aws-iso-b") return {name, "sc2s.sgov.gov"};
  if (name == "aws-iso") return {name, "c2s.ic.gov"};
  return {name, "amazonaws.com"};
}

Status ValidateRegion(std::string_view region) {
  bool ok = !region.empty() && region.size() <= 64 && region.front() != '-' && region.back() != '-';
  for (char c : region) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      ok = false;
    }
  }
  if (!ok) {
    Error e =
        Error::Terminal("InvalidRegion", "'" + std::string(region) + "' is not an AWS region name");
    e.hint = "region names look like us-east-1 or eu-west-2";
    return Fail(std::move(e));
  }
  return OkStatus();
}

Result<std::string> ResolveRegion(const Environment& env, const Profile* profile,
                                  std::string_view profile_name, std::string_view explicit_region) {
  std::string region;
  std::string from;
  if (!explicit_region.empty()) {
    region = std::string(explicit_region);
    from = "the region option";
  } else if (auto r = env.GetNonEmpty("AWS_REGION")) {
    region = *r;
    from = "AWS_REGION";
  } else if (auto d = env.GetNonEmpty("AWS_DEFAULT_REGION")) {
    region = *d;
    from = "AWS_DEFAULT_REGION";
  } else if (profile != nullptr && profile->Get("region")) {
    region = *profile->Get("region");
    from = profile->Where("region");
  } else {
    Error e = Error::Terminal("NoRegion", "no AWS region: set AWS_REGION or region in profile " +
                                              std::string(profile_name));
    e.hint = "for example: export AWS_REGION=us-east-1";
    return Fail(std::move(e));
  }
  auto valid = ValidateRegion(region);
  if (!valid) return Fail(std::move(valid).error().With("region from " + from));
  return region;
}

Result<ServiceEndpoint> ResolveEndpoint(std::string_view service, std::string_view region,
                                        const Environment& env, const Profile* profile) {
  std::string svc = AsciiLower(service);
  bool service_ok = !svc.empty();
  for (char c : svc) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) service_ok = false;
  }
  if (!service_ok) {
    return Fail(
        Error::Terminal("InvalidEndpoint", "'" + std::string(service) + "' is not a service name"));
  }
  DRSNAP_RETURN_IF_ERROR(ValidateRegion(region));
  ServiceEndpoint ep;
  ep.signing_name = svc;
  ep.signing_region = std::string(region);
  bool global_sts = svc == "sts" && region == "aws-global";
  if (global_sts) ep.signing_region = "us-east-1";

  if (!IgnoreConfiguredEndpoints(env, profile)) {
    std::string id = svc;  // "rds" -> AWS_ENDPOINT_URL_RDS; services key "rds"
    for (char& c : id) {
      if (c == '-') c = '_';
    }
    std::string env_name = "AWS_ENDPOINT_URL_";
    for (char c : id) env_name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string url;
    std::string from;
    if (auto v = env.GetNonEmpty(env_name)) {
      url = *v;
      from = env_name;
    } else if (auto g = env.GetNonEmpty("AWS_ENDPOINT_URL")) {
      url = *g;
      from = "AWS_ENDPOINT_URL";
    } else if (profile != nullptr) {
      if (!profile->services_error.empty()) {
        Error e = Error::Terminal("ProfileInvalid", profile->services_error);
        e.hint = "add the section, or remove 'services =' from the profile";
        return Fail(std::move(e));
      }
      auto s = profile->services.find(id);
      const ConfigValue* setting = nullptr;
      if (s != profile->services.end()) {
        auto it = s->second.find("endpoint_url");
        if (it != s->second.end() && !it->second.value.empty()) setting = &it->second;
      }
      if (setting == nullptr && profile->Get("endpoint_url")) {
        setting = profile->Find("endpoint_url");
      }
      if (setting != nullptr) {
        url = setting->value;
        from = "endpoint_url at " + setting->Where();
      }
    }
    if (!url.empty()) {
      DRSNAP_ASSIGN_OR_RETURN(ep.url, CheckUrl(url, from));
      return ep;
    }
  }

  if (global_sts) {
    ep.url = "https://sts.amazonaws.com";
    return ep;
  }
  ep.url =
      "https://" + svc + "." + std::string(region) + "." + PartitionForRegion(region).dns_suffix;
  return ep;
}

std::function<Result<ServiceEndpoint>(const std::string& region)> MakeEndpointResolver(
    std::string service, std::shared_ptr<Environment> env, std::string profile) {
  struct State {
    std::once_flag once;
    Result<SharedConfig> config = Fail(Error::Terminal("Internal", "not loaded"));
  };
  auto state = std::make_shared<State>();
  return [state, service = std::move(service), env = std::move(env),
          profile = std::move(profile)](const std::string& region) -> Result<ServiceEndpoint> {
    std::call_once(state->once, [&] { state->config = LoadSharedConfig(*env); });
    if (!state->config) return Fail(state->config.error());
    const Profile* p = state->config->FindProfile(SelectedProfileName(*env, profile));
    return ResolveEndpoint(service, region, *env, p);
  };
}

}  // namespace drsnap::aws
