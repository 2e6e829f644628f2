// Decoding recorded RDS responses (testdata/aws_responses/) into typed structs,
// and refusing malformed ones with MalformedResponse (never a crash).
#include <gtest/gtest.h>

#include "aws/rds.h"
#include "aws/tests/rds_fake.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using rdstest::Fixture;

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

constexpr char kKey[] =
    "arn:aws:kms:us-west-2:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

TEST(RdsDecode, DescribeDBSnapshotsPageOf100) {
  auto page = DecodeDescribeDBSnapshotsResponse(Fixture("describe_db_snapshots_page1.xml"));
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->items.size(), 100u);
  EXPECT_EQ(page->marker, "AAEAAQAAADQAAAABAAAAFXByb2QtZGItNi0yMDI2LTExLTI4AAAAAQ==");

  // Record 0: an automated snapshot.
  const DBSnapshot& a = page->items[0];
  EXPECT_EQ(a.db_snapshot_identifier, "rds:prod-db-0-2026-11-01-04-10");
  EXPECT_EQ(a.db_snapshot_arn,
            "arn:aws:rds:us-west-2:111122223333:snapshot:rds:prod-db-0-2026-11-01-04-10");
  EXPECT_EQ(a.db_instance_identifier, "prod-db-0");
  EXPECT_EQ(a.dbi_resource_id, "db-0000000000PQRSTUV");
  EXPECT_EQ(a.snapshot_type, "automated");
  EXPECT_EQ(a.status, "available");
  EXPECT_EQ(a.engine, "postgres");
  EXPECT_EQ(a.engine_version, "16.4");
  EXPECT_EQ(a.license_model, "postgresql-license");
  EXPECT_EQ(a.allocated_storage, 20);
  EXPECT_EQ(a.port, 5432);
  EXPECT_EQ(a.availability_zone, "us-west-2a");
  EXPECT_EQ(a.vpc_id, "vpc-0a1b2c3d4e5f60718");
  EXPECT_EQ(a.storage_type, "gp3");
  EXPECT_EQ(a.percent_progress, 100);
  EXPECT_TRUE(a.encrypted);
  EXPECT_EQ(a.kms_key_id, kKey);
  EXPECT_EQ(a.option_group_name, "default:postgres-16");
  EXPECT_EQ(a.source_region, "");
  EXPECT_EQ(a.source_db_snapshot_identifier, "");
  EXPECT_EQ(a.snapshot_create_time, T("2026-11-01T04:10:00.000Z"));
  EXPECT_EQ(a.original_snapshot_create_time, std::nullopt);
  EXPECT_EQ(a.instance_create_time, T("2025-03-01T10:00:00Z"));
  EXPECT_EQ(a.tag_list, (std::vector<Tag>{{"team", "payments"}, {"env", "prod"}}));

  // Record 3: a cross-region copy in flight.
  const DBSnapshot& c = page->items[3];
  EXPECT_EQ(c.db_snapshot_identifier, "drsnap-prod-db-3-20261104t0410-usw2-003");
  EXPECT_EQ(c.status, "copying");
  EXPECT_EQ(c.percent_progress, 21);
  EXPECT_EQ(c.source_region, "us-east-1");
  EXPECT_EQ(c.source_db_snapshot_identifier,
            "arn:aws:rds:us-east-1:111122223333:snapshot:drsnap-prod-db-3-20261104t0410");
  EXPECT_EQ(c.original_snapshot_create_time, T("2026-11-04T04:10:05.003Z"));
  EXPECT_EQ(c.snapshot_create_time, T("2026-11-04T04:13:03.003Z"));
  EXPECT_EQ(c.allocated_storage, 23);

  // Record 4: shared from another account: ARN as id, unencrypted, no tags.
  const DBSnapshot& s = page->items[4];
  EXPECT_EQ(s.db_snapshot_identifier,
            "arn:aws:rds:us-west-2:444455556666:snapshot:drsnap-prod-db-4-004");
  EXPECT_EQ(s.snapshot_type, "shared");
  EXPECT_FALSE(s.encrypted);
  EXPECT_EQ(s.kms_key_id, "");
  EXPECT_TRUE(s.tag_list.empty());

  // Record 7: tag values with XML entities and UTF-8.
  const DBSnapshot& u = page->items[7];
  ASSERT_EQ(u.tag_list.size(), 4u);
  EXPECT_EQ(u.tag_list[3].key, "note");
  EXPECT_EQ(u.tag_list[3].value, "a&b <c> \"d\" \xC3\xA9t\xC3\xA9 \xE2\x9C\x93");
  EXPECT_EQ(u.tag_list[0], (Tag{"drsnap:managed", "true"}));

  // Every record decoded its id, ARN, time and tags (record 99 is the last).
  int tagged = 0;
  for (size_t i = 0; i < page->items.size(); ++i) {
    const DBSnapshot& d = page->items[i];
    EXPECT_FALSE(d.db_snapshot_identifier.empty()) << i;
    EXPECT_FALSE(d.db_snapshot_arn.empty()) << i;
    ASSERT_TRUE(d.snapshot_create_time.has_value()) << i;
    EXPECT_EQ(d.allocated_storage, 20 + static_cast<int>(i));
    tagged += d.tag_list.empty() ? 0 : 1;
  }
  EXPECT_EQ(tagged, 80);
  EXPECT_EQ(page->items[99].db_snapshot_identifier,
            "arn:aws:rds:us-west-2:444455556666:snapshot:drsnap-prod-db-1-099");
  EXPECT_EQ(page->items[99].snapshot_create_time, T("2026-11-16T04:29:39.099Z"));
}

TEST(RdsDecode, LastPageHasNoMarker) {
  auto page = DecodeDescribeDBSnapshotsResponse(Fixture("describe_db_snapshots_page2.xml"));
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(page->marker, "");
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].status, "creating");
  EXPECT_EQ(page->items[0].percent_progress, 0);
  EXPECT_EQ(page->items[0].snapshot_create_time, T("2026-11-28T04:10:42.517Z"));
}

TEST(RdsDecode, DescribeDBClusterSnapshots) {
  auto page =
      DecodeDescribeDBClusterSnapshotsResponse(Fixture("describe_db_cluster_snapshots.xml"));
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ(page->marker, "eyJjbHVzdGVyIjoib3JkZXJzLWF1cm9yYSJ9");
  ASSERT_EQ(page->items.size(), 2u);
  const DBClusterSnapshot& a = page->items[0];
  EXPECT_EQ(a.db_cluster_snapshot_identifier, "rds:orders-aurora-2026-11-23-05-00");
  EXPECT_EQ(
      a.db_cluster_snapshot_arn,
      "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:rds:orders-aurora-2026-11-23-05-00");
  EXPECT_EQ(a.db_cluster_identifier, "orders-aurora");
  EXPECT_EQ(a.db_cluster_resource_id, "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  EXPECT_EQ(a.snapshot_type, "automated");
  EXPECT_EQ(a.status, "available");
  EXPECT_EQ(a.engine, "aurora-postgresql");
  EXPECT_EQ(a.engine_version, "15.4");
  EXPECT_EQ(a.engine_mode, "provisioned");
  EXPECT_EQ(a.availability_zones,
            (std::vector<std::string>{"us-east-1a", "us-east-1b", "us-east-1c"}));
  EXPECT_TRUE(a.storage_encrypted);
  EXPECT_EQ(a.kms_key_id,
            "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
  EXPECT_EQ(a.percent_progress, 100);
  EXPECT_EQ(a.snapshot_create_time, T("2026-11-23T05:00:17.894Z"));
  EXPECT_EQ(a.cluster_create_time, T("2025-06-01T08:30:00.123Z"));
  EXPECT_EQ(a.tag_list, (std::vector<Tag>{{"team", "orders"}}));
  EXPECT_EQ(a.source_db_cluster_snapshot_arn, "");
  const DBClusterSnapshot& b = page->items[1];
  EXPECT_EQ(b.status, "copying");
  EXPECT_EQ(b.percent_progress, 42);
  EXPECT_EQ(b.source_db_cluster_snapshot_arn, a.db_cluster_snapshot_arn);
  EXPECT_EQ(b.tag_list.size(), 2u);
}

TEST(RdsDecode, DescribeDBInstances) {
  auto page = DecodeDescribeDBInstancesResponse(Fixture("describe_db_instances.xml"));
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->marker, "");
  const DBInstance& d = page->items[0];
  EXPECT_EQ(d.db_instance_identifier, "prod-db-1");
  EXPECT_EQ(d.db_instance_arn, "arn:aws:rds:us-east-1:111122223333:db:prod-db-1");
  EXPECT_EQ(d.dbi_resource_id, "db-ABCDEFGHIJKLMNOPQRSTUVWXY1");
  EXPECT_EQ(d.db_instance_class, "db.r6g.large");
  EXPECT_EQ(d.engine, "postgres");
  EXPECT_EQ(d.engine_version, "16.4");
  EXPECT_EQ(d.db_instance_status, "available");
  EXPECT_EQ(d.allocated_storage, 100);
  EXPECT_EQ(d.availability_zone, "us-east-1b");
  EXPECT_TRUE(d.multi_az);
  EXPECT_EQ(d.backup_retention_period, 7);
  EXPECT_EQ(d.preferred_backup_window, "04:00-04:30");
  EXPECT_TRUE(d.storage_encrypted);
  EXPECT_EQ(d.kms_key_id,
            "arn:aws:kms:us-east-1:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(d.storage_type, "gp3");
  EXPECT_EQ(d.db_cluster_identifier, "");
  EXPECT_EQ(d.option_group_names, (std::vector<std::string>{"pg16-audit"}));
  EXPECT_EQ(d.endpoint_address, "prod-db-1.abcdefghijkl.us-east-1.rds.amazonaws.com");
  EXPECT_EQ(d.endpoint_port, 5432);
  EXPECT_TRUE(d.deletion_protection);
  EXPECT_EQ(d.instance_create_time, T("2025-03-02T10:00:00.512Z"));
  EXPECT_EQ(d.latest_restorable_time, T("2026-11-23T11:55:00Z"));
  EXPECT_EQ(d.tag_list, (std::vector<Tag>{{"drsnap", "protect"}}));
  const DBInstance& m = page->items[1];
  EXPECT_EQ(m.db_cluster_identifier, "orders-aurora");
  EXPECT_EQ(m.db_instance_status, "creating");
  EXPECT_FALSE(m.multi_az);
  EXPECT_EQ(m.endpoint_address, "");
  EXPECT_EQ(m.instance_create_time, std::nullopt);
  EXPECT_TRUE(m.tag_list.empty());
}

TEST(RdsDecode, DescribeDBClusters) {
  auto page = DecodeDescribeDBClustersResponse(Fixture("describe_db_clusters.xml"));
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->items.size(), 1u);
  const DBCluster& c = page->items[0];
  EXPECT_EQ(c.db_cluster_identifier, "orders-aurora");
  EXPECT_EQ(c.db_cluster_arn, "arn:aws:rds:us-east-1:111122223333:cluster:orders-aurora");
  EXPECT_EQ(c.db_cluster_resource_id, "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  EXPECT_EQ(c.status, "available");
  EXPECT_EQ(c.engine, "aurora-postgresql");
  EXPECT_EQ(c.engine_version, "15.4");
  EXPECT_EQ(c.engine_mode, "provisioned");
  EXPECT_EQ(c.availability_zones.size(), 3u);
  EXPECT_TRUE(c.multi_az);
  EXPECT_EQ(c.backup_retention_period, 7);
  EXPECT_EQ(c.preferred_backup_window, "05:00-05:30");
  EXPECT_TRUE(c.storage_encrypted);
  EXPECT_EQ(c.storage_type, "aurora");
  EXPECT_EQ(c.endpoint, "orders-aurora.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com");
  EXPECT_EQ(c.port, 5432);
  EXPECT_FALSE(c.deletion_protection);
  EXPECT_EQ(c.option_group_names, (std::vector<std::string>{"default:aurora-postgresql-15"}));
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[0].db_instance_identifier, "orders-aurora-instance-1");
  EXPECT_TRUE(c.members[0].is_cluster_writer);
  EXPECT_FALSE(c.members[1].is_cluster_writer);
  EXPECT_EQ(c.cluster_create_time, T("2025-06-01T08:30:00.123Z"));
  EXPECT_EQ(c.earliest_restorable_time, T("2026-11-16T05:01:02.345Z"));
  EXPECT_EQ(c.latest_restorable_time, T("2026-11-23T11:58:31.001Z"));
  EXPECT_EQ(c.tag_list, (std::vector<Tag>{{"drsnap", "protect"}}));
}

TEST(RdsDecode, SnapshotAttributes) {
  auto a = DecodeSnapshotAttributesResponse("DescribeDBSnapshotAttributes",
                                            Fixture("describe_db_snapshot_attributes.xml"), false);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->snapshot_identifier, "drsnap-prod-db-1-20261123t0410");
  ASSERT_EQ(a->attributes.size(), 1u);
  EXPECT_EQ(a->attributes[0].attribute_name, "restore");
  EXPECT_EQ(a->Values("restore"), (std::vector<std::string>{"444455556666", "777788889999"}));
  EXPECT_TRUE(a->Values("other").empty());

  auto m = DecodeSnapshotAttributesResponse("ModifyDBSnapshotAttribute",
                                            Fixture("modify_db_snapshot_attribute.xml"), false);
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->Values("restore"), (std::vector<std::string>{"444455556666"}));

  auto c = DecodeSnapshotAttributesResponse("DescribeDBClusterSnapshotAttributes",
                                            Fixture("describe_db_cluster_snapshot_attributes.xml"),
                                            true);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->snapshot_identifier, "drsnap-orders-aurora-20261123t0500");
  EXPECT_EQ(c->Values("restore"), (std::vector<std::string>{"444455556666"}));

  auto cm =
      DecodeSnapshotAttributesResponse("ModifyDBClusterSnapshotAttribute",
                                       Fixture("modify_db_cluster_snapshot_attribute.xml"), true);
  ASSERT_TRUE(cm) << cm.error().ToString();
  ASSERT_EQ(cm->attributes.size(), 1u);
  EXPECT_TRUE(cm->attributes[0].attribute_values.empty());

  // The instance shape is not the cluster shape.
  auto wrong = DecodeSnapshotAttributesResponse(
      "DescribeDBClusterSnapshotAttributes", Fixture("describe_db_cluster_snapshot_attributes.xml"),
      false);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "MalformedResponse");
}

TEST(RdsDecode, SingleResourceResponses) {
  auto created = DecodeDBSnapshotResponse("CreateDBSnapshot", Fixture("create_db_snapshot.xml"));
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->status, "creating");
  EXPECT_EQ(created->snapshot_create_time, std::nullopt);
  EXPECT_EQ(created->option_group_name, "pg16-audit");

  auto copied = DecodeDBSnapshotResponse("CopyDBSnapshot", Fixture("copy_db_snapshot.xml"));
  ASSERT_TRUE(copied) << copied.error().ToString();
  EXPECT_EQ(copied->status, "pending");
  EXPECT_EQ(copied->source_region, "us-east-1");
  EXPECT_EQ(copied->original_snapshot_create_time, T("2026-11-23T04:10:12.345Z"));
  EXPECT_EQ(copied->kms_key_id,
            "arn:aws:kms:us-west-2:111122223333:key/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b");

  auto deleted = DecodeDBSnapshotResponse("DeleteDBSnapshot", Fixture("delete_db_snapshot.xml"));
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(deleted->status, "deleted");

  auto cc = DecodeDBClusterSnapshotResponse("CopyDBClusterSnapshot",
                                            Fixture("copy_db_cluster_snapshot.xml"));
  ASSERT_TRUE(cc) << cc.error().ToString();
  EXPECT_EQ(cc->status, "copying");
  EXPECT_TRUE(cc->tag_list.empty());

  auto restored = DecodeDBInstanceResponse("RestoreDBInstanceFromDBSnapshot",
                                           Fixture("restore_db_instance_from_db_snapshot.xml"));
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(restored->db_instance_identifier, "drsnap-verify-prod-db-1");
  EXPECT_EQ(restored->db_instance_class, "db.t4g.micro");
  EXPECT_EQ(restored->backup_retention_period, 0);

  auto rc = DecodeDBClusterResponse("RestoreDBClusterFromSnapshot",
                                    Fixture("restore_db_cluster_from_snapshot.xml"));
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->status, "creating");
  EXPECT_TRUE(rc->members.empty());

  // Right body, wrong action: refused.
  auto mismatch = DecodeDBSnapshotResponse("CopyDBSnapshot", Fixture("create_db_snapshot.xml"));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, "MalformedResponse");
}

TEST(RdsDecode, EventsAndTags) {
  auto events = DecodeDescribeEventsResponse(Fixture("describe_events.xml"));
  ASSERT_TRUE(events) << events.error().ToString();
  ASSERT_EQ(events->items.size(), 2u);
  EXPECT_EQ(events->items[0].source_identifier, "rds:prod-db-1-2026-11-23-04-10");
  EXPECT_EQ(events->items[0].source_type, "db-snapshot");
  EXPECT_EQ(events->items[0].message, "Automated snapshot created");
  EXPECT_EQ(events->items[0].event_categories, (std::vector<std::string>{"creation"}));
  EXPECT_EQ(events->items[0].date, T("2026-11-23T04:18:35.112Z"));
  EXPECT_EQ(events->items[1].source_arn,
            "arn:aws:rds:us-east-1:111122223333:snapshot:drsnap-prod-db-1-20261123t0410");

  auto tags = DecodeListTagsForResourceResponse(Fixture("list_tags_for_resource.xml"));
  ASSERT_TRUE(tags) << tags.error().ToString();
  EXPECT_EQ(*tags, (std::vector<Tag>{{"drsnap:managed", "true"}, {"empty", ""}}));
}

void ExpectMalformed(std::string_view body, std::string_view message_part = "") {
  auto r = DecodeDescribeDBSnapshotsResponse(body);
  ASSERT_FALSE(r) << "accepted: " << body;
  EXPECT_EQ(r.error().code, "MalformedResponse") << r.error().ToString();
  EXPECT_EQ(r.error().error_class, ErrorClass::kTerminal);
  if (!message_part.empty()) {
    EXPECT_NE(r.error().ToString().find(message_part), std::string::npos) << r.error().ToString();
  }
}

TEST(RdsDecode, MalformedBodiesAreErrors) {
  ExpectMalformed("", "empty");
  ExpectMalformed("   \n");
  ExpectMalformed("not xml at all");
  ExpectMalformed("<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult>");  // truncated
  ExpectMalformed("<html><body>502 Bad Gateway</body></html>", "<html>");
  ExpectMalformed("<DescribeDBSnapshotsResponse></DescribeDBSnapshotsResponse>",
                  "no <DescribeDBSnapshotsResult>");
  ExpectMalformed(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>"
      "<AllocatedStorage>twenty</AllocatedStorage></DBSnapshot></DBSnapshots>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>",
      "AllocatedStorage");
  ExpectMalformed(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot/>"
      "<DBSnapshot><Encrypted>yes</Encrypted></DBSnapshot></DBSnapshots>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>",
      "DBSnapshot #2");
  ExpectMalformed(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>"
      "<SnapshotCreateTime>yesterday</SnapshotCreateTime></DBSnapshot></DBSnapshots>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>",
      "SnapshotCreateTime");
  ExpectMalformed(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>"
      "<PercentProgress>99999999999</PercentProgress></DBSnapshot></DBSnapshots>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>");
  // An error document delivered with a 2xx status is not a page either.
  ExpectMalformed(Fixture("error_throttling.xml"), "ErrorResponse");
}

TEST(RdsDecode, MissingOptionalFieldsAreFine) {
  auto page = DecodeDescribeDBSnapshotsResponse(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots><DBSnapshot>"
      "<DBSnapshotIdentifier>x</DBSnapshotIdentifier></DBSnapshot></DBSnapshots>"
      "</DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>");
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].db_snapshot_identifier, "x");
  EXPECT_EQ(page->items[0].percent_progress, 0);
  EXPECT_FALSE(page->items[0].encrypted);
  EXPECT_EQ(page->items[0].snapshot_create_time, std::nullopt);

  auto empty = DecodeDescribeDBSnapshotsResponse(
      "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult/></DescribeDBSnapshotsResponse>");
  ASSERT_TRUE(empty) << empty.error().ToString();
  EXPECT_TRUE(empty->items.empty());
  EXPECT_EQ(empty->marker, "");
}

// Every prefix of a real page either decodes or fails cleanly (never crashes,
// never throws); ASan runs make this a memory-safety check too.
TEST(RdsDecode, EveryTruncationFailsCleanly) {
  std::string body = Fixture("describe_db_snapshots_page2.xml");
  int failures = 0;
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = DecodeDescribeDBSnapshotsResponse(std::string_view(body).substr(0, n));
    if (!r) {
      ++failures;
      EXPECT_EQ(r.error().code, "MalformedResponse");
    }
  }
  EXPECT_EQ(failures, static_cast<int>(body.size()) -
                          static_cast<int>(body.size() - body.find_last_of('>') - 1));
}

}  // namespace
}  // namespace drsnap::aws
