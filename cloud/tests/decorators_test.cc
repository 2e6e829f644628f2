#include "cloud/decorators.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "cloud/aws_cloud.h"
#include "testing/child_process.h"
#include "engine/fake_cloud.h"

namespace drsnap::cloud {
namespace {

using engine::DbKind;
using engine::Scope;

const Scope kProd{"111111111111", "us-east-1"};
const Scope kVault{"222222222222", "eu-west-1"};

std::shared_ptr<engine::FakeCloud> World() {
  auto fake = std::make_shared<engine::FakeCloud>();
  engine::Database db;
  db.id = "db1";
  db.scope = kProd;
  fake->AddDatabase(db);
  engine::Snapshot s;
  s.id = "snap-1";
  s.scope = kProd;
  s.db_id = "db1";
  s.status = engine::SnapshotStatus::kAvailable;
  fake->AddSnapshot(s);
  return fake;
}

TEST(DryRunCloudTest, RecordsMutationsAndSendsNone) {
  auto fake = World();
  DryRunCloud dry(fake);
  ASSERT_TRUE(dry.ListSnapshots(kProd).has_value());
  auto created = dry.CreateSnapshot(kProd, DbKind::kInstance, "db1", "snap-2", {{"k", "v"}});
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->status, engine::SnapshotStatus::kCreating);
  engine::CopyRequest req;
  req.source = "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1";
  req.source_region = "us-east-1";
  req.target_id = "copy-1";
  auto copied = dry.CopySnapshot(kVault, req);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->status, engine::SnapshotStatus::kCopying);
  EXPECT_TRUE(dry.ShareSnapshot(kProd, DbKind::kInstance, "snap-1", {"222222222222"}).has_value());
  EXPECT_TRUE(dry.DeleteSnapshot(kProd, DbKind::kInstance, "snap-1").has_value());
  EXPECT_EQ(dry.Recorded(),
            (std::vector<std::string>{"create 111111111111/us-east-1 snap-2 of db1",
                                      "copy 222222222222/eu-west-1 copy-1 <- "
                                      "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1",
                                      "share 111111111111/us-east-1 snap-1 with 222222222222",
                                      "delete 111111111111/us-east-1 snap-1"}));
  EXPECT_TRUE(fake->MutationLog().empty());
  EXPECT_EQ(fake->Calls("ListSnapshots"), 1);
  EXPECT_TRUE(fake->Find(kProd, "snap-1").has_value());
}

TEST(CountingCloudTest, CountsPerMethod) {
  auto fake = World();
  CountingCloud counting(fake);
  (void)counting.ListSnapshots(kProd);
  (void)counting.ListSnapshots(kVault);
  (void)counting.ListDatabases(kProd);
  (void)counting.DeleteSnapshot(kProd, DbKind::kInstance, "nope");
  auto counts = counting.Counts();
  EXPECT_EQ(counts["ListSnapshots"], 2);
  EXPECT_EQ(counts["ListDatabases"], 1);
  EXPECT_EQ(counts["DeleteSnapshot"], 1);
  EXPECT_EQ(counting.Total(), 4);
  counting.Reset();
  EXPECT_EQ(counting.Total(), 0);
}

TEST(LoggingCloudTest, LogsMutationsAndFailures) {
  auto fake = World();
  std::FILE* f = std::tmpfile();
  Logger logger(f);
  logger.Configure(LogLevel::kDebug, LogFormat::kText);
  LoggingCloud logging(fake, &logger);
  ASSERT_TRUE(logging.CreateSnapshot(kProd, DbKind::kInstance, "db1", "snap-9", {}).has_value());
  EXPECT_FALSE(logging.DeleteSnapshot(kProd, DbKind::kInstance, "missing").has_value());
  logger.Configure(LogLevel::kInfo, LogFormat::kText);
  (void)logging.ListSnapshots(kProd);  // a successful read: debug, not shown at info
  std::string text = testing::ReadAllAndClose(f);
  EXPECT_NE(text.find("create snapshot"), std::string::npos) << text;
  EXPECT_NE(text.find("snap-9"), std::string::npos) << text;
  EXPECT_NE(text.find("delete snapshot failed"), std::string::npos) << text;
  EXPECT_NE(text.find("DBSnapshotNotFound"), std::string::npos) << text;
  EXPECT_EQ(text.find("list snapshots"), std::string::npos) << text;
}

// JSON logs carry numbers as numbers (ms, count), not as text.
TEST(LoggingCloudTest, JsonLogsHaveTypedNumbers) {
  auto fake = World();
  std::FILE* f = std::tmpfile();
  Logger logger(f);
  logger.Configure(LogLevel::kDebug, LogFormat::kJson);
  LoggingCloud logging(fake, &logger);
  ASSERT_TRUE(logging.ListSnapshots(kProd).has_value());
  std::string text = testing::ReadAllAndClose(f);
  auto j = nlohmann::json::parse(text.substr(0, text.find('\n')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_TRUE(j["ms"].is_number_integer()) << text;
  EXPECT_TRUE(j["count"].is_number_integer()) << text;
}

// Restore drills through the decorators: dry-run sends none of the drill's
// mutations (restore, delete, result tags); counting and logging forward.
TEST(DryRunCloudTest, BlocksRestoreDrillMutations) {
  auto fake = World();
  DryRunCloud dry(fake);
  engine::RestoreRequest req;
  req.db_id = "drsnap-verify-db1-202611240410";
  req.snapshot_id = "snap-1";
  auto restored = dry.RestoreFromSnapshot(kProd, req);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->status, "creating");
  EXPECT_TRUE(dry.DeleteDatabase(kProd, DbKind::kInstance, "db1").has_value());
  const std::string arn = "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1";
  EXPECT_TRUE(dry.TagSnapshot(kProd, arn, {{"drsnap:verify-result", "ok"}}).has_value());
  EXPECT_FALSE(dry.DescribeDatabase(kProd, DbKind::kInstance, req.db_id).has_value());  // a read
  EXPECT_EQ(dry.Recorded(),
            (std::vector<std::string>{
                "restore 111111111111/us-east-1 drsnap-verify-db1-202611240410 <- snap-1",
                "delete-db 111111111111/us-east-1 db1",
                "tag 111111111111/us-east-1 " + arn + " drsnap:verify-result=ok"}));
  EXPECT_TRUE(fake->MutationLog().empty());
  EXPECT_EQ(fake->Calls("RestoreFromSnapshot"), 0);
  EXPECT_EQ(fake->Calls("DeleteDatabase"), 0);
  EXPECT_EQ(fake->Calls("TagSnapshot"), 0);
  EXPECT_EQ(fake->Calls("DescribeDatabase"), 1);
  EXPECT_TRUE(fake->FindDatabase(kProd, "db1").has_value());
  EXPECT_FALSE(fake->Find(kProd, "snap-1")->tags.contains("drsnap:verify-result"));
}

TEST(CountingCloudTest, CountsAndForwardsRestoreDrillCalls) {
  auto fake = World();
  CountingCloud counting(fake);
  engine::RestoreRequest req;
  req.db_id = "drsnap-verify-db1-202611240410";
  req.snapshot_id = "snap-1";
  ASSERT_TRUE(counting.RestoreFromSnapshot(kProd, req).has_value());
  EXPECT_TRUE(counting.DescribeDatabase(kProd, DbKind::kInstance, req.db_id).has_value());
  (void)counting.DeleteDatabase(kProd, DbKind::kInstance, req.db_id);  // refused: creating
  const std::string arn = "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1";
  EXPECT_TRUE(counting.TagSnapshot(kProd, arn, {{"k", "v"}}).has_value());
  auto counts = counting.Counts();
  EXPECT_EQ(counts["RestoreFromSnapshot"], 1);
  EXPECT_EQ(counts["DescribeDatabase"], 1);
  EXPECT_EQ(counts["DeleteDatabase"], 1);
  EXPECT_EQ(counts["TagSnapshot"], 1);
  EXPECT_EQ(fake->Calls("RestoreFromSnapshot"), 1);
  EXPECT_EQ(fake->Find(kProd, "snap-1")->tags.at("k"), "v");
}

TEST(LoggingCloudTest, ForwardsAndLogsRestoreDrillCalls) {
  auto fake = World();
  std::FILE* f = std::tmpfile();
  Logger logger(f);
  logger.Configure(LogLevel::kDebug, LogFormat::kText);
  LoggingCloud logging(fake, &logger);
  engine::RestoreRequest req;
  req.db_id = "drsnap-verify-db1-202611240410";
  req.snapshot_id = "snap-1";
  ASSERT_TRUE(logging.RestoreFromSnapshot(kProd, req).has_value());
  EXPECT_FALSE(logging.DeleteDatabase(kProd, DbKind::kInstance, "missing").has_value());
  std::string text = testing::ReadAllAndClose(f);
  EXPECT_NE(text.find("restore snapshot"), std::string::npos) << text;
  EXPECT_NE(text.find("drsnap-verify-db1-202611240410"), std::string::npos) << text;
  EXPECT_NE(text.find("delete database failed"), std::string::npos) << text;
  EXPECT_TRUE(fake->FindDatabase(kProd, req.db_id).has_value());
}

// Every Cloud method, once; the fake counts what reaches it.
const std::vector<std::string> kMethods = {
    "ListDatabases",    "ListSnapshots",       "ListSharedAccounts", "DefaultRdsKeyArn",
    "DescribeSnapshot", "CreateSnapshot",      "CopySnapshot",       "ShareSnapshot",
    "DeleteSnapshot",   "RestoreFromSnapshot", "DescribeDatabase",   "DeleteDatabase",
    "TagSnapshot"};
const std::set<std::string> kReads = {"ListDatabases",    "ListSnapshots",    "ListSharedAccounts",
                                      "DefaultRdsKeyArn", "DescribeSnapshot", "DescribeDatabase"};

void CallEveryMethod(engine::Cloud& cloud) {
  (void)cloud.ListDatabases(kProd);
  (void)cloud.ListSnapshots(kProd);
  (void)cloud.ListSharedAccounts(kProd, DbKind::kInstance, "snap-1");
  (void)cloud.DefaultRdsKeyArn(kProd);
  (void)cloud.DescribeSnapshot(kProd, DbKind::kInstance, "snap-1");
  (void)cloud.CreateSnapshot(kProd, DbKind::kInstance, "db1", "snap-2", {});
  engine::CopyRequest copy;
  copy.source = "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1";
  copy.source_region = "us-east-1";
  copy.target_id = "copy-1";
  (void)cloud.CopySnapshot(kVault, copy);
  (void)cloud.ShareSnapshot(kProd, DbKind::kInstance, "snap-1", {"222222222222"});
  (void)cloud.DeleteSnapshot(kProd, DbKind::kInstance, "snap-1");
  engine::RestoreRequest restore;
  restore.db_id = "drsnap-verify-db1-202611240410";
  restore.snapshot_id = "snap-1";
  (void)cloud.RestoreFromSnapshot(kProd, restore);
  (void)cloud.DescribeDatabase(kProd, DbKind::kInstance, "db1");
  (void)cloud.DeleteDatabase(kProd, DbKind::kInstance, "drsnap-verify-db1-202611240410");
  (void)cloud.TagSnapshot(kProd, "arn:aws:rds:us-east-1:111111111111:snapshot:snap-1", {});
}

// Counting and logging forward every method; dry-run forwards the reads only.
TEST(DecoratorsTest, ForwardWhatTheyDoNotChange) {
  auto counted = World();
  CountingCloud counting(counted);
  CallEveryMethod(counting);
  for (const auto& m : kMethods) {
    EXPECT_EQ(counted->Calls(m), 1) << "CountingCloud: " << m;
    EXPECT_EQ(counting.Counts()[m], 1) << m;
  }
  auto logged = World();
  std::FILE* f = std::tmpfile();
  Logger logger(f);
  LoggingCloud logging(logged, &logger);
  CallEveryMethod(logging);
  std::fclose(f);
  for (const auto& m : kMethods) EXPECT_EQ(logged->Calls(m), 1) << "LoggingCloud: " << m;
  auto dry_inner = World();
  DryRunCloud dry(dry_inner);
  CallEveryMethod(dry);
  for (const auto& m : kMethods)
    EXPECT_EQ(dry_inner->Calls(m), kReads.contains(m) ? 1 : 0) << "DryRunCloud: " << m;
  EXPECT_TRUE(dry_inner->MutationLog().empty());
}

TEST(MultiAccountCloudTest, RoutesByAccountAndRefusesUnknownOnes) {
  auto prod = World();
  auto vault = std::make_shared<engine::FakeCloud>();
  MultiAccountCloud multi;
  multi.Add("111111111111", prod);
  multi.Add("222222222222", vault);
  ASSERT_TRUE(multi.ListSnapshots(kProd).has_value());
  ASSERT_TRUE(multi.ListSnapshots(kVault).has_value());
  EXPECT_EQ(prod->Calls("ListSnapshots"), 1);
  EXPECT_EQ(vault->Calls("ListSnapshots"), 1);
  auto r = multi.ListSnapshots(Scope{"999999999999", "us-east-1"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "UnknownAccount");
}

TEST(ToSnapshotTest, SharedOwnerAndRecoveryPointComeFromTheRecord) {
  aws::DBSnapshot s;
  s.db_snapshot_identifier = "drsnap-db1-202611230410";
  s.db_snapshot_arn = "arn:aws:rds:us-east-1:111111111111:snapshot:drsnap-db1-202611230410";
  s.db_instance_identifier = "db1";
  s.snapshot_type = "shared";
  s.status = "available";
  s.encrypted = true;
  s.kms_key_id = "arn:aws:kms:us-east-1:111111111111:key/k";
  s.snapshot_create_time = TimePoint{} + std::chrono::hours(10);
  s.original_snapshot_create_time = TimePoint{} + std::chrono::hours(4);
  s.tag_list = {{"a", "b"}};
  Scope seen{"222222222222", "us-east-1"};
  engine::Snapshot out = ToSnapshot(s, seen);
  EXPECT_EQ(out.scope, kProd);
  EXPECT_EQ(out.seen_from, seen);
  EXPECT_EQ(out.type, engine::SnapshotType::kShared);
  EXPECT_EQ(out.status, engine::SnapshotStatus::kAvailable);
  EXPECT_EQ(out.recovery_point, TimePoint{} + std::chrono::hours(4));
  EXPECT_EQ(out.tags.at("a"), "b");

  aws::DBClusterSnapshot c;
  c.db_cluster_snapshot_identifier = "drsnap-111111111111-ledger-202611230310";
  c.db_cluster_snapshot_arn =
      "arn:aws:rds:eu-west-1:222222222222:cluster-snapshot:drsnap-111111111111-ledger-202611230310";
  c.source_db_cluster_snapshot_arn =
      "arn:aws:rds:us-east-1:222222222222:cluster-snapshot:drsnap-111111111111-ledger-202611230310-"
      "hop";
  c.snapshot_type = "manual";
  c.status = "copying";
  c.snapshot_create_time = TimePoint{} + std::chrono::hours(99);
  engine::Snapshot cs = ToSnapshot(c, kVault);
  EXPECT_EQ(cs.kind, DbKind::kCluster);
  EXPECT_EQ(cs.type, engine::SnapshotType::kManual);
  EXPECT_EQ(cs.source_region, "us-east-1");
  EXPECT_EQ(cs.status, engine::SnapshotStatus::kCopying);
  // No OriginalSnapshotCreateTime on clusters: the lineage in the name.
  EXPECT_NE(cs.recovery_point, TimePoint{} + std::chrono::hours(99));
}

}  // namespace
}  // namespace drsnap::cloud
