// Region and endpoint resolution, as the AWS SDKs do it.
//
// Region: explicit > AWS_REGION > AWS_DEFAULT_REGION > the profile's region.
//
// Endpoint for a service in a region (first match wins, botocore's order):
//   1. AWS_ENDPOINT_URL_<SERVICE>    (AWS_ENDPOINT_URL_RDS, _STS, _KMS)
//   2. AWS_ENDPOINT_URL
//   3. the profile's services section ("services = NAME", [services NAME],
//      "rds =\n  endpoint_url = URL")
//   4. the profile's endpoint_url
//   5. the standard regional endpoint: https://SERVICE.REGION.DNS_SUFFIX
//      (amazonaws.com; amazonaws.com.cn for cn-*; c2s.ic.gov / sc2s.sgov.gov
//      for the ISO partitions). STS is always regional; the pseudo-region
//      "aws-global" means https://sts.amazonaws.com signed for us-east-1.
// Steps 1-4 are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the
// profile's ignore_configured_endpoint_urls) is true.
//
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "aws/shared_config.h"
#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

struct Partition {
  std::string name;        // "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"
  std::string dns_suffix;  // "amazonaws.com", ...
};

// The partition a region belongs to (by prefix; unknown prefixes are "aws").
Partition PartitionForRegion(std::string_view region);

// A region name is lower-case letters, digits and '-' ("us-east-1"): anything
// else fails (code "InvalidRegion") rather than ending up in a host name.
Status ValidateRegion(std::string_view region);

// The region to use. `profile` may be null; `profile_name` is named in the
// error (code "NoRegion") when no region is configured anywhere.
Result<std::string> ResolveRegion(const Environment& env, const Profile* profile,
                                  std::string_view profile_name,
                                  std::string_view explicit_region = "");

// Where to send `service` ("rds", "sts", "kms") requests for `region`.
// signing_region = region (us-east-1 for "aws-global"), signing_name =
// service. Overrides must be http(s) URLs (code "InvalidEndpoint"
// otherwise); a trailing '/' is dropped. `profile` may be null.
Result<ServiceEndpoint> ResolveEndpoint(std::string_view service, std::string_view region,
                                        const Environment& env, const Profile* profile);

// A resolver of `service` endpoints by region that applies the same overrides:
// the environment (read at each call) and the settings of `profile` (empty:
// AWS_PROFILE / "default"), with the shared files loaded once, at the first
// call. Meant for aws/sts.h's MakeStsFactory(transport, clock, resolver), so
// that the STS calls of the credential providers honour AWS_ENDPOINT_URL_STS
// (drsnap-sim, moto). Thread-safe.
std::function<Result<ServiceEndpoint>(const std::string& region)> MakeEndpointResolver(
    std::string service, std::shared_ptr<Environment> env, std::string profile = "");

}  // namespace drsnap::aws
