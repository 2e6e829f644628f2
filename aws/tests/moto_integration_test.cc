// End to end against moto (python3 -m moto.server on a free loopback port),
// through the real curl transport, SigV4 signing and the typed clients:
// create an instance, snapshot it, list snapshots with the page walker, copy,
// share (restore attribute) and read the share back, copy cross-region by
// ARN with SourceRegion (PreSignedUrl), delete; the same for an Aurora
// cluster; STS GetCallerIdentity and KMS keys and aliases. Every field read
// is checked.
//
// moto must be installed for $DRSNAP_PYTHON (default: `python3` on PATH):
// when it cannot be started, the test fails; it never skips. The server is
// killed when the test ends, passes or fails (and dies with this process).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "aws/kms.h"
#include "aws/tests/moto_server.h"
#include "aws/query.h"
#include "aws/rds.h"
#include "aws/sts.h"
#include "core/env.h"

namespace drsnap::aws {
namespace {

constexpr char kAccount[] = "123456789012";  // moto's default account

using testing_moto::MotoServer;

// Passes requests through and keeps them, to check what went on the wire.
class RecordingTransport final : public HttpTransport {
 public:
  explicit RecordingTransport(std::shared_ptr<HttpTransport> inner) : inner_(std::move(inner)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sent_.push_back(request);
    }
    return inner_->Send(request);
  }
  HttpRequest last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.empty() ? HttpRequest{} : sent_.back();
  }

 private:
  std::shared_ptr<HttpTransport> inner_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> sent_;
};

// One moto server for the whole suite (tests use distinct resource ids).
class MotoIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new MotoServer();
    startup_problem_ = new std::string(server_->WaitUntilReady());
  }
  static void TearDownTestSuite() {
    delete server_;  // stops moto
    server_ = nullptr;
    delete startup_problem_;
    startup_problem_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_EQ(*startup_problem_, "") << *startup_problem_;
    HttpOptions options;
    // No proxy variables: the test only ever talks to 127.0.0.1.
    options.env = std::make_shared<MapEnvironment>();
    transport_ = std::make_shared<RecordingTransport>(NewCurlTransport(options));
    Credentials creds;
    creds.access_key_id = "AKIDMOTOTEST";
    creds.secret_access_key = "moto-secret";
    creds.source = "test";
    ctx_.transport = transport_;
    ctx_.credentials = std::make_shared<StaticCredentialsProvider>(creds);
    ctx_.clock = DefaultClock();
    ctx_.retry.max_attempts = 2;
    RdsEndpointResolver to_moto = [url = moto_.url()](const std::string& region) {
      return Result<ServiceEndpoint>(ServiceEndpoint{url, region, "rds"});
    };
    east_ = std::make_unique<RdsClient>(Client("rds", "us-east-1"), to_moto);
    west_ = std::make_unique<RdsClient>(Client("rds", "us-west-2"), to_moto);
  }

  std::shared_ptr<ServiceClient> Client(const std::string& service, const std::string& region) {
    return std::make_shared<ServiceClient>(ctx_, ServiceEndpoint{moto_.url(), region, service});
  }

  static MotoServer* server_;
  static std::string* startup_problem_;
  MotoServer& moto_ = *server_;
  std::shared_ptr<RecordingTransport> transport_;
  ClientContext ctx_;
  std::unique_ptr<RdsClient> east_, west_;
};

MotoServer* MotoIntegration::server_ = nullptr;
std::string* MotoIntegration::startup_problem_ = nullptr;

std::string Arn(const std::string& region, const std::string& kind, const std::string& id) {
  return "arn:aws:rds:" + region + ":" + kAccount + ":" + kind + ":" + id;
}

void ExpectRecent(const std::optional<TimePoint>& t, const char* what) {
  ASSERT_TRUE(t.has_value()) << what;
  auto now = std::chrono::system_clock::now();
  EXPECT_LT(*t, now + std::chrono::hours(1)) << what;
  EXPECT_GT(*t, now - std::chrono::hours(1)) << what;
}

TEST_F(MotoIntegration, InstanceSnapshotLifecycle) {
  // 1. An instance.
  auto db = east_->CreateDBInstance({.db_instance_identifier = "drsnap-it-db",
                                     .db_instance_class = "db.t3.micro",
                                     .engine = "postgres",
                                     .allocated_storage = 20,
                                     .master_username = "dbadmin",
                                     .master_user_password = "correct-horse-9",
                                     .backup_retention_period = 7,
                                     .preferred_backup_window = "04:00-04:30",
                                     .tags = {{"drsnap", "protect"}}});
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ(db->db_instance_identifier, "drsnap-it-db");
  EXPECT_EQ(db->db_instance_arn, Arn("us-east-1", "db", "drsnap-it-db"));
  EXPECT_TRUE(db->dbi_resource_id.starts_with("db-")) << db->dbi_resource_id;
  EXPECT_EQ(db->db_instance_class, "db.t3.micro");
  EXPECT_EQ(db->engine, "postgres");
  EXPECT_EQ(db->allocated_storage, 20);
  EXPECT_EQ(db->backup_retention_period, 7);
  EXPECT_EQ(db->preferred_backup_window, "04:00-04:30");
  EXPECT_EQ(db->tag_list, (std::vector<Tag>{{"drsnap", "protect"}}));

  auto dbs = east_->DescribeDBInstancesAll({.db_instance_identifier = "drsnap-it-db"});
  ASSERT_TRUE(dbs) << dbs.error().ToString();
  ASSERT_EQ(dbs->size(), 1u);
  EXPECT_EQ((*dbs)[0].db_instance_status, "available");
  EXPECT_EQ((*dbs)[0].dbi_resource_id, db->dbi_resource_id);
  EXPECT_EQ((*dbs)[0].db_instance_arn, db->db_instance_arn);
  EXPECT_EQ((*dbs)[0].backup_retention_period, 7);
  EXPECT_EQ((*dbs)[0].tag_list, db->tag_list);
  ExpectRecent((*dbs)[0].instance_create_time, "InstanceCreateTime");

  // 2. Snapshots (enough for more than one page of 20 on a paginating service).
  constexpr int kSnapshots = 23;
  for (int i = 0; i < kSnapshots; ++i) {
    std::string id = "drsnap-it-snap-" + std::to_string(i);
    auto s = east_->CreateDBSnapshot(
        {.db_snapshot_identifier = id,
         .db_instance_identifier = "drsnap-it-db",
         .tags = {{"drsnap:managed", "true"}, {"index", std::to_string(i)}}});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->db_snapshot_identifier, id);
    EXPECT_EQ(s->db_instance_identifier, "drsnap-it-db");
    EXPECT_EQ(s->db_snapshot_arn, Arn("us-east-1", "snapshot", id));
    EXPECT_EQ(s->snapshot_type, "manual");
    EXPECT_EQ(s->dbi_resource_id, db->dbi_resource_id);
  }

  // 3. Listed with the page walker: every snapshot exactly once, all fields.
  auto listed = east_->DescribeDBSnapshotsAll(
      {.db_instance_identifier = "drsnap-it-db", .snapshot_type = "manual", .max_records = 20});
  ASSERT_TRUE(listed) << listed.error().ToString();
  ASSERT_EQ(listed->size(), static_cast<size_t>(kSnapshots));
  std::set<std::string> seen;
  for (const DBSnapshot& s : *listed) {
    SCOPED_TRACE(s.db_snapshot_identifier);
    EXPECT_TRUE(seen.insert(s.db_snapshot_identifier).second);
    ASSERT_TRUE(s.db_snapshot_identifier.starts_with("drsnap-it-snap-"));
    std::string index = s.db_snapshot_identifier.substr(std::string("drsnap-it-snap-").size());
    EXPECT_EQ(s.tag_list, (std::vector<Tag>{{"drsnap:managed", "true"}, {"index", index}}));
    EXPECT_EQ(s.db_snapshot_arn, Arn("us-east-1", "snapshot", s.db_snapshot_identifier));
    EXPECT_EQ(s.db_instance_identifier, "drsnap-it-db");
    EXPECT_EQ(s.status, "available");
    EXPECT_EQ(s.snapshot_type, "manual");
    EXPECT_EQ(s.engine, "postgres");
    EXPECT_FALSE(s.engine_version.empty());
    EXPECT_EQ(s.allocated_storage, 20);
    EXPECT_EQ(s.port, 5432);
    EXPECT_FALSE(s.encrypted);
    EXPECT_EQ(s.dbi_resource_id, db->dbi_resource_id);
    ExpectRecent(s.snapshot_create_time, "SnapshotCreateTime");
    ExpectRecent(s.instance_create_time, "InstanceCreateTime");
  }
  EXPECT_EQ(FindParam(ParseFormBody(transport_->last().body), "MaxRecords"), "20");

  // 4. A same-region copy with tags.
  auto copy = east_->CopyDBSnapshot({.source_db_snapshot_identifier = "drsnap-it-snap-0",
                                     .target_db_snapshot_identifier = "drsnap-it-snap-0-copy",
                                     .tags = {{"drsnap:copy-of", "drsnap-it-snap-0"}}});
  ASSERT_TRUE(copy) << copy.error().ToString();
  EXPECT_EQ(copy->db_snapshot_identifier, "drsnap-it-snap-0-copy");
  EXPECT_EQ(copy->db_snapshot_arn, Arn("us-east-1", "snapshot", "drsnap-it-snap-0-copy"));
  EXPECT_EQ(copy->db_instance_identifier, "drsnap-it-db");
  EXPECT_EQ(copy->snapshot_type, "manual");
  EXPECT_EQ(copy->tag_list, (std::vector<Tag>{{"drsnap:copy-of", "drsnap-it-snap-0"}}));
  EXPECT_EQ(FindParam(ParseFormBody(transport_->last().body), "PreSignedUrl"), std::nullopt);

  // 5. Shared with a DR account, and read back.
  auto shared = east_->ModifyDBSnapshotAttribute(
      {.db_snapshot_identifier = "drsnap-it-snap-0-copy", .values_to_add = {"444455556666"}});
  ASSERT_TRUE(shared) << shared.error().ToString();
  EXPECT_EQ(shared->snapshot_identifier, "drsnap-it-snap-0-copy");
  EXPECT_EQ(shared->Values("restore"), (std::vector<std::string>{"444455556666"}));
  auto attrs = east_->DescribeDBSnapshotAttributes("drsnap-it-snap-0-copy");
  ASSERT_TRUE(attrs) << attrs.error().ToString();
  EXPECT_EQ(attrs->snapshot_identifier, "drsnap-it-snap-0-copy");
  ASSERT_EQ(attrs->attributes.size(), 1u);
  EXPECT_EQ(attrs->attributes[0].attribute_name, "restore");
  EXPECT_EQ(attrs->attributes[0].attribute_values, (std::vector<std::string>{"444455556666"}));

  // 6. Cross-region copy by ARN, from us-east-1 into us-west-2.
  std::string source_arn = Arn("us-east-1", "snapshot", "drsnap-it-snap-0-copy");
  auto far = west_->CopyDBSnapshot({.source_db_snapshot_identifier = source_arn,
                                    .target_db_snapshot_identifier = "drsnap-it-snap-0-usw2",
                                    .tags = {{"drsnap:managed", "true"}},
                                    .source_region = "us-east-1"});
  ASSERT_TRUE(far) << far.error().ToString();
  HttpRequest sent = transport_->last();
  QueryParams sent_params = ParseFormBody(sent.body);
  auto presigned = FindParam(sent_params, "PreSignedUrl");
  ASSERT_TRUE(presigned);
  EXPECT_TRUE(presigned->starts_with(moto_.url() + "/?Action=CopyDBSnapshot&")) << *presigned;
  EXPECT_NE(presigned->find("DestinationRegion=us-west-2"), std::string::npos);
  EXPECT_NE(presigned->find("%2Fus-east-1%2Frds%2Faws4_request"), std::string::npos);
  EXPECT_EQ(FindParam(sent_params, "SourceRegion"), std::nullopt);
  EXPECT_EQ(far->db_snapshot_identifier, "drsnap-it-snap-0-usw2");
  EXPECT_EQ(far->db_snapshot_arn, Arn("us-west-2", "snapshot", "drsnap-it-snap-0-usw2"));
  EXPECT_EQ(far->db_instance_identifier, "drsnap-it-db");
  EXPECT_EQ(far->engine, "postgres");
  EXPECT_EQ(far->tag_list, (std::vector<Tag>{{"drsnap:managed", "true"}}));

  auto west_list = west_->DescribeDBSnapshotsAll({.snapshot_type = "manual"});
  ASSERT_TRUE(west_list) << west_list.error().ToString();
  ASSERT_EQ(west_list->size(), 1u);
  EXPECT_EQ((*west_list)[0].db_snapshot_identifier, "drsnap-it-snap-0-usw2");
  EXPECT_EQ((*west_list)[0].status, "available");
  ExpectRecent((*west_list)[0].snapshot_create_time, "SnapshotCreateTime");
  // A copy of a copy keeps the original snapshot's time.
  auto snap0 = std::find_if(listed->begin(), listed->end(), [](const DBSnapshot& d) {
    return d.db_snapshot_identifier == "drsnap-it-snap-0";
  });
  ASSERT_NE(snap0, listed->end());
  EXPECT_EQ((*west_list)[0].original_snapshot_create_time, snap0->snapshot_create_time);

  // 7. Deleted, and gone.
  for (RdsClient* rds : {east_.get(), west_.get()}) {
    std::string id = rds == west_.get() ? "drsnap-it-snap-0-usw2" : "drsnap-it-snap-0-copy";
    auto gone = rds->DeleteDBSnapshot(id);
    ASSERT_TRUE(gone) << gone.error().ToString();
    EXPECT_EQ(gone->db_snapshot_identifier, id);
    auto again = rds->DescribeDBSnapshots({.db_snapshot_identifier = id});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, "DBSnapshotNotFound");
    EXPECT_EQ(again.error().http_status, 404);
    EXPECT_EQ(again.error().error_class, ErrorClass::kTerminal);
  }
  auto missing = east_->DeleteDBSnapshot("drsnap-it-never-existed");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "DBSnapshotNotFound");

  auto deleted_db = east_->DeleteDBInstance(
      {.db_instance_identifier = "drsnap-it-db", .skip_final_snapshot = true});
  ASSERT_TRUE(deleted_db) << deleted_db.error().ToString();
  EXPECT_EQ(deleted_db->db_instance_identifier, "drsnap-it-db");
}

TEST_F(MotoIntegration, ClusterSnapshotLifecycle) {
  auto cluster = east_->CreateDBCluster({.db_cluster_identifier = "drsnap-it-cluster",
                                         .engine = "aurora-postgresql",
                                         .master_username = "postgres",
                                         .master_user_password = "correct-horse-9",
                                         .backup_retention_period = 3,
                                         .storage_encrypted = false,
                                         .tags = {{"drsnap", "protect"}}});
  ASSERT_TRUE(cluster) << cluster.error().ToString();
  EXPECT_EQ(cluster->db_cluster_identifier, "drsnap-it-cluster");
  EXPECT_EQ(cluster->db_cluster_arn, Arn("us-east-1", "cluster", "drsnap-it-cluster"));
  EXPECT_EQ(cluster->engine, "aurora-postgresql");
  EXPECT_EQ(cluster->backup_retention_period, 3);
  EXPECT_FALSE(cluster->storage_encrypted);
  EXPECT_EQ(cluster->tag_list, (std::vector<Tag>{{"drsnap", "protect"}}));

  auto clusters = east_->DescribeDBClustersAll({.db_cluster_identifier = "drsnap-it-cluster"});
  ASSERT_TRUE(clusters) << clusters.error().ToString();
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_EQ((*clusters)[0].db_cluster_resource_id, cluster->db_cluster_resource_id);
  EXPECT_TRUE((*clusters)[0].db_cluster_resource_id.starts_with("cluster-"));

  auto snap = east_->CreateDBClusterSnapshot({.db_cluster_snapshot_identifier = "drsnap-it-csnap",
                                              .db_cluster_identifier = "drsnap-it-cluster",
                                              .tags = {{"drsnap:managed", "true"}}});
  ASSERT_TRUE(snap) << snap.error().ToString();
  EXPECT_EQ(snap->db_cluster_snapshot_identifier, "drsnap-it-csnap");
  EXPECT_EQ(snap->db_cluster_snapshot_arn, Arn("us-east-1", "cluster-snapshot", "drsnap-it-csnap"));
  EXPECT_EQ(snap->db_cluster_identifier, "drsnap-it-cluster");
  EXPECT_EQ(snap->snapshot_type, "manual");
  EXPECT_EQ(snap->engine, "aurora-postgresql");

  auto listed = east_->DescribeDBClusterSnapshotsAll(
      {.db_cluster_identifier = "drsnap-it-cluster", .snapshot_type = "manual"});
  ASSERT_TRUE(listed) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 1u);
  const DBClusterSnapshot& s = (*listed)[0];
  EXPECT_EQ(s.db_cluster_snapshot_identifier, "drsnap-it-csnap");
  EXPECT_EQ(s.status, "available");
  EXPECT_EQ(s.tag_list, (std::vector<Tag>{{"drsnap:managed", "true"}}));
  EXPECT_FALSE(s.storage_encrypted);
  ExpectRecent(s.snapshot_create_time, "SnapshotCreateTime");

  auto copy =
      east_->CopyDBClusterSnapshot({.source_db_cluster_snapshot_identifier = "drsnap-it-csnap",
                                    .target_db_cluster_snapshot_identifier = "drsnap-it-csnap-copy",
                                    .copy_tags = true});
  ASSERT_TRUE(copy) << copy.error().ToString();
  EXPECT_EQ(copy->db_cluster_snapshot_identifier, "drsnap-it-csnap-copy");
  EXPECT_EQ(copy->db_cluster_identifier, "drsnap-it-cluster");

  auto shared = east_->ModifyDBClusterSnapshotAttribute(
      {.db_cluster_snapshot_identifier = "drsnap-it-csnap-copy",
       .values_to_add = {"444455556666", "777788889999"}});
  ASSERT_TRUE(shared) << shared.error().ToString();
  auto attrs = east_->DescribeDBClusterSnapshotAttributes("drsnap-it-csnap-copy");
  ASSERT_TRUE(attrs) << attrs.error().ToString();
  EXPECT_EQ(attrs->snapshot_identifier, "drsnap-it-csnap-copy");
  std::vector<std::string> values = attrs->Values("restore");
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<std::string>{"444455556666", "777788889999"}));

  for (const char* id : {"drsnap-it-csnap-copy", "drsnap-it-csnap"}) {
    auto gone = east_->DeleteDBClusterSnapshot(id);
    ASSERT_TRUE(gone) << gone.error().ToString();
    EXPECT_EQ(gone->db_cluster_snapshot_identifier, id);
  }
  auto none =
      east_->DescribeDBClusterSnapshots({.db_cluster_snapshot_identifier = "drsnap-it-csnap"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "DBClusterSnapshotNotFoundFault");
  auto deleted = east_->DeleteDBCluster(
      {.db_cluster_identifier = "drsnap-it-cluster", .skip_final_snapshot = true});
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(deleted->db_cluster_identifier, "drsnap-it-cluster");
}

TEST_F(MotoIntegration, StsAndKms) {
  StsClient sts(Client("sts", "us-east-1"));
  auto id = sts.GetCallerIdentity();
  ASSERT_TRUE(id) << id.error().ToString();
  EXPECT_EQ(id->account, kAccount);
  EXPECT_FALSE(id->arn.empty());

  auto role = sts.AssumeRole({.role_arn = std::string("arn:aws:iam::") + kAccount + ":role/drsnap",
                              .role_session_name = "drsnap-it",
                              .external_id = "ext-1",
                              .duration_seconds = 900});
  ASSERT_TRUE(role) << role.error().ToString();
  EXPECT_FALSE(role->access_key_id.empty());
  EXPECT_FALSE(role->secret_access_key.empty());
  EXPECT_FALSE(role->session_token.empty());
  ASSERT_TRUE(role->expiration.has_value());
  EXPECT_GT(*role->expiration, std::chrono::system_clock::now());

  KmsClient kms(Client("kms", "us-east-1"));
  auto key = kms.CreateKey({.description = "drsnap share key", .tags = {{"drsnap", "share"}}});
  ASSERT_TRUE(key) << key.error().ToString();
  EXPECT_FALSE(key->key_id.empty());
  EXPECT_EQ(key->aws_account_id, kAccount);
  EXPECT_EQ(key->description, "drsnap share key");
  EXPECT_EQ(key->key_manager, "CUSTOMER");
  EXPECT_TRUE(key->enabled);
  ExpectRecent(key->creation_date, "CreationDate");
  ASSERT_TRUE(kms.CreateAlias("alias/drsnap-it", key->key_id));
  auto described = kms.DescribeKey("alias/drsnap-it");
  ASSERT_TRUE(described) << described.error().ToString();
  EXPECT_EQ(described->key_id, key->key_id);
  EXPECT_EQ(described->arn, key->arn);
  EXPECT_EQ(described->key_state, "Enabled");
  auto aliases = kms.ListAliasesAll({});
  ASSERT_TRUE(aliases) << aliases.error().ToString();
  auto it = std::find_if(aliases->begin(), aliases->end(),
                         [](const KmsAlias& a) { return a.alias_name == "alias/drsnap-it"; });
  ASSERT_NE(it, aliases->end());
  EXPECT_EQ(it->target_key_id, key->key_id);
  auto missing = kms.DescribeKey("alias/drsnap-missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NotFoundException");
}

}  // namespace
}  // namespace drsnap::aws
