// KmsClient over a fake transport: JSON 1.1 requests, decoding, pagination.
#include "aws/kms.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/tests/rds_fake.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;
using rdstest::Fixture;

std::string HeaderOf(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class KmsTest : public ::testing::Test {
 protected:
  std::shared_ptr<rdstest::FakeTransport> t_ = std::make_shared<rdstest::FakeTransport>();
  KmsClient kms_{
      rdstest::MakeClient(t_, "kms", "us-east-1", "https://kms.us-east-1.amazonaws.com")};
};

TEST_F(KmsTest, DescribeKey) {
  t_->Push(200, Fixture("kms_describe_key.json"));
  auto k = kms_.DescribeKey("alias/drsnap-share");
  ASSERT_TRUE(k) << k.error().ToString();
  EXPECT_EQ(k->aws_account_id, "111122223333");
  EXPECT_EQ(k->key_id, "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(k->arn, "arn:aws:kms:us-east-1:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(k->description, "drsnap share key");
  EXPECT_EQ(k->key_state, "Enabled");
  EXPECT_EQ(k->key_usage, "ENCRYPT_DECRYPT");
  EXPECT_EQ(k->key_manager, "CUSTOMER");
  EXPECT_EQ(k->key_spec, "SYMMETRIC_DEFAULT");
  EXPECT_EQ(k->origin, "AWS_KMS");
  EXPECT_TRUE(k->enabled);
  EXPECT_FALSE(k->multi_region);
  ASSERT_TRUE(k->creation_date);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::milliseconds>(k->creation_date->time_since_epoch())
          .count(),
      1700000000125LL);
  EXPECT_EQ(k->deletion_date, std::nullopt);

  HttpRequest r = t_->last_request();
  EXPECT_EQ(HeaderOf(r, "X-Amz-Target"), "TrentService.DescribeKey");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_NE(HeaderOf(r, "Authorization").find("/us-east-1/kms/aws4_request"), std::string::npos);
  EXPECT_EQ(json::parse(r.body), json({{"KeyId", "alias/drsnap-share"}}));

  t_->Push(200, Fixture("kms_describe_key_aws_managed.json"));
  auto aws_key = kms_.DescribeKey("alias/aws/rds");
  ASSERT_TRUE(aws_key) << aws_key.error().ToString();
  EXPECT_EQ(aws_key->key_manager, "AWS");
}

TEST_F(KmsTest, NotFoundIsAnAwsError) {
  t_->Push(400, Fixture("kms_error_not_found.json"));
  auto k = kms_.DescribeKey("alias/missing");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, "NotFoundException");
  EXPECT_EQ(k.error().http_status, 400);
  EXPECT_NE(k.error().ToString().find("KMS key alias/missing"), std::string::npos);
}

TEST_F(KmsTest, ListAliasesAllFollowsNextMarker) {
  t_->Push(200, Fixture("kms_list_aliases_page1.json"));
  t_->Push(200, Fixture("kms_list_aliases_page2.json"));
  auto all = kms_.ListAliasesAll({.limit = 2});
  ASSERT_TRUE(all) << all.error().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].alias_name, "alias/aws/rds");
  EXPECT_EQ((*all)[0].target_key_id, "0d1c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a");
  EXPECT_TRUE((*all)[0].creation_date.has_value());
  EXPECT_EQ((*all)[1].alias_name, "alias/aws/ebs");
  EXPECT_EQ((*all)[1].target_key_id, "");
  EXPECT_EQ((*all)[1].creation_date, std::nullopt);
  EXPECT_EQ((*all)[2].alias_arn, "arn:aws:kms:us-east-1:111122223333:alias/drsnap-share");
  auto reqs = t_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(json::parse(reqs[0].body), json({{"Limit", 2}}));
  EXPECT_EQ(json::parse(reqs[1].body),
            json({{"Limit", 2}, {"Marker", "eyJhbGlhcyI6ImFsaWFzL2F3cy9lYnMifQ=="}}));
  EXPECT_EQ(HeaderOf(reqs[1], "X-Amz-Target"), "TrentService.ListAliases");
}

TEST_F(KmsTest, ListAliasesLoopIsAnError) {
  t_->SetHandler([](const HttpRequest&) {
    HttpResponse r;
    r.status = 200;
    r.body = Fixture("kms_list_aliases_page1.json");
    return r;
  });
  auto all = kms_.ListAliasesAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLoop");
}

TEST_F(KmsTest, CreateKeyAndAlias) {
  t_->Push(200, Fixture("kms_describe_key.json"));
  auto k = kms_.CreateKey({.description = "drsnap share key", .tags = {{"drsnap", "share"}}});
  ASSERT_TRUE(k) << k.error().ToString();
  EXPECT_EQ(k->key_id, "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(json::parse(t_->last_request().body),
            json({{"Description", "drsnap share key"},
                  {"Tags", {{{"TagKey", "drsnap"}, {"TagValue", "share"}}}}}));
  EXPECT_EQ(HeaderOf(t_->last_request(), "X-Amz-Target"), "TrentService.CreateKey");

  t_->Push(200, "");
  ASSERT_TRUE(kms_.CreateAlias("alias/drsnap-share", k->key_id));
  EXPECT_EQ(json::parse(t_->last_request().body),
            json({{"AliasName", "alias/drsnap-share"}, {"TargetKeyId", k->key_id}}));
  EXPECT_EQ(kms_.CreateAlias("drsnap-share", k->key_id).error().code, "MissingParameter");
  EXPECT_EQ(t_->request_count(), 2u);
}

TEST(KmsDecode, MalformedResponses) {
  for (const char* body :
       {"", "not json", "[]", "{\"KeyMetadata\": 5}", "{}", "{\"KeyMetadata\": {\"KeyId\": 7}}",
        "{\"KeyMetadata\": {\"KeyId\": \"k\", \"CreationDate\": \"yesterday\"}}",
        "{\"KeyMetadata\": {\"KeyId\": \"k\", \"Enabled\": \"yes\"}}"}) {
    auto r = DecodeKeyMetadataResponse(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, "MalformedResponse") << body;
  }
  for (const char* body : {"{\"Aliases\": {}}", "{\"Aliases\": [1]}", "{\"Truncated\": \"no\"}",
                           "{\"Aliases\": [{\"AliasName\": 1}]}"}) {
    auto r = DecodeListAliasesResponse(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, "MalformedResponse") << body;
  }
  auto empty = DecodeListAliasesResponse("{}");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->aliases.empty());
  EXPECT_FALSE(empty->truncated);
}

}  // namespace
}  // namespace drsnap::aws
