// RdsClient over a fake transport: the exact requests it sends for each
// operation, page walking, cross-region PreSignedUrl, and error handling.
#include <gtest/gtest.h>

#include "aws/query.h"
#include "aws/rds.h"
#include "aws/rds_presign.h"
#include "aws/tests/rds_fake.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using rdstest::Fixture;
using P = QueryParams;

constexpr char kWest[] = "https://rds.us-west-2.amazonaws.com";

// The body with its <Marker>...</Marker> element removed (a last page).
std::string WithoutMarker(std::string body) {
  size_t begin = body.find("<Marker>");
  size_t end = body.find("</Marker>");
  if (begin != std::string::npos && end != std::string::npos) {
    body.erase(begin, end + std::string_view("</Marker>").size() - begin);
  }
  return body;
}

class RdsClientTest : public ::testing::Test {
 protected:
  void SetUp() override { Reset(1); }
  void Reset(int max_attempts, RdsEndpointResolver resolver = nullptr) {
    transport_ = std::make_shared<rdstest::FakeTransport>();
    rds_ = std::make_unique<RdsClient>(
        rdstest::MakeClient(transport_, "rds", "us-west-2", kWest, max_attempts),
        std::move(resolver));
  }
  // The parameters of the n-th request (0-based), with Action and Version.
  P Sent(size_t n = 0) const {
    auto reqs = transport_->requests();
    EXPECT_LT(n, reqs.size());
    return n < reqs.size() ? rdstest::BodyParams(reqs[n]) : P{};
  }
  static P With(std::string_view action, P params) {
    P out = {{"Action", std::string(action)}, {"Version", "2014-10-31"}};
    out.insert(out.end(), params.begin(), params.end());
    return out;
  }

  std::shared_ptr<rdstest::FakeTransport> transport_;
  std::unique_ptr<RdsClient> rds_;
};

TEST_F(RdsClientTest, DescribeDBSnapshotsSendsEveryMemberAndSignsThePost) {
  transport_->Push(200, Fixture("describe_db_snapshots_page2.xml"));
  DescribeDBSnapshotsRequest req;
  req.db_instance_identifier = "prod-db-1";
  req.snapshot_type = "shared";
  req.filters = {{"db-instance-id", {"prod-db-1", "prod db/2~x"}}, {"engine", {"postgres"}}};
  req.max_records = 100;
  req.marker = "m+1/=";
  req.include_shared = true;
  req.include_public = false;
  auto page = rds_->DescribeDBSnapshots(req);
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(page->items.size(), 1u);

  HttpRequest sent = transport_->last_request();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, std::string(kWest) + "/");
  bool has_auth = false, has_type = false;
  for (const auto& [k, v] : sent.headers) {
    if (k == "Authorization") {
      has_auth = true;
      EXPECT_NE(v.find("Credential=AKIDEXAMPLE/20261123/us-west-2/rds/aws4_request"),
                std::string::npos)
          << v;
    }
    if (k == "Content-Type") {
      has_type = true;
      EXPECT_EQ(v, "application/x-www-form-urlencoded; charset=utf-8");
    }
  }
  EXPECT_TRUE(has_auth);
  EXPECT_TRUE(has_type);
  EXPECT_EQ(Sent(), With("DescribeDBSnapshots", {{"DBInstanceIdentifier", "prod-db-1"},
                                                 {"SnapshotType", "shared"},
                                                 {"Filters.Filter.1.Name", "db-instance-id"},
                                                 {"Filters.Filter.1.Values.Value.1", "prod-db-1"},
                                                 {"Filters.Filter.1.Values.Value.2", "prod db/2~x"},
                                                 {"Filters.Filter.2.Name", "engine"},
                                                 {"Filters.Filter.2.Values.Value.1", "postgres"},
                                                 {"MaxRecords", "100"},
                                                 {"Marker", "m+1/="},
                                                 {"IncludeShared", "true"},
                                                 {"IncludePublic", "false"}}));
}

TEST_F(RdsClientTest, DescribeDBSnapshotsAllWalksEveryPage) {
  transport_->Push(200, Fixture("describe_db_snapshots_page1.xml"));
  transport_->Push(200, Fixture("describe_db_snapshots_page2.xml"));
  DescribeDBSnapshotsRequest req;
  req.snapshot_type = "manual";
  req.max_records = 100;
  auto all = rds_->DescribeDBSnapshotsAll(req);
  ASSERT_TRUE(all) << all.error().ToString();
  ASSERT_EQ(all->size(), 101u);
  EXPECT_EQ(all->front().db_snapshot_identifier, "rds:prod-db-0-2026-11-01-04-10");
  EXPECT_EQ(all->back().db_snapshot_identifier, "drsnap-prod-db-6-20261128t0410");
  ASSERT_EQ(transport_->request_count(), 2u);
  EXPECT_EQ(FindParam(Sent(0), "Marker"), std::nullopt);
  EXPECT_EQ(FindParam(Sent(1), "Marker"),
            "AAEAAQAAADQAAAABAAAAFXByb2QtZGItNi0yMDI2LTExLTI4AAAAAQ==");
  EXPECT_EQ(FindParam(Sent(1), "SnapshotType"), "manual");
  EXPECT_EQ(FindParam(Sent(1), "MaxRecords"), "100");
}

TEST_F(RdsClientTest, PageWalkStopsOnARepeatedMarker) {
  transport_->SetHandler([](const HttpRequest&) {
    HttpResponse r;
    r.status = 200;
    r.body = Fixture("describe_db_snapshots_page1.xml");
    return r;
  });
  auto all = rds_->DescribeDBSnapshotsAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLoop");
  EXPECT_EQ(transport_->request_count(), 2u);
}

// A page of `action` with no items and this Marker ("": the last page).
std::string EmptyPage(const std::string& marker,
                      const std::string& action = "DescribeDBSnapshots") {
  return "<" + action + "Response><" + action + "Result>" +
         (marker.empty() ? std::string() : "<Marker>" + marker + "</Marker>") + "</" + action +
         "Result></" + action + "Response>";
}

// A service that never stops: every page has a fresh Marker. `on_page`
// runs before each answer (a test moves its clock there).
void Endless(rdstest::FakeTransport& transport, std::function<void()> on_page = nullptr) {
  auto n = std::make_shared<size_t>(0);
  transport.SetHandler([n, on_page](const HttpRequest& request) {
    if (on_page) on_page();
    HttpResponse r;
    r.status = 200;
    r.body = EmptyPage("m" + std::to_string(++*n),
                       FindParam(rdstest::BodyParams(request), "Action").value_or(""));
    return r;
  });
}

TEST_F(RdsClientTest, PageWalkStopsAtTheDefaultPageLimit) {
  Endless(*transport_);
  auto all = rds_->DescribeDBSnapshotsAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLimitExceeded");
  EXPECT_FALSE(all.error().retryable());
  EXPECT_EQ(transport_->request_count(), PaginationLimits{}.max_pages);
  EXPECT_EQ(PaginationLimits{}.max_pages, 10000u);
  std::string s = all.error().ToString();
  EXPECT_NE(s.find("DescribeDBSnapshots"), std::string::npos) << s;
  EXPECT_NE(s.find("10000 pages"), std::string::npos) << s;
}

TEST_F(RdsClientTest, PageWalkStopsAtAConfiguredPageLimit) {
  rds_ = std::make_unique<RdsClient>(rdstest::MakeClient(transport_, "rds", "us-west-2", kWest),
                                     nullptr, PaginationLimits{.max_pages = 7});
  Endless(*transport_);
  auto all = rds_->DescribeDBClusterSnapshotsAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLimitExceeded");
  EXPECT_EQ(transport_->request_count(), 7u);
  // A listing of exactly the limit is fine.
  transport_ = std::make_shared<rdstest::FakeTransport>();
  rds_ = std::make_unique<RdsClient>(rdstest::MakeClient(transport_, "rds", "us-west-2", kWest),
                                     nullptr, PaginationLimits{.max_pages = 3});
  transport_->Push(200, EmptyPage("a"));
  transport_->Push(200, EmptyPage("b"));
  transport_->Push(200, EmptyPage(""));
  auto three = rds_->DescribeDBSnapshotsAll({});
  ASSERT_TRUE(three) << three.error().ToString();
}

TEST_F(RdsClientTest, PageWalkStopsWhenItsTimeBudgetIsSpent) {
  auto client = rdstest::MakeClient(transport_, "rds", "us-west-2", kWest);
  auto clock = std::dynamic_pointer_cast<FakeClock>(client->context().clock);
  ASSERT_NE(clock, nullptr);
  rds_ = std::make_unique<RdsClient>(client, nullptr,
                                     PaginationLimits{.max_time = std::chrono::minutes(10)});
  // Each page takes 1 minute of the fake clock's time.
  Endless(*transport_, [clock] { clock->Advance(std::chrono::minutes(1)); });
  auto all = rds_->DescribeDBInstancesAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLimitExceeded");
  EXPECT_FALSE(all.error().retryable());
  // Pages start at 0, 1, ..., 10 minutes; the one that would start after
  // 10 minutes is not requested.
  EXPECT_EQ(transport_->request_count(), 11u);
  std::string s = all.error().ToString();
  EXPECT_NE(s.find("DescribeDBInstances"), std::string::npos) << s;
  EXPECT_NE(s.find("10 min"), std::string::npos) << s;
}

TEST_F(RdsClientTest, PageWalkWithinItsTimeBudgetSucceeds) {
  auto client = rdstest::MakeClient(transport_, "rds", "us-west-2", kWest);
  auto clock = std::dynamic_pointer_cast<FakeClock>(client->context().clock);
  rds_ = std::make_unique<RdsClient>(client, nullptr,
                                     PaginationLimits{.max_time = std::chrono::minutes(10)});
  int n = 0;
  transport_->SetHandler([&](const HttpRequest&) {
    clock->Advance(std::chrono::minutes(1));
    HttpResponse r;
    r.status = 200;
    r.body = EmptyPage(++n < 10 ? "m" + std::to_string(n) : "");
    return r;
  });
  auto all = rds_->DescribeDBSnapshotsAll({});
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(transport_->request_count(), 10u);
}

TEST_F(RdsClientTest, PageWalkStopsAtOnceWhenTheServiceRepeatsTheStartMarker) {
  transport_->Push(200, EmptyPage("start"));
  DescribeDBSnapshotsRequest req;
  req.marker = "start";
  auto all = rds_->DescribeDBSnapshotsAll(req);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLoop");
  EXPECT_EQ(transport_->request_count(), 1u);
}

TEST_F(RdsClientTest, PageWalkStopsAtOnceOnAnEarlierMarker) {
  transport_->Push(200, EmptyPage("a"));
  transport_->Push(200, EmptyPage("b"));
  transport_->Push(200, EmptyPage("a"));
  auto all = rds_->DescribeDBSnapshotsAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "PaginationLoop");
  EXPECT_EQ(transport_->request_count(), 3u);
}

TEST_F(RdsClientTest, PageWalkReportsTheFailingPage) {
  transport_->Push(200, Fixture("describe_db_snapshots_page1.xml"));
  transport_->Push(404, Fixture("error_db_snapshot_not_found.xml"));
  auto all = rds_->DescribeDBSnapshotsAll({});
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, "DBSnapshotNotFound");
  EXPECT_NE(all.error().ToString().find("page 2"), std::string::npos) << all.error().ToString();
}

TEST_F(RdsClientTest, OtherDescribesAndTheirPageWalks) {
  transport_->Push(200, Fixture("describe_db_cluster_snapshots.xml"));
  transport_->Push(200, WithoutMarker(Fixture("describe_db_cluster_snapshots.xml")));
  DescribeDBClusterSnapshotsRequest creq;
  creq.db_cluster_identifier = "orders-aurora";
  creq.snapshot_type = "automated";
  creq.include_shared = false;
  auto snaps = rds_->DescribeDBClusterSnapshotsAll(creq);
  ASSERT_TRUE(snaps) << snaps.error().ToString();
  EXPECT_EQ(snaps->size(), 4u);
  EXPECT_EQ(Sent(0), With("DescribeDBClusterSnapshots", {{"DBClusterIdentifier", "orders-aurora"},
                                                         {"SnapshotType", "automated"},
                                                         {"IncludeShared", "false"}}));
  EXPECT_EQ(FindParam(Sent(1), "Marker"), "eyJjbHVzdGVyIjoib3JkZXJzLWF1cm9yYSJ9");

  transport_->Push(200, Fixture("describe_db_instances.xml"));
  auto instances = rds_->DescribeDBInstancesAll({.filters = {{"engine", {"postgres"}}}});
  ASSERT_TRUE(instances) << instances.error().ToString();
  EXPECT_EQ(instances->size(), 2u);
  EXPECT_EQ(Sent(2),
            With("DescribeDBInstances", {{"Filters.Filter.1.Name", "engine"},
                                         {"Filters.Filter.1.Values.Value.1", "postgres"}}));

  transport_->Push(200, Fixture("describe_db_clusters.xml"));
  auto clusters = rds_->DescribeDBClustersAll({.db_cluster_identifier = "orders-aurora"});
  ASSERT_TRUE(clusters) << clusters.error().ToString();
  EXPECT_EQ(clusters->size(), 1u);
  EXPECT_EQ(Sent(3), With("DescribeDBClusters", {{"DBClusterIdentifier", "orders-aurora"}}));

  transport_->Push(200, Fixture("describe_events.xml"));
  DescribeEventsRequest ereq;
  ereq.source_type = "db-snapshot";
  ereq.start_time = *ParseIso8601("2026-11-23T04:00:00Z");
  ereq.end_time = *ParseIso8601("2026-11-23T05:00:00.250Z");
  ereq.event_categories = {"creation", "notification"};
  ereq.max_records = 20;
  auto events = rds_->DescribeEventsAll(ereq);
  ASSERT_TRUE(events) << events.error().ToString();
  EXPECT_EQ(events->size(), 2u);
  EXPECT_EQ(Sent(4), With("DescribeEvents", {{"SourceType", "db-snapshot"},
                                             {"StartTime", "2026-11-23T04:00:00Z"},
                                             {"EndTime", "2026-11-23T05:00:00.250000Z"},
                                             {"EventCategories.EventCategory.1", "creation"},
                                             {"EventCategories.EventCategory.2", "notification"},
                                             {"MaxRecords", "20"}}));
}

TEST_F(RdsClientTest, CreateSnapshotsWithTags) {
  transport_->Push(200, Fixture("create_db_snapshot.xml"));
  auto s = rds_->CreateDBSnapshot({.db_snapshot_identifier = "drsnap-prod-db-1-20261123t1200",
                                   .db_instance_identifier = "prod-db-1",
                                   .tags = {{"drsnap:managed", "true"}, {"k 2", "v&=2"}}});
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->status, "creating");
  EXPECT_EQ(Sent(0),
            With("CreateDBSnapshot", {{"DBSnapshotIdentifier", "drsnap-prod-db-1-20261123t1200"},
                                      {"DBInstanceIdentifier", "prod-db-1"},
                                      {"Tags.Tag.1.Key", "drsnap:managed"},
                                      {"Tags.Tag.1.Value", "true"},
                                      {"Tags.Tag.2.Key", "k 2"},
                                      {"Tags.Tag.2.Value", "v&=2"}}));

  transport_->Push(200, Fixture("create_db_cluster_snapshot.xml"));
  auto c = rds_->CreateDBClusterSnapshot(
      {.db_cluster_snapshot_identifier = "drsnap-orders-aurora-20261123t1200",
       .db_cluster_identifier = "orders-aurora",
       .tags = {{"drsnap:managed", "true"}}});
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->db_cluster_snapshot_identifier, "drsnap-orders-aurora-20261123t1200");
  EXPECT_EQ(Sent(1), With("CreateDBClusterSnapshot",
                          {{"DBClusterSnapshotIdentifier", "drsnap-orders-aurora-20261123t1200"},
                           {"DBClusterIdentifier", "orders-aurora"},
                           {"Tags.Tag.1.Key", "drsnap:managed"},
                           {"Tags.Tag.1.Value", "true"}}));
}

TEST_F(RdsClientTest, SameRegionCopySendsNoPreSignedUrl) {
  transport_->Push(200, Fixture("copy_db_snapshot.xml"));
  CopyDBSnapshotRequest req;
  req.source_db_snapshot_identifier = "rds:prod-db-1-2026-11-23-04-10";
  req.target_db_snapshot_identifier = "drsnap-prod-db-1-20261123t0410";
  req.kms_key_id = "alias/drsnap-share";
  req.tags = {{"drsnap:managed", "true"}};
  req.copy_tags = false;
  req.option_group_name = "pg16-audit";
  auto s = rds_->CopyDBSnapshot(req);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(Sent(0), With("CopyDBSnapshot",
                          {{"SourceDBSnapshotIdentifier", "rds:prod-db-1-2026-11-23-04-10"},
                           {"TargetDBSnapshotIdentifier", "drsnap-prod-db-1-20261123t0410"},
                           {"KmsKeyId", "alias/drsnap-share"},
                           {"Tags.Tag.1.Key", "drsnap:managed"},
                           {"Tags.Tag.1.Value", "true"},
                           {"CopyTags", "false"},
                           {"OptionGroupName", "pg16-audit"}}));
}

TEST_F(RdsClientTest, CrossRegionCopyAddsPreSignedUrlAndDropsSourceRegion) {
  transport_->Push(200, Fixture("copy_db_snapshot.xml"));
  CopyDBSnapshotRequest req;
  req.source_db_snapshot_identifier =
      "arn:aws:rds:us-east-1:111122223333:snapshot:drsnap-prod-db-1-20261123t0410";
  req.target_db_snapshot_identifier = "drsnap-prod-db-1-20261123t0410-usw2";
  req.kms_key_id = "arn:aws:kms:us-west-2:111122223333:key/5e6f7a8b";
  req.copy_tags = true;
  req.source_region = "us-east-1";
  auto s = rds_->CopyDBSnapshot(req);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->source_region, "us-east-1");

  P members = {{"SourceDBSnapshotIdentifier", req.source_db_snapshot_identifier},
               {"TargetDBSnapshotIdentifier", req.target_db_snapshot_identifier},
               {"KmsKeyId", req.kms_key_id},
               {"CopyTags", "true"}};
  std::string expected_url = RdsPresignedUrl("CopyDBSnapshot", members, "us-east-1", "us-west-2",
                                             "https://rds.us-east-1.amazonaws.com",
                                             rdstest::TestCredentials(), rdstest::TestNow());
  P expected = members;
  expected.emplace_back("PreSignedUrl", expected_url);
  EXPECT_EQ(Sent(0), With("CopyDBSnapshot", expected));
  EXPECT_EQ(FindParam(Sent(0), "SourceRegion"), std::nullopt);
  EXPECT_TRUE(
      expected_url.starts_with("https://rds.us-east-1.amazonaws.com/?Action=CopyDBSnapshot&"))
      << expected_url;
  EXPECT_NE(expected_url.find("DestinationRegion=us-west-2"), std::string::npos);
  EXPECT_NE(
      expected_url.find("X-Amz-Credential=AKIDEXAMPLE%2F20261123%2Fus-east-1%2Frds%2Faws4_request"),
      std::string::npos)
      << expected_url;
}

TEST_F(RdsClientTest, CrossRegionCopyUsesTheInjectedSourceEndpoint) {
  std::vector<std::string> asked;
  Reset(1, [&asked](const std::string& region) -> Result<ServiceEndpoint> {
    asked.push_back(region);
    return ServiceEndpoint{"http://127.0.0.1:4566", region, "rds"};
  });
  transport_->Push(200, Fixture("copy_db_cluster_snapshot.xml"));
  CopyDBClusterSnapshotRequest req;
  req.source_db_cluster_snapshot_identifier =
      "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:drsnap-orders-aurora-20261123t0500";
  req.target_db_cluster_snapshot_identifier = "drsnap-orders-aurora-20261123t0500";
  req.kms_key_id = "alias/dr";
  req.tags = {{"drsnap:managed", "true"}};
  req.source_region = "eu-west-1";
  auto c = rds_->CopyDBClusterSnapshot(req);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(asked, (std::vector<std::string>{"eu-west-1"}));
  auto url = FindParam(Sent(0), "PreSignedUrl");
  ASSERT_TRUE(url);
  EXPECT_TRUE(
      url->starts_with("http://127.0.0.1:4566/?Action=CopyDBClusterSnapshot&Version=2014-10-31&"
                       "SourceDBClusterSnapshotIdentifier="))
      << *url;
  EXPECT_NE(url->find("&Tags.Tag.1.Key=drsnap%3Amanaged&"), std::string::npos) << *url;
  EXPECT_NE(url->find("%2Feu-west-1%2Frds%2Faws4_request"), std::string::npos) << *url;
  EXPECT_EQ(FindParam(Sent(0), "SourceRegion"), std::nullopt);

  // An explicit PreSignedUrl is sent as is, and no resolver call happens.
  transport_->Push(200, Fixture("copy_db_cluster_snapshot.xml"));
  req.pre_signed_url = "https://example.invalid/presigned";
  ASSERT_TRUE(rds_->CopyDBClusterSnapshot(req));
  EXPECT_EQ(FindParam(Sent(1), "PreSignedUrl"), "https://example.invalid/presigned");
  EXPECT_EQ(asked.size(), 1u);
}

TEST_F(RdsClientTest, UnresolvableSourceRegionSendsNothing) {
  Reset(1, [](const std::string& region) -> Result<ServiceEndpoint> {
    return Fail(Error::Terminal("InvalidRegion", "no such region: " + region));
  });
  auto s = rds_->CopyDBSnapshot({.source_db_snapshot_identifier = "arn:aws:rds:xx-1:1:snapshot:a",
                                 .target_db_snapshot_identifier = "b",
                                 .source_region = "xx-1"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "InvalidRegion");
  EXPECT_NE(s.error().ToString().find("source region xx-1"), std::string::npos);
  EXPECT_EQ(transport_->request_count(), 0u);
}

TEST_F(RdsClientTest, SharingAndReadingAttributes) {
  transport_->Push(200, Fixture("modify_db_snapshot_attribute.xml"));
  auto m =
      rds_->ModifyDBSnapshotAttribute({.db_snapshot_identifier = "drsnap-prod-db-1-20261123t0410",
                                       .values_to_add = {"444455556666", "777788889999"},
                                       .values_to_remove = {"000011112222"}});
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->Values("restore"), (std::vector<std::string>{"444455556666"}));
  EXPECT_EQ(Sent(0), With("ModifyDBSnapshotAttribute",
                          {{"DBSnapshotIdentifier", "drsnap-prod-db-1-20261123t0410"},
                           {"AttributeName", "restore"},
                           {"ValuesToAdd.AttributeValue.1", "444455556666"},
                           {"ValuesToAdd.AttributeValue.2", "777788889999"},
                           {"ValuesToRemove.AttributeValue.1", "000011112222"}}));

  transport_->Push(200, Fixture("describe_db_snapshot_attributes.xml"));
  auto d = rds_->DescribeDBSnapshotAttributes("drsnap-prod-db-1-20261123t0410");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->Values("restore").size(), 2u);
  EXPECT_EQ(Sent(1), With("DescribeDBSnapshotAttributes",
                          {{"DBSnapshotIdentifier", "drsnap-prod-db-1-20261123t0410"}}));

  transport_->Push(200, Fixture("modify_db_cluster_snapshot_attribute.xml"));
  auto cm = rds_->ModifyDBClusterSnapshotAttribute(
      {.db_cluster_snapshot_identifier = "drsnap-orders-aurora-20261123t0500",
       .values_to_remove = {"444455556666"}});
  ASSERT_TRUE(cm) << cm.error().ToString();
  EXPECT_EQ(Sent(2), With("ModifyDBClusterSnapshotAttribute",
                          {{"DBClusterSnapshotIdentifier", "drsnap-orders-aurora-20261123t0500"},
                           {"AttributeName", "restore"},
                           {"ValuesToRemove.AttributeValue.1", "444455556666"}}));

  transport_->Push(200, Fixture("describe_db_cluster_snapshot_attributes.xml"));
  auto cd = rds_->DescribeDBClusterSnapshotAttributes("drsnap-orders-aurora-20261123t0500");
  ASSERT_TRUE(cd) << cd.error().ToString();
  EXPECT_EQ(cd->Values("restore"), (std::vector<std::string>{"444455556666"}));
}

TEST_F(RdsClientTest, DeletesTagsRestoresCreates) {
  transport_->Push(200, Fixture("delete_db_snapshot.xml"));
  ASSERT_TRUE(rds_->DeleteDBSnapshot("drsnap-prod-db-1-20261101t0410"));
  EXPECT_EQ(Sent(0),
            With("DeleteDBSnapshot", {{"DBSnapshotIdentifier", "drsnap-prod-db-1-20261101t0410"}}));

  transport_->Push(200, Fixture("delete_db_cluster_snapshot.xml"));
  auto dc = rds_->DeleteDBClusterSnapshot("drsnap-orders-aurora-20261101t0500");
  ASSERT_TRUE(dc) << dc.error().ToString();
  EXPECT_EQ(dc->status, "deleting");

  transport_->Push(200, Fixture("add_tags_to_resource.xml"));
  ASSERT_TRUE(rds_->AddTagsToResource("arn:aws:rds:us-west-2:111122223333:snapshot:s1",
                                      {{"drsnap:vaulted", "2026-11-23T12:00:00Z"}}));
  EXPECT_EQ(Sent(2), With("AddTagsToResource",
                          {{"ResourceName", "arn:aws:rds:us-west-2:111122223333:snapshot:s1"},
                           {"Tags.Tag.1.Key", "drsnap:vaulted"},
                           {"Tags.Tag.1.Value", "2026-11-23T12:00:00Z"}}));

  transport_->Push(200, Fixture("list_tags_for_resource.xml"));
  auto tags = rds_->ListTagsForResource("arn:aws:rds:us-west-2:111122223333:snapshot:s1");
  ASSERT_TRUE(tags) << tags.error().ToString();
  EXPECT_EQ(tags->size(), 2u);

  transport_->Push(200, Fixture("restore_db_instance_from_db_snapshot.xml"));
  auto ri =
      rds_->RestoreDBInstanceFromDBSnapshot({.db_instance_identifier = "drsnap-verify-prod-db-1",
                                             .db_snapshot_identifier = "snap-1",
                                             .db_instance_class = "db.t4g.micro",
                                             .db_subnet_group_name = "dr-subnets",
                                             .multi_az = false,
                                             .publicly_accessible = false,
                                             .vpc_security_group_ids = {"sg-1", "sg-2"},
                                             .deletion_protection = false,
                                             .tags = {{"drsnap:verify", "true"}}});
  ASSERT_TRUE(ri) << ri.error().ToString();
  EXPECT_EQ(Sent(4), With("RestoreDBInstanceFromDBSnapshot",
                          {{"DBInstanceIdentifier", "drsnap-verify-prod-db-1"},
                           {"DBSnapshotIdentifier", "snap-1"},
                           {"DBInstanceClass", "db.t4g.micro"},
                           {"DBSubnetGroupName", "dr-subnets"},
                           {"MultiAZ", "false"},
                           {"PubliclyAccessible", "false"},
                           {"Tags.Tag.1.Key", "drsnap:verify"},
                           {"Tags.Tag.1.Value", "true"},
                           {"VpcSecurityGroupIds.VpcSecurityGroupId.1", "sg-1"},
                           {"VpcSecurityGroupIds.VpcSecurityGroupId.2", "sg-2"},
                           {"DeletionProtection", "false"}}));

  transport_->Push(200, Fixture("restore_db_cluster_from_snapshot.xml"));
  auto rc = rds_->RestoreDBClusterFromSnapshot({.db_cluster_identifier = "drsnap-verify-orders",
                                                .snapshot_identifier = "csnap-1",
                                                .engine = "aurora-postgresql",
                                                .availability_zones = {"us-west-2a"},
                                                .kms_key_id = "alias/dr"});
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(Sent(5), With("RestoreDBClusterFromSnapshot",
                          {{"AvailabilityZones.AvailabilityZone.1", "us-west-2a"},
                           {"DBClusterIdentifier", "drsnap-verify-orders"},
                           {"SnapshotIdentifier", "csnap-1"},
                           {"Engine", "aurora-postgresql"},
                           {"KmsKeyId", "alias/dr"}}));

  transport_->Push(200,
                   "<DeleteDBInstanceResponse><DeleteDBInstanceResult><DBInstance>"
                   "<DBInstanceIdentifier>v1</DBInstanceIdentifier><DBInstanceStatus>deleting"
                   "</DBInstanceStatus></DBInstance></DeleteDBInstanceResult>"
                   "</DeleteDBInstanceResponse>");
  auto di = rds_->DeleteDBInstance({.db_instance_identifier = "v1",
                                    .skip_final_snapshot = true,
                                    .delete_automated_backups = true});
  ASSERT_TRUE(di) << di.error().ToString();
  EXPECT_EQ(di->db_instance_status, "deleting");
  EXPECT_EQ(Sent(6), With("DeleteDBInstance", {{"DBInstanceIdentifier", "v1"},
                                               {"SkipFinalSnapshot", "true"},
                                               {"DeleteAutomatedBackups", "true"}}));

  transport_->Push(200,
                   "<DeleteDBClusterResponse><DeleteDBClusterResult><DBCluster>"
                   "<DBClusterIdentifier>c1</DBClusterIdentifier><Status>deleting</Status>"
                   "</DBCluster></DeleteDBClusterResult></DeleteDBClusterResponse>");
  auto dcl = rds_->DeleteDBCluster({.db_cluster_identifier = "c1", .skip_final_snapshot = true});
  ASSERT_TRUE(dcl) << dcl.error().ToString();
  EXPECT_EQ(Sent(7), With("DeleteDBCluster",
                          {{"DBClusterIdentifier", "c1"}, {"SkipFinalSnapshot", "true"}}));

  transport_->Push(200,
                   "<CreateDBInstanceResponse><CreateDBInstanceResult><DBInstance>"
                   "<DBInstanceIdentifier>db1</DBInstanceIdentifier>"
                   "</DBInstance></CreateDBInstanceResult></CreateDBInstanceResponse>");
  auto ci = rds_->CreateDBInstance({.db_instance_identifier = "db1",
                                    .db_instance_class = "db.t3.micro",
                                    .engine = "postgres",
                                    .allocated_storage = 20,
                                    .master_username = "admin",
                                    .master_user_password = "secret pass&word",
                                    .backup_retention_period = 7,
                                    .storage_encrypted = true,
                                    .tags = {{"drsnap", "protect"}}});
  ASSERT_TRUE(ci) << ci.error().ToString();
  EXPECT_EQ(Sent(8), With("CreateDBInstance", {{"DBInstanceIdentifier", "db1"},
                                               {"AllocatedStorage", "20"},
                                               {"DBInstanceClass", "db.t3.micro"},
                                               {"Engine", "postgres"},
                                               {"MasterUsername", "admin"},
                                               {"MasterUserPassword", "secret pass&word"},
                                               {"BackupRetentionPeriod", "7"},
                                               {"Tags.Tag.1.Key", "drsnap"},
                                               {"Tags.Tag.1.Value", "protect"},
                                               {"StorageEncrypted", "true"}}));
}

TEST_F(RdsClientTest, AwsErrorsKeepCodeStatusRequestIdAndContext) {
  transport_->Push(404, Fixture("error_db_snapshot_not_found.xml"));
  auto s = rds_->DeleteDBSnapshot("drsnap-missing");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "DBSnapshotNotFound");
  EXPECT_EQ(s.error().http_status, 404);
  EXPECT_EQ(s.error().request_id, "0b0b0b0b-0c0c-4d0d-8e0e-0f0f0f0f0f0f");
  EXPECT_EQ(s.error().error_class, ErrorClass::kTerminal);
  EXPECT_NE(s.error().ToString().find("snapshot drsnap-missing"), std::string::npos)
      << s.error().ToString();

  transport_->Push(400, Fixture("error_snapshot_quota_exceeded.xml"));
  auto q = rds_->CopyDBSnapshot(
      {.source_db_snapshot_identifier = "a", .target_db_snapshot_identifier = "b"});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, "SnapshotQuotaExceeded");
  EXPECT_NE(q.error().ToString().find("copy a to b in us-west-2"), std::string::npos)
      << q.error().ToString();
}

TEST_F(RdsClientTest, ThrottlingIsRetriedThenSucceeds) {
  Reset(3);
  transport_->Push(400, Fixture("error_throttling.xml"));
  transport_->Push(400, Fixture("error_throttling.xml"));
  transport_->Push(200, Fixture("describe_db_snapshots_page2.xml"));
  auto page = rds_->DescribeDBSnapshots({});
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(transport_->request_count(), 3u);
}

TEST_F(RdsClientTest, ThrottlingThatPersistsIsAThrottlingError) {
  Reset(2);
  transport_->Push(400, Fixture("error_throttling.xml"));
  transport_->Push(400, Fixture("error_throttling.xml"));
  auto page = rds_->DescribeDBSnapshots({});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, "Throttling");
  EXPECT_TRUE(page.error().throttling());
  EXPECT_EQ(transport_->request_count(), 2u);
}

TEST_F(RdsClientTest, MalformedSuccessBodyIsAnError) {
  transport_->Push(200, "<html>gateway</html>");
  auto page = rds_->DescribeDBSnapshots({});
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, "MalformedResponse");
  transport_->Push(200, "");
  auto del = rds_->DeleteDBSnapshot("x");
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, "MalformedResponse");
  transport_->Push(200, "<Other/>");
  auto tag = rds_->AddTagsToResource("arn", {{"k", "v"}});
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().code, "MalformedResponse");
}

TEST_F(RdsClientTest, MissingRequiredMembersSendNothing) {
  EXPECT_EQ(rds_->CreateDBSnapshot({.db_snapshot_identifier = "s"}).error().code,
            "MissingParameter");
  EXPECT_EQ(rds_->CopyDBSnapshot({.source_db_snapshot_identifier = "s"}).error().code,
            "MissingParameter");
  EXPECT_EQ(rds_->CopyDBClusterSnapshot({}).error().code, "MissingParameter");
  EXPECT_EQ(rds_->DeleteDBSnapshot("").error().code, "MissingParameter");
  EXPECT_EQ(rds_->ModifyDBSnapshotAttribute({}).error().code, "MissingParameter");
  EXPECT_EQ(rds_->AddTagsToResource("arn", {}).error().code, "MissingParameter");
  EXPECT_EQ(
      rds_->RestoreDBClusterFromSnapshot({.db_cluster_identifier = "c", .snapshot_identifier = "s"})
          .error()
          .code,
      "MissingParameter");
  auto e = rds_->CreateDBInstance({.db_instance_identifier = "d", .engine = "postgres"});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("DBInstanceClass"), std::string::npos);
  EXPECT_EQ(transport_->request_count(), 0u);
}

TEST(RdsEndpoints, DefaultsPerPartition) {
  EXPECT_EQ(DefaultRdsEndpointUrl("us-east-1"), "https://rds.us-east-1.amazonaws.com");
  EXPECT_EQ(DefaultRdsEndpointUrl("cn-north-1"), "https://rds.cn-north-1.amazonaws.com.cn");
}

}  // namespace
}  // namespace drsnap::aws
