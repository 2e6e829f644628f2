// Unit tests of SigV4 pieces not covered by the suite and botocore tests:
// Authorization parsing (valid and malformed), Host derivation, header
// handling in SignRequest, the signing-key cache, and the verify flow
// drsnap-sim uses.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

Credentials Creds(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = kSecret;
  c.session_token = std::move(token);
  return c;
}

TimePoint T(const char* amz) { return *ParseAmzDate(amz); }

std::vector<std::string> Values(const HttpRequest& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

TEST(Sigv4UnitTest, ParseAuthorizationHeaderValid) {
  auto p = ParseAuthorizationHeader(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, "
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  ASSERT_TRUE(p.has_value()) << p.error().ToString();
  EXPECT_EQ(p->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(p->date_stamp, "20150830");
  EXPECT_EQ(p->region, "us-east-1");
  EXPECT_EQ(p->service, "iam");
  EXPECT_EQ(p->signed_headers, (std::vector<std::string>{"content-type", "host", "x-amz-date"}));
  EXPECT_EQ(p->signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");

  // Tolerates no space after commas and surrounding whitespace; order free.
  auto q = ParseAuthorizationHeader(
      "  AWS4-HMAC-SHA256 SignedHeaders=host,Signature="
      "0000000000000000000000000000000000000000000000000000000000000000,"
      "Credential=ASIA1/20261123/eu-west-1/rds/aws4_request ");
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  EXPECT_EQ(q->region, "eu-west-1");
  EXPECT_EQ(q->signed_headers, std::vector<std::string>{"host"});
}

TEST(Sigv4UnitTest, ParseAuthorizationHeaderMalformed) {
  const std::string sig =
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  const std::string cred = "Credential=AKID/20150830/us-east-1/iam/aws4_request";
  const std::vector<std::string> bad = {
      "",
      "AWS4-HMAC-SHA1 " + cred + ", SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256" + cred,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host",  // no Signature
      "AWS4-HMAC-SHA256 SignedHeaders=host, " + sig,        // no Credential
      "AWS4-HMAC-SHA256 " + cred + ", " + sig,              // no SignedHeaders
      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam, SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws5_request, SignedHeaders=host, " +
          sig,
      "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/iam/aws4_request, SignedHeaders=host, " +
          sig,
      "AWS4-HMAC-SHA256 Credential=AKID/2015083x/us-east-1/iam/aws4_request, SignedHeaders=host, " +
          sig,
      "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, " +
          sig,
      "AWS4-HMAC-SHA256 Credential=A/B/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, " +
          sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=abc",
      "AWS4-HMAC-SHA256 " + cred +
          ", SignedHeaders=host, "
          "Signature=5D672D79C15B13162D9279B0855CFBA6789A8EDB4C82C400E06B5924A6F2B5D7",
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ", " + sig,
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ", Extra=1",
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ",",
      "AWS4-HMAC-SHA256 " + cred + " SignedHeaders=host " + sig,
  };
  for (const std::string& v : bad) {
    auto p = ParseAuthorizationHeader(v);
    EXPECT_FALSE(p.has_value()) << v;
    if (!p) {
      EXPECT_EQ(p.error().code, "IncompleteSignature") << v;
      EXPECT_FALSE(p.error().retryable());
      EXPECT_FALSE(p.error().message.empty());
    }
  }
}

TEST(Sigv4UnitTest, HostFromUrl) {
  EXPECT_EQ(HostFromUrl("https://rds.us-east-1.amazonaws.com"), "rds.us-east-1.amazonaws.com");
  EXPECT_EQ(HostFromUrl("https://rds.us-east-1.amazonaws.com/"), "rds.us-east-1.amazonaws.com");
  EXPECT_EQ(HostFromUrl("https://Example.COM:443/x?y=1"), "example.com");
  EXPECT_EQ(HostFromUrl("http://example.com:80"), "example.com");
  EXPECT_EQ(HostFromUrl("http://example.com:443"), "example.com:443");
  EXPECT_EQ(HostFromUrl("https://example.com:80"), "example.com:80");
  EXPECT_EQ(HostFromUrl("http://127.0.0.1:5000/"), "127.0.0.1:5000");
  EXPECT_EQ(HostFromUrl("http://user:pw@host:8080/"), "host:8080");
  EXPECT_EQ(HostFromUrl("http://[::1]:8080/"), "[::1]:8080");
  EXPECT_EQ(HostFromUrl("https://[::1]/"), "[::1]");
  EXPECT_EQ(HostFromUrl("https://host?x=1"), "host");
}

TEST(Sigv4UnitTest, DeriveSigningKeyKnownVector) {
  // The key of the AWS documentation's worked example (IAM, 20150830).
  EXPECT_EQ(HexEncode(DeriveSigningKey(kSecret, "20150830", {"us-east-1", "iam"})),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  // The per-thread cache must key on every input.
  const std::string a = DeriveSigningKey(kSecret, "20150830", {"us-east-1", "iam"});
  EXPECT_NE(DeriveSigningKey(kSecret, "20150830", {"us-east-2", "iam"}), a);
  EXPECT_NE(DeriveSigningKey(kSecret, "20150830", {"us-east-1", "rds"}), a);
  EXPECT_NE(DeriveSigningKey(kSecret, "20150831", {"us-east-1", "iam"}), a);
  EXPECT_NE(DeriveSigningKey("other", "20150830", {"us-east-1", "iam"}), a);
  EXPECT_EQ(DeriveSigningKey(kSecret, "20150830", {"us-east-1", "iam"}), a);
}

TEST(Sigv4UnitTest, SignRequestManagesItsHeaders) {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://rds.us-east-1.amazonaws.com";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"authorization", "stale"},
               {"x-amz-date", "19990101T000000Z"},
               {"X-Amz-Security-Token", "old-token"},
               {"User-Agent", "drsnap/0.1"}};
  r.body = "Action=DescribeDBSnapshots&Version=2014-10-31";
  SignRequest(r, Creds("new-token"), {"us-east-1", "rds"}, T("20261123T041000Z"));
  EXPECT_EQ(Values(r, "authorization"), std::vector<std::string>{});
  EXPECT_EQ(Values(r, "x-amz-date"), std::vector<std::string>{"20261123T041000Z"});
  EXPECT_EQ(Values(r, "X-Amz-Security-Token"), std::vector<std::string>{"new-token"});
  EXPECT_EQ(Values(r, "Host"), std::vector<std::string>{"rds.us-east-1.amazonaws.com"});
  const auto auth = Values(r, "Authorization");
  ASSERT_EQ(auth.size(), 1u);
  auto parsed = ParseAuthorizationHeader(auth[0]);
  ASSERT_TRUE(parsed.has_value());
  // User-Agent is never signed; everything else is.
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"content-type", "host", "x-amz-date",
                                                              "x-amz-security-token"}));
  EXPECT_EQ(parsed->date_stamp, "20261123");
  EXPECT_EQ(parsed->service, "rds");

  // Signing again (a retry) replaces, never duplicates.
  SignRequest(r, Creds("new-token"), {"us-east-1", "rds"}, T("20261123T041500Z"));
  EXPECT_EQ(Values(r, "Authorization").size(), 1u);
  EXPECT_EQ(Values(r, "x-amz-date"), std::vector<std::string>{"20261123T041500Z"});
  EXPECT_EQ(Values(r, "X-Amz-Security-Token").size(), 1u);
  EXPECT_EQ(Values(r, "Host").size(), 1u);
}

TEST(Sigv4UnitTest, ExplicitHostAndContentShaAreUsed) {
  HttpRequest a;
  a.method = "GET";
  a.url = "http://127.0.0.1:4566/";
  HttpRequest b = a;
  b.headers = {{"Host", "rds.us-east-1.amazonaws.com"}};
  SignRequest(a, Creds(), {"us-east-1", "rds"}, T("20261123T041000Z"));
  SignRequest(b, Creds(), {"us-east-1", "rds"}, T("20261123T041000Z"));
  EXPECT_EQ(Values(a, "Host"), std::vector<std::string>{"127.0.0.1:4566"});
  EXPECT_NE(Values(a, "Authorization"), Values(b, "Authorization"));

  HttpRequest c;
  c.method = "PUT";
  c.url = "https://s3.amazonaws.com/b/k";
  c.body = "payload";
  c.headers = {{"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"}};
  const auto names = HeadersToSign(c);
  c.headers.emplace_back("Host", "s3.amazonaws.com");
  c.headers.emplace_back("X-Amz-Date", "20261123T041000Z");
  const std::string creq = CanonicalRequest(c, HeadersToSign(c), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(creq.ends_with("\nUNSIGNED-PAYLOAD"));
  HttpRequest d = c;
  SignRequest(d, Creds(), {"us-east-1", "s3"}, T("20261123T041000Z"));
  auto parsed = ParseAuthorizationHeader(Values(d, "Authorization").at(0));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->signature,
            ComputeSignature(DeriveSigningKey(kSecret, "20261123", {"us-east-1", "s3"}),
                             StringToSign(T("20261123T041000Z"), {"us-east-1", "s3"}, creq)));
  EXPECT_EQ(names, (std::vector<std::string>{"host", "x-amz-content-sha256"}));
}

TEST(Sigv4UnitTest, CanonicalPathAndQuery) {
  HttpRequest r;
  r.method = "get";
  r.url = "https://h/a/./b/../c//d%2F e?b=2&a=x+y&a=1&c";
  const std::string creq = CanonicalRequest(r, {"host"}, "h");
  EXPECT_EQ(creq, "GET\n/a/c/d%252F%20e\na=1&a=x%2By&b=2&c=\nhost:h\n\nhost\nh");
  r.url = "https://h";
  EXPECT_TRUE(CanonicalRequest(r, {"host"}, "h").starts_with("GET\n/\n\n"));
}

// The verification drsnap-sim performs on an incoming request.
TEST(Sigv4UnitTest, VerifyFlowRoundTrips) {
  HttpRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:9999/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "x"}};
  r.body = FormUrlEncodeParams({{"Action", "CopyDBSnapshot"},
                                {"Version", "2014-10-31"},
                                {"TargetDBSnapshotIdentifier", "a b"}});
  const TimePoint t = T("20261123T041000Z");
  SignRequest(r, Creds("tok"), {"eu-west-1", "rds"}, t);

  std::string auth;
  HttpRequest received = r;
  std::erase_if(received.headers, [&](const auto& h) {
    if (h.first == "Authorization") auth = h.second;
    return h.first == "Authorization";
  });
  auto p = ParseAuthorizationHeader(auth);
  ASSERT_TRUE(p.has_value());
  const std::string creq = CanonicalRequest(received, p->signed_headers, Sha256Hex(received.body));
  const SigningScope scope{p->region, p->service};
  const std::string expected = ComputeSignature(DeriveSigningKey(kSecret, p->date_stamp, scope),
                                                StringToSign(t, scope, creq));
  EXPECT_EQ(p->signature, expected);
  // A tampered body no longer verifies.
  const std::string tampered_creq = CanonicalRequest(received, p->signed_headers, Sha256Hex("x"));
  EXPECT_NE(p->signature, ComputeSignature(DeriveSigningKey(kSecret, p->date_stamp, scope),
                                           StringToSign(t, scope, tampered_creq)));
}

TEST(Sigv4UnitTest, PresignUrlShape) {
  const std::string url =
      PresignUrl("GET", "https://rds.us-east-1.amazonaws.com/?Action=X&b=c+d", Creds("t/k"),
                 {"us-east-1", "rds"}, T("20261123T041000Z"), std::chrono::seconds(900));
  EXPECT_TRUE(url.starts_with(
      "https://rds.us-east-1.amazonaws.com/?Action=X&b=c%20d&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
      "X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Frds%2Faws4_request&"
      "X-Amz-Date=20261123T041000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"
      "X-Amz-Security-Token=t%2Fk&X-Amz-Signature="))
      << url;
}

TEST(Sigv4UnitTest, ConcurrentSigningIsConsistent) {
  auto sign = [](int i) {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://rds.us-east-1.amazonaws.com";
    r.body = "Action=DescribeDBSnapshots&Marker=" + std::to_string(i);
    SignRequest(r, Creds(), {i % 2 == 0 ? "us-east-1" : "eu-west-1", "rds"},
                T(i % 3 == 0 ? "20261123T041000Z" : "20261124T041000Z"));
    return r.headers.back().second;
  };
  std::vector<std::string> expected;
  for (int i = 0; i < 64; ++i) expected.push_back(sign(i));
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) {
        for (int i = 0; i < 64; ++i) got[t].push_back(sign(i));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    for (size_t k = 0; k < got[t].size(); ++k) EXPECT_EQ(got[t][k], expected[k % 64]);
  }
}

}  // namespace
}  // namespace drsnap::aws
