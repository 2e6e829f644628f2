// Secrets never reach a log, a report or an Error value. Text that comes from
// outside drsnap and may quote a request (an AWS error message, which for a
// signature mismatch quotes the canonical request with its
// x-amz-security-token line; a response excerpt; a URL) goes through
// RedactSecrets before it is put into an Error or logged.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drsnap::aws {

// What a redacted value is replaced with.
inline constexpr std::string_view kRedacted = "<redacted>";

// `text` with the value of every credential-bearing field replaced by
// kRedacted. A field is one of these names, in any case, not preceded or
// followed by a letter, digit, '-' or '_':
//   Authorization, X-Amz-Security-Token, X-Amz-Signature, X-Amz-Credential,
//   Signature, Credential, X-aws-ec2-metadata-token, SecretAccessKey,
//   SessionToken, Token, aws_secret_access_key, aws_session_token
// (optionally closed by a quote, as a JSON member name), then a separator:
//   ':'  a header or canonical-request line ("x-amz-security-token:..."),
//        a JSON member; the value of Authorization runs to the end of the
//        line, any other to the next blank;
//   '=' or '%3D' (once URL-encoded, as inside a PreSignedUrl parameter)
//        a query or form parameter or an Authorization part; the value runs
//        to '&', '%26', a blank, a quote, ',', ';' or '<';
//   '>'  an XML element (<SessionToken>...</SessionToken>); to the next '<'.
// A quoted value (JSON) runs to its closing quote. Then every occurrence of
// each of `known_secrets` (the caller's secret access key and session token)
// of at least 8 characters, as is and URL-encoded, is replaced too.
std::string RedactSecrets(std::string_view text,
                          const std::vector<std::string_view>& known_secrets = {});

}  // namespace drsnap::aws
