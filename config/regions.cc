#include "config/regions.h"

#include <array>

namespace drsnap::config {
namespace {

using namespace std::string_view_literals;

// Commercial regions, opt-in ones included (RDS is in all of them).
constexpr std::array kAws = {
    "us-east-1"sv,      "us-east-2"sv,      "us-west-1"sv,      "us-west-2"sv,
    "af-south-1"sv,     "ap-east-1"sv,      "ap-east-2"sv,      "ap-south-1"sv,
    "ap-south-2"sv,     "ap-northeast-1"sv, "ap-northeast-2"sv, "ap-northeast-3"sv,
    "ap-southeast-1"sv, "ap-southeast-2"sv, "ap-southeast-3"sv, "ap-southeast-4"sv,
    "ap-southeast-5"sv, "ap-southeast-6"sv, "ap-southeast-7"sv, "ca-central-1"sv,
    "ca-west-1"sv,      "eu-central-1"sv,   "eu-central-2"sv,   "eu-west-1"sv,
    "eu-west-2"sv,      "eu-west-3"sv,      "eu-north-1"sv,     "eu-south-1"sv,
    "eu-south-2"sv,     "il-central-1"sv,   "me-central-1"sv,   "me-south-1"sv,
    "mx-central-1"sv,   "sa-east-1"sv,
};
constexpr std::array kAwsCn = {"cn-north-1"sv, "cn-northwest-1"sv};
constexpr std::array kAwsUsGov = {"us-gov-east-1"sv, "us-gov-west-1"sv};

constexpr std::array kPartitions = {
    PartitionRegions{"aws", kAws},
    PartitionRegions{"aws-cn", kAwsCn},
    PartitionRegions{"aws-us-gov", kAwsUsGov},
};

}  // namespace

std::span<const PartitionRegions> KnownPartitions() { return kPartitions; }

bool IsKnownRegion(std::string_view region) {
  for (const auto& p : kPartitions)
    for (std::string_view r : p.regions)
      if (r == region) return true;
  return false;
}

std::vector<std::string> KnownRegions() {
  std::vector<std::string> out;
  for (const auto& p : kPartitions)
    for (std::string_view r : p.regions) out.emplace_back(r);
  return out;
}

}  // namespace drsnap::config
