// KMS (JSON 1.1): CreateKey, CreateAlias, DeleteAlias, DescribeKey,
// ListAliases, ScheduleKeyDeletion, CreateGrant, ListGrants, RevokeGrant. Key policies are reduced
// to the accounts they let use the key; a grant that lets a principal of another account Decrypt
// opens the key to that account too.
#include <algorithm>
#include <charconv>
#include <regex>

#include "sim/world.h"

namespace drsnap::sim {

namespace {

using nlohmann::json;

double EpochSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() /
         1000.0;
}

json KeyMetadata(const KmsKey& k, std::string_view account) {
  json m = {{"AWSAccountId", std::string(account)},
            {"KeyId", k.key_id},
            {"Arn", k.arn},
            {"CreationDate", EpochSeconds(k.created)},
            {"Enabled", k.enabled && !k.pending_deletion()},
            {"Description", k.description},
            {"KeyUsage", "ENCRYPT_DECRYPT"},
            {"KeyState", k.pending_deletion() ? "PendingDeletion"
                         : k.enabled          ? "Enabled"
                                              : "Disabled"},
            {"Origin", "AWS_KMS"},
            {"KeyManager", k.aws_managed ? "AWS" : "CUSTOMER"},
            {"CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"},
            {"KeySpec", "SYMMETRIC_DEFAULT"},
            {"EncryptionAlgorithms", json::array({"SYMMETRIC_DEFAULT"})},
            {"MultiRegion", false}};
  if (k.pending_deletion()) m["DeletionDate"] = EpochSeconds(k.deletion_date);
  return m;
}

// Account ids named as principals of Allow statements.
std::set<std::string> PolicyAccounts(const json& policy) {
  std::set<std::string> out;
  static const std::regex kAcct("(?:^|[^0-9])([0-9]{12})(?:[^0-9]|$)");
  auto add_principal = [&](const json& v) {
    if (!v.is_string()) return;
    std::string s = v.get<std::string>();
    std::smatch m;
    if (std::regex_search(s, m, kAcct)) out.insert(m[1]);
  };
  if (!policy.contains("Statement")) return out;
  json stmts = policy["Statement"];
  if (stmts.is_object()) stmts = json::array({stmts});
  for (const auto& st : stmts) {
    if (!st.is_object() || st.value("Effect", "") != "Allow" || !st.contains("Principal")) continue;
    const json& pr = st["Principal"];
    if (pr.is_object() && pr.contains("AWS")) {
      if (pr["AWS"].is_array())
        for (const auto& v : pr["AWS"]) add_principal(v);
      else
        add_principal(pr["AWS"]);
    }
  }
  return out;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

constexpr std::string_view kGrantOperations[] = {"Decrypt",
                                                 "Encrypt",
                                                 "GenerateDataKey",
                                                 "GenerateDataKeyWithoutPlaintext",
                                                 "ReEncryptFrom",
                                                 "ReEncryptTo",
                                                 "Sign",
                                                 "Verify",
                                                 "GetPublicKey",
                                                 "CreateGrant",
                                                 "RetireGrant",
                                                 "DescribeKey",
                                                 "GenerateDataKeyPair",
                                                 "GenerateDataKeyPairWithoutPlaintext",
                                                 "GenerateMac",
                                                 "VerifyMac"};

}  // namespace

SimResponse World::HandleKms(const SimRequest& req) {
  SimResponse resp;
  resp.content_type = "application/x-amz-json-1.1";
  resp.request_id = NewRequestId();
  auto fail = [&](int status, std::string_view type, std::string msg) {
    resp.status = status;
    resp.body = Dump(json{{"__type", std::string(type)}, {"message", std::move(msg)}});
    return resp;
  };
  if (req.account_id.empty())
    return fail(400, "MissingAuthenticationTokenException", "Missing Authentication Token");
  json body;
  try {
    body = req.json_body.empty() ? json::object() : json::parse(req.json_body);
  } catch (const json::exception&) {
    return fail(400, "SerializationException", "Malformed request body");
  }
  if (!body.is_object()) return fail(400, "SerializationException", "Malformed request body");
  const std::string& me = req.account_id;
  const std::string& region = req.region;
  Scope& s = GetScope(me, region);
  auto str = [&](const char* name) -> std::optional<std::string> {
    if (!body.contains(name) || !body[name].is_string()) return std::nullopt;
    return body[name].get<std::string>();
  };
  const std::string& a = req.action;

  if (a == "CreateKey") {
    KmsKey k;
    k.key_id = NextUuid();
    k.arn = "arn:aws:kms:" + region + ":" + me + ":key/" + k.key_id;
    k.description = str("Description").value_or("");
    k.created = now;
    if (body.contains("Tags")) {
      if (!body["Tags"].is_array())
        return fail(400, "ValidationException", "Tags must be a list of {TagKey, TagValue}");
      for (const auto& t : body["Tags"]) {
        if (!t.is_object() || !t.contains("TagKey") || !t["TagKey"].is_string() ||
            !t.contains("TagValue") || !t["TagValue"].is_string())
          return fail(400, "ValidationException", "Tags must be a list of {TagKey, TagValue}");
        k.tags.emplace_back(t["TagKey"].get<std::string>(), t["TagValue"].get<std::string>());
      }
    }
    if (auto pol = str("Policy")) {
      try {
        k.allowed_accounts = PolicyAccounts(json::parse(*pol));
      } catch (const json::exception&) {
        return fail(400, "MalformedPolicyDocumentException", "The policy is not valid JSON");
      }
      k.allowed_accounts.erase(me);
    }
    json out = {{"KeyMetadata", KeyMetadata(k, me)}};
    s.keys.emplace(k.key_id, std::move(k));
    resp.body = Dump(out);
    return resp;
  }
  if (a == "CreateAlias") {
    auto name = str("AliasName");
    auto target = str("TargetKeyId");
    if (!name || !target)
      return fail(400, "ValidationException", "AliasName and TargetKeyId are required");
    if (!name->starts_with("alias/") || name->size() <= 6)
      return fail(400, "ValidationException", "Alias must start with the prefix \"alias/\".");
    if (name->starts_with("alias/aws/"))
      return fail(400, "NotAuthorizedException", "Cannot create alias with prefix 'alias/aws/'");
    if (s.aliases.count(*name))
      return fail(400, "AlreadyExistsException",
                  "An alias with the name arn:aws:kms:" + region + ":" + me + ":" + *name +
                      " already exists");
    const KmsKey* key = ResolveKey(me, region, *target);
    if (!key || key->arn.find(":" + me + ":") == std::string::npos)
      return fail(400, "NotFoundException", "Key '" + *target + "' does not exist");
    s.aliases[*name] = Alias{key->key_id, now};
    resp.body = "{}";
    return resp;
  }
  if (a == "DescribeKey") {
    auto ref = str("KeyId");
    if (!ref) return fail(400, "ValidationException", "KeyId is required");
    const KmsKey* key = nullptr;
    if (ref->starts_with("arn:")) {
      auto p = ParseArn(*ref);
      if (!p || p->service != "kms") return fail(400, "InvalidArnException", "Invalid arn " + *ref);
      key = KeyByArn(*ref);
      // DescribeKey answers for disabled keys too (Enabled false, KeyState
      // Disabled); only another account's key needs its policy to allow us.
      bool own = key && key->arn.find(":" + me + ":") != std::string::npos;
      if (key && !own && !KeyUsableBy(*key, me)) {
        return fail(400, "AccessDeniedException",
                    "User: " + req.caller_arn +
                        " is not authorized to perform: kms:DescribeKey on resource: " + key->arn);
      }
    } else {
      key = FindKey(me, region, *ref);
    }
    if (!key) {
      if (ref->find("alias/") != std::string::npos) {
        std::string full =
            ref->starts_with("arn:") ? *ref : "arn:aws:kms:" + region + ":" + me + ":" + *ref;
        return fail(400, "NotFoundException", "Alias " + full + " is not found.");
      }
      std::string full =
          ref->starts_with("arn:") ? *ref : "arn:aws:kms:" + region + ":" + me + ":key/" + *ref;
      return fail(400, "NotFoundException", "Key '" + full + "' does not exist");
    }
    auto p = ParseArn(key->arn);
    resp.body = Dump(json{{"KeyMetadata", KeyMetadata(*key, p ? p->account : me)}});
    return resp;
  }
  if (a == "ListAliases") {
    int limit = 50;
    if (body.contains("Limit")) {
      if (!body["Limit"].is_number_integer() || body["Limit"].get<int>() < 1 ||
          body["Limit"].get<int>() > 100)
        return fail(400, "ValidationException", "Limit must be between 1 and 100");
      limit = body["Limit"].get<int>();
    }
    std::optional<std::string> key_filter;
    if (auto k = str("KeyId")) {
      const KmsKey* key = ResolveKey(me, region, *k);
      if (!key) return fail(400, "NotFoundException", "Key '" + *k + "' does not exist");
      key_filter = key->key_id;
    }
    std::string marker = str("Marker").value_or("");
    // AWS lists its managed aliases even before their keys exist.
    std::vector<std::pair<std::string, const Alias*>> all;
    bool has_rds = s.aliases.count("alias/aws/rds") > 0;
    for (const auto& [n, al] : s.aliases) all.emplace_back(n, &al);
    if (!has_rds) all.emplace_back("alias/aws/rds", nullptr);
    std::sort(all.begin(), all.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    json list = json::array();
    bool truncated = false;
    std::string next;
    for (const auto& [n, al] : all) {
      if (!marker.empty() && n <= marker) continue;
      if (key_filter && (!al || al->target_key_id != *key_filter)) continue;
      if (static_cast<int>(list.size()) == limit) {
        truncated = true;
        next = list.back()["AliasName"].get<std::string>();
        break;
      }
      json e = {{"AliasName", n}, {"AliasArn", "arn:aws:kms:" + region + ":" + me + ":" + n}};
      if (al) {
        e["TargetKeyId"] = al->target_key_id;
        e["CreationDate"] = EpochSeconds(al->created);
        e["LastUpdatedDate"] = EpochSeconds(al->created);
      }
      list.push_back(std::move(e));
    }
    json out = {{"Aliases", list}, {"Truncated", truncated}};
    if (truncated) out["NextMarker"] = next;
    resp.body = Dump(out);
    return resp;
  }
  if (a == "ListResourceTags") {
    auto ref = str("KeyId");
    if (!ref) return fail(400, "ValidationException", "KeyId is required");
    const KmsKey* key = nullptr;
    if (ref->starts_with("arn:")) {
      auto p = ParseArn(*ref);
      if (p && p->account == me) key = KeyByArn(*ref);
    } else if (!ref->starts_with("alias/")) {
      auto it = s.keys.find(*ref);
      if (it != s.keys.end()) key = &it->second;
    }
    if (!key) return fail(400, "NotFoundException", "Key '" + *ref + "' does not exist");
    json tags = json::array();
    for (const auto& [tk, tv] : key->tags) tags.push_back({{"TagKey", tk}, {"TagValue", tv}});
    resp.body = Dump(json{{"Tags", tags}, {"Truncated", false}});
    return resp;
  }
  if (a == "DeleteAlias") {
    auto name = str("AliasName");
    if (!name) return fail(400, "ValidationException", "AliasName is required");
    if (name->starts_with("alias/aws/"))
      return fail(400, "NotAuthorizedException", "Cannot delete alias with prefix 'alias/aws/'");
    if (!s.aliases.erase(*name))
      return fail(400, "NotFoundException",
                  "Alias arn:aws:kms:" + region + ":" + me + ":" + *name + " is not found.");
    resp.body = "{}";
    return resp;
  }
  if (a == "ScheduleKeyDeletion") {
    auto ref = str("KeyId");
    if (!ref) return fail(400, "ValidationException", "KeyId is required");
    int days = 30;
    if (body.contains("PendingWindowInDays")) {
      if (!body["PendingWindowInDays"].is_number_integer() ||
          body["PendingWindowInDays"].get<int>() < 7 || body["PendingWindowInDays"].get<int>() > 30)
        return fail(400, "ValidationException",
                    "1 validation error detected: Value at 'pendingWindowInDays' failed to "
                    "satisfy constraint: Member must have value between 7 and 30");
      days = body["PendingWindowInDays"].get<int>();
    }
    KmsKey* key = nullptr;
    if (ref->starts_with("arn:")) {
      auto p = ParseArn(*ref);
      if (p && p->service == "kms" && p->resource_type == "key" && p->account == me)
        key = const_cast<KmsKey*>(KeyByArn(*ref));
    } else if (!ref->starts_with("alias/")) {
      auto it = s.keys.find(*ref);
      if (it != s.keys.end()) key = &it->second;
    }
    if (!key || key->aws_managed) {
      std::string full =
          ref->starts_with("arn:") ? *ref : "arn:aws:kms:" + region + ":" + me + ":key/" + *ref;
      return fail(400, "NotFoundException", "Key '" + full + "' does not exist");
    }
    if (key->pending_deletion())
      return fail(400, "KMSInvalidStateException", key->arn + " is pending deletion.");
    key->deletion_date = now + std::chrono::days(days);
    resp.body = Dump(json{{"KeyId", key->arn},
                          {"DeletionDate", EpochSeconds(key->deletion_date)},
                          {"KeyState", "PendingDeletion"},
                          {"PendingWindowInDays", days}});
    return resp;
  }
  if (a == "CreateGrant" || a == "ListGrants" || a == "RevokeGrant") {
    // KeyId: "Specify the key ID or key ARN of the KMS key. To specify a KMS
    // key in a different Amazon Web Services account, you must use the key ARN."
    auto ref = str("KeyId");
    if (!ref) return fail(400, "ValidationException", "KeyId is required");
    KmsKey* key = nullptr;
    if (ref->starts_with("arn:")) {
      auto p = ParseArn(*ref);
      if (!p || p->service != "kms") return fail(400, "InvalidArnException", "Invalid arn " + *ref);
      if (p->resource_type == "key") key = const_cast<KmsKey*>(KeyByArn(*ref));
    } else if (!ref->starts_with("alias/")) {
      auto it = s.keys.find(*ref);
      if (it != s.keys.end()) key = &it->second;
    }
    if (!key) {
      std::string full =
          ref->starts_with("arn:") ? *ref : "arn:aws:kms:" + region + ":" + me + ":key/" + *ref;
      return fail(400, "NotFoundException", "Key '" + full + "' does not exist");
    }
    bool own = key->arn.find(":" + me + ":") != std::string::npos;
    if (!own && !KeyUsableBy(*key, me))
      return fail(400, "AccessDeniedException",
                  "User: " + req.caller_arn + " is not authorized to perform: kms:" + a +
                      " on resource: " + key->arn);
    if (a == "CreateGrant") {
      if (!key->enabled) return fail(400, "DisabledException", key->arn + " is disabled.");
      auto grantee = str("GranteePrincipal");
      if (!grantee || grantee->empty())
        return fail(400, "ValidationException",
                    "1 validation error detected: Value null at 'granteePrincipal' failed to "
                    "satisfy constraint: Member must not be null");
      if (!body.contains("Operations") || !body["Operations"].is_array() ||
          body["Operations"].empty())
        return fail(400, "ValidationException",
                    "1 validation error detected: Value null at 'operations' failed to satisfy "
                    "constraint: Member must not be null");
      Grant g;
      for (const auto& op : body["Operations"]) {
        std::string o = op.is_string() ? op.get<std::string>() : "";
        if (std::find(std::begin(kGrantOperations), std::end(kGrantOperations), o) ==
            std::end(kGrantOperations))
          return fail(400, "ValidationException",
                      "1 validation error detected: Value '[" + o +
                          "]' at 'operations' failed to satisfy constraint: Member must satisfy "
                          "constraint: [Member must satisfy enum value set]");
        g.operations.push_back(o);
      }
      g.grantee = *grantee;
      g.retiring = str("RetiringPrincipal").value_or("");
      g.name = str("Name").value_or("");
      g.issuing_account = "arn:aws:iam::" + me + ":root";
      g.created = now;
      // A Name makes retries idempotent: the same grant comes back.
      if (!g.name.empty())
        for (const Grant& e : key->grants)
          if (e.name == g.name && e.grantee == g.grantee && e.operations == g.operations &&
              e.retiring == g.retiring) {
            resp.body = Dump(json{{"GrantId", e.grant_id}, {"GrantToken", e.token}});
            return resp;
          }
      static constexpr std::string_view kHex = "0123456789abcdef";
      while (g.grant_id.size() < 64) g.grant_id += kHex[NextRandom() & 15];
      g.token = "AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2I1NzM" + RandomAlnum(180, false);
      resp.body = Dump(json{{"GrantId", g.grant_id}, {"GrantToken", g.token}});
      key->grants.push_back(std::move(g));
      return resp;
    }
    if (a == "RevokeGrant") {
      auto id = str("GrantId");
      if (!id) return fail(400, "ValidationException", "GrantId is required");
      auto it = std::find_if(key->grants.begin(), key->grants.end(),
                             [&](const Grant& g) { return g.grant_id == *id; });
      if (it == key->grants.end())
        return fail(400, "NotFoundException", "Grant ID " + *id + " not found");
      key->grants.erase(it);
      resp.body = "{}";
      return resp;
    }
    // ListGrants
    int limit = 50;
    if (body.contains("Limit")) {
      if (!body["Limit"].is_number_integer() || body["Limit"].get<int>() < 1 ||
          body["Limit"].get<int>() > 100)
        return fail(400, "ValidationException", "Limit must be between 1 and 100");
      limit = body["Limit"].get<int>();
    }
    size_t start = 0;
    if (auto m = str("Marker")) {
      auto r = std::from_chars(m->data(), m->data() + m->size(), start);
      if (r.ec != std::errc()) return fail(400, "InvalidMarkerException", "Invalid marker");
    }
    auto grant_id = str("GrantId");
    auto grantee = str("GranteePrincipal");
    json list = json::array();
    size_t i = 0, matched = 0;
    bool truncated = false;
    for (; i < key->grants.size(); ++i) {
      const Grant& g = key->grants[i];
      if (grant_id && g.grant_id != *grant_id) continue;
      if (grantee && g.grantee != *grantee) continue;
      if (matched++ < start) continue;
      if (static_cast<int>(list.size()) == limit) {
        truncated = true;
        break;
      }
      json e = {{"KeyId", key->arn},
                {"GrantId", g.grant_id},
                {"CreationDate", EpochSeconds(g.created)},
                {"GranteePrincipal", g.grantee},
                {"IssuingAccount", g.issuing_account},
                {"Operations", g.operations}};
      if (!g.name.empty()) e["Name"] = g.name;
      if (!g.retiring.empty()) e["RetiringPrincipal"] = g.retiring;
      list.push_back(std::move(e));
    }
    json out = {{"Grants", list}, {"Truncated", truncated}};
    if (truncated) out["NextMarker"] = std::to_string(start + list.size());
    resp.body = Dump(out);
    return resp;
  }
  return fail(400, "UnknownOperationException", "");
}

}  // namespace drsnap::sim
