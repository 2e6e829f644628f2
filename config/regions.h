// The AWS regions this build of drsnap knows, per partition: the one table
// (config/regions.cc). The policy loader checks every region it is given
// against it, so a typo such as "us-east-3" is an error at load time rather
// than an endpoint that never answers. A region AWS opens after this build
// is allowed with `allow_unknown_regions: true` at the top of the policy
// file (docs/configuration.md); adding it to the table is the lasting fix.
//
// Thread safety: constant data; pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace drsnap::config {

struct PartitionRegions {
  std::string_view partition;  // "aws", "aws-cn", "aws-us-gov"
  std::span<const std::string_view> regions;
};

// aws, aws-cn and aws-us-gov, each with its regions.
std::span<const PartitionRegions> KnownPartitions();

// True when `region` is in the table (exact, lower case).
bool IsKnownRegion(std::string_view region);

// Every region of the table, in table order (for suggestions).
std::vector<std::string> KnownRegions();

}  // namespace drsnap::config
