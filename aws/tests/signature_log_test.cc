// A signature mismatch logs AWS's canonical request once per process, at
// debug level and redacted; the Error says one sentence. In its own test
// binary: "once per process" is state no other test may have touched.
#include <gtest/gtest.h>

#include "aws/client.h"
#include "aws/tests/rds_fake.h"
#include "core/log.h"

namespace drsnap::aws {
namespace {

constexpr char kToken[] = "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+tok/en==";

std::string MismatchBody() {
  return std::string(
             "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
             "<Message>The request signature we calculated does not match the signature you "
             "provided. Check your AWS Secret Access Key and signing method. Consult the service "
             "documentation for details.\n\nThe Canonical String for this request should have "
             "been\n'POST\n/\n\nhost:127.0.0.1\nx-amz-date:20261123T120000Z\n"
             "x-amz-security-token:") +
         kToken +
         "\n\nhost;x-amz-date;x-amz-security-token\nUNSIGNED'\n\nThe String-to-Sign should "
         "have been\n'AWS4-HMAC-SHA256\n20261123T120000Z\n20261123/us-east-1/rds/aws4_request\n"
         "abc'\n</Message></Error><RequestId>rid</RequestId></ErrorResponse>";
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(SignatureMismatchLogTest, CanonicalRequestIsLoggedOnceAtDebugRedacted) {
  auto transport = std::make_shared<rdstest::FakeTransport>();
  transport->SetHandler([](const HttpRequest&) {
    HttpResponse r;
    r.status = 403;
    r.body = MismatchBody();
    return r;
  });
  Credentials creds = rdstest::TestCredentials();
  creds.session_token = kToken;
  ClientContext ctx;
  ctx.transport = transport;
  ctx.credentials = std::make_shared<StaticCredentialsProvider>(creds);
  ctx.clock = std::make_shared<FakeClock>(rdstest::TestNow());
  ctx.retry.max_attempts = 3;
  ctx.jitter = [] { return 0.0; };
  ServiceClient rds(ctx, {"http://127.0.0.1:1", "us-east-1", "rds"});
  ServiceClient sts(ctx, {"http://127.0.0.1:1", "us-east-1", "sts"});

  Log().Configure(LogLevel::kDebug, LogFormat::kText);
  ::testing::internal::CaptureStderr();
  std::vector<Error> errors;
  for (ServiceClient* c : {&rds, &rds, &sts}) {
    auto r = c->CallQuery("DescribeDBSnapshots", "2014-10-31", {});
    ASSERT_FALSE(r);
    errors.push_back(r.error());
  }
  std::string log = ::testing::internal::GetCapturedStderr();
  Log().Configure(LogLevel::kInfo, LogFormat::kText);

  EXPECT_EQ(transport->request_count(), 3u);  // terminal: no retries
  for (const Error& e : errors) {
    EXPECT_EQ(e.code, "SignatureDoesNotMatch");
    std::string s = e.ToString();
    EXPECT_EQ(s.find("Canonical"), std::string::npos) << s;
    EXPECT_EQ(s.find("IQoJ"), std::string::npos) << s;
    EXPECT_NE(s.find("does not match the signature you provided"), std::string::npos) << s;
  }
  EXPECT_EQ(Count(log, "The Canonical String for this request"), 1u) << log;
  EXPECT_EQ(Count(log, " debug "), 1u) << log;
  EXPECT_NE(log.find("x-amz-security-token:<redacted>"), std::string::npos) << log;
  EXPECT_EQ(log.find("IQoJ"), std::string::npos) << log;
}

}  // namespace
}  // namespace drsnap::aws
