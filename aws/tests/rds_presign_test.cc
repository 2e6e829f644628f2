// RdsPresignedUrl against botocore's own PreSignedUrl: a real botocore RDS
// client (aws/tests/tools/botocore_sign.py, request intercepted before send)
// is called with SourceRegion and the same parameters at the same time.
#include "aws/rds_presign.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "aws/encoding.h"
#include "aws/tests/botocore_util.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

// ordered: botocore serializes kwargs in the order given.
using json = nlohmann::ordered_json;

struct Tag {
  std::string key, value;
};

// One cross-region copy, described once and rendered both as botocore
// kwargs and as drsnap's query-serialized wire params (same order).
struct CopyCase {
  bool cluster = false;
  std::string source_id, target_id, kms_key_id, option_group;
  std::vector<Tag> tags;
  std::optional<bool> copy_tags;
  std::string source_region, destination_region;
  Credentials creds;
  TimePoint now;

  std::string Operation() const {
    return cluster ? "copy_db_cluster_snapshot" : "copy_db_snapshot";
  }
  std::string Action() const { return cluster ? "CopyDBClusterSnapshot" : "CopyDBSnapshot"; }

  std::string Endpoint(const std::string& region) const {
    return "https://rds." + region + ".amazonaws.com" + (region.starts_with("cn-") ? ".cn" : "");
  }

  QueryParams WireParams() const {
    const std::string prefix = cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier";
    QueryParams p = {{"Source" + prefix, source_id}, {"Target" + prefix, target_id}};
    if (!kms_key_id.empty()) p.emplace_back("KmsKeyId", kms_key_id);
    for (size_t i = 0; i < tags.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      p.emplace_back("Tags.Tag." + n + ".Key", tags[i].key);
      p.emplace_back("Tags.Tag." + n + ".Value", tags[i].value);
    }
    if (copy_tags) p.emplace_back("CopyTags", *copy_tags ? "true" : "false");
    if (!option_group.empty()) p.emplace_back("OptionGroupName", option_group);
    return p;
  }

  json Input() const {
    const std::string prefix = cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier";
    json kwargs = json::object();
    kwargs["Source" + prefix] = source_id;
    kwargs["Target" + prefix] = target_id;
    if (!kms_key_id.empty()) kwargs["KmsKeyId"] = kms_key_id;
    if (!tags.empty()) {
      json t = json::array();
      for (const Tag& tag : tags) t.push_back({{"Key", tag.key}, {"Value", tag.value}});
      kwargs["Tags"] = t;
    }
    if (copy_tags) kwargs["CopyTags"] = *copy_tags;
    if (!option_group.empty()) kwargs["OptionGroupName"] = option_group;
    kwargs["SourceRegion"] = source_region;
    return {{"kind", "rds_presign"},
            {"operation", Operation()},
            {"kwargs", kwargs},
            {"destination_region", destination_region},
            {"credentials",
             {{"access_key", creds.access_key_id},
              {"secret_key", creds.secret_access_key},
              {"token", creds.session_token.empty() ? json(nullptr) : json(creds.session_token)}}},
            {"amz_date", FormatAmzDate(now)}};
  }

  std::string Ours() const {
    return RdsPresignedUrl(Action(), WireParams(), source_region, destination_region,
                           Endpoint(source_region), creds, now);
  }
};

Credentials MakeCreds(std::string token) {
  Credentials c;
  c.access_key_id = token.empty() ? "AKIAIOSFODNN7EXAMPLE" : "ASIAIOSFODNN7EXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

std::vector<CopyCase> FixedCases() {
  const TimePoint t = *ParseAmzDate("20261123T041000Z");
  const std::string token =
      "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token==";
  std::vector<CopyCase> cases;
  CopyCase a;
  a.source_id = "arn:aws:rds:us-west-2:111111111111:snapshot:db1-2026-11-23";
  a.target_id = "drsnap-db1-2026-11-23";
  a.kms_key_id = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  a.option_group = "default:mysql-8-0";
  a.tags = {{"drsnap:source", "111111111111/us-west-2"}, {"Name", "db 1 / prod+dr"}};
  a.copy_tags = true;
  a.source_region = "us-west-2";
  a.destination_region = "us-east-1";
  a.creds = MakeCreds("");
  a.now = t;
  cases.push_back(a);  // CopyDBSnapshot, long-term keys

  CopyCase b = a;
  b.creds = MakeCreds(token);
  cases.push_back(b);  // CopyDBSnapshot, session token

  CopyCase c;
  c.cluster = true;
  c.source_id = "arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:rds:aurora1-2026-11-23-04-10";
  c.target_id = "drsnap-aurora1-2026-11-23-04-10";
  c.kms_key_id = "alias/drsnap-dr";
  c.tags = {{"env", "prod"}};
  c.copy_tags = false;
  c.source_region = "eu-west-1";
  c.destination_region = "eu-central-1";
  c.creds = MakeCreds(token);
  c.now = t;
  cases.push_back(c);  // CopyDBClusterSnapshot, session token

  CopyCase d = c;
  d.kms_key_id.clear();
  d.tags.clear();
  d.copy_tags.reset();
  d.creds = MakeCreds("");
  cases.push_back(d);  // CopyDBClusterSnapshot, minimal

  CopyCase e = a;
  e.source_region = "cn-north-1";
  e.destination_region = "cn-northwest-1";
  e.source_id = "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:s1";
  cases.push_back(e);  // aws-cn partition endpoints
  return cases;
}

std::vector<CopyCase> RandomCases(int n) {
  std::mt19937_64 rng(77);
  auto pick = [&rng](const std::vector<std::string>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  auto chance = [&rng](int pct) { return std::uniform_int_distribution<int>(1, 100)(rng) <= pct; };
  const std::vector<std::string> regions = {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2",
                                            "sa-east-1"};
  const std::vector<std::string> texts = {"a b",
                                          "x/y",
                                          "k=v&w",
                                          "~tilde*star+plus",
                                          "",
                                          "\xc3\xa9t\xc3\xa9 \xe1\x88\xb4",
                                          "\xf0\x9f\x98\x80",
                                          "100%",
                                          "snap-1",
                                          "rds:db-2026-01-01-00-00"};
  std::vector<CopyCase> cases;
  for (int i = 0; i < n; ++i) {
    CopyCase c;
    c.cluster = chance(50);
    c.source_region = pick(regions);
    do {
      c.destination_region = pick(regions);
    } while (c.destination_region == c.source_region);
    c.source_id = "arn:aws:rds:" + c.source_region +
                  ":111111111111:" + (c.cluster ? "cluster-snapshot:" : "snapshot:") + "s" +
                  std::to_string(i);
    c.target_id = "t-" + std::to_string(i);
    if (chance(70)) c.kms_key_id = "arn:aws:kms:" + c.destination_region + ":2:key/" + pick(texts);
    const int ntags = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int k = 0; k < ntags; ++k)
      c.tags.push_back({"k" + std::to_string(k) + pick(texts), pick(texts)});
    if (chance(50)) c.copy_tags = chance(50);
    if (!c.cluster && chance(50)) c.option_group = "og-" + pick(texts);
    c.creds = MakeCreds(chance(50) ? "FwoGZXIvYXdzE+/token=" + std::to_string(i) : "");
    c.now = TimePoint(std::chrono::seconds(1700000000 + 86399LL * i));
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(RdsPresignTest, MatchesBotocore) {
  std::vector<CopyCase> cases = FixedCases();
  for (CopyCase& c : RandomCases(40)) cases.push_back(std::move(c));
  json requests = json::array();
  for (const CopyCase& c : cases) requests.push_back(c.Input());
  auto result = testing::RunBotocore(requests);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  const json& results = (*result)["results"];
  ASSERT_EQ(results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].Input().dump());
    EXPECT_EQ(cases[i].Ours(), results[i]["presigned_url"].get<std::string>());
  }
}

TEST(RdsPresignTest, ShapeOfTheUrl) {
  const CopyCase c = FixedCases()[1];
  const std::string url = c.Ours();
  EXPECT_TRUE(
      url.starts_with("https://rds.us-west-2.amazonaws.com/?Action=CopyDBSnapshot&"
                      "Version=2014-10-31&SourceDBSnapshotIdentifier="))
      << url;
  EXPECT_NE(url.find("&DestinationRegion=us-east-1&X-Amz-Algorithm=AWS4-HMAC-SHA256&"),
            std::string::npos);
  EXPECT_NE(url.find("&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261123%2Fus-west-2%2Frds%2F"
                     "aws4_request&X-Amz-Date=20261123T041000Z&X-Amz-Expires=3600&"
                     "X-Amz-SignedHeaders=host&X-Amz-Security-Token="),
            std::string::npos);
  EXPECT_EQ(url.find("SourceRegion"), std::string::npos);
  const auto sig = url.rfind("&X-Amz-Signature=");
  ASSERT_NE(sig, std::string::npos);
  EXPECT_EQ(url.size() - sig - std::string("&X-Amz-Signature=").size(), 64u);
  // Deterministic for the same inputs and time; different a second later.
  EXPECT_EQ(url, c.Ours());
  CopyCase later = c;
  later.now += std::chrono::seconds(1);
  EXPECT_NE(url, later.Ours());
}

}  // namespace
}  // namespace drsnap::aws
