// SigV4 verification for drsnap-sim, done the way AWS does it: the canonical
// request is rebuilt from what arrived on the wire (method, raw path, raw
// query, the headers the client listed as signed, SHA-256 of the body) with
// the same aws/sigv4.h code drsnap signs with, and the signature recomputed
// with the caller's secret.
//
// Two clocks matter and are kept apart on purpose:
//  - Clock skew (X-Amz-Date more than 5 minutes away) and the expiry of
//    presigned URLs are checked against the REAL wall clock by default,
//    because clients sign with their real clock while the simulator's virtual
//    clock may be days or years away (AuthOptions::skew_reference changes it).
//  - Session credentials issued by the simulated STS expire on the
//    simulator's VIRTUAL clock (they were issued in virtual time).
//
// Thread safety: pure functions; safe to call concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"
#include "sim/simulator.h"

namespace drsnap::sim {

// One HTTP request as it arrived, before any decoding.
struct ReceivedRequest {
  std::string method;  // "POST"
  std::string path;    // raw path, still percent-encoded ("/")
  std::string query;   // raw query string without '?' ("" when none)
  aws::HttpHeaders headers;
  std::string body;

  // First header with this name (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The first raw query parameter with this name, decoded; nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

enum class SkewReference {
  kWallClock,       // default: compare X-Amz-Date with real time
  kSimulatorClock,  // compare with the simulator's virtual time (clients that sign with it)
  kNone,            // no skew or presign-expiry check
};

// "wall" | "simulator" | "off"
const char* SkewReferenceName(SkewReference r);
std::optional<SkewReference> ParseSkewReference(std::string_view s);

struct AuthOptions {
  SkewReference skew_reference = SkewReference::kWallClock;
  std::chrono::seconds max_skew{300};  // AWS: 5 minutes
};

// Who made a request, once its signature checked out.
struct AuthenticatedCaller {
  bool anonymous = false;     // an unsigned call that AWS accepts unsigned
  std::string access_key_id;  // "" when anonymous
  std::string account_id;     // "" when anonymous
  std::string arn;            // "" when anonymous
  std::string service;        // from the credential scope ("rds"); see DetectService when anonymous
  std::string region;         // from the credential scope; "us-east-1" when anonymous
};

using KeyLookup = std::function<std::optional<AccessKey>(std::string_view access_key_id)>;

// The service a request is meant for: the credential scope's service when
// the request carries a parsable one (header or presigned query); otherwise
// "kms" for X-Amz-Target TrentService.*, "sts" for STS actions or Version
// 2011-06-15, else "rds". action: the request's Query Action ("" for KMS).
std::string DetectService(const ReceivedRequest& request, std::string_view action);

// True for operations AWS accepts without a signature
// (sts AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
bool IsUnsignedOperation(std::string_view service, std::string_view action);

// Verifies the request's SigV4 signature (Authorization header or presigned
// X-Amz-* query parameters). action is the request's operation, used only to
// let unsigned STS web-identity calls through. wall_now: real time;
// sim_now: the simulator's virtual time.
// Errors carry AWS's Query-protocol code and HTTP status (turn them into a
// response with ServiceErrorResponse):
//   MissingAuthenticationToken 403, IncompleteSignature 400,
//   InvalidClientTokenId 403 (unknown key, missing or wrong session token),
//   ExpiredToken 403 (session credentials past their expiration),
//   SignatureDoesNotMatch 403 (wrong signature; also "Signature expired" /
//   "Signature not yet current" for clock skew), RequestExpired 403
//   (presigned URL past X-Amz-Expires).
Result<AuthenticatedCaller> Authenticate(const ReceivedRequest& request, std::string_view action,
                                         const KeyLookup& lookup, TimePoint wall_now,
                                         TimePoint sim_now, const AuthOptions& options = {});

// Verifies a presigned URL on its own (what the RDS PreSignedUrl parameter
// carries): "https://rds.<region>.amazonaws.com/?Action=...&X-Amz-...". The
// Host header is taken from the URL. Same errors as Authenticate.
Result<AuthenticatedCaller> VerifyPresignedUrl(std::string_view method, std::string_view url,
                                               const KeyLookup& lookup, TimePoint wall_now,
                                               TimePoint sim_now, const AuthOptions& options = {});

// An error the server detected itself, in the service's wire shape: Query
// XML for rds/sts with the code as given; JSON for kms, with the Query code
// mapped to the JSON-protocol one (SignatureDoesNotMatch ->
// InvalidSignatureException 400, InvalidClientTokenId ->
// UnrecognizedClientException 400, Throttling -> ThrottlingException, ...).
// error.http_status 0 means 400. 5xx are typed "Receiver".
SimResponse ServiceErrorResponse(std::string_view service, const Error& error);

}  // namespace drsnap::sim
