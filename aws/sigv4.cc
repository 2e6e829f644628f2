#include "aws/sigv4.h"

#include <algorithm>
#include <utility>

#include "aws/encoding.h"
#include "core/strings.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The parts of an absolute URL SigV4 needs. Lenient on purpose: the AWS test
// suite's request lines carry raw spaces and UTF-8 in paths.
struct UrlParts {
  std::string_view scheme;     // "https"
  std::string_view authority;  // "user@host:port"
  std::string_view path;       // "/a/b" or ""
  std::string_view query;      // without '?'
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts p;
  if (auto pos = url.find('#'); pos != std::string_view::npos) url = url.substr(0, pos);
  if (auto pos = url.find("://"); pos != std::string_view::npos) {
    p.scheme = url.substr(0, pos);
    url.remove_prefix(pos + 3);
    const auto end = url.find_first_of("/?");
    p.authority = url.substr(0, end);
    url = end == std::string_view::npos ? std::string_view() : url.substr(end);
  }
  if (auto q = url.find('?'); q != std::string_view::npos) {
    p.path = url.substr(0, q);
    p.query = url.substr(q + 1);
  } else {
    p.path = url;
  }
  return p;
}


// Python's str.split() whitespace, ASCII part (botocore trims with it).
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
         (c >= '\x1c' && c <= '\x1f');
}

// botocore's _header_value: ' '.join(value.split()).
void AppendTrimAll(std::string* out, std::string_view v) {
  bool pending_space = false;
  bool any = false;
  for (char c : v) {
    if (IsSpace(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    any = true;
    out->push_back(c);
  }
}

// RFC 3986 remove_dot_segments plus collapsing of empty segments, exactly as
// botocore.utils.remove_dot_segments.
std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
      } else {
        out.push_back(seg);
      }
    }
    start = end + 1;
  }
  std::string result;
  result.reserve(path.size());
  if (path.front() == '/') result.push_back('/');
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result.push_back('/');
    result.append(out[i]);
  }
  if (path.back() == '/' && !out.empty()) result.push_back('/');
  return result;
}

// Canonical query: each pair decoded then strictly re-encoded, sorted by
// encoded key, then encoded value.
std::string CanonicalQuery(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      const std::string_view k = pair.substr(0, eq);
      const std::string_view v =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      pairs.emplace_back(UriEncode(UriDecode(k)), UriEncode(UriDecode(v)));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(pairs[i].first);
    out.push_back('=');
    out.append(pairs[i].second);
  }
  return out;
}

bool IsUnsignedHeader(std::string_view lower_name) {
  static constexpr std::string_view kBlacklist[] = {"connection",
                                                    "expect",
                                                    "keep-alive",
                                                    "proxy-authenticate",
                                                    "proxy-authorization",
                                                    "te",
                                                    "trailer",
                                                    "transfer-encoding",
                                                    "upgrade",
                                                    "user-agent",
                                                    "x-amzn-trace-id"};
  return std::find(std::begin(kBlacklist), std::end(kBlacklist), lower_name) !=
         std::end(kBlacklist);
}

// Sets header name to value: the first header with that name (any case) is
// updated in place, later duplicates removed; appended when absent.
void SetHeader(HttpHeaders& headers, std::string_view name, std::string value) {
  bool found = false;
  for (auto it = headers.begin(); it != headers.end();) {
    if (AsciiEqualsIgnoreCase(it->first, name)) {
      if (found) {
        it = headers.erase(it);
        continue;
      }
      it->second = std::move(value);
      found = true;
    }
    ++it;
  }
  if (!found) headers.emplace_back(std::string(name), std::move(value));
}

void RemoveHeader(HttpHeaders& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return AsciiEqualsIgnoreCase(h.first, name); });
}

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (AsciiEqualsIgnoreCase(h.first, name)) return &h.second;
  }
  return nullptr;
}

std::string CredentialScope(std::string_view date_stamp, const SigningScope& scope) {
  std::string s;
  s.reserve(date_stamp.size() + scope.region.size() + scope.service.size() + 16);
  s.append(date_stamp).append("/").append(scope.region).append("/").append(scope.service);
  s.append("/aws4_request");
  return s;
}

std::string JoinSemicolon(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(v[i]);
  }
  return out;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error Malformed(std::string what) {
  return Error::Terminal("IncompleteSignature", "malformed Authorization header: " + what);
}

}  // namespace

std::string HostFromUrl(std::string_view url) {
  const UrlParts p = SplitUrl(url);
  std::string_view authority = p.authority;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close != std::string_view::npos) {
      host = authority.substr(0, close + 1);
      if (close + 1 < authority.size() && authority[close + 1] == ':') {
        port = authority.substr(close + 2);
      }
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  std::string out = AsciiLower(host);
  if (!port.empty()) {
    const std::string scheme = AsciiLower(p.scheme);
    // Python's urlsplit().port is an int: leading zeros do not matter.
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    const bool is_default =
        (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
    if (!is_default) out.append(":").append(port);
  }
  return out;
}

std::vector<std::string> HeadersToSign(const HttpRequest& request) {
  std::vector<std::string> names;
  names.reserve(request.headers.size() + 1);
  for (const auto& h : request.headers) {
    std::string lower = AsciiLower(TrimSpaces(h.first));
    if (!IsUnsignedHeader(lower)) names.push_back(std::move(lower));
  }
  names.emplace_back("host");
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers_lowercase,
                             std::string_view payload_hash_hex) {
  const UrlParts url = SplitUrl(request.url);
  std::string out;
  out.reserve(256 + request.url.size() + 64 * signed_headers_lowercase.size());
  for (char c : request.method) {
    out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  out.push_back('\n');
  AppendUriEncoded(&out, NormalizePath(url.path), /*encode_slash=*/false);
  out.push_back('\n');
  out.append(CanonicalQuery(url.query));
  out.push_back('\n');
  for (const std::string& name : signed_headers_lowercase) {
    out.append(name);
    out.push_back(':');
    bool any = false;
    for (const auto& h : request.headers) {
      if (!AsciiEqualsIgnoreCase(TrimSpaces(h.first), name)) continue;
      if (any) out.push_back(',');
      any = true;
      AppendTrimAll(&out, h.second);
    }
    if (!any && name == "host") out.append(HostFromUrl(request.url));
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(JoinSemicolon(signed_headers_lowercase));
  out.push_back('\n');
  out.append(payload_hash_hex);
  return out;
}

std::string StringToSign(TimePoint t, const SigningScope& scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(128);
  out.append(kSigV4Algorithm).push_back('\n');
  out.append(FormatAmzDate(t)).push_back('\n');
  out.append(CredentialScope(FormatDateStamp(t), scope)).push_back('\n');
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             const SigningScope& scope) {
  // One entry per thread: no locking, and a thread signing for one
  // (account, region, service) at a time hits it every time.
  struct CacheEntry {
    std::string secret, date, region, service, key;
  };
  thread_local CacheEntry cache;
  if (!cache.key.empty() && cache.secret == secret && cache.date == date_stamp &&
      cache.region == scope.region && cache.service == scope.service) {
    return cache.key;
  }
  std::string k_secret;
  k_secret.reserve(secret.size() + 4);
  k_secret.append("AWS4").append(secret);
  const std::string k_date = HmacSha256(k_secret, date_stamp);
  const std::string k_region = HmacSha256(k_date, scope.region);
  const std::string k_service = HmacSha256(k_region, scope.service);
  std::string k_signing = HmacSha256(k_service, "aws4_request");
  cache.secret.assign(secret);
  cache.date.assign(date_stamp);
  cache.region = scope.region;
  cache.service = scope.service;
  cache.key = k_signing;
  return k_signing;
}

std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

void SignRequest(HttpRequest& request, const Credentials& creds, const SigningScope& scope,
                 TimePoint now) {
  RemoveHeader(request.headers, "Authorization");
  SetHeader(request.headers, "X-Amz-Date", FormatAmzDate(now));
  if (!creds.session_token.empty()) {
    RemoveHeader(request.headers, "X-Amz-Security-Token");
    request.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  if (FindHeader(request.headers, "Host") == nullptr) {
    request.headers.emplace_back("Host", HostFromUrl(request.url));
  }
  const std::vector<std::string> signed_headers = HeadersToSign(request);
  const std::string* content_sha = FindHeader(request.headers, "X-Amz-Content-SHA256");
  const std::string payload_hash = content_sha != nullptr ? *content_sha
                                   : request.body.empty() ? std::string(kEmptySha256)
                                                          : Sha256Hex(request.body);
  const std::string creq = CanonicalRequest(request, signed_headers, payload_hash);
  const std::string date_stamp = FormatDateStamp(now);
  const std::string signature = ComputeSignature(
      DeriveSigningKey(creds.secret_access_key, date_stamp, scope), StringToSign(now, scope, creq));
  std::string auth;
  auth.reserve(200 + creds.access_key_id.size());
  auth.append(kSigV4Algorithm).append(" Credential=").append(creds.access_key_id);
  auth.push_back('/');
  auth.append(CredentialScope(date_stamp, scope));
  auth.append(", SignedHeaders=").append(JoinSemicolon(signed_headers));
  auth.append(", Signature=").append(signature);
  request.headers.emplace_back("Authorization", std::move(auth));
}

std::string PresignUrl(std::string_view method, std::string_view url, const Credentials& creds,
                       const SigningScope& scope, TimePoint now, std::chrono::seconds expires) {
  const UrlParts parts = SplitUrl(url);
  // parse_qs(keep_blank_values=True) then a dict: '+' is a space, the first
  // value of a repeated key wins, order of first appearance is kept.
  std::vector<std::pair<std::string, std::string>> existing;
  size_t start = 0;
  while (!parts.query.empty() && start <= parts.query.size()) {
    auto end = parts.query.find('&', start);
    if (end == std::string_view::npos) end = parts.query.size();
    const std::string_view pair = parts.query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string k = UriDecode(pair.substr(0, eq), /*plus_as_space=*/true);
    std::string v = eq == std::string_view::npos
                        ? std::string()
                        : UriDecode(pair.substr(eq + 1), /*plus_as_space=*/true);
    const bool seen =
        std::any_of(existing.begin(), existing.end(), [&](const auto& e) { return e.first == k; });
    if (!seen) existing.emplace_back(std::move(k), std::move(v));
  }

  const std::string amz_date = FormatAmzDate(now);
  const std::string date_stamp = amz_date.substr(0, 8);
  std::string query;
  query.reserve(url.size() + 256 + creds.session_token.size() * 2);
  auto add = [&query](std::string_view k, std::string_view v) {
    if (!query.empty()) query.push_back('&');
    AppendUriEncoded(&query, k);
    query.push_back('=');
    AppendUriEncoded(&query, v);
  };
  for (const auto& [k, v] : existing) add(k, v);
  add("X-Amz-Algorithm", kSigV4Algorithm);
  add("X-Amz-Credential", creds.access_key_id + "/" + CredentialScope(date_stamp, scope));
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", "host");
  if (!creds.session_token.empty()) add("X-Amz-Security-Token", creds.session_token);

  std::string base;
  base.reserve(url.size());
  if (!parts.scheme.empty()) base.append(parts.scheme).append("://").append(parts.authority);
  base.append(parts.path);

  HttpRequest to_sign;
  to_sign.method = std::string(method);
  to_sign.url = base + "?" + query;
  const std::string creq = CanonicalRequest(to_sign, {"host"}, kEmptySha256);
  const std::string signature = ComputeSignature(
      DeriveSigningKey(creds.secret_access_key, date_stamp, scope), StringToSign(now, scope, creq));
  std::string out = std::move(to_sign.url);
  out.append("&X-Amz-Signature=").append(signature);
  return out;
}

Result<ParsedAuthorization> ParseAuthorizationHeader(std::string_view value) {
  value = TrimSpaces(value);
  if (!value.starts_with(kSigV4Algorithm)) {
    return Fail(Malformed("it does not start with AWS4-HMAC-SHA256"));
  }
  value.remove_prefix(kSigV4Algorithm.size());
  if (value.empty() || (value.front() != ' ' && value.front() != '\t')) {
    return Fail(Malformed("expected a space after AWS4-HMAC-SHA256"));
  }
  ParsedAuthorization out;
  bool have_credential = false, have_signed = false, have_signature = false;
  size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view part = TrimSpaces(value.substr(start, end - start));
    start = end + 1;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Fail(Malformed("component '" + std::string(part) + "' is not key=value"));
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view val = part.substr(eq + 1);
    if (key == "Credential") {
      if (have_credential) return Fail(Malformed("Credential given twice"));
      have_credential = true;
      std::vector<std::string_view> f;
      size_t s = 0;
      while (true) {
        const auto slash = val.find('/', s);
        f.push_back(val.substr(s, slash == std::string_view::npos ? val.npos : slash - s));
        if (slash == std::string_view::npos) break;
        s = slash + 1;
      }
      if (f.size() != 5 || f[4] != "aws4_request") {
        return Fail(Malformed(
            "Credential must be <access key>/<yyyymmdd>/<region>/<service>/aws4_request"));
      }
      if (f[0].empty() || f[2].empty() || f[3].empty()) {
        return Fail(Malformed("Credential has an empty access key, region or service"));
      }
      if (f[1].size() != 8 ||
          !std::all_of(f[1].begin(), f[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Fail(Malformed("Credential date '" + std::string(f[1]) + "' is not yyyymmdd"));
      }
      out.access_key_id = f[0];
      out.date_stamp = f[1];
      out.region = f[2];
      out.service = f[3];
    } else if (key == "SignedHeaders") {
      if (have_signed) return Fail(Malformed("SignedHeaders given twice"));
      have_signed = true;
      size_t s = 0;
      while (s <= val.size()) {
        auto semi = val.find(';', s);
        if (semi == std::string_view::npos) semi = val.size();
        const std::string_view name = val.substr(s, semi - s);
        if (name.empty()) return Fail(Malformed("SignedHeaders has an empty name"));
        out.signed_headers.emplace_back(name);
        s = semi + 1;
      }
    } else if (key == "Signature") {
      if (have_signature) return Fail(Malformed("Signature given twice"));
      have_signature = true;
      if (val.size() != 64 || !IsLowerHex(val)) {
        return Fail(Malformed("Signature must be 64 lower-case hex digits"));
      }
      out.signature = val;
    } else {
      return Fail(Malformed("unknown component '" + std::string(key) + "'"));
    }
  }
  if (!have_credential) return Fail(Malformed("Credential is missing"));
  if (!have_signed) return Fail(Malformed("SignedHeaders is missing"));
  if (!have_signature) return Fail(Malformed("Signature is missing"));
  return out;
}

}  // namespace drsnap::aws
