#include "core/arn.h"

#include <array>

namespace drsnap {

std::string Arn::ToString() const {
  std::string out = "arn:";
  for (std::string_view f : {partition, service, region, account}) {
    out += f;
    out += ':';
  }
  out += resource;
  return out;
}

std::optional<Arn> ParseArn(std::string_view text) {
  if (!text.starts_with("arn:")) return std::nullopt;
  std::array<std::string_view, 4> field;  // partition, service, region, account
  size_t start = 4;
  for (auto& f : field) {
    size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    f = text.substr(start, colon - start);
    start = colon + 1;
  }
  if (field[0].empty() || field[1].empty()) return std::nullopt;
  return Arn{field[0], field[1], field[2], field[3], text.substr(start)};
}

std::string_view PartitionOfRegion(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  if (region.starts_with("us-isob-")) return "aws-iso-b";
  if (region.starts_with("us-iso-")) return "aws-iso";
  return "aws";
}

std::string MakeArn(std::string_view service, std::string_view region, std::string_view account,
                    std::string_view resource) {
  return Arn{PartitionOfRegion(region), service, region, account, resource}.ToString();
}

bool IsDefaultRdsKeyAlias(std::string_view key) {
  constexpr std::string_view kAlias = "alias/aws/rds";
  if (key == kAlias) return true;
  if (!key.ends_with(kAlias) || key.size() == kAlias.size()) return false;
  auto arn = ParseArn(key);
  return arn && arn->service == "kms" && arn->resource == kAlias;
}

}  // namespace drsnap
