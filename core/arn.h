// Amazon Resource Names: one parser and one builder for every layer, and the
// partition a region belongs to (an ARN names its partition: "arn:aws:...",
// "arn:aws-cn:...", "arn:aws-us-gov:...").
//
//   arn:<partition>:<service>:<region>:<account>:<resource>
//
// <resource> is everything after the fifth ':' and may hold ':' and '/'
// itself ("snapshot:rds:db1-2026-11-23-04-10", "key/1234", "role/x").
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace drsnap {

// The fields of an ARN, as views into the text it was parsed from (which
// must outlive them): parsing allocates nothing, so it can run per snapshot.
struct Arn {
  std::string_view partition;  // "aws", "aws-cn", "aws-us-gov", ...
  std::string_view service;    // "rds", "kms", "iam", "sts"
  std::string_view region;     // "" for global services (iam, sts)
  std::string_view account;    // "" for AWS-owned resources
  std::string_view resource;   // "snapshot:drsnap-db1-202611230410", "key/..."
  std::string ToString() const;
};

// nullopt unless `text` starts with "arn:" and has all six fields (the
// partition and the service non-empty).
std::optional<Arn> ParseArn(std::string_view text);

// The partition of a region, by its prefix: cn-* "aws-cn", us-gov-*
// "aws-us-gov", us-iso-* "aws-iso", us-isob-* "aws-iso-b", anything else
// "aws".
std::string_view PartitionOfRegion(std::string_view region);

// An ARN in `region`'s partition.
std::string MakeArn(std::string_view service, std::string_view region, std::string_view account,
                    std::string_view resource);

// True when `key` names the account's default RDS key by its alias
// ("alias/aws/rds", or an alias ARN ending in ":alias/aws/rds"). The key ARN
// behind that alias (known only after asking KMS) is the caller's to compare.
bool IsDefaultRdsKeyAlias(std::string_view key);

}  // namespace drsnap
