#include "aws/kms.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "aws/xml.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;

Error Malformed(std::string message) { return xml::Malformed(std::move(message)); }

Result<json> ParseJson(std::string_view body) {
  json j = json::parse(body, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(Malformed("the response is not valid JSON"));
  if (!j.is_object()) return Fail(Malformed("the JSON response is not an object"));
  return j;
}

// Reads optional members, remembering the first type mismatch.
class JsonReader {
 public:
  explicit JsonReader(const json& j) : j_(j) {}
  void String(const char* name, std::string* out) {
    const json* v = Find(name);
    if (!v) return;
    if (!v->is_string()) return Mismatch(name, "a string");
    *out = v->get<std::string>();
  }
  void Bool(const char* name, bool* out) {
    const json* v = Find(name);
    if (!v) return;
    if (!v->is_boolean()) return Mismatch(name, "a boolean");
    *out = v->get<bool>();
  }
  // JSON 1.1 timestamps are epoch seconds (possibly fractional).
  void Time(const char* name, std::optional<TimePoint>* out) {
    const json* v = Find(name);
    if (!v) return;
    if (!v->is_number()) return Mismatch(name, "an epoch-seconds number");
    double secs = v->get<double>();
    if (!std::isfinite(secs)) return Mismatch(name, "a finite number");
    if (std::fabs(secs) > 1e13) return Mismatch(name, "a plausible epoch time");
    // Rounded to the microsecond: 1700000000.125 must not become ...124999.
    *out = TimePoint(
        std::chrono::duration_cast<Duration>(std::chrono::microseconds(std::llround(secs * 1e6))));
  }
  Status status() const {
    if (error_) return Fail(*error_);
    return OkStatus();
  }

 private:
  const json* Find(const char* name) {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void Mismatch(const char* name, const char* what) {
    if (!error_) error_ = Malformed(std::string("\"") + name + "\" is not " + what);
  }
  const json& j_;
  std::optional<Error> error_;
};

Result<KmsKeyMetadata> ReadKeyMetadata(const json& j) {
  if (!j.is_object()) return Fail(Malformed("\"KeyMetadata\" is not an object"));
  KmsKeyMetadata m;
  JsonReader r(j);
  r.String("AWSAccountId", &m.aws_account_id);
  r.String("KeyId", &m.key_id);
  r.String("Arn", &m.arn);
  r.String("Description", &m.description);
  r.String("KeyState", &m.key_state);
  r.String("KeyUsage", &m.key_usage);
  r.String("KeyManager", &m.key_manager);
  r.String("KeySpec", &m.key_spec);
  r.String("Origin", &m.origin);
  r.Bool("Enabled", &m.enabled);
  r.Bool("MultiRegion", &m.multi_region);
  r.Time("CreationDate", &m.creation_date);
  r.Time("DeletionDate", &m.deletion_date);
  DRSNAP_RETURN_IF_ERROR(r.status());
  if (m.key_id.empty()) return Fail(Malformed("\"KeyMetadata\" has no KeyId"));
  return m;
}

}  // namespace

Result<KmsKeyMetadata> DecodeKeyMetadataResponse(std::string_view body) {
  auto decode = [&]() -> Result<KmsKeyMetadata> {
    DRSNAP_ASSIGN_OR_RETURN(json j, ParseJson(body));
    auto it = j.find("KeyMetadata");
    if (it == j.end()) return Fail(Malformed("the response has no \"KeyMetadata\""));
    return ReadKeyMetadata(*it);
  };
  auto r = decode();
  if (!r) r.error().With("decoding a KMS KeyMetadata response");
  return r;
}

Result<ListAliasesPage> DecodeListAliasesResponse(std::string_view body) {
  auto decode = [&]() -> Result<ListAliasesPage> {
    DRSNAP_ASSIGN_OR_RETURN(json j, ParseJson(body));
    ListAliasesPage page;
    JsonReader top(j);
    top.String("NextMarker", &page.next_marker);
    top.Bool("Truncated", &page.truncated);
    DRSNAP_RETURN_IF_ERROR(top.status());
    auto it = j.find("Aliases");
    if (it != j.end() && !it->is_null()) {
      if (!it->is_array()) return Fail(Malformed("\"Aliases\" is not an array"));
      for (const json& a : *it) {
        if (!a.is_object()) return Fail(Malformed("an \"Aliases\" entry is not an object"));
        KmsAlias alias;
        JsonReader r(a);
        r.String("AliasName", &alias.alias_name);
        r.String("AliasArn", &alias.alias_arn);
        r.String("TargetKeyId", &alias.target_key_id);
        r.Time("CreationDate", &alias.creation_date);
        r.Time("LastUpdatedDate", &alias.last_updated_date);
        DRSNAP_RETURN_IF_ERROR(r.status());
        page.aliases.push_back(std::move(alias));
      }
    }
    if (!page.truncated) page.next_marker.clear();
    return page;
  };
  auto r = decode();
  if (!r) r.error().With("decoding the ListAliases response");
  return r;
}

KmsClient::KmsClient(std::shared_ptr<ServiceClient> client) : client_(std::move(client)) {}

Result<KmsKeyMetadata> KmsClient::DescribeKey(const std::string& key_id) {
  if (key_id.empty()) {
    return Fail(Error::Terminal("MissingParameter", "DescribeKey: KeyId is required"));
  }
  json req = {{"KeyId", key_id}};
  auto body = client_->CallJson("TrentService.DescribeKey", req.dump());
  if (!body) return Fail(std::move(body).error().With("KMS key " + key_id));
  return DecodeKeyMetadataResponse(*body);
}

Result<ListAliasesPage> KmsClient::ListAliases(const ListAliasesRequest& request) {
  json req = json::object();
  if (!request.key_id.empty()) req["KeyId"] = request.key_id;
  if (request.limit) req["Limit"] = *request.limit;
  if (!request.marker.empty()) req["Marker"] = request.marker;
  DRSNAP_ASSIGN_OR_RETURN(std::string body,
                          client_->CallJson("TrentService.ListAliases", req.dump()));
  return DecodeListAliasesResponse(body);
}

Result<std::vector<KmsAlias>> KmsClient::ListAliasesAll(ListAliasesRequest request) {
  std::vector<KmsAlias> all;
  std::set<std::string> seen;
  for (int page_no = 1;; ++page_no) {
    auto page = ListAliases(request);
    if (!page) return Fail(std::move(page).error().With("page " + std::to_string(page_no)));
    for (auto& a : page->aliases) all.push_back(std::move(a));
    if (!page->truncated || page->next_marker.empty()) return all;
    if (!seen.insert(page->next_marker).second) {
      return Fail(
          Error::Terminal("PaginationLoop",
                          "ListAliases returned the same NextMarker twice: " + page->next_marker));
    }
    request.marker = std::move(page->next_marker);
  }
}

Result<KmsKeyMetadata> KmsClient::CreateKey(const CreateKeyRequest& request) {
  json req = json::object();
  if (!request.policy.empty()) req["Policy"] = request.policy;
  if (!request.description.empty()) req["Description"] = request.description;
  if (!request.key_usage.empty()) req["KeyUsage"] = request.key_usage;
  if (!request.key_spec.empty()) req["KeySpec"] = request.key_spec;
  if (!request.tags.empty()) {
    json tags = json::array();
    for (const auto& t : request.tags)
      tags.push_back({{"TagKey", t.tag_key}, {"TagValue", t.tag_value}});
    req["Tags"] = std::move(tags);
  }
  if (request.multi_region) req["MultiRegion"] = *request.multi_region;
  auto body = client_->CallJson("TrentService.CreateKey", req.dump());
  if (!body) return Fail(std::move(body).error().With("creating a KMS key"));
  return DecodeKeyMetadataResponse(*body);
}

Status KmsClient::CreateAlias(const std::string& alias_name, const std::string& target_key_id) {
  if (!alias_name.starts_with("alias/") || target_key_id.empty()) {
    return Fail(Error::Terminal("MissingParameter",
                                "CreateAlias: AliasName must start with \"alias/\" and "
                                "TargetKeyId is required"));
  }
  json req = {{"AliasName", alias_name}, {"TargetKeyId", target_key_id}};
  auto body = client_->CallJson("TrentService.CreateAlias", req.dump());
  if (!body) return Fail(std::move(body).error().With("alias " + alias_name));
  return OkStatus();
}

}  // namespace drsnap::aws
