// Differential test: a few hundred generated RDS/STS (query protocol) and KMS
// (JSON 1.1) requests, plus query-presigned URLs, signed by drsnap and by
// botocore (aws/tests/tools/botocore_sign.py); every Authorization header,
// form body and presigned URL must be byte-identical.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "aws/encoding.h"
#include "aws/sigv4.h"
#include "aws/tests/botocore_util.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

// ordered: botocore serializes kwargs in the order given.
using json = nlohmann::ordered_json;

constexpr uint64_t kSeed = 20261125;
constexpr int kQueryRequests = 280;  // RDS and STS
constexpr int kJsonRequests = 120;   // KMS
constexpr int kPresigns = 80;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  // Valid UTF-8 (botocore takes text), with every character class that
  // encoding gets wrong: spaces, reserved and sub-delims, '%', multi-byte.
  std::string Text(int max_len) {
    static const std::vector<std::string> kPieces = {
        "a",
        "Z",
        "m",
        "0",
        "9",
        "-",
        "_",
        ".",
        "~",
        " ",
        "  ",
        "/",
        "*",
        "+",
        "=",
        "&",
        "%",
        "%20",
        "?",
        "#",
        ":",
        ",",
        ";",
        "@",
        "!",
        "'",
        "(",
        ")",
        "\"",
        "<",
        ">",
        "[",
        "]",
        "{",
        "}",
        "|",
        "\\",
        "^",
        "`",
        "$",
        "\t",
        "\n",
        "\xc3\xa9" /* é */,
        "\xe1\x88\xb4" /* ሴ */,
        "\xf0\x9f\x98\x80" /* 😀 */,
        "\xe6\x97\xa5\xe6\x9c\xac",
        "snap",
        "rds:db1-2026-11-23-04-10",
        "arn:aws:rds:us-east-1:123456789012:snapshot:x"};
    std::string s;
    const int n = Int(0, max_len);
    for (int i = 0; i < n; ++i) s += Pick(kPieces);
    return s;
  }

  std::string FromAlphabet(std::string_view alphabet, int len) {
    std::string s;
    for (int i = 0; i < len; ++i) {
      s += alphabet[static_cast<size_t>(Int(0, static_cast<int>(alphabet.size()) - 1))];
    }
    return s;
  }

  Credentials Creds() {
    static constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static constexpr std::string_view kB64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    Credentials c;
    const bool temporary = Chance(50);
    c.access_key_id = (temporary ? "ASIA" : "AKIA") + FromAlphabet(kUpper, 16);
    c.secret_access_key = FromAlphabet(kB64, 40);
    if (temporary) c.session_token = FromAlphabet(kB64, Int(16, 600)) + (Chance(50) ? "==" : "");
    return c;
  }

  TimePoint Time() {
    // 2000-01-01 .. 2037-12-31, whole seconds.
    const auto secs = std::uniform_int_distribution<int64_t>(946684800, 2145830400)(rng_);
    return TimePoint(std::chrono::seconds(secs));
  }

  std::string Region() {
    static const std::vector<std::string> kRegions = {
        "us-east-1",      "us-west-2",  "eu-west-1",     "eu-central-2",
        "ap-southeast-4", "cn-north-1", "us-gov-west-1", "il-central-1"};
    return Pick(kRegions);
  }

  // Endpoint URLs as ServiceClient may hold them: regional, custom with and
  // without ports (default ports must vanish from Host), upper-case hosts.
  std::string Url(const std::string& service, const std::string& region) {
    switch (Int(0, 6)) {
      case 0:
        return "http://127.0.0.1:" + std::to_string(Int(1024, 65535));
      case 1:
        return "https://" + service + "." + region + ".amazonaws.com:443";
      case 2:
        return "http://localhost:80/";
      case 3:
        return "https://" + service + ".Example.COM:8443";
      case 4:
        return "https://" + service + "." + region + ".amazonaws.com/";
      default:
        return "https://" + service + "." + region + ".amazonaws.com";
    }
  }

  QueryParams Params(const std::vector<std::string>& names) {
    QueryParams p;
    for (const std::string& name : names) {
      if (Chance(35)) continue;
      p.emplace_back(name, Chance(10) ? "" : Text(8));
    }
    // Random (unique) names too: the encoder must not care what a key is.
    const int extra = Int(0, 3);
    for (int i = 0; i < extra; ++i) {
      std::string key = "X" + std::to_string(i) + Text(4);
      p.emplace_back(std::move(key), Chance(10) ? "" : Text(12));
    }
    return p;
  }

 private:
  std::mt19937_64 rng_;
};

json CredsJson(const Credentials& c) {
  return {{"access_key", c.access_key_id},
          {"secret_key", c.secret_access_key},
          {"token", c.session_token.empty() ? json(nullptr) : json(c.session_token)}};
}

std::string Header(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

struct Case {
  json input;
  HttpRequest ours;     // signed
  std::string our_url;  // presign cases
};

TEST(Sigv4BotocoreTest, AuthorizationHeadersAndPresignedUrlsAreByteIdentical) {
  Gen g(kSeed);
  std::vector<Case> cases;

  const std::vector<std::string> rds_actions = {"DescribeDBSnapshots", "CopyDBSnapshot",
                                                "DescribeDBClusterSnapshots",
                                                "ModifyDBSnapshotAttribute", "AddTagsToResource"};
  const std::vector<std::string> rds_names = {"DBInstanceIdentifier",
                                              "DBSnapshotIdentifier",
                                              "SnapshotType",
                                              "IncludeShared",
                                              "Filters.Filter.1.Name",
                                              "Filters.Filter.1.Values.Value.1",
                                              "Filters.Filter.1.Values.Value.2",
                                              "MaxRecords",
                                              "Marker",
                                              "Tags.Tag.1.Key",
                                              "Tags.Tag.1.Value",
                                              "ValuesToAdd.AttributeValue.1",
                                              "KmsKeyId",
                                              "PreSignedUrl"};
  const std::vector<std::string> sts_actions = {"GetCallerIdentity", "AssumeRole",
                                                "AssumeRoleWithWebIdentity"};
  const std::vector<std::string> sts_names = {"RoleArn",         "RoleSessionName",  "ExternalId",
                                              "DurationSeconds", "WebIdentityToken", "Policy"};

  for (int i = 0; i < kQueryRequests; ++i) {
    const bool rds = i % 2 == 0;
    const std::string service = rds ? "rds" : "sts";
    const std::string region = g.Region();
    const std::string action = g.Pick(rds ? rds_actions : sts_actions);
    const std::string version = rds ? "2014-10-31" : "2011-06-15";
    const QueryParams params = g.Params(rds ? rds_names : sts_names);
    const Credentials creds = g.Creds();
    const TimePoint t = g.Time();
    const std::string url = g.Url(service, region);

    QueryParams body_params = {{"Action", action}, {"Version", version}};
    body_params.insert(body_params.end(), params.begin(), params.end());
    Case c;
    c.ours.method = "POST";
    c.ours.url = url;
    c.ours.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    // Unsigned headers must not change the signature.
    if (g.Chance(30)) c.ours.headers.emplace_back("User-Agent", "drsnap/0.1 " + g.Text(3));
    c.ours.body = FormUrlEncodeParams(body_params);
    SignRequest(c.ours, creds, SigningScope{region, service}, t);

    json jparams = json::array();
    for (const auto& [k, v] : params) jparams.push_back({k, v});
    c.input = {{"kind", "query"},
               {"url", url},
               {"service", service},
               {"region", region},
               {"action", action},
               {"version", version},
               {"params", jparams},
               {"credentials", CredsJson(creds)},
               {"amz_date", FormatAmzDate(t)}};
    cases.push_back(std::move(c));
  }

  for (int i = 0; i < kJsonRequests; ++i) {
    const std::string region = g.Region();
    const std::string target =
        g.Chance(50) ? "TrentService.DescribeKey" : "TrentService.ListAliases";
    json body_doc = json::object();
    if (target.ends_with("DescribeKey")) {
      body_doc["KeyId"] = g.Text(10);
    } else {
      if (g.Chance(50)) body_doc["KeyId"] = g.Text(6);
      if (g.Chance(50)) body_doc["Limit"] = g.Int(1, 100);
      if (g.Chance(50)) body_doc["Marker"] = g.Text(10);
    }
    const std::string body = g.Chance(5) ? "" : body_doc.dump();
    const Credentials creds = g.Creds();
    const TimePoint t = g.Time();
    const std::string url = g.Url("kms", region);

    Case c;
    c.ours.method = "POST";
    c.ours.url = url;
    c.ours.headers = {{"X-Amz-Target", target}, {"Content-Type", "application/x-amz-json-1.1"}};
    if (g.Chance(30)) c.ours.headers.emplace_back("User-Agent", "drsnap/0.1");
    c.ours.body = body;
    SignRequest(c.ours, creds, SigningScope{region, "kms"}, t);
    c.input = {{"kind", "json"},
               {"url", url},
               {"service", "kms"},
               {"region", region},
               {"target", target},
               {"body", body},
               {"credentials", CredsJson(creds)},
               {"amz_date", FormatAmzDate(t)}};
    cases.push_back(std::move(c));
  }

  for (int i = 0; i < kPresigns; ++i) {
    const std::string service = g.Pick(std::vector<std::string>{"rds", "sts", "kms"});
    const std::string region = g.Region();
    std::string url = g.Url(service, region);
    if (g.Chance(30)) url += (url.ends_with("/") ? "" : "/") + std::string("some/path");
    // Existing query parameters (unique keys; raw '+' means space, as in
    // parse_qs).
    std::string query;
    const int n = g.Int(0, 6);
    for (int k = 0; k < n; ++k) {
      if (!query.empty()) query += "&";
      query += "K" + std::to_string(k) + UriEncode(g.Text(3)) + "=" +
               (g.Chance(20) ? std::string("a+b") : UriEncode(g.Text(8)));
    }
    if (!query.empty()) url += (url.find('/', 8) == std::string::npos ? "/?" : "?") + query;
    const Credentials creds = g.Creds();
    const TimePoint t = g.Time();
    const int expires = g.Int(1, 604800);
    Case c;
    c.our_url = PresignUrl("GET", url, creds, SigningScope{region, service}, t,
                           std::chrono::seconds(expires));
    c.input = {{"kind", "presign"},
               {"method", "GET"},
               {"url", url},
               {"service", service},
               {"region", region},
               {"expires", expires},
               {"credentials", CredsJson(creds)},
               {"amz_date", FormatAmzDate(t)}};
    cases.push_back(std::move(c));
  }

  json requests = json::array();
  for (const Case& c : cases) requests.push_back(c.input);
  auto result = testing::RunBotocore(requests);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  const json& results = (*result)["results"];
  ASSERT_EQ(results.size(), cases.size());
  std::cout << "compared " << cases.size() << " requests with botocore "
            << (*result)["botocore_version"].get<std::string>() << " ("
            << (*result)["python"].get<std::string>() << ")\n";

  int mismatches = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const json& r = results[i];
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.input.dump());
    if (c.input["kind"] == "presign") {
      EXPECT_EQ(c.our_url, r["url"].get<std::string>());
      mismatches += c.our_url != r["url"].get<std::string>();
      continue;
    }
    const std::string auth = Header(c.ours, "Authorization");
    EXPECT_EQ(auth, r["authorization"].get<std::string>());
    EXPECT_EQ(c.ours.body, r["body"].get<std::string>());
    mismatches += auth != r["authorization"].get<std::string>();
    // The signed request carries what botocore's carries.
    EXPECT_EQ(Header(c.ours, "X-Amz-Date"), c.input["amz_date"].get<std::string>());
    const json& token = c.input["credentials"]["token"];
    EXPECT_EQ(Header(c.ours, "X-Amz-Security-Token"),
              token.is_null() ? std::string() : token.get<std::string>());
  }
  EXPECT_EQ(mismatches, 0);
}

// Guards the differential test itself: a wrong secret must be caught.
TEST(Sigv4BotocoreTest, DetectsADifferentSignature) {
  Credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = "secret-one";
  const TimePoint t = *ParseAmzDate("20261123T041000Z");
  HttpRequest r;
  r.method = "POST";
  r.url = "https://rds.us-east-1.amazonaws.com";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = FormUrlEncodeParams({{"Action", "DescribeDBSnapshots"}, {"Version", "2014-10-31"}});
  SignRequest(r, creds, SigningScope{"us-east-1", "rds"}, t);
  json other = {{"access_key", "AKIDEXAMPLE"}, {"secret_key", "secret-two"}, {"token", nullptr}};
  json same = {{"access_key", "AKIDEXAMPLE"}, {"secret_key", "secret-one"}, {"token", nullptr}};
  json base = {{"kind", "query"},
               {"url", r.url},
               {"service", "rds"},
               {"region", "us-east-1"},
               {"action", "DescribeDBSnapshots"},
               {"version", "2014-10-31"},
               {"params", json::array()},
               {"amz_date", "20261123T041000Z"}};
  json a = base, b = base;
  a["credentials"] = same;
  b["credentials"] = other;
  auto result = testing::RunBotocore(json::array({a, b}));
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  const json& results = (*result)["results"];
  EXPECT_EQ(Header(r, "Authorization"), results[0]["authorization"].get<std::string>());
  EXPECT_NE(Header(r, "Authorization"), results[1]["authorization"].get<std::string>());
}

}  // namespace
}  // namespace drsnap::aws
