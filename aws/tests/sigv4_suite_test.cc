// Runs every case of the official AWS SigV4 test suite
// (testdata/aws4_testsuite, Apache-2.0, see its LICENSE and NOTICE) through
// SignRequest and the building blocks, comparing the canonical request
// (.creq), string to sign (.sts), Authorization (.authz) and signed request
// (.sreq) byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

namespace fs = std::filesystem;

// The suite's documented inputs.
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kAmzDate[] = "20150830T123600Z";
const SigningScope kScope{"us-east-1", "service"};
// get-vanilla-with-session-token signs with a session token that its .req
// does not carry (the signer adds it).
constexpr char kVanillaSessionToken[] =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
// post-sts-token/readme.txt: the token post-sts-header-after adds after signing.
constexpr char kStsReadmeToken[] =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx"
    "7mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNV"
    "XAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
// 34 cases at the time of copying: a lost folder must fail the test.
constexpr size_t kExpectedCases = 34;

Credentials SuiteCredentials() {
  Credentials c;
  c.access_key_id = kAccessKey;
  c.secret_access_key = kSecret;
  return c;
}

fs::path SuiteDir() { return fs::path(DRSNAP_SOURCE_DIR) / "testdata" / "aws4_testsuite"; }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string StripTrailingNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct SuiteRequest {
  std::string method;
  std::string target;  // path[?query], raw as on the request line
  HttpHeaders headers;
  std::string body;
};

// Parses a .req file: "METHOD target HTTP/1.1", header lines ("Name:value";
// lines starting with whitespace continue the previous value), an empty line,
// then the body.
SuiteRequest ParseReq(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  SuiteRequest r;
  const std::string& first = lines.at(0);
  const auto sp1 = first.find(' ');
  const auto sp2 = first.rfind(' ');
  r.method = first.substr(0, sp1);
  r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    const std::string& line = lines[i];
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  for (size_t j = i + 1; j < lines.size(); ++j) {
    if (j > i + 1) r.body += "\n";
    r.body += lines[j];
  }
  return r;
}


// The .sreq layout: request line, headers as "Name:value" (Authorization as
// "Authorization: value"), then an empty line and the body when there is one.
std::string SerializeSreq(const SuiteRequest& req, const HttpHeaders& headers) {
  std::string out = req.method + " " + req.target + " HTTP/1.1";
  for (const auto& [k, v] : headers) {
    out += "\n" + k + (k == "Authorization" ? ": " : ":") + v;
  }
  if (!req.body.empty()) out += "\n\n" + req.body;
  return out;
}

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> reqs;
  for (const auto& e : fs::recursive_directory_iterator(SuiteDir())) {
    if (e.is_regular_file() && e.path().extension() == ".req") reqs.push_back(e.path());
  }
  std::sort(reqs.begin(), reqs.end());
  return reqs;
}

TEST(Sigv4SuiteTest, SuiteIsPresentWithLicense) {
  EXPECT_TRUE(fs::exists(SuiteDir() / "LICENSE"));
  EXPECT_TRUE(fs::exists(SuiteDir() / "NOTICE"));
  EXPECT_EQ(CaseFiles().size(), kExpectedCases) << "in " << SuiteDir();
}

TEST(Sigv4SuiteTest, EveryCaseMatches) {
  const auto now = ParseAmzDate(kAmzDate);
  ASSERT_TRUE(now.has_value());
  const auto cases = CaseFiles();
  ASSERT_EQ(cases.size(), kExpectedCases);
  size_t checked = 0;
  for (const fs::path& req_path : cases) {
    const std::string name = req_path.stem().string();
    SCOPED_TRACE(name);
    auto sibling = [&](const char* ext) {
      fs::path p = req_path;
      p.replace_extension(ext);
      return StripTrailingNewline(ReadFile(p));
    };
    const SuiteRequest req = ParseReq(ReadFile(req_path));
    ASSERT_EQ(HeaderValue(req.headers, "X-Amz-Date"), kAmzDate);

    Credentials creds = SuiteCredentials();
    if (name == "get-vanilla-with-session-token") creds.session_token = kVanillaSessionToken;

    HttpRequest http;
    http.method = req.method;
    http.url = "https://" + HeaderValue(req.headers, "Host") + req.target;
    http.headers = req.headers;
    http.body = req.body;
    SignRequest(http, creds, kScope, *now);

    // Building blocks on the signed request, minus its Authorization.
    HttpRequest unsigned_copy = http;
    std::erase_if(unsigned_copy.headers, [](const auto& h) { return h.first == "Authorization"; });
    const std::string creq = CanonicalRequest(unsigned_copy, HeadersToSign(unsigned_copy),
                                              Sha256Hex(unsigned_copy.body));
    EXPECT_EQ(creq, sibling(".creq"));
    const std::string sts = StringToSign(*now, kScope, creq);
    EXPECT_EQ(sts, sibling(".sts"));
    const std::string authz = HeaderValue(http.headers, "Authorization");
    EXPECT_EQ(authz, sibling(".authz"));
    const std::string signature = ComputeSignature(
        DeriveSigningKey(kSecret, std::string(kAmzDate).substr(0, 8), kScope), sts);
    EXPECT_TRUE(authz.ends_with("Signature=" + signature));

    HttpHeaders sreq_headers = http.headers;
    if (name == "post-sts-header-after") {
      // The token is added after signing, before the Authorization line.
      auto it = std::find_if(sreq_headers.begin(), sreq_headers.end(),
                             [](const auto& h) { return h.first == "Authorization"; });
      sreq_headers.insert(it, {"X-Amz-Security-Token", kStsReadmeToken});
    }
    std::string expected_sreq = sibling(".sreq");
    if (name == "get-vanilla-with-session-token") {
      // This case's .sreq carries a signature that contradicts its own .authz
      // (a known defect of the published suite): check every other line, and
      // the Authorization against .authz (done above).
      const auto pos = expected_sreq.find("\nAuthorization: ");
      ASSERT_NE(pos, std::string::npos);
      expected_sreq = expected_sreq.substr(0, pos) + "\nAuthorization: " + sibling(".authz");
    }
    EXPECT_EQ(SerializeSreq(req, sreq_headers), expected_sreq);
    ++checked;
  }
  EXPECT_EQ(checked, kExpectedCases);
}

// The suite signs each case at one instant; signing the same request at
// another instant must change the date, scope and signature (time is an
// input, never read from a clock).
TEST(Sigv4SuiteTest, TimeIsInjected) {
  const Credentials creds = SuiteCredentials();
  HttpRequest a{
      .method = "GET", .url = "https://example.amazonaws.com/", .headers = {}, .body = ""};
  HttpRequest b = a;
  const auto t1 = *ParseAmzDate("20150830T123600Z");
  const auto t2 = *ParseAmzDate("20260102T030405Z");
  SignRequest(a, creds, kScope, t1);
  SignRequest(b, creds, kScope, t2);
  EXPECT_EQ(HeaderValue(a.headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(HeaderValue(b.headers, "X-Amz-Date"), "20260102T030405Z");
  EXPECT_NE(HeaderValue(b.headers, "Authorization").find("/20260102/us-east-1/service/"),
            std::string::npos);
  EXPECT_NE(HeaderValue(a.headers, "Authorization"), HeaderValue(b.headers, "Authorization"));
  // Same instant again: identical output (deterministic, cache-safe).
  HttpRequest c{
      .method = "GET", .url = "https://example.amazonaws.com/", .headers = {}, .body = ""};
  SignRequest(c, creds, kScope, t1);
  EXPECT_EQ(HeaderValue(a.headers, "Authorization"), HeaderValue(c.headers, "Authorization"));
}

}  // namespace
}  // namespace drsnap::aws
