// RedactSecrets: a table of texts as AWS, proxies and credential endpoints
// write them, and what must be left of each.
#include "aws/redact.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace drsnap::aws {
namespace {

constexpr char kToken[] = "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+tok/en==";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSig[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

struct Case {
  std::string name;
  std::string in;
  std::string want;
};

std::vector<Case> Cases() {
  const std::string t = kToken, s = kSecret, sig = kSig;
  return {
      {"canonical request line",
       "host:rds.us-east-1.amazonaws.com\nx-amz-security-token:" + t +
           "\nx-amz-date:20261123T120000Z",
       "host:rds.us-east-1.amazonaws.com\nx-amz-security-token:<redacted>\n"
       "x-amz-date:20261123T120000Z"},
      {"header line", "X-Amz-Security-Token: " + t + "\r\nHost: x",
       "X-Amz-Security-Token: <redacted>\r\nHost: x"},
      {"authorization header to the end of the line",
       "Authorization: AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261123/us-east-1/rds/"
       "aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
           sig + "\nnext line",
       "Authorization: <redacted>\nnext line"},
      {"authorization parts on their own",
       "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261123/us-east-1/rds/aws4_request, "
       "SignedHeaders=host, Signature=" +
           sig,
       "AWS4-HMAC-SHA256 Credential=<redacted>, SignedHeaders=host, Signature=<redacted>"},
      {"presigned URL",
       "https://rds.us-west-2.amazonaws.com/?Action=CopyDBSnapshot&X-Amz-Algorithm=AWS4-HMAC-"
       "SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261123%2Fus-west-2%2Frds%2Faws4_request&X-Amz-"
       "Date=20261123T120000Z&X-Amz-Security-Token=IQoJ%2F%2Ftok%2Ben%3D%3D&X-Amz-Signature=" +
           sig + " rejected",
       "https://rds.us-west-2.amazonaws.com/?Action=CopyDBSnapshot&X-Amz-Algorithm=AWS4-HMAC-"
       "SHA256&X-Amz-Credential=<redacted>&X-Amz-Date=20261123T120000Z&X-Amz-Security-Token="
       "<redacted>&X-Amz-Signature=<redacted> rejected"},
      {"presigned URL inside a form parameter (URL-encoded once more)",
       "PreSignedUrl=https%3A%2F%2Frds%2F%3FX-Amz-Security-Token%3DIQoJ%252Ftok%26X-Amz-"
       "Signature%3D" +
           sig + "%26X-Amz-Credential%3DASIA%252Fscope&Version=2014-10-31",
       "PreSignedUrl=https%3A%2F%2Frds%2F%3FX-Amz-Security-Token%3D<redacted>%26X-Amz-"
       "Signature%3D<redacted>%26X-Amz-Credential%3D<redacted>&Version=2014-10-31"},
      {"quoted in a message",
       "the PreSignedUrl 'https://x/?X-Amz-Signature=" + sig + "' is not valid",
       "the PreSignedUrl 'https://x/?X-Amz-Signature=<redacted>' is not valid"},
      {"STS XML credentials",
       "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>" + s +
           "</SecretAccessKey><SessionToken>" + t + "</SessionToken></Credentials>",
       "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey><redacted>"
       "</SecretAccessKey><SessionToken><redacted></SessionToken></Credentials>"},
      {"container credentials JSON",
       R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":")" + s + R"(", "Token" : ")" + t +
           R"(","Expiration":"2026-11-23T13:00:00Z"})",
       R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"<redacted>", "Token" : "<redacted>","Expiration":"2026-11-23T13:00:00Z"})"},
      {"JSON with an escaped quote in the value", R"({"SessionToken":"ab\"cd","x":1})",
       R"({"SessionToken":"<redacted>","x":1})"},
      {"credentials file lines",
       "aws_secret_access_key = " + s + "\naws_session_token=" + t + "\nregion = us-east-1",
       "aws_secret_access_key = <redacted>\naws_session_token=<redacted>\nregion = us-east-1"},
      {"JSON inside a JSON string", R"({"log":"{\"SessionToken\":\"abc123\",\"n\":1}"})",
       R"({"log":"{\"SessionToken\":\"<redacted>\",\"n\":1}"})"},
      {"closing tags are not fields", "</SessionToken> then text <x>",
       "</SessionToken> then text <x>"},
      {"IMDS token header", "X-aws-ec2-metadata-token: AQAEAKc1-secret_tok==\n",
       "X-aws-ec2-metadata-token: <redacted>\n"},
      {"JSON member of a header name", R"({"headers":{"x-amz-security-token":")" + t + R"("}})",
       R"({"headers":{"x-amz-security-token":"<redacted>"}})"},
      // Words that only look like field names stay.
      {"prose",
       "The request signature we calculated does not match the signature you provided. "
       "Signature expired: 20261123T120000Z is now earlier than 20261123T115500Z. "
       "The security token included in the request is invalid. Credential should be "
       "scoped to a valid region. SignatureDoesNotMatch; NextToken=abc; my-token: x; "
       "SignedHeaders=host;x-amz-date. Authorization header requires 'Credential' parameter.",
       "The request signature we calculated does not match the signature you provided. "
       "Signature expired: 20261123T120000Z is now earlier than 20261123T115500Z. "
       "The security token included in the request is invalid. Credential should be "
       "scoped to a valid region. SignatureDoesNotMatch; NextToken=abc; my-token: x; "
       "SignedHeaders=host;x-amz-date. Authorization header requires 'Credential' parameter."},
      {"field name at the end", "x-amz-security-token", "x-amz-security-token"},
      {"empty value", "X-Amz-Signature=&a=b", "X-Amz-Signature=&a=b"},
      {"nothing", "", ""},
  };
}

TEST(RedactSecretsTest, Table) {
  for (const Case& c : Cases()) {
    EXPECT_EQ(RedactSecrets(c.in), c.want) << c.name;
  }
}

TEST(RedactSecretsTest, RedactingTwiceChangesNothing) {
  for (const Case& c : Cases()) {
    EXPECT_EQ(RedactSecrets(RedactSecrets(c.in)), c.want) << c.name;
  }
}

TEST(RedactSecretsTest, KnownSecretsWhereverTheyAppear) {
  const std::vector<std::string_view> known = {kSecret, kToken};
  struct KnownCase {
    std::string in, want;
  };
  const KnownCase cases[] = {
      {std::string("key ") + kSecret + " in prose", "key <redacted> in prose"},
      {std::string("twice ") + kToken + kToken + ".", "twice <redacted><redacted>."},
      // URL-encoded: '/' '+' '=' as %2F %2B %3D.
      {"q=IQoJb3JpZ2luX2VjEOr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD%2Btok%"
       "2Fen%3D%3D&x=1",
       "q=<redacted>&x=1"},
      {"no secret here", "no secret here"},
  };
  for (const KnownCase& c : cases) EXPECT_EQ(RedactSecrets(c.in, known), c.want) << c.in;
}

TEST(RedactSecretsTest, ShortKnownValuesAreNotReplacedEverywhere) {
  // An empty or very short "secret" (a test's, or an unset token) must not
  // turn every letter of a message into <redacted>.
  EXPECT_EQ(RedactSecrets("a b c", {"", "a", "b c"}), "a b c");
}

}  // namespace
}  // namespace drsnap::aws
