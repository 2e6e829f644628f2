// sim/auth: SigV4 verification of requests signed by aws/sigv4.h, without a
// server or a world (a lookup lambda stands in for the simulator's keys).
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "core/time_util.h"
#include "sim/auth.h"

namespace drsnap::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kWall = *ParseIso8601("2026-11-25T14:00:00Z");
const TimePoint kSim = *ParseIso8601("2030-01-01T00:00:00Z");

AccessKey LongTermKey() {
  return AccessKey{"AKIASIMTEST000000001",
                   "secret-one",
                   "",
                   "111111111111",
                   "arn:aws:iam::111111111111:user/alice",
                   std::nullopt};
}

AccessKey SessionKey() {
  return AccessKey{"ASIASIMTEST000000002",
                   "secret-two",
                   "token-two",
                   "222222222222",
                   "arn:aws:sts::222222222222:assumed-role/dr/s1",
                   kSim + hours(1)};
}

KeyLookup Lookup() {
  return [](std::string_view akid) -> std::optional<AccessKey> {
    if (akid == LongTermKey().access_key_id) return LongTermKey();
    if (akid == SessionKey().access_key_id) return SessionKey();
    return std::nullopt;
  };
}

aws::Credentials Creds(const AccessKey& k) {
  aws::Credentials c;
  c.access_key_id = k.access_key_id;
  c.secret_access_key = k.secret_access_key;
  c.session_token = k.session_token;
  return c;
}

aws::HttpRequest QueryPost(std::string body) {
  aws::HttpRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:4566/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "test"}};
  r.body = std::move(body);
  return r;
}

// What the server would see for this client request.
ReceivedRequest Received(const aws::HttpRequest& r) {
  ReceivedRequest out;
  out.method = r.method;
  std::string_view url = r.url;
  url.remove_prefix(url.find("://") + 3);
  std::string_view target = url.substr(url.find('/'));
  auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.headers = r.headers;
  out.body = r.body;
  return out;
}

ReceivedRequest Signed(aws::HttpRequest r, const aws::Credentials& creds, std::string region,
                       std::string service, TimePoint at) {
  aws::SignRequest(r, creds, aws::SigningScope{std::move(region), std::move(service)}, at);
  return Received(r);
}

TEST(AuthTest, AcceptsAGoodHeaderSignature) {
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots&Version=2014-10-31"),
                             Creds(LongTermKey()), "eu-west-1", "rds", kWall);
  auto caller = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_TRUE(caller.has_value()) << caller.error().ToString();
  EXPECT_FALSE(caller->anonymous);
  EXPECT_EQ(caller->account_id, "111111111111");
  EXPECT_EQ(caller->arn, "arn:aws:iam::111111111111:user/alice");
  EXPECT_EQ(caller->region, "eu-west-1");
  EXPECT_EQ(caller->service, "rds");
}

TEST(AuthTest, TamperedBodyIsSignatureDoesNotMatch) {
  ReceivedRequest r = Signed(QueryPost("Action=DeleteDBSnapshot&DBSnapshotIdentifier=a"),
                             Creds(LongTermKey()), "eu-west-1", "rds", kWall);
  r.body = "Action=DeleteDBSnapshot&DBSnapshotIdentifier=b";
  auto caller = Authenticate(r, "DeleteDBSnapshot", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(caller.error().http_status, 403);
  // Like AWS, the message shows the canonical request the server computed,
  // which ends with the hash of the body that arrived.
  EXPECT_NE(caller.error().message.find(aws::Sha256Hex(r.body) + "'"), std::string::npos)
      << caller.error().message;
}

TEST(AuthTest, TamperedSignedHeaderIsSignatureDoesNotMatch) {
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots"), Creds(LongTermKey()),
                             "eu-west-1", "rds", kWall);
  for (auto& [k, v] : r.headers) {
    if (k == "Content-Type") v = "text/plain";
  }
  auto caller = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "SignatureDoesNotMatch");
}

TEST(AuthTest, UnsignedHeaderMayChange) {
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots"), Creds(LongTermKey()),
                             "eu-west-1", "rds", kWall);
  for (auto& [k, v] : r.headers) {
    if (k == "User-Agent") v = "something else";
  }
  EXPECT_TRUE(Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim).has_value());
}

TEST(AuthTest, WrongSecretIsSignatureDoesNotMatch) {
  aws::Credentials c = Creds(LongTermKey());
  c.secret_access_key = "not-the-secret";
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kWall);
  auto caller = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(caller.error().http_status, 403);
}

TEST(AuthTest, UnknownKeyIsInvalidClientTokenId) {
  aws::Credentials c = Creds(LongTermKey());
  c.access_key_id = "AKIANOBODY";
  ReceivedRequest r = Signed(QueryPost("Action=GetCallerIdentity"), c, "us-east-1", "sts", kWall);
  auto caller = Authenticate(r, "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "InvalidClientTokenId");
  EXPECT_EQ(caller.error().http_status, 403);
}

TEST(AuthTest, SessionKeyNeedsItsToken) {
  ReceivedRequest good =
      Signed(QueryPost("Action=GetCallerIdentity"), Creds(SessionKey()), "us-east-1", "sts", kWall);
  auto ok = Authenticate(good, "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->account_id, "222222222222");

  aws::Credentials no_token = Creds(SessionKey());
  no_token.session_token.clear();
  auto missing = Authenticate(
      Signed(QueryPost("Action=GetCallerIdentity"), no_token, "us-east-1", "sts", kWall),
      "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "InvalidClientTokenId");

  aws::Credentials wrong_token = Creds(SessionKey());
  wrong_token.session_token = "token-other";
  auto wrong = Authenticate(
      Signed(QueryPost("Action=GetCallerIdentity"), wrong_token, "us-east-1", "sts", kWall),
      "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, "InvalidClientTokenId");
}

TEST(AuthTest, LongTermKeyWithATokenIsRefused) {
  aws::Credentials c = Creds(LongTermKey());
  c.session_token = "made-up";
  auto caller =
      Authenticate(Signed(QueryPost("Action=GetCallerIdentity"), c, "us-east-1", "sts", kWall),
                   "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "InvalidClientTokenId");
}

TEST(AuthTest, SessionExpiresOnTheSimulatorClock) {
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots"), Creds(SessionKey()),
                             "eu-west-1", "rds", kWall);
  // The wall clock is years before kSim; only the virtual clock matters.
  auto expired = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim + hours(2));
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code, "ExpiredToken");
  EXPECT_EQ(expired.error().http_status, 403);
  EXPECT_TRUE(Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim + minutes(59)));
}

TEST(AuthTest, ClockSkewIsCheckedAgainstTheWallClock) {
  aws::Credentials c = Creds(LongTermKey());
  auto old = Authenticate(
      Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kWall - minutes(6)),
      "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(old.error().http_status, 403);
  EXPECT_EQ(old.error().message,
            "Signature expired: 20261125T135400Z is now earlier than 20261125T135500Z "
            "(20261125T140000Z - 5 min.)");

  auto future = Authenticate(
      Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kWall + minutes(6)),
      "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(future.has_value());
  EXPECT_EQ(future.error().code, "SignatureDoesNotMatch");
  EXPECT_NE(future.error().message.find("Signature not yet current"), std::string::npos);

  // Within 5 minutes either way is fine.
  EXPECT_TRUE(Authenticate(
      Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kWall - minutes(4)),
      "DescribeDBSnapshots", Lookup(), kWall, kSim));
  EXPECT_TRUE(Authenticate(
      Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kWall + minutes(4)),
      "DescribeDBSnapshots", Lookup(), kWall, kSim));
}

TEST(AuthTest, SkewReferenceCanBeTheSimulatorOrOff) {
  aws::Credentials c = Creds(LongTermKey());
  ReceivedRequest at_sim =
      Signed(QueryPost("Action=DescribeDBSnapshots"), c, "eu-west-1", "rds", kSim);
  EXPECT_FALSE(Authenticate(at_sim, "DescribeDBSnapshots", Lookup(), kWall, kSim));
  AuthOptions sim_clock;
  sim_clock.skew_reference = SkewReference::kSimulatorClock;
  EXPECT_TRUE(Authenticate(at_sim, "DescribeDBSnapshots", Lookup(), kWall, kSim, sim_clock));
  AuthOptions off;
  off.skew_reference = SkewReference::kNone;
  EXPECT_TRUE(Authenticate(at_sim, "DescribeDBSnapshots", Lookup(), kWall, kSim, off));
  EXPECT_EQ(ParseSkewReference("simulator"), SkewReference::kSimulatorClock);
  EXPECT_EQ(ParseSkewReference("bogus"), std::nullopt);
}

TEST(AuthTest, UnsignedRequestsNeedAnUnsignedOperation) {
  ReceivedRequest r = Received(QueryPost("Action=DescribeDBSnapshots&Version=2014-10-31"));
  auto denied = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, "MissingAuthenticationToken");
  EXPECT_EQ(denied.error().http_status, 403);

  ReceivedRequest web = Received(QueryPost(
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=x&WebIdentityToken=t"));
  auto anon = Authenticate(web, "AssumeRoleWithWebIdentity", Lookup(), kWall, kSim);
  ASSERT_TRUE(anon.has_value()) << anon.error().ToString();
  EXPECT_TRUE(anon->anonymous);
  EXPECT_EQ(anon->service, "sts");
}

TEST(AuthTest, MalformedAuthorizationIsIncompleteSignature) {
  ReceivedRequest r = Received(QueryPost("Action=DescribeDBSnapshots"));
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/bad");
  r.headers.emplace_back("X-Amz-Date", FormatAmzDate(kWall));
  auto caller = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "IncompleteSignature");
  EXPECT_EQ(caller.error().http_status, 400);
}

TEST(AuthTest, MissingDateIsIncompleteSignature) {
  ReceivedRequest r = Signed(QueryPost("Action=DescribeDBSnapshots"), Creds(LongTermKey()),
                             "eu-west-1", "rds", kWall);
  std::erase_if(r.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  auto caller = Authenticate(r, "DescribeDBSnapshots", Lookup(), kWall, kSim);
  ASSERT_FALSE(caller.has_value());
  EXPECT_EQ(caller.error().code, "IncompleteSignature");
}

TEST(AuthTest, PresignedUrlVerifies) {
  std::string url = aws::PresignUrl(
      "GET",
      "https://rds.eu-west-1.amazonaws.com/?Action=CopyDBSnapshot&Version=2014-10-31"
      "&SourceDBSnapshotIdentifier=arn%3Aaws%3Ards%3Aeu-west-1%3A111111111111%3Asnapshot%3As1"
      "&DestinationRegion=eu-central-1",
      Creds(LongTermKey()), aws::SigningScope{"eu-west-1", "rds"}, kWall, seconds(3600));
  auto caller = VerifyPresignedUrl("GET", url, Lookup(), kWall, kSim);
  ASSERT_TRUE(caller.has_value()) << caller.error().ToString();
  EXPECT_EQ(caller->account_id, "111111111111");
  EXPECT_EQ(caller->region, "eu-west-1");

  // Valid for an hour of wall time, then RequestExpired.
  EXPECT_TRUE(VerifyPresignedUrl("GET", url, Lookup(), kWall + minutes(59), kSim));
  auto late = VerifyPresignedUrl("GET", url, Lookup(), kWall + minutes(61), kSim);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, "RequestExpired");

  std::string tampered = url;
  tampered.replace(tampered.find("eu-central-1"), 12, "us-east-1xxx");
  auto bad = VerifyPresignedUrl("GET", tampered, Lookup(), kWall, kSim);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, "SignatureDoesNotMatch");
}

TEST(AuthTest, PresignedRequestWithSessionToken) {
  std::string url =
      aws::PresignUrl("GET", "http://127.0.0.1:4566/?Action=GetCallerIdentity", Creds(SessionKey()),
                      aws::SigningScope{"us-east-1", "sts"}, kWall, seconds(900));
  aws::HttpRequest r;
  r.method = "GET";
  r.url = url;
  r.headers = {{"Host", "127.0.0.1:4566"}};
  ReceivedRequest received = Received(r);
  EXPECT_EQ(DetectService(received, "GetCallerIdentity"), "sts");
  auto caller = Authenticate(received, "GetCallerIdentity", Lookup(), kWall, kSim);
  ASSERT_TRUE(caller.has_value()) << caller.error().ToString();
  EXPECT_EQ(caller->account_id, "222222222222");
}

TEST(AuthTest, DetectServiceFallsBackToTargetAndAction) {
  ReceivedRequest kms;
  kms.method = "POST";
  kms.path = "/";
  kms.headers = {{"X-Amz-Target", "TrentService.DescribeKey"}};
  EXPECT_EQ(DetectService(kms, ""), "kms");
  ReceivedRequest q = Received(QueryPost("Action=GetCallerIdentity"));
  EXPECT_EQ(DetectService(q, "GetCallerIdentity"), "sts");
  EXPECT_EQ(DetectService(q, "DescribeDBSnapshots"), "rds");
  ReceivedRequest signed_kms =
      Signed(QueryPost("{}"), Creds(LongTermKey()), "eu-west-1", "kms", kWall);
  EXPECT_EQ(DetectService(signed_kms, ""), "kms");
}

TEST(AuthTest, KmsErrorsUseJsonCodes) {
  Error e = Error::Terminal("SignatureDoesNotMatch", "bad");
  e.http_status = 403;
  SimResponse kms = ServiceErrorResponse("kms", e);
  EXPECT_EQ(kms.status, 400);
  EXPECT_NE(kms.body.find("InvalidSignatureException"), std::string::npos) << kms.body;
  SimResponse rds = ServiceErrorResponse("rds", e);
  EXPECT_EQ(rds.status, 403);
  EXPECT_NE(rds.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << rds.body;
}

}  // namespace
}  // namespace drsnap::sim
