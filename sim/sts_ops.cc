// STS: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity.
#include <cctype>
#include <charconv>

#include "core/time_util.h"
#include "sim/world.h"
#include "sim/xml_writer.h"

namespace drsnap::sim {

namespace {

bool ValidSessionName(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("+=,.@-_").find(c) != std::string_view::npos))
      return false;
  return true;
}

// A stable unique id for a principal ARN ("AIDA..."/"AROA..." + 17 chars).
std::string PrincipalId(std::string_view prefix, std::string_view arn) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  uint64_t h = 1469598103934665603ULL;
  for (char c : arn) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  std::string out(prefix);
  for (int i = 0; i < 17; ++i) {
    out += kChars[h & 31];
    h = (h >> 5) | (h << 59);
    h *= 0x9E3779B97F4A7C15ULL;
  }
  return out;
}

}  // namespace

SimResponse World::HandleSts(const SimRequest& req) {
  std::string request_id = NewRequestId();
  SimResponse resp;
  resp.content_type = "text/xml";
  resp.request_id = request_id;
  Params p(req.params);
  auto fail = [&](int status, std::string_view code, std::string_view msg) {
    resp.status = status;
    resp.body = QueryError(kStsXmlns, "Sender", code, msg, request_id);
    return resp;
  };
  const std::string& a = req.action;
  XmlWriter x;
  if (a == "GetCallerIdentity") {
    if (req.account_id.empty())
      return fail(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
    std::string user_id;
    if (req.caller_arn.find(":assumed-role/") != std::string::npos) {
      // arn:aws:sts::<acct>:assumed-role/<role>/<session>
      std::string_view rest(req.caller_arn);
      rest = rest.substr(rest.find(":assumed-role/") + 14);
      std::string_view role = rest.substr(0, rest.find('/'));
      std::string_view session = rest.substr(rest.find('/') + 1);
      user_id =
          PrincipalId("AROA", "arn:aws:iam::" + req.account_id + ":role/" + std::string(role)) +
          ":" + std::string(session);
    } else {
      user_id = PrincipalId("AIDA", req.caller_arn);
    }
    x.Text("UserId", user_id);
    x.Text("Account", req.account_id);
    x.Text("Arn", req.caller_arn);
    resp.body = QueryResponse(kStsXmlns, a, x.str(), request_id);
    return resp;
  }
  if (a != "AssumeRole" && a != "AssumeRoleWithWebIdentity")
    return fail(400, "InvalidAction", "Could not find operation " + a + " for version 2011-06-15");
  bool web = a == "AssumeRoleWithWebIdentity";
  if (!web && req.account_id.empty())
    return fail(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  const std::string* role_arn = p.Get("RoleArn");
  if (!role_arn)
    return fail(400, "ValidationError",
                "1 validation error detected: Value null at 'roleArn' failed to satisfy "
                "constraint: Member must not be null");
  const std::string* session = p.Get("RoleSessionName");
  if (!session)
    return fail(400, "ValidationError",
                "1 validation error detected: Value null at 'roleSessionName' failed to satisfy "
                "constraint: Member must not be null");
  if (!ValidSessionName(*session))
    return fail(400, "ValidationError",
                "1 validation error detected: Value '" + *session +
                    "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: [\\w+=,.@-]*");
  int duration = 3600;
  if (const std::string* d = p.Get("DurationSeconds")) {
    auto r = std::from_chars(d->data(), d->data() + d->size(), duration);
    if (r.ec != std::errc() || duration < 900 || duration > 43200)
      return fail(400, "ValidationError",
                  "1 validation error detected: Value '" + *d +
                      "' at 'durationSeconds' failed to satisfy constraint: Member must have "
                      "value greater than or equal to 900");
  }
  auto parsed = ParseArn(*role_arn);
  std::string caller = web ? std::string("web identity") : req.caller_arn;
  auto denied = [&]() {
    if (web)
      return fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    return fail(403, "AccessDenied",
                "User: " + caller +
                    " is not authorized to perform: sts:AssumeRole on "
                    "resource: " +
                    *role_arn);
  };
  if (!parsed || parsed->service != "iam" || parsed->resource_type != "role" ||
      parsed->resource.empty())
    return fail(400, "ValidationError", "Invalid RoleArn: " + *role_arn);
  auto acct = accounts.find(parsed->account);
  if (acct == accounts.end()) return denied();
  std::string role_name = parsed->resource.substr(parsed->resource.rfind('/') + 1);
  // Only the roles the world defines exist (an account without a roles list
  // has none), as on AWS, where assuming a missing role is AccessDenied.
  auto role = acct->second.roles.find(role_name);
  if (role == acct->second.roles.end()) return denied();
  if (!web && !role->second.external_id.empty() &&
      p.GetOr("ExternalId", "") != role->second.external_id)
    return denied();
  if (web) {
    const std::string* token = p.Get("WebIdentityToken");
    if (!token || token->size() < 4)
      return fail(400, "InvalidIdentityToken",
                  "Couldn't retrieve verification key from your identity provider,  please "
                  "reference AssumeRoleWithWebIdentity documentation for requirements");
  }
  AccessKey key;
  key.access_key_id = "ASIA" + RandomAlnum(16, true);
  key.secret_access_key = RandomAlnum(40, false);
  key.session_token = "IQoJb3JpZ2luX2VjE" + RandomAlnum(300, false);
  key.account_id = parsed->account;
  key.arn = "arn:aws:sts::" + parsed->account + ":assumed-role/" + role_name + "/" + *session;
  key.expiration = now + std::chrono::seconds(duration);
  access_keys[key.access_key_id] = key;
  // Forget sessions that expired more than a day ago.
  for (auto it = access_keys.begin(); it != access_keys.end();) {
    if (it->second.expiration && *it->second.expiration < now - std::chrono::hours(24))
      it = access_keys.erase(it);
    else
      ++it;
  }
  x.Open("Credentials");
  x.Text("AccessKeyId", key.access_key_id);
  x.Text("SecretAccessKey", key.secret_access_key);
  x.Text("SessionToken", key.session_token);
  // The session expires on the virtual clock, and Expiration says when: a
  // client that refreshes before expiry is exercised against the world's
  // time (a client comparing it with a wall clock far from the world's sees
  // it expired or far away; session_expiration_clock "wall" reports wall
  // time + duration instead).
  TimePoint shown = *key.expiration;
  if (settings.session_expiration_wall)
    shown = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) +
            std::chrono::seconds(duration);
  x.Text("Expiration", FormatIso8601Seconds(shown));
  x.Close("Credentials");
  if (web) x.Text("SubjectFromWebIdentityToken", "system:serviceaccount:drsnap:drsnap");
  x.Open("AssumedRoleUser");
  x.Text("AssumedRoleId",
         PrincipalId("AROA", "arn:aws:iam::" + parsed->account + ":role/" + role_name) + ":" +
             *session);
  x.Text("Arn", key.arn);
  x.Close("AssumedRoleUser");
  if (web) {
    x.Text("Provider", "sts.amazonaws.com");
    x.Text("Audience", "sts.amazonaws.com");
  } else {
    x.Int("PackedPolicySize", 0);
  }
  resp.body = QueryResponse(kStsXmlns, a, x.str(), request_id);
  return resp;
}

}  // namespace drsnap::sim
