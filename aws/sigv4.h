// AWS Signature Version 4, byte-compatible with botocore's SigV4Auth
// (header signing) and SigV4QueryAuth (query-string presigning). Verified
// against the official aws4_testsuite and differentially against botocore.
//
// The building blocks (CanonicalRequest, StringToSign, DeriveSigningKey,
// ComputeSignature, ParseAuthorizationHeader, HostFromUrl) are public so that drsnap-sim
// can verify incoming signatures with exactly the same code.
//
// Time is always passed in: nothing here reads a clock.
// Thread safety: all functions are safe to call concurrently.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"

namespace drsnap::aws {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

struct SigningScope {
  std::string region;   // "us-east-1"
  std::string service;  // "rds", "sts", "kms"
};

// Signs in place. Adds Host (when absent, from the URL, with the port only
// when it is not the scheme's default), X-Amz-Date (replacing any existing
// one), X-Amz-Security-Token (when creds.session_token is non-empty; any
// existing one is replaced), then Authorization (replacing any existing one).
// Signed headers are those botocore's SigV4Auth signs: every header present
// except the hop-by-hop ones and user-agent / x-amzn-trace-id (see
// HeadersToSign), lower-cased and sorted. The payload hash is the SHA-256 of
// request.body, or the value of an X-Amz-Content-SHA256 header when present.
// REQUIRES: request.url is absolute (scheme://host[:port]/path[?query]).
void SignRequest(HttpRequest& request, const Credentials& creds, const SigningScope& scope,
                 TimePoint now);

// A query-string presigned URL as botocore's SigV4QueryAuth builds it: the
// URL's existing query parameters (decoded like parse_qs, first value of a
// repeated key wins, re-encoded) in their order, then X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host and
// X-Amz-Security-Token (when creds have one), then X-Amz-Signature appended.
// Only host is signed; the payload is hashed as the empty string.
// REQUIRES: url is absolute.
std::string PresignUrl(std::string_view method, std::string_view url, const Credentials& creds,
                       const SigningScope& scope, TimePoint now, std::chrono::seconds expires);

// --- Building blocks ---

// The SigV4 canonical request:
//   METHOD \n canonical-uri \n canonical-query \n canonical-headers \n
//   signed-headers \n payload-hash
// canonical-uri: the URL path, dot segments and empty segments removed, then
// UriEncode()d with '/' kept (a '%XX' already in the path is encoded again,
// as botocore and AWS do for non-S3 services);
// canonical-query: each URL query pair %-decoded then strictly re-encoded
// ('+' is taken literally, as %2B), sorted by key then value;
// canonical-headers: for each name in signed_headers_lowercase (which must be
// sorted; "host" falls back to HostFromUrl when there is no Host header), the
// values of all headers with that name (case-insensitive), each trimmed with
// inner whitespace runs folded to one space, joined with ','.
std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers_lowercase,
                             std::string_view payload_hash_hex);

// "AWS4-HMAC-SHA256\n<amz-date>\n<date>/<region>/<service>/aws4_request\n<hex sha256(creq)>"
std::string StringToSign(TimePoint t, const SigningScope& scope,
                         std::string_view canonical_request);

// The raw 32-byte signing key HMAC chain from "AWS4"+secret. date_stamp is
// "YYYYMMDD". The last key is cached per thread (thread_local), keyed by
// (secret, date, region, service), so steady-state signing skips 4 HMACs.
std::string DeriveSigningKey(std::string_view secret, std::string_view date_stamp,
                             const SigningScope& scope);

// The Host header value botocore derives from a URL: lower-case host, port
// only when not the scheme's default (80 for http, 443 for https), userinfo
// dropped, IPv6 literals kept in brackets.
std::string HostFromUrl(std::string_view url);

// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string ComputeSignature(std::string_view signing_key, std::string_view string_to_sign);

// The header names botocore would sign for this request: lower-case, sorted,
// deduplicated, "host" always included (it comes from the URL when absent),
// excluding connection, expect, keep-alive, proxy-authenticate,
// proxy-authorization, te, trailer, transfer-encoding, upgrade, user-agent and
// x-amzn-trace-id (botocore's SIGNED_HEADERS_BLACKLIST).
std::vector<std::string> HeadersToSign(const HttpRequest& request);

struct ParsedAuthorization {
  std::string access_key_id, date_stamp, region, service;
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // lower-case hex
};

// Parses "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<64 hex>". Terminal error
// ("IncompleteSignature") naming what is wrong when malformed.
Result<ParsedAuthorization> ParseAuthorizationHeader(std::string_view value);

}  // namespace drsnap::aws
