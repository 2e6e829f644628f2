#include "aws/rds_presign.h"

#include "aws/encoding.h"
#include "aws/sigv4.h"

namespace drsnap::aws {

std::string RdsPresignedUrl(std::string_view action,
                            const QueryParams& params_without_source_region,
                            std::string_view source_region, std::string_view destination_region,
                            std::string_view source_endpoint_url, const Credentials& creds,
                            TimePoint now) {
  // botocore: the operation's serialized body (Action, Version, members in
  // the order given) plus DestinationRegion, moved into the query string of a
  // GET to the source region's endpoint ("https://host/"), presigned 3600 s.
  std::string url(source_endpoint_url);
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) url.push_back('/');
  url.push_back('?');
  auto add = [&url](std::string_view k, std::string_view v) {
    if (url.back() != '?') url.push_back('&');
    AppendUriEncoded(&url, k);
    url.push_back('=');
    AppendUriEncoded(&url, v);
  };
  add("Action", action);
  add("Version", kRdsApiVersion);
  for (const auto& [k, v] : params_without_source_region) add(k, v);
  add("DestinationRegion", destination_region);
  return PresignUrl("GET", url, creds, SigningScope{std::string(source_region), "rds"}, now,
                    std::chrono::seconds(3600));
}

}  // namespace drsnap::aws
