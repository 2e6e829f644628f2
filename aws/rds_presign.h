// The RDS cross-region PreSignedUrl that the SDKs add to CopyDBSnapshot and
// CopyDBClusterSnapshot (and other cross-region RDS calls) when SourceRegion
// is given: a SigV4 query-presigned GET of the same operation, with
// DestinationRegion added, signed for the source region, valid 3600 s.
// Byte-identical to botocore's inject_presigned_url_rds.
//
// Thread safety: pure function; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "aws/client.h"
#include "aws/credentials.h"
#include "core/clock.h"

namespace drsnap::aws {

inline constexpr std::string_view kRdsApiVersion = "2014-10-31";

// action: "CopyDBSnapshot" or "CopyDBClusterSnapshot".
// params_without_source_region: the operation's query-serialized params
// (wire names, e.g. "SourceDBSnapshotIdentifier", "Tags.Tag.1.Key"), without
// Action, Version, SourceRegion, DestinationRegion or PreSignedUrl.
// source_endpoint_url: "https://rds.<source_region>.amazonaws.com" (no
// trailing slash needed; a path is kept).
// Returns the URL to send as the PreSignedUrl parameter.
std::string RdsPresignedUrl(std::string_view action,
                            const QueryParams& params_without_source_region,
                            std::string_view source_region, std::string_view destination_region,
                            std::string_view source_endpoint_url, const Credentials& creds,
                            TimePoint now);

}  // namespace drsnap::aws
