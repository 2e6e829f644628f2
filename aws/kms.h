// Typed AWS KMS operations (API version 2014-11-01, JSON 1.1 protocol,
// X-Amz-Target "TrentService.<Operation>") over ServiceClient::CallJson.
//
// Errors: AWS errors as ServiceClient returns them; a response that is not
// the expected JSON is an Error with code "MalformedResponse".
//
// Thread safety: a KmsClient may be shared by many threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

struct KmsKeyMetadata {
  std::string aws_account_id{};
  std::string key_id{};
  std::string arn{};
  std::string description{};
  std::string key_state{};    // "Enabled", "Disabled", "PendingDeletion", ...
  std::string key_usage{};    // "ENCRYPT_DECRYPT", ...
  std::string key_manager{};  // "AWS" (e.g. alias/aws/rds) or "CUSTOMER"
  std::string key_spec{};     // "SYMMETRIC_DEFAULT", ...
  std::string origin{};       // "AWS_KMS", ...
  bool enabled = false;
  bool multi_region = false;
  std::optional<TimePoint> creation_date{};
  std::optional<TimePoint> deletion_date{};
};

struct KmsAlias {
  std::string alias_name{};  // "alias/aws/rds"
  std::string alias_arn{};
  std::string target_key_id{};  // empty for AWS aliases not yet backed by a key
  std::optional<TimePoint> creation_date{};
  std::optional<TimePoint> last_updated_date{};
};

struct ListAliasesRequest {
  std::string key_id{};        // only aliases of this key
  std::optional<int> limit{};  // 1..100
  std::string marker{};
};

struct ListAliasesPage {
  std::vector<KmsAlias> aliases{};
  std::string next_marker{};  // empty on the last page
  bool truncated = false;
};

struct KmsTag {
  std::string tag_key{};
  std::string tag_value{};
};

struct CreateKeyRequest {
  std::string description{};
  std::string key_usage{};  // default ENCRYPT_DECRYPT
  std::string key_spec{};   // default SYMMETRIC_DEFAULT
  std::string policy{};     // JSON text; empty: the default key policy
  std::optional<bool> multi_region{};
  std::vector<KmsTag> tags{};
};

class KmsClient {
 public:
  explicit KmsClient(std::shared_ptr<ServiceClient> client);

  // key_id: key id, key ARN, alias name ("alias/x") or alias ARN.
  Result<KmsKeyMetadata> DescribeKey(const std::string& key_id);
  // One page; truncated with next_marker when more follow.
  Result<ListAliasesPage> ListAliases(const ListAliasesRequest& request);
  // Every page, concatenated. Fails when the service repeats a marker.
  Result<std::vector<KmsAlias>> ListAliasesAll(ListAliasesRequest request);
  Result<KmsKeyMetadata> CreateKey(const CreateKeyRequest& request);
  // alias_name must start with "alias/".
  Status CreateAlias(const std::string& alias_name, const std::string& target_key_id);

 private:
  std::shared_ptr<ServiceClient> client_{};
};

// Decoders (exposed for tests). Errors have code "MalformedResponse".
Result<KmsKeyMetadata> DecodeKeyMetadataResponse(std::string_view json);
Result<ListAliasesPage> DecodeListAliasesResponse(std::string_view json);

}  // namespace drsnap::aws
