// Encodings SigV4 and the AWS query protocol need: RFC 3986 percent-encoding,
// form bodies, SHA-256, HMAC-SHA256 and hex. All on OpenSSL.
//
// Thread safety: pure functions; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "aws/client.h"

namespace drsnap::aws {

// Percent-encodes every byte except the RFC 3986 unreserved characters
// (A-Z a-z 0-9 - _ . ~) as %XX with upper-case hex. A '/' is kept as is when
// encode_slash is false (SigV4 canonical URI paths). Bytes are encoded one by
// one, so UTF-8 input yields one %XX per byte, as AWS expects.
std::string UriEncode(std::string_view s, bool encode_slash = true);
// Appends UriEncode(s, encode_slash) to *out (no temporary string).
void AppendUriEncoded(std::string* out, std::string_view s, bool encode_slash = true);

// Decodes %XX escapes; with plus_as_space, '+' decodes to ' ' (form bodies).
// Malformed escapes are kept literally.
std::string UriDecode(std::string_view s, bool plus_as_space = false);

// "k1=v1&k2=v2" in the given order: byte for byte the POST body botocore
// sends for query-protocol services (AWSRequest prepares a dict body with
// urllib.parse.urlencode, i.e. quote_plus): unreserved characters kept, space
// as '+', every other byte (including '+', '*', '/', '=', '&') as %XX.
std::string FormUrlEncodeParams(const QueryParams& params);

// Appends the quote_plus form of s to *out (space as '+').
void AppendFormEncoded(std::string* out, std::string_view s);

// Lower-case hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);

}  // namespace drsnap::aws
