#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/client.h"

namespace drsnap::aws {
namespace {

// Reads testdata/aws_errors/<name>: status line, headers, blank line, body.
HttpResponse LoadResponse(const std::string& name) {
  std::string path = std::string(DRSNAP_SOURCE_DIR) + "/testdata/aws_errors/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str();
  HttpResponse r;
  size_t pos = 0;
  auto next_line = [&]() {
    size_t end = raw.find('\n', pos);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(pos, end - pos);
    pos = end < raw.size() ? end + 1 : end;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  std::string status = next_line();
  r.status = std::stoi(status.substr(status.find(' ') + 1, 3));
  for (std::string line = next_line(); !line.empty(); line = next_line()) {
    size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  r.body = raw.substr(pos);
  return r;
}

struct RecordedCase {
  const char* file;
  bool json;
  const char* code;
  const char* message_part;
  const char* request_id;
  int status;
  ErrorClass error_class;
};

class RecordedErrorTest : public ::testing::TestWithParam<RecordedCase> {};

TEST_P(RecordedErrorTest, Decodes) {
  const RecordedCase& c = GetParam();
  HttpResponse r = LoadResponse(c.file);
  Error e = ParseAwsError(r, c.json);
  EXPECT_EQ(e.code, c.code);
  EXPECT_NE(e.message.find(c.message_part), std::string::npos) << e.message;
  EXPECT_EQ(e.request_id, c.request_id);
  EXPECT_EQ(e.http_status, c.status);
  EXPECT_EQ(ErrorClassName(e.error_class), std::string(ErrorClassName(c.error_class)));
}

INSTANTIATE_TEST_SUITE_P(
    AwsErrors, RecordedErrorTest,
    ::testing::Values(
        RecordedCase{"rds_db_snapshot_not_found.http", false, "DBSnapshotNotFound",
                     "DBSnapshot not found: drsnap-db1-2026-11-25-1400",
                     "5a4e4f52-1f6e-4c54-9b2c-0c2c3b9b6f01", 404, ErrorClass::kTerminal},
        RecordedCase{"rds_snapshot_quota_exceeded.http", false, "SnapshotQuotaExceeded",
                     "Cannot create more than 100 manual snapshots",
                     "0b7d0a7c-3f5b-4b47-8f6a-27b6d8a1c9e2", 400, ErrorClass::kTerminal},
        RecordedCase{"rds_throttling.http", false, "Throttling", "Rate exceeded",
                     "9f1c2e34-5a6b-47c8-9d0e-1f2a3b4c5d6e", 400, ErrorClass::kThrottling},
        RecordedCase{"rds_throttling_exception.http", false, "ThrottlingException", "Rate exceeded",
                     "3c2b1a09-8f7e-46d5-a4b3-c2d1e0f9a8b7", 400, ErrorClass::kThrottling},
        RecordedCase{"sts_invalid_client_token_id.http", false, "InvalidClientTokenId",
                     "security token included in the request is invalid",
                     "c7a1e9d2-4b3f-4e8a-9c6d-2f1e0d9c8b7a", 403, ErrorClass::kTerminal},
        RecordedCase{"rds_signature_does_not_match.http", false, "SignatureDoesNotMatch",
                     "does not match the signature you provided",
                     "e4d3c2b1-a098-4f7e-8d6c-5b4a39281706", 403, ErrorClass::kTerminal},
        RecordedCase{"rds_internal_failure.http", false, "InternalFailure",
                     "internal error has occurred", "2e1f0a9b-8c7d-46e5-b4a3-92817f6e5d4c", 500,
                     ErrorClass::kTransient},
        RecordedCase{"kms_not_found.http", true, "NotFoundException",
                     "1234abcd-12ab-34cd-56ef-1234567890ab' does not exist",
                     "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", 400, ErrorClass::kTerminal},
        RecordedCase{"kms_not_found_prefixed.http", true, "NotFoundException",
                     "alias/drsnap-vault is not found", "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918", 400,
                     ErrorClass::kTerminal},
        RecordedCase{"kms_throttling.http", true, "ThrottlingException", "Rate exceeded",
                     "0f9e8d7c-6b5a-4493-8271-6a5b4c3d2e1f", 400, ErrorClass::kThrottling},
        RecordedCase{"ec2_style_request_limit_exceeded.http", false, "RequestLimitExceeded",
                     "Request limit exceeded.", "7d6c5b4a-3928-4170-a6b5-c4d3e2f1a0b9", 503,
                     ErrorClass::kThrottling},
        RecordedCase{"elb_503_html.http", false, "ServiceUnavailable",
                     "503 Service Temporarily Unavailable", "", 503, ErrorClass::kTransient},
        RecordedCase{"elb_503_html.http", true, "ServiceUnavailable", "text/html", "", 503,
                     ErrorClass::kTransient},
        RecordedCase{"proxy_502_empty.http", false, "BadGateway", "empty body", "", 502,
                     ErrorClass::kTransient}));

TEST(ParseAwsErrorTest, HintsForCredentialProblems) {
  Error sig = ParseAwsError(LoadResponse("rds_signature_does_not_match.http"), false);
  EXPECT_NE(sig.hint.find("clock"), std::string::npos);
  Error token = ParseAwsError(LoadResponse("sts_invalid_client_token_id.http"), false);
  EXPECT_NE(token.hint.find("AWS_PROFILE"), std::string::npos);
  EXPECT_NE(token.ToString().find("request id c7a1e9d2"), std::string::npos) << token.ToString();
  HttpResponse skew;
  skew.status = 403;
  skew.body = R"({"__type":"InvalidSignatureException","message":"Signature expired"})";
  EXPECT_NE(ParseAwsError(skew, true).hint.find("clock"), std::string::npos);
  skew.body =
      "<ErrorResponse><Error><Code>RequestTimeTooSkewed</Code><Message>too skewed</Message>"
      "</Error></ErrorResponse>";
  EXPECT_NE(ParseAwsError(skew, false).hint.find("NTP"), std::string::npos);
  EXPECT_EQ(ParseAwsError(LoadResponse("rds_throttling.http"), false).hint, "");
}

TEST(ParseAwsErrorTest, XmlBodyOnJsonProtocolAndViceVersa) {
  HttpResponse r = LoadResponse("rds_throttling.http");
  Error e = ParseAwsError(r, /*json=*/true);
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_TRUE(e.throttling());
  HttpResponse k = LoadResponse("kms_not_found.http");
  Error f = ParseAwsError(k, /*json=*/false);
  EXPECT_EQ(f.code, "NotFoundException");
}

TEST(ParseAwsErrorTest, JsonVariants) {
  struct Case {
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string code, message, request_id;
  };
  const Case cases[] = {
      {R"({"__type":"KMSInvalidStateException","message":"pending deletion"})",
       {{"x-amz-request-id", "rid-1"}},
       "KMSInvalidStateException",
       "pending deletion",
       "rid-1"},
      {R"({"__type":"com.amazon.coral.service#UnrecognizedClientException",)"
       R"("Message":"The security token included in the request is invalid."})",
       {{"X-Amzn-RequestId", "rid-2"}},
       "UnrecognizedClientException",
       "The security token included in the request is invalid.",
       "rid-2"},
      {R"({"__type":"AccessDeniedException:http://internal.amazon.com/coral/x/"})",
       {},
       "AccessDeniedException",
       "AccessDeniedException",
       ""},
      // Type only in the header (restJson style).
      {R"({"message":"bad input"})",
       {{"x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/"}},
       "ValidationException",
       "bad input",
       ""},
  };
  for (const auto& c : cases) {
    HttpResponse r;
    r.status = 400;
    r.body = c.body;
    r.headers = c.headers;
    Error e = ParseAwsError(r, true);
    EXPECT_EQ(e.code, c.code) << c.body;
    EXPECT_NE(e.message.find(c.message), std::string::npos) << e.message;
    EXPECT_EQ(e.request_id, c.request_id) << c.body;
    EXPECT_EQ(e.http_status, 400);
  }
}

TEST(ParseAwsErrorTest, GarbageBodiesStillGiveUsefulErrors) {
  struct Case {
    int status;
    std::string body;
    std::string code;
    ErrorClass cls;
    std::string message_part;
  };
  const Case cases[] = {
      {503, "", "ServiceUnavailable", ErrorClass::kTransient, "empty body"},
      {500, "<html><body>oops", "InternalFailure", ErrorClass::kTransient, "oops"},
      {400, "{not json", "BadRequest", ErrorClass::kTerminal, "{not json"},
      {403, "<ErrorResponse><Error><Code></Code></Error></ErrorResponse>", "Forbidden",
       ErrorClass::kTerminal, "HTTP 403"},
      {429, "slow down", "TooManyRequestsException", ErrorClass::kThrottling, "slow down"},
      {504, std::string(5000, 'x'), "GatewayTimeout", ErrorClass::kTransient, "..."},
      {418,
       "\x01\x02"
       "binary",
       "HttpStatus418", ErrorClass::kTerminal, "binary"},
  };
  for (const auto& c : cases) {
    HttpResponse r;
    r.status = c.status;
    r.body = c.body;
    for (bool json : {false, true}) {
      Error e = ParseAwsError(r, json);
      EXPECT_EQ(e.code, c.code) << c.body;
      EXPECT_EQ(e.http_status, c.status);
      EXPECT_EQ(e.error_class, c.cls) << c.body;
      EXPECT_NE(e.message.find(c.message_part), std::string::npos) << e.message;
      EXPECT_LT(e.message.size(), 300u);
    }
  }
}

// What AWS (and drsnap-sim) answer a request signed with the wrong secret:
// the message quotes the canonical request, with the session token.
constexpr char kToken[] = "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+tok/en==";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::string MismatchMessage() {
  return std::string(
             "The request signature we calculated does not match the signature you provided. "
             "Check your AWS Secret Access Key and signing method. Consult the service "
             "documentation for details.\n\nThe Canonical String for this request should have "
             "been\n'POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n"
             "host:rds.us-east-1.amazonaws.com\nx-amz-date:20261123T120000Z\n"
             "x-amz-security-token:") +
         kToken +
         "\n\ncontent-type;host;x-amz-date;x-amz-security-token\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\nThe "
         "String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261123T120000Z\n"
         "20261123/us-east-1/rds/aws4_request\n"
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e'\n";
}

constexpr char kMismatchSentence[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST(ParseAwsErrorTest, SignatureMismatchKeepsTheCanonicalRequestOutOfTheError) {
  HttpResponse xml;
  xml.status = 403;
  xml.body =
      "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
      "<Message>" +
      MismatchMessage() + "</Message></Error><RequestId>rid-9</RequestId></ErrorResponse>";
  HttpResponse json;
  json.status = 400;
  nlohmann::json j = {{"__type", "InvalidSignatureException"}, {"message", MismatchMessage()}};
  json.body = j.dump();
  for (const auto& [r, is_json] : {std::pair{xml, false}, std::pair{json, true}}) {
    AwsErrorDiagnosis diagnosis;
    Error e = ParseAwsError(r, is_json, {}, &diagnosis);
    EXPECT_EQ(e.message, kMismatchSentence) << r.body;
    EXPECT_EQ(e.ToString().find("IQoJ"), std::string::npos) << e.ToString();
    EXPECT_EQ(e.ToString().find("Canonical"), std::string::npos) << e.ToString();
    EXPECT_NE(e.hint.find("secret access key"), std::string::npos);
    // The diagnosis keeps what a person comparing requests needs, redacted.
    EXPECT_NE(diagnosis.signature_mismatch.find("The Canonical String for this request"),
              std::string::npos)
        << diagnosis.signature_mismatch;
    EXPECT_NE(diagnosis.signature_mismatch.find("x-amz-security-token:<redacted>\n"),
              std::string::npos)
        << diagnosis.signature_mismatch;
    EXPECT_NE(diagnosis.signature_mismatch.find("host:rds.us-east-1.amazonaws.com"),
              std::string::npos);
    EXPECT_EQ(diagnosis.signature_mismatch.find("IQoJ"), std::string::npos)
        << diagnosis.signature_mismatch;
  }
}

TEST(ParseAwsErrorTest, MessagesAndExcerptsAreRedacted) {
  struct Case {
    int status;
    bool json;
    std::string body;
    std::string want_part;  // what must remain
  };
  const std::string t = kToken;
  const Case cases[] = {
      // AWS quoting a PreSignedUrl parameter back.
      {400, false,
       "<ErrorResponse><Error><Code>InvalidParameterValue</Code><Message>PreSignedUrl "
       "https://rds.us-west-2.amazonaws.com/?X-Amz-Credential=ASIAX%2F20261123%2Fus-west-2%2Frds"
       "%2Faws4_request&amp;X-Amz-Security-Token=" +
           t +
           "&amp;X-Amz-Signature=0123456789abcdef0123456789abcdef is not valid</Message>"
           "</Error></ErrorResponse>",
       "X-Amz-Security-Token=<redacted>&X-Amz-Signature=<redacted> is not valid"},
      {400, true,
       R"({"__type":"ValidationException","message":"bad header x-amz-security-token: )" + t +
           R"("})",
       "bad header x-amz-security-token: <redacted>"},
      // A proxy echoing the request into an HTML page.
      {502, false,
       "<html><title>Bad gateway Authorization: AWS4-HMAC-SHA256 Credential=ASIAX/20261123/"
       "us-east-1/rds/aws4_request, Signature=0123456789abcdef0123456789abcdef</title></html>",
       "Bad gateway Authorization: <redacted>"},
      {400, false, "junk X-Amz-Security-Token=" + t + "&x=1", "X-Amz-Security-Token=<redacted>"},
  };
  for (const Case& c : cases) {
    HttpResponse r;
    r.status = c.status;
    r.body = c.body;
    Error e = ParseAwsError(r, c.json);
    EXPECT_NE(e.message.find(c.want_part), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("IQoJ"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("0123456789abcdef"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("ASIAX"), std::string::npos) << e.message;
  }
}

TEST(ParseAwsErrorTest, KnownSecretsAreRedactedWhereverTheyAppear) {
  HttpResponse r;
  r.status = 400;
  r.body = std::string("<ErrorResponse><Error><Code>InvalidParameterValue</Code><Message>key ") +
           kSecret + " and " + kToken + " echoed</Message></Error></ErrorResponse>";
  Error e = ParseAwsError(r, false, {kSecret, kToken});
  EXPECT_EQ(e.message, "key <redacted> and <redacted> echoed");
}

TEST(ClassifyAwsErrorTest, Table) {
  struct Case {
    const char* code;
    int status;
    ErrorClass want;
  };
  const Case cases[] = {
      {"Throttling", 400, ErrorClass::kThrottling},
      {"ThrottlingException", 400, ErrorClass::kThrottling},
      {"ThrottledException", 400, ErrorClass::kThrottling},
      {"RequestThrottledException", 400, ErrorClass::kThrottling},
      {"TooManyRequestsException", 400, ErrorClass::kThrottling},
      {"ProvisionedThroughputExceededException", 400, ErrorClass::kThrottling},
      {"TransactionInProgressException", 400, ErrorClass::kThrottling},
      {"RequestLimitExceeded", 503, ErrorClass::kThrottling},
      {"BandwidthLimitExceeded", 400, ErrorClass::kThrottling},
      {"LimitExceededException", 400, ErrorClass::kThrottling},
      {"RequestThrottled", 400, ErrorClass::kThrottling},
      {"SlowDown", 503, ErrorClass::kThrottling},
      {"PriorRequestNotComplete", 400, ErrorClass::kThrottling},
      {"EC2ThrottledException", 400, ErrorClass::kThrottling},
      {"RequestTimeout", 400, ErrorClass::kTransient},
      {"RequestTimeoutException", 400, ErrorClass::kTransient},
      {"RequestTimeout", 0, ErrorClass::kTransient},
      {"ConnectionError", 0, ErrorClass::kTransient},
      {"InternalFailure", 500, ErrorClass::kTransient},
      {"BadGateway", 502, ErrorClass::kTransient},
      {"ServiceUnavailable", 503, ErrorClass::kTransient},
      {"GatewayTimeout", 504, ErrorClass::kTransient},
      {"Whatever", 501, ErrorClass::kTerminal},
      {"DBSnapshotNotFound", 404, ErrorClass::kTerminal},
      {"SnapshotQuotaExceeded", 400, ErrorClass::kTerminal},
      {"DBSnapshotAlreadyExists", 400, ErrorClass::kTerminal},
      {"AccessDenied", 403, ErrorClass::kTerminal},
      {"throttling", 400, ErrorClass::kTerminal},  // codes are case-sensitive
      {"", 400, ErrorClass::kTerminal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyAwsError(c.code, c.status), c.want) << c.code << " " << c.status;
  }
}

}  // namespace
}  // namespace drsnap::aws
