#include "sim/auth.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "core/time_util.h"

namespace drsnap::sim {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

Error AuthError(std::string code, std::string message, int status) {
  Error e = Error::Terminal(std::move(code), std::move(message));
  e.http_status = status;
  return e;
}

Error InvalidToken() {
  return AuthError("InvalidClientTokenId", "The security token included in the request is invalid.",
                   403);
}

// Splits a raw query into (raw key, raw value) pairs.
std::vector<std::pair<std::string_view, std::string_view>> SplitQuery(std::string_view query) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t start = 0;
  while (!query.empty() && start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    out.emplace_back(pair.substr(0, eq),
                     eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
  }
  return diff == 0;
}

// What the two signing styles have in common once extracted.
struct SignatureInput {
  std::string access_key_id, date_stamp, region, service;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;        // X-Amz-Date as sent
  std::string security_token;  // "" when not sent
  bool presigned = false;
  std::optional<int64_t> expires_seconds;  // presigned only
  std::string query_for_canonical;         // raw query, X-Amz-Signature removed when presigned
};

Result<SignatureInput> FromAuthorizationHeader(const ReceivedRequest& r) {
  auto parsed = aws::ParseAuthorizationHeader(r.Header("Authorization"));
  if (!parsed) {
    Error e = std::move(parsed).error();
    return Fail(AuthError("IncompleteSignature", e.message, 400));
  }
  SignatureInput in;
  in.access_key_id = parsed->access_key_id;
  in.date_stamp = parsed->date_stamp;
  in.region = parsed->region;
  in.service = parsed->service;
  in.signed_headers = parsed->signed_headers;
  in.signature = parsed->signature;
  in.amz_date = r.Header("X-Amz-Date");
  if (in.amz_date.empty()) {
    return Fail(AuthError("IncompleteSignature",
                          "Authorization header requires existence of either a 'X-Amz-Date' or "
                          "a 'Date' header.",
                          400));
  }
  in.security_token = r.Header("X-Amz-Security-Token");
  in.query_for_canonical = r.query;
  return in;
}

Result<SignatureInput> FromPresignedQuery(const ReceivedRequest& r) {
  SignatureInput in;
  in.presigned = true;
  std::optional<std::string> algorithm, credential, date, signed_headers, signature, expires;
  std::string kept;
  for (const auto& [raw_key, raw_value] : SplitQuery(r.query)) {
    std::string key = aws::UriDecode(raw_key);
    std::string value = aws::UriDecode(raw_value);
    if (key == "X-Amz-Signature") {
      signature = std::move(value);
      continue;  // the only parameter that is not part of the canonical query
    }
    if (!kept.empty()) kept.push_back('&');
    kept.append(raw_key);
    kept.push_back('=');
    kept.append(raw_value);
    if (key == "X-Amz-Algorithm")
      algorithm = std::move(value);
    else if (key == "X-Amz-Credential")
      credential = std::move(value);
    else if (key == "X-Amz-Date")
      date = std::move(value);
    else if (key == "X-Amz-SignedHeaders")
      signed_headers = std::move(value);
    else if (key == "X-Amz-Expires")
      expires = std::move(value);
    else if (key == "X-Amz-Security-Token")
      in.security_token = std::move(value);
  }
  in.query_for_canonical = std::move(kept);
  auto missing = [](std::string_view what) {
    return Fail(AuthError("IncompleteSignature",
                          "AWS query-string parameters must include '" + std::string(what) +
                              "'. Re-examine the query-string parameters.",
                          400));
  };
  if (!algorithm) return missing("X-Amz-Algorithm");
  if (!credential) return missing("X-Amz-Credential");
  if (!signature) return missing("X-Amz-Signature");
  if (!signed_headers) return missing("X-Amz-SignedHeaders");
  if (!date) return missing("X-Amz-Date");
  if (*algorithm != aws::kSigV4Algorithm) {
    return Fail(
        AuthError("IncompleteSignature", "Unsupported AWS 'algorithm': '" + *algorithm + "'", 400));
  }
  // Reuse the header parser for the credential, signed headers and
  // signature syntax checks.
  auto parsed = aws::ParseAuthorizationHeader(
      std::string(aws::kSigV4Algorithm) + " Credential=" + *credential +
      ", SignedHeaders=" + *signed_headers + ", Signature=" + *signature);
  if (!parsed) {
    return Fail(AuthError("IncompleteSignature", std::move(parsed).error().message, 400));
  }
  in.access_key_id = parsed->access_key_id;
  in.date_stamp = parsed->date_stamp;
  in.region = parsed->region;
  in.service = parsed->service;
  in.signed_headers = parsed->signed_headers;
  in.signature = parsed->signature;
  in.amz_date = *date;
  if (expires) {
    int64_t n = 0;
    bool ok =
        !expires->empty() && expires->size() <= 9 &&
        std::all_of(expires->begin(), expires->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) n = std::stoll(*expires);
    if (!ok || n < 1 || n > 604800) {
      return Fail(AuthError("IncompleteSignature",
                            "X-Amz-Expires must be an integer between 1 and 604800", 400));
    }
    in.expires_seconds = n;
  }
  return in;
}

bool LooksPresigned(const ReceivedRequest& r) {
  for (const auto& [raw_key, raw_value] : SplitQuery(r.query)) {
    (void)raw_value;
    if (raw_key == "X-Amz-Signature" || raw_key == "X-Amz-Credential" ||
        raw_key == "X-Amz-Algorithm") {
      return true;
    }
  }
  return false;
}

std::string FormatSkewMinutes(std::chrono::seconds s) {
  if (s.count() % 60 == 0) return std::to_string(s.count() / 60) + " min.";
  return std::to_string(s.count()) + " sec.";
}

Result<AuthenticatedCaller> Verify(const ReceivedRequest& r, SignatureInput in,
                                   const KeyLookup& lookup, TimePoint wall_now, TimePoint sim_now,
                                   const AuthOptions& options) {
  std::optional<TimePoint> signed_at = ParseAmzDate(in.amz_date);
  if (!signed_at || FormatAmzDate(*signed_at) != in.amz_date) {
    return Fail(AuthError(
        "IncompleteSignature",
        "X-Amz-Date '" + in.amz_date + "' is not an ISO-8601 basic timestamp (yyyymmddThhmmssZ).",
        400));
  }
  if (in.amz_date.substr(0, 8) != in.date_stamp) {
    return Fail(AuthError("SignatureDoesNotMatch",
                          "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                          "version of date from HTTP: '" +
                              in.date_stamp + "' != '" + in.amz_date.substr(0, 8) + "', from '" +
                              in.amz_date + "'.",
                          403));
  }
  if (std::find(in.signed_headers.begin(), in.signed_headers.end(), "host") ==
      in.signed_headers.end()) {
    return Fail(AuthError("IncompleteSignature",
                          "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                          "Authorization.",
                          400));
  }
  if (!std::is_sorted(in.signed_headers.begin(), in.signed_headers.end())) {
    return Fail(AuthError("IncompleteSignature", "SignedHeaders must be sorted.", 400));
  }

  std::optional<AccessKey> key = lookup ? lookup(in.access_key_id) : std::nullopt;
  if (!key) return Fail(InvalidToken());
  if (!key->session_token.empty()) {
    if (in.security_token.empty() || !ConstantTimeEquals(in.security_token, key->session_token)) {
      return Fail(InvalidToken());
    }
    if (key->expiration && sim_now >= *key->expiration) {
      return Fail(
          AuthError("ExpiredToken", "The security token included in the request is expired", 403));
    }
  } else if (!in.security_token.empty()) {
    return Fail(InvalidToken());
  }

  if (options.skew_reference != SkewReference::kNone) {
    const TimePoint now = options.skew_reference == SkewReference::kWallClock ? wall_now : sim_now;
    const TimePoint now_s = std::chrono::time_point_cast<std::chrono::seconds>(now);
    if (*signed_at > now_s + options.max_skew) {
      return Fail(AuthError("SignatureDoesNotMatch",
                            "Signature not yet current: " + in.amz_date + " is still later than " +
                                FormatAmzDate(now_s + options.max_skew) + " (" +
                                FormatAmzDate(now_s) + " + " + FormatSkewMinutes(options.max_skew) +
                                ")",
                            403));
    }
    if (in.presigned && in.expires_seconds) {
      const std::chrono::seconds expires{*in.expires_seconds};
      if (*signed_at + expires < now_s) {
        return Fail(AuthError("RequestExpired",
                              "Request has expired: signed at " + in.amz_date + " for " +
                                  std::to_string(expires.count()) + " seconds, now " +
                                  FormatAmzDate(now_s) + ".",
                              403));
      }
    } else if (*signed_at < now_s - options.max_skew) {
      return Fail(AuthError("SignatureDoesNotMatch",
                            "Signature expired: " + in.amz_date + " is now earlier than " +
                                FormatAmzDate(now_s - options.max_skew) + " (" +
                                FormatAmzDate(now_s) + " - " + FormatSkewMinutes(options.max_skew) +
                                ")",
                            403));
    }
  }

  aws::HttpRequest canonical_input;
  canonical_input.method = r.method;
  std::string host = r.Header("Host");
  canonical_input.url = "http://" + (host.empty() ? std::string("localhost") : host) +
                        (r.path.empty() ? std::string("/") : r.path);
  if (!in.query_for_canonical.empty()) canonical_input.url += "?" + in.query_for_canonical;
  canonical_input.headers = r.headers;
  const std::string creq =
      aws::CanonicalRequest(canonical_input, in.signed_headers, aws::Sha256Hex(r.body));
  const aws::SigningScope scope{in.region, in.service};
  const std::string sts = aws::StringToSign(*signed_at, scope, creq);
  const std::string expected = aws::ComputeSignature(
      aws::DeriveSigningKey(key->secret_access_key, in.date_stamp, scope), sts);
  if (!ConstantTimeEquals(expected, in.signature)) {
    return Fail(AuthError("SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your AWS Secret Access Key and signing method. Consult "
                          "the service documentation for details.\n\nThe Canonical String for "
                          "this request should have been\n'" +
                              creq + "'\n\nThe String-to-Sign should have been\n'" + sts + "'\n",
                          403));
  }

  AuthenticatedCaller caller;
  caller.access_key_id = key->access_key_id;
  caller.account_id = key->account_id;
  caller.arn = key->arn;
  caller.service = in.service;
  caller.region = in.region;
  return caller;
}

}  // namespace

std::string ReceivedRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

bool ReceivedRequest::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
}

std::optional<std::string> ReceivedRequest::QueryParam(std::string_view name) const {
  for (const auto& [raw_key, raw_value] : SplitQuery(query)) {
    if (aws::UriDecode(raw_key, true) == name) return aws::UriDecode(raw_value, true);
  }
  return std::nullopt;
}

const char* SkewReferenceName(SkewReference r) {
  switch (r) {
    case SkewReference::kWallClock:
      return "wall";
    case SkewReference::kSimulatorClock:
      return "simulator";
    case SkewReference::kNone:
      return "off";
  }
  return "wall";
}

std::optional<SkewReference> ParseSkewReference(std::string_view s) {
  if (s == "wall") return SkewReference::kWallClock;
  if (s == "simulator") return SkewReference::kSimulatorClock;
  if (s == "off") return SkewReference::kNone;
  return std::nullopt;
}

std::string DetectService(const ReceivedRequest& request, std::string_view action) {
  std::string auth = request.Header("Authorization");
  if (!auth.empty()) {
    auto parsed = aws::ParseAuthorizationHeader(auth);
    if (parsed) return parsed->service;
  } else if (auto credential = request.QueryParam("X-Amz-Credential")) {
    // <akid>/<date>/<region>/<service>/aws4_request
    std::vector<std::string_view> parts;
    std::string_view c = *credential;
    size_t start = 0;
    while (start <= c.size()) {
      auto slash = c.find('/', start);
      if (slash == std::string_view::npos) slash = c.size();
      parts.push_back(c.substr(start, slash - start));
      start = slash + 1;
    }
    if (parts.size() == 5 && !parts[3].empty()) return std::string(parts[3]);
  }
  if (request.Header("X-Amz-Target").starts_with("TrentService.")) return "kms";
  static constexpr std::string_view kStsActions[] = {"AssumeRole",
                                                     "AssumeRoleWithWebIdentity",
                                                     "AssumeRoleWithSAML",
                                                     "GetCallerIdentity",
                                                     "GetSessionToken",
                                                     "GetFederationToken",
                                                     "DecodeAuthorizationMessage",
                                                     "GetAccessKeyInfo"};
  if (std::find(std::begin(kStsActions), std::end(kStsActions), action) != std::end(kStsActions)) {
    return "sts";
  }
  if (request.QueryParam("Version") == std::optional<std::string>("2011-06-15")) return "sts";
  return "rds";
}

bool IsUnsignedOperation(std::string_view service, std::string_view action) {
  return service == "sts" &&
         (action == "AssumeRoleWithWebIdentity" || action == "AssumeRoleWithSAML");
}

Result<AuthenticatedCaller> Authenticate(const ReceivedRequest& request, std::string_view action,
                                         const KeyLookup& lookup, TimePoint wall_now,
                                         TimePoint sim_now, const AuthOptions& options) {
  if (request.HasHeader("Authorization")) {
    DRSNAP_ASSIGN_OR_RETURN(SignatureInput in, FromAuthorizationHeader(request));
    return Verify(request, std::move(in), lookup, wall_now, sim_now, options);
  }
  if (LooksPresigned(request)) {
    DRSNAP_ASSIGN_OR_RETURN(SignatureInput in, FromPresignedQuery(request));
    return Verify(request, std::move(in), lookup, wall_now, sim_now, options);
  }
  std::string service = DetectService(request, action);
  if (IsUnsignedOperation(service, action)) {
    AuthenticatedCaller caller;
    caller.anonymous = true;
    caller.service = std::move(service);
    caller.region = "us-east-1";
    return caller;
  }
  return Fail(
      AuthError("MissingAuthenticationToken", "Request is missing Authentication Token", 403));
}

Result<AuthenticatedCaller> VerifyPresignedUrl(std::string_view method, std::string_view url,
                                               const KeyLookup& lookup, TimePoint wall_now,
                                               TimePoint sim_now, const AuthOptions& options) {
  ReceivedRequest r;
  r.method = std::string(method);
  std::string_view rest = url;
  if (auto pos = rest.find('#'); pos != std::string_view::npos) rest = rest.substr(0, pos);
  if (auto pos = rest.find("://"); pos != std::string_view::npos) rest.remove_prefix(pos + 3);
  auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  rest = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  auto q = rest.find('?');
  r.path = std::string(rest.substr(0, q));
  if (r.path.empty()) r.path = "/";
  if (q != std::string_view::npos) r.query = std::string(rest.substr(q + 1));
  // The Host header a client would send for this URL (default ports dropped).
  std::string scheme(url.substr(0, url.find("://")));
  std::string host(authority);
  if ((scheme == "https" && host.ends_with(":443")) ||
      (scheme == "http" && host.ends_with(":80"))) {
    host.erase(host.rfind(':'));
  }
  r.headers.emplace_back("Host", std::move(host));
  if (!LooksPresigned(r)) {
    return Fail(AuthError("MissingAuthenticationToken",
                          "The presigned URL carries no X-Amz-Signature", 403));
  }
  DRSNAP_ASSIGN_OR_RETURN(SignatureInput in, FromPresignedQuery(r));
  return Verify(r, std::move(in), lookup, wall_now, sim_now, options);
}

namespace {

struct JsonCode {
  std::string_view query_code;
  std::string_view json_code;
  int status;
};

constexpr JsonCode kJsonCodes[] = {
    {"SignatureDoesNotMatch", "InvalidSignatureException", 400},
    {"RequestExpired", "InvalidSignatureException", 400},
    {"InvalidClientTokenId", "UnrecognizedClientException", 400},
    {"IncompleteSignature", "IncompleteSignatureException", 400},
    {"MissingAuthenticationToken", "MissingAuthenticationTokenException", 400},
    {"ExpiredToken", "ExpiredTokenException", 400},
    {"Throttling", "ThrottlingException", 400},
    {"InternalFailure", "KMSInternalException", 500},
    {"ServiceUnavailable", "ServiceUnavailableException", 503},
    {"InvalidAction", "UnknownOperationException", 400},
    {"MissingAction", "UnknownOperationException", 400},
};

}  // namespace

SimResponse ServiceErrorResponse(std::string_view service, const Error& error) {
  int status = error.http_status == 0 ? 400 : error.http_status;
  std::string_view code = error.code;
  if (service == "kms") {
    for (const JsonCode& c : kJsonCodes) {
      if (c.query_code == code) {
        code = c.json_code;
        status = c.status;
        break;
      }
    }
  }
  return MakeErrorResponse(service == "kms" || service == "sts" ? service : "rds", status, code,
                           error.message, status >= 500 ? "Receiver" : "Sender");
}

}  // namespace drsnap::sim
