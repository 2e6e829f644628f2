// The AWS error model: decoding error responses of the Query (XML) and JSON
// 1.1 protocols, and the SDKs' standard-mode classification.
#include <strings.h>

#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "aws/client.h"
#include "aws/redact.h"

namespace drsnap::aws {

namespace {

// botocore/retries/standard.py THROTTLED_ERROR_CODES.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

// botocore TRANSIENT_ERROR_CODES, plus the codes our transport uses when no
// response arrived.
constexpr std::array<std::string_view, 5> kTransientCodes = {
    "RequestTimeout",  "RequestTimeoutException", "PriorRequestNotComplete",
    "ConnectionError", "IDPCommunicationError",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view code) {
  for (auto c : set) {
    if (c == code) return true;
  }
  return false;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string FirstNonBlank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return std::string(1, c);
  }
  return "";
}

// A JSON error type as AWS sends it: "NotFoundException",
// "com.amazonaws.kms#NotFoundException", or with a ":http://..." suffix
// (x-amzn-ErrorType).
std::string NormalizeJsonCode(std::string_view raw) {
  if (auto colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  if (auto hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return Trim(raw);
}

struct Decoded {
  std::string code, message, request_id;
};

bool DecodeXml(std::string_view body, Decoded* out) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return false;
  }
  pugi::xml_node root = doc.document_element();
  pugi::xml_node error;
  std::string_view root_name = root.name();
  if (root_name == "ErrorResponse") {  // Query protocol (RDS, STS, IAM, ...)
    error = root.child("Error");
    out->request_id = Trim(root.child_value("RequestId"));
  } else if (root_name == "Response") {  // EC2 style
    error = root.child("Errors").child("Error");
    out->request_id = Trim(root.child_value("RequestID"));
    if (out->request_id.empty()) out->request_id = Trim(root.child_value("RequestId"));
  } else if (root_name == "Error") {  // S3 style
    error = root;
    out->request_id = Trim(root.child_value("RequestId"));
  }
  if (!error) return false;
  out->code = Trim(error.child_value("Code"));
  out->message = Trim(error.child_value("Message"));
  return !out->code.empty();
}

bool DecodeJson(std::string_view body, Decoded* out) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  std::string type = str("__type");
  if (type.empty()) type = str("code");
  if (type.empty()) type = str("Code");
  out->code = NormalizeJsonCode(type);
  out->message = str("message");
  if (out->message.empty()) out->message = str("Message");
  if (out->message.empty()) out->message = str("errorMessage");
  return !out->code.empty();
}

// The status line's reason phrase, used as a code when the body says nothing.
std::string CodeForStatus(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 408:
      return "RequestTimeout";
    case 413:
      return "RequestEntityTooLarge";
    case 429:
      return "TooManyRequestsException";
    case 500:
      return "InternalFailure";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return "HttpStatus" + std::to_string(status);
  }
}

// A short printable excerpt of a body that is not an AWS error: the HTML
// <title> when there is one, else the first characters, whitespace folded.
std::string Excerpt(std::string_view body) {
  std::string_view pick = body;
  auto lower_find = [&](std::string_view needle) -> size_t {
    for (size_t i = 0; i + needle.size() <= body.size(); ++i) {
      if (::strncasecmp(body.data() + i, needle.data(), needle.size()) == 0) return i;
    }
    return std::string_view::npos;
  };
  size_t t = lower_find("<title>");
  if (t != std::string_view::npos) {
    size_t end = lower_find("</title>");
    if (end != std::string_view::npos && end > t) pick = body.substr(t + 7, end - t - 7);
  }
  std::string out;
  bool space = false;
  for (char c : pick) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      space = !out.empty();
      continue;
    }
    if (u < 0x20 || u == 0x7f) continue;
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= 120) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string HintFor(std::string_view code) {
  if (code == "SignatureDoesNotMatch" || code == "InvalidSignatureException") {
    return "check the secret access key and that the system clock is correct";
  }
  if (code == "InvalidClientTokenId" || code == "UnrecognizedClientException") {
    return "the access key id is not valid here: check which credentials are in use "
           "(AWS_PROFILE, AWS_ACCESS_KEY_ID) and the region's partition";
  }
  if (code == "RequestTimeTooSkewed") {
    return "the system clock differs from AWS's by more than 5 minutes: fix the clock (NTP)";
  }
  if (code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired") {
    return "the credentials or the request expired: refresh the credentials and check the "
           "system clock";
  }
  if (code == "AccessDenied" || code == "AccessDeniedException" ||
      code == "UnauthorizedOperation") {
    return "the IAM policy of the calling role does not allow this action";
  }
  return "";
}

bool IsSignatureMismatch(std::string_view code) {
  return code == "SignatureDoesNotMatch" || code == "InvalidSignatureException";
}

// AWS's message for a signature mismatch is a sentence, then (after a blank
// line) the canonical request and string to sign it computed: for comparing
// with ours, not for the user, and it quotes the request's session token.
// Returns the part from there on (removed from *message), or "".
std::string SplitSignatureDiagnosis(std::string* message) {
  size_t at = message->find("\n\n");
  size_t canonical = message->find("The Canonical String");
  if (canonical != std::string::npos && (at == std::string::npos || canonical < at)) {
    at = canonical;
  }
  if (at == std::string::npos) return "";
  std::string diagnosis = Trim(std::string_view(*message).substr(at));
  *message = Trim(std::string_view(*message).substr(0, at));
  return diagnosis;
}

}  // namespace

ErrorClass ClassifyAwsError(std::string_view code, int http_status) {
  if (Contains(kThrottlingCodes, code)) return ErrorClass::kThrottling;
  if (http_status == 429) return ErrorClass::kThrottling;
  if (Contains(kTransientCodes, code)) return ErrorClass::kTransient;
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
    return ErrorClass::kTransient;
  }
  return ErrorClass::kTerminal;
}

Error ParseAwsError(const HttpResponse& response, bool json,
                    const std::vector<std::string_view>& known_secrets,
                    AwsErrorDiagnosis* diagnosis) {
  Decoded d;
  std::string first = FirstNonBlank(response.body);
  bool decoded = false;
  // Try the protocol's format first, then the other one: proxies and
  // gateways in front of a service do not always answer in its protocol.
  if (json || first == "{") decoded = DecodeJson(response.body, &d);
  if (!decoded && first == "<") decoded = DecodeXml(response.body, &d);
  if (!decoded && !json && first == "{") decoded = DecodeJson(response.body, &d);
  if (!decoded) {
    // restJson services name the type in a header; keep any message found.
    std::string type_header = response.Header("x-amzn-ErrorType");
    if (!type_header.empty()) d.code = NormalizeJsonCode(type_header);
  }

  std::string header_id = response.Header("x-amzn-RequestId");
  if (header_id.empty()) header_id = response.Header("x-amz-request-id");
  if (d.request_id.empty()) d.request_id = header_id;

  Error e;
  e.http_status = response.status;
  e.request_id = d.request_id;
  if (!d.code.empty()) {
    e.code = d.code;
    std::string message = d.message;
    if (IsSignatureMismatch(d.code)) {
      std::string detail = SplitSignatureDiagnosis(&message);
      if (diagnosis != nullptr && !detail.empty()) {
        diagnosis->signature_mismatch = RedactSecrets(detail, known_secrets);
      }
    }
    e.message = message.empty() ? d.code : RedactSecrets(message, known_secrets);
  } else {
    e.code = CodeForStatus(response.status);
    // Redacted before it is cut short, so that no cut leaves a value
    // without the name that marks it; from the body's first 64 KiB (where
    // an HTML page has its <title>): a body may be up to the transport's
    // limit.
    constexpr size_t kExcerptSource = 64 * 1024;
    std::string excerpt = Excerpt(
        RedactSecrets(std::string_view(response.body).substr(0, kExcerptSource), known_secrets));
    std::string ctype = response.Header("Content-Type");
    e.message = "HTTP " + std::to_string(response.status) + " without an AWS error body";
    if (response.body.empty()) {
      e.message += " (empty body)";
    } else {
      e.message += " (" + (ctype.empty() ? std::string("no content type") : ctype) + ", " +
                   std::to_string(response.body.size()) + " bytes)";
      if (!excerpt.empty()) e.message += ": " + excerpt;
    }
  }
  e.error_class = ClassifyAwsError(e.code, e.http_status);
  e.hint = HintFor(e.code);
  return e;
}

}  // namespace drsnap::aws
