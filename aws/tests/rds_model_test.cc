// The typed RDS, STS and KMS clients against botocore, the SDK reference:
//  1. every wire name we send resolves through the operation's input shape
//     in botocore's service model (service-2.json), with a value of the
//     member's type, and every required member is present;
//  2. for each operation, a request with (nearly) every member we support
//     set serializes to exactly the parameters botocore's serializer
//     produces for the same input;
//  3. a cross-region CopyDBSnapshot body (with its PreSignedUrl) is byte-
//     identical to the one a real botocore RDS client sends.
// botocore comes from $DRSNAP_PYTHON or `python3` on PATH; if it cannot be
// run, the tests fail (never skip).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "aws/kms.h"
#include "aws/query.h"
#include "aws/rds.h"
#include "aws/sts.h"
#include "aws/tests/botocore_util.h"
#include "aws/tests/rds_fake.h"
#include "core/time_util.h"

namespace drsnap::aws {
namespace {

using nlohmann::json;
// Inputs keep their member order (nlohmann::json would sort keys), so that
// botocore sees them in the order we send them.
using ojson = nlohmann::ordered_json;

std::string Python() {
  const char* py = std::getenv("DRSNAP_PYTHON");
  return py != nullptr && *py != '\0' ? py : "python3";
}

// Runs `python script_text args...` and returns stdout; fails the test on a
// non-zero exit.
Result<std::string> RunPython(const std::string& script_text, const std::string& input_json) {
  char dir[] = "/tmp/drsnap_rds_model_XXXXXX";
  if (mkdtemp(dir) == nullptr) return Fail(Error::Terminal("TestSetup", "mkdtemp failed"));
  std::string script = std::string(dir) + "/script.py";
  std::string input = std::string(dir) + "/input.json";
  std::string err = std::string(dir) + "/stderr";
  std::ofstream(script) << script_text;
  std::ofstream(input) << input_json;
  std::string cmd = testing::ShellQuote(Python()) + " " + testing::ShellQuote(script) + " " +
                    testing::ShellQuote(input) + " 2>" + testing::ShellQuote(err);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return Fail(Error::Terminal("TestSetup", "popen failed: " + cmd));
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  std::ostringstream errs;
  errs << std::ifstream(err).rdbuf();
  unlink(script.c_str());
  unlink(input.c_str());
  unlink(err.c_str());
  rmdir(dir);
  if (status != 0) {
    return Fail(Error::Terminal("BotocoreFailed", "`" + cmd + "` failed: " + errs.str()));
  }
  return out;
}

// Loads botocore's service models (located by importing botocore, so no
// path is hard-coded; .json.gz files are handled by botocore's loader).
constexpr char kLoadModels[] = R"PY(
import json, sys
import botocore.session
s = botocore.session.get_session()
loader = s.get_component("data_loader")
out = {svc: loader.load_service_model(svc, "service-2") for svc in ("rds", "sts", "kms")}
json.dump(out, sys.stdout)
)PY";

// Serializes each case's input with botocore's own serializer (with
// parameter validation: an input that botocore rejects fails the test).
constexpr char kSerialize[] = R"PY(
import json, sys
import botocore.session, botocore.serialize
doc = json.load(open(sys.argv[1], encoding="utf-8"))
s = botocore.session.get_session()
results = []
for case in doc["cases"]:
    model = s.get_service_model(case["service"])
    op = model.operation_model(case["operation"])
    ser = botocore.serialize.create_serializer(model.metadata["protocol"], include_validation=True)
    body = ser.serialize_to_request(case["input"], op)["body"]
    if isinstance(body, dict):
        results.append({"query": [[k, str(v)] for k, v in body.items()]})
    else:
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        results.append({"json": json.loads(body or "{}")})
json.dump({"results": results}, sys.stdout)
)PY";

const json& Models() {
  static const json* models = [] {
    auto out = RunPython(kLoadModels, "{}");
    if (!out) {
      ADD_FAILURE() << out.error().ToString();
      return new json(json::object());
    }
    return new json(json::parse(*out));
  }();
  return *models;
}

// Walks one wire name ("Filters.Filter.1.Values.Value.2") through the
// model; returns "" when it resolves to a scalar of a matching type.
std::string CheckName(const json& shapes, const std::string& shape_name,
                      const std::vector<std::string>& parts, size_t i, const std::string& value) {
  if (!shapes.contains(shape_name)) return "unknown shape " + shape_name;
  const json& shape = shapes[shape_name];
  const std::string type = shape["type"];
  if (type == "structure") {
    if (i >= parts.size()) return "ends at structure " + shape_name;
    const json& members = shape["members"];
    for (auto it = members.begin(); it != members.end(); ++it) {
      std::string wire = it.value().value("locationName", it.key());
      if (wire == parts[i]) return CheckName(shapes, it.value()["shape"], parts, i + 1, value);
    }
    return "\"" + parts[i] + "\" is not a member of " + shape_name;
  }
  if (type == "list") {
    if (i >= parts.size()) return value.empty() ? "" : "non-empty value for a whole list";
    const json& member = shape["member"];
    std::string member_name = member.value("locationName", "member");
    if (shape.value("flattened", false)) return "flattened lists are not expected here";
    if (parts[i] != member_name) {
      return "list " + shape_name + " wants member name \"" + member_name + "\", got \"" +
             parts[i] + "\"";
    }
    if (i + 1 >= parts.size()) return "list item without an index";
    const std::string& idx = parts[i + 1];
    if (idx.empty() || idx[0] == '0' ||
        !std::all_of(idx.begin(), idx.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "bad list index \"" + idx + "\"";
    }
    return CheckName(shapes, member["shape"], parts, i + 2, value);
  }
  if (i != parts.size()) return "scalar " + shape_name + " has sub-names";
  if (type == "boolean" && value != "true" && value != "false") return "bad boolean " + value;
  if ((type == "integer" || type == "long") &&
      (value.empty() || value.find_first_not_of("-0123456789") != std::string::npos)) {
    return "bad integer " + value;
  }
  if (type == "timestamp" && !ParseIso8601(value)) return "bad timestamp " + value;
  return "";
}

std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream ss(name);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  return parts;
}

// Checks every sent name against the model, and required members.
void ExpectMatchesModel(const std::string& service, const std::string& operation,
                        const QueryParams& sent) {
  SCOPED_TRACE(service + " " + operation);
  const json& model = Models()[service];
  ASSERT_TRUE(model.contains("operations")) << "no model for " << service;
  ASSERT_TRUE(model["operations"].contains(operation));
  const json& shapes = model["shapes"];
  std::string input = model["operations"][operation]["input"]["shape"];
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[0], (std::pair<std::string, std::string>{"Action", operation}));
  EXPECT_EQ(sent[1].first, "Version");
  EXPECT_EQ(sent[1].second, model["metadata"]["apiVersion"]);
  for (size_t k = 2; k < sent.size(); ++k) {
    std::string problem = CheckName(shapes, input, Split(sent[k].first), 0, sent[k].second);
    EXPECT_EQ(problem, "") << sent[k].first << "=" << sent[k].second;
  }
  for (const auto& req : shapes[input].value("required", json::array())) {
    std::string r = req;
    bool present = std::any_of(sent.begin(), sent.end(), [&](const auto& kv) {
      return kv.first == r || kv.first.starts_with(r + ".");
    });
    EXPECT_TRUE(present) << "required member " << r << " not sent";
  }
}

// One operation call and botocore's input for the same request.
struct Case {
  std::string service;
  std::string operation;
  ojson input;  // botocore parameters, members in the order we send them
  std::function<void()> call;
};

class BotocoreParity : public ::testing::Test {
 protected:
  BotocoreParity() {
    rds_transport_ = std::make_shared<rdstest::FakeTransport>();
    sts_transport_ = std::make_shared<rdstest::FakeTransport>();
    kms_transport_ = std::make_shared<rdstest::FakeTransport>();
    // Any 200 will do: only the requests matter here.
    for (auto& t : {rds_transport_, sts_transport_, kms_transport_}) {
      t->SetHandler([](const HttpRequest&) {
        HttpResponse r;
        r.status = 200;
        r.body = "<x/>";
        return r;
      });
    }
    rds_ = std::make_unique<RdsClient>(rdstest::MakeClient(rds_transport_, "rds", "us-west-2",
                                                           "https://rds.us-west-2.amazonaws.com"));
    sts_ = std::make_unique<StsClient>(rdstest::MakeClient(sts_transport_, "sts", "us-east-1",
                                                           "https://sts.us-east-1.amazonaws.com"));
    kms_ = std::make_unique<KmsClient>(rdstest::MakeClient(kms_transport_, "kms", "us-west-2",
                                                           "https://kms.us-west-2.amazonaws.com"));
  }

  std::vector<Case> Cases();

  std::shared_ptr<rdstest::FakeTransport> rds_transport_, sts_transport_, kms_transport_;
  std::unique_ptr<RdsClient> rds_;
  std::unique_ptr<StsClient> sts_;
  std::unique_ptr<KmsClient> kms_;
};

const std::vector<Tag> kTags = {{"drsnap:managed", "true"}, {"note", "a b&c=d/\xC3\xA9~"}};
const ojson kTagsJson = ojson::array({{{"Key", "drsnap:managed"}, {"Value", "true"}},
                                      {{"Key", "note"}, {"Value", "a b&c=d/\xC3\xA9~"}}});
const std::vector<Filter> kFilters = {{"db-instance-id", {"a", "b"}}, {"engine", {}}};
const ojson kFiltersJson = ojson::array({{{"Name", "db-instance-id"}, {"Values", {"a", "b"}}},
                                         {{"Name", "engine"}, {"Values", ojson::array()}}});

std::vector<Case> BotocoreParity::Cases() {
  std::vector<Case> c;
  auto& rds = *rds_;
  c.push_back({"rds",
               "DescribeDBInstances",
               {{"DBInstanceIdentifier", "db-1"},
                {"Filters", kFiltersJson},
                {"MaxRecords", 50},
                {"Marker", "m/1+="}},
               [&] {
                 (void)rds.DescribeDBInstances({.db_instance_identifier = "db-1",
                                                .filters = kFilters,
                                                .max_records = 50,
                                                .marker = "m/1+="});
               }});
  c.push_back({"rds",
               "DescribeDBClusters",
               {{"DBClusterIdentifier", "c-1"},
                {"Filters", kFiltersJson},
                {"MaxRecords", 20},
                {"Marker", "x"},
                {"IncludeShared", true}},
               [&] {
                 (void)rds.DescribeDBClusters({.db_cluster_identifier = "c-1",
                                               .filters = kFilters,
                                               .max_records = 20,
                                               .marker = "x",
                                               .include_shared = true});
               }});
  c.push_back({"rds",
               "DescribeDBSnapshots",
               {{"DBInstanceIdentifier", "db-1"},
                {"DBSnapshotIdentifier", "s-1"},
                {"SnapshotType", "shared"},
                {"Filters", kFiltersJson},
                {"MaxRecords", 100},
                {"Marker", "m"},
                {"IncludeShared", true},
                {"IncludePublic", false},
                {"DbiResourceId", "db-ABC"}},
               [&] {
                 (void)rds.DescribeDBSnapshots({.db_instance_identifier = "db-1",
                                                .db_snapshot_identifier = "s-1",
                                                .snapshot_type = "shared",
                                                .filters = kFilters,
                                                .max_records = 100,
                                                .marker = "m",
                                                .include_shared = true,
                                                .include_public = false,
                                                .dbi_resource_id = "db-ABC"});
               }});
  c.push_back({"rds",
               "DescribeDBClusterSnapshots",
               {{"DBClusterIdentifier", "c-1"},
                {"DBClusterSnapshotIdentifier", "cs-1"},
                {"SnapshotType", "manual"},
                {"Filters", kFiltersJson},
                {"MaxRecords", 20},
                {"Marker", "m"},
                {"IncludeShared", false},
                {"IncludePublic", true},
                {"DbClusterResourceId", "cluster-ABC"}},
               [&] {
                 (void)rds.DescribeDBClusterSnapshots({.db_cluster_identifier = "c-1",
                                                       .db_cluster_snapshot_identifier = "cs-1",
                                                       .snapshot_type = "manual",
                                                       .filters = kFilters,
                                                       .max_records = 20,
                                                       .marker = "m",
                                                       .include_shared = false,
                                                       .include_public = true,
                                                       .db_cluster_resource_id = "cluster-ABC"});
               }});
  c.push_back({"rds",
               "DescribeEvents",
               {{"SourceIdentifier", "s-1"},
                {"SourceType", "db-snapshot"},
                {"StartTime", "2026-11-23T04:00:00Z"},
                {"EndTime", "2026-11-23T05:00:00.250Z"},
                {"Duration", 60},
                {"EventCategories", {"creation", "notification"}},
                {"Filters", kFiltersJson},
                {"MaxRecords", 20},
                {"Marker", "m"}},
               [&] {
                 (void)rds.DescribeEvents({.source_identifier = "s-1",
                                           .source_type = "db-snapshot",
                                           .start_time = *ParseIso8601("2026-11-23T04:00:00Z"),
                                           .end_time = *ParseIso8601("2026-11-23T05:00:00.250Z"),
                                           .duration = 60,
                                           .event_categories = {"creation", "notification"},
                                           .filters = kFilters,
                                           .max_records = 20,
                                           .marker = "m"});
               }});
  c.push_back(
      {"rds",
       "CreateDBSnapshot",
       {{"DBSnapshotIdentifier", "s-1"}, {"DBInstanceIdentifier", "db-1"}, {"Tags", kTagsJson}},
       [&] {
         (void)rds.CreateDBSnapshot(
             {.db_snapshot_identifier = "s-1", .db_instance_identifier = "db-1", .tags = kTags});
       }});
  c.push_back({"rds",
               "CreateDBClusterSnapshot",
               {{"DBClusterSnapshotIdentifier", "cs-1"},
                {"DBClusterIdentifier", "c-1"},
                {"Tags", kTagsJson}},
               [&] {
                 (void)rds.CreateDBClusterSnapshot({.db_cluster_snapshot_identifier = "cs-1",
                                                    .db_cluster_identifier = "c-1",
                                                    .tags = kTags});
               }});
  c.push_back(
      {"rds",
       "CopyDBSnapshot",
       {{"SourceDBSnapshotIdentifier", "arn:aws:rds:us-east-1:111122223333:snapshot:s-1"},
        {"TargetDBSnapshotIdentifier", "s-1-copy"},
        {"KmsKeyId", "alias/dr"},
        {"Tags", kTagsJson},
        {"CopyTags", false},
        {"OptionGroupName", "og-1"},
        {"CopyOptionGroup", true},
        // Last, where botocore's presign handler puts a generated one.
        {"PreSignedUrl", "https://rds.us-east-1.amazonaws.com/?Action=CopyDBSnapshot"}},
       [&] {
         (void)rds.CopyDBSnapshot(
             {.source_db_snapshot_identifier = "arn:aws:rds:us-east-1:111122223333:snapshot:s-1",
              .target_db_snapshot_identifier = "s-1-copy",
              .kms_key_id = "alias/dr",
              .tags = kTags,
              .copy_tags = false,
              .option_group_name = "og-1",
              .copy_option_group = true,
              .pre_signed_url = "https://rds.us-east-1.amazonaws.com/?Action=CopyDBSnapshot"});
       }});
  c.push_back({"rds",
               "CopyDBClusterSnapshot",
               {{"SourceDBClusterSnapshotIdentifier", "cs-1"},
                {"TargetDBClusterSnapshotIdentifier", "cs-1-copy"},
                {"KmsKeyId", "alias/dr"},
                {"CopyTags", true},
                {"Tags", kTagsJson}},
               [&] {
                 (void)rds.CopyDBClusterSnapshot(
                     {.source_db_cluster_snapshot_identifier = "cs-1",
                      .target_db_cluster_snapshot_identifier = "cs-1-copy",
                      .kms_key_id = "alias/dr",
                      .tags = kTags,
                      .copy_tags = true});
               }});
  c.push_back({"rds", "DeleteDBSnapshot", {{"DBSnapshotIdentifier", "s-1"}}, [&] {
                 (void)rds.DeleteDBSnapshot("s-1");
               }});
  c.push_back({"rds", "DeleteDBClusterSnapshot", {{"DBClusterSnapshotIdentifier", "cs-1"}}, [&] {
                 (void)rds.DeleteDBClusterSnapshot("cs-1");
               }});
  c.push_back({"rds",
               "ModifyDBSnapshotAttribute",
               {{"DBSnapshotIdentifier", "s-1"},
                {"AttributeName", "restore"},
                {"ValuesToAdd", {"444455556666", "all"}},
                {"ValuesToRemove", {"777788889999"}}},
               [&] {
                 (void)rds.ModifyDBSnapshotAttribute({.db_snapshot_identifier = "s-1",
                                                      .values_to_add = {"444455556666", "all"},
                                                      .values_to_remove = {"777788889999"}});
               }});
  c.push_back({"rds", "DescribeDBSnapshotAttributes", {{"DBSnapshotIdentifier", "s-1"}}, [&] {
                 (void)rds.DescribeDBSnapshotAttributes("s-1");
               }});
  c.push_back({"rds",
               "ModifyDBClusterSnapshotAttribute",
               {{"DBClusterSnapshotIdentifier", "cs-1"},
                {"AttributeName", "restore"},
                {"ValuesToAdd", {"444455556666"}},
                {"ValuesToRemove", {"777788889999", "all"}}},
               [&] {
                 (void)rds.ModifyDBClusterSnapshotAttribute(
                     {.db_cluster_snapshot_identifier = "cs-1",
                      .values_to_add = {"444455556666"},
                      .values_to_remove = {"777788889999", "all"}});
               }});
  c.push_back({"rds",
               "DescribeDBClusterSnapshotAttributes",
               {{"DBClusterSnapshotIdentifier", "cs-1"}},
               [&] { (void)rds.DescribeDBClusterSnapshotAttributes("cs-1"); }});
  c.push_back(
      {"rds",
       "AddTagsToResource",
       {{"ResourceName", "arn:aws:rds:us-west-2:111122223333:snapshot:s-1"}, {"Tags", kTagsJson}},
       [&] {
         (void)rds.AddTagsToResource("arn:aws:rds:us-west-2:111122223333:snapshot:s-1", kTags);
       }});
  c.push_back(
      {"rds",
       "ListTagsForResource",
       {{"ResourceName", "arn:aws:rds:us-west-2:111122223333:snapshot:s-1"}},
       [&] { (void)rds.ListTagsForResource("arn:aws:rds:us-west-2:111122223333:snapshot:s-1"); }});
  c.push_back({"rds",
               "RestoreDBInstanceFromDBSnapshot",
               {{"DBInstanceIdentifier", "v-1"},
                {"DBSnapshotIdentifier", "s-1"},
                {"DBInstanceClass", "db.t4g.micro"},
                {"Port", 5433},
                {"AvailabilityZone", "us-west-2a"},
                {"DBSubnetGroupName", "sub"},
                {"MultiAZ", false},
                {"PubliclyAccessible", false},
                {"OptionGroupName", "og"},
                {"Tags", kTagsJson},
                {"StorageType", "gp3"},
                {"VpcSecurityGroupIds", {"sg-1", "sg-2"}},
                {"DBParameterGroupName", "pg"},
                {"DeletionProtection", false}},
               [&] {
                 (void)rds.RestoreDBInstanceFromDBSnapshot(
                     {.db_instance_identifier = "v-1",
                      .db_snapshot_identifier = "s-1",
                      .db_instance_class = "db.t4g.micro",
                      .db_subnet_group_name = "sub",
                      .availability_zone = "us-west-2a",
                      .multi_az = false,
                      .publicly_accessible = false,
                      .option_group_name = "og",
                      .db_parameter_group_name = "pg",
                      .vpc_security_group_ids = {"sg-1", "sg-2"},
                      .storage_type = "gp3",
                      .port = 5433,
                      .deletion_protection = false,
                      .tags = kTags});
               }});
  c.push_back({"rds",
               "RestoreDBClusterFromSnapshot",
               {{"AvailabilityZones", {"us-west-2a", "us-west-2b"}},
                {"DBClusterIdentifier", "vc-1"},
                {"SnapshotIdentifier", "cs-1"},
                {"Engine", "aurora-postgresql"},
                {"EngineVersion", "15.4"},
                {"Port", 5432},
                {"DBSubnetGroupName", "sub"},
                {"OptionGroupName", "og"},
                {"VpcSecurityGroupIds", {"sg-1"}},
                {"Tags", kTagsJson},
                {"KmsKeyId", "alias/dr"},
                {"DBClusterParameterGroupName", "cpg"},
                {"DeletionProtection", true}},
               [&] {
                 (void)rds.RestoreDBClusterFromSnapshot(
                     {.db_cluster_identifier = "vc-1",
                      .snapshot_identifier = "cs-1",
                      .engine = "aurora-postgresql",
                      .engine_version = "15.4",
                      .db_subnet_group_name = "sub",
                      .availability_zones = {"us-west-2a", "us-west-2b"},
                      .vpc_security_group_ids = {"sg-1"},
                      .kms_key_id = "alias/dr",
                      .db_cluster_parameter_group_name = "cpg",
                      .option_group_name = "og",
                      .port = 5432,
                      .deletion_protection = true,
                      .tags = kTags});
               }});
  c.push_back({"rds",
               "DeleteDBInstance",
               {{"DBInstanceIdentifier", "v-1"},
                {"SkipFinalSnapshot", false},
                {"FinalDBSnapshotIdentifier", "final-1"},
                {"DeleteAutomatedBackups", true}},
               [&] {
                 (void)rds.DeleteDBInstance({.db_instance_identifier = "v-1",
                                             .skip_final_snapshot = false,
                                             .final_db_snapshot_identifier = "final-1",
                                             .delete_automated_backups = true});
               }});
  c.push_back({"rds",
               "DeleteDBCluster",
               {{"DBClusterIdentifier", "vc-1"},
                {"SkipFinalSnapshot", true},
                {"DeleteAutomatedBackups", false}},
               [&] {
                 (void)rds.DeleteDBCluster({.db_cluster_identifier = "vc-1",
                                            .skip_final_snapshot = true,
                                            .delete_automated_backups = false});
               }});
  c.push_back({"rds",
               "CreateDBInstance",
               {{"DBName", "app"},
                {"DBInstanceIdentifier", "db-1"},
                {"AllocatedStorage", 20},
                {"DBInstanceClass", "db.t3.micro"},
                {"Engine", "postgres"},
                {"MasterUsername", "admin"},
                {"MasterUserPassword", "p@ss word"},
                {"VpcSecurityGroupIds", {"sg-1"}},
                {"AvailabilityZone", "us-west-2a"},
                {"DBSubnetGroupName", "sub"},
                {"BackupRetentionPeriod", 7},
                {"PreferredBackupWindow", "04:00-04:30"},
                {"Port", 5432},
                {"MultiAZ", true},
                {"EngineVersion", "16.4"},
                {"OptionGroupName", "og"},
                {"PubliclyAccessible", false},
                {"Tags", kTagsJson},
                {"DBClusterIdentifier", "c-1"},
                {"StorageType", "gp3"},
                {"StorageEncrypted", true},
                {"KmsKeyId", "alias/k"},
                {"DeletionProtection", false}},
               [&] {
                 (void)rds.CreateDBInstance({.db_instance_identifier = "db-1",
                                             .db_instance_class = "db.t3.micro",
                                             .engine = "postgres",
                                             .engine_version = "16.4",
                                             .allocated_storage = 20,
                                             .master_username = "admin",
                                             .master_user_password = "p@ss word",
                                             .db_name = "app",
                                             .availability_zone = "us-west-2a",
                                             .db_subnet_group_name = "sub",
                                             .vpc_security_group_ids = {"sg-1"},
                                             .backup_retention_period = 7,
                                             .preferred_backup_window = "04:00-04:30",
                                             .option_group_name = "og",
                                             .storage_encrypted = true,
                                             .kms_key_id = "alias/k",
                                             .storage_type = "gp3",
                                             .db_cluster_identifier = "c-1",
                                             .multi_az = true,
                                             .publicly_accessible = false,
                                             .port = 5432,
                                             .deletion_protection = false,
                                             .tags = kTags});
               }});
  c.push_back({"rds",
               "CreateDBCluster",
               {{"AvailabilityZones", {"us-west-2a"}},
                {"BackupRetentionPeriod", 7},
                {"DatabaseName", "orders"},
                {"DBClusterIdentifier", "c-1"},
                {"VpcSecurityGroupIds", {"sg-1"}},
                {"DBSubnetGroupName", "sub"},
                {"Engine", "aurora-postgresql"},
                {"EngineVersion", "15.4"},
                {"Port", 5432},
                {"MasterUsername", "postgres"},
                {"MasterUserPassword", "secret"},
                {"PreferredBackupWindow", "05:00-05:30"},
                {"Tags", kTagsJson},
                {"StorageEncrypted", true},
                {"KmsKeyId", "alias/k"},
                {"EngineMode", "provisioned"},
                {"DBClusterInstanceClass", "db.r6gd.large"},
                {"AllocatedStorage", 100},
                {"StorageType", "io1"},
                {"DeletionProtection", true}},
               [&] {
                 (void)rds.CreateDBCluster({.db_cluster_identifier = "c-1",
                                            .engine = "aurora-postgresql",
                                            .engine_version = "15.4",
                                            .engine_mode = "provisioned",
                                            .master_username = "postgres",
                                            .master_user_password = "secret",
                                            .database_name = "orders",
                                            .availability_zones = {"us-west-2a"},
                                            .vpc_security_group_ids = {"sg-1"},
                                            .db_subnet_group_name = "sub",
                                            .backup_retention_period = 7,
                                            .preferred_backup_window = "05:00-05:30",
                                            .storage_encrypted = true,
                                            .kms_key_id = "alias/k",
                                            .storage_type = "io1",
                                            .allocated_storage = 100,
                                            .db_cluster_instance_class = "db.r6gd.large",
                                            .port = 5432,
                                            .deletion_protection = true,
                                            .tags = kTags});
               }});
  auto& sts = *sts_;
  c.push_back({"sts",
               "AssumeRole",
               {{"RoleArn", "arn:aws:iam::444455556666:role/drsnap-vault"},
                {"RoleSessionName", "drsnap"},
                {"DurationSeconds", 900},
                {"ExternalId", "ext-1/="}},
               [&] {
                 (void)sts.AssumeRole({.role_arn = "arn:aws:iam::444455556666:role/drsnap-vault",
                                       .role_session_name = "drsnap",
                                       .external_id = "ext-1/=",
                                       .duration_seconds = 900});
               }});
  c.push_back({"sts",
               "AssumeRoleWithWebIdentity",
               {{"RoleArn", "arn:aws:iam::111122223333:role/irsa"},
                {"RoleSessionName", "drsnap-web"},
                {"WebIdentityToken", "eyJhbGciOi.J9+/="},
                {"DurationSeconds", 3600}},
               [&] {
                 (void)sts.AssumeRoleWithWebIdentity(
                     {.role_arn = "arn:aws:iam::111122223333:role/irsa",
                      .role_session_name = "drsnap-web",
                      .web_identity_token = "eyJhbGciOi.J9+/=",
                      .duration_seconds = 3600});
               }});
  c.push_back(
      {"sts", "GetCallerIdentity", ojson::object(), [&] { (void)sts.GetCallerIdentity(); }});
  auto& kms = *kms_;
  c.push_back({"kms", "DescribeKey", {{"KeyId", "alias/aws/rds"}}, [&] {
                 (void)kms.DescribeKey("alias/aws/rds");
               }});
  c.push_back({"kms", "ListAliases", {{"KeyId", "k-1"}, {"Limit", 50}, {"Marker", "m"}}, [&] {
                 (void)kms.ListAliases({.key_id = "k-1", .limit = 50, .marker = "m"});
               }});
  c.push_back({"kms",
               "CreateKey",
               {{"Policy", "{\"Version\":\"2012-10-17\"}"},
                {"Description", "drsnap share key"},
                {"KeyUsage", "ENCRYPT_DECRYPT"},
                {"KeySpec", "SYMMETRIC_DEFAULT"},
                {"Tags", {{{"TagKey", "drsnap"}, {"TagValue", "share"}}}},
                {"MultiRegion", false}},
               [&] {
                 (void)kms.CreateKey({.description = "drsnap share key",
                                      .key_usage = "ENCRYPT_DECRYPT",
                                      .key_spec = "SYMMETRIC_DEFAULT",
                                      .policy = "{\"Version\":\"2012-10-17\"}",
                                      .multi_region = false,
                                      .tags = {{"drsnap", "share"}}});
               }});
  c.push_back({"kms", "CreateAlias", {{"AliasName", "alias/drsnap"}, {"TargetKeyId", "k-1"}}, [&] {
                 (void)kms.CreateAlias("alias/drsnap", "k-1");
               }});
  return c;
}

TEST_F(BotocoreParity, EveryOperationSerializesAsBotocoreDoes) {
  std::vector<Case> cases = Cases();
  ojson doc = {{"cases", ojson::array()}};
  std::vector<HttpRequest> sent;
  for (const Case& c : cases) {
    doc["cases"].push_back(
        {{"service", c.service}, {"operation", c.operation}, {"input", c.input}});
    auto& t = c.service == "rds"   ? rds_transport_
              : c.service == "sts" ? sts_transport_
                                   : kms_transport_;
    size_t before = t->request_count();
    c.call();
    ASSERT_EQ(t->request_count(), before + 1) << c.operation << " sent no request";
    sent.push_back(t->last_request());
  }
  auto out = RunPython(kSerialize, doc.dump());
  ASSERT_TRUE(out) << out.error().ToString();
  json results = json::parse(*out)["results"];
  ASSERT_EQ(results.size(), cases.size());

  std::set<std::string> covered;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.service + " " + c.operation);
    covered.insert(c.service + ":" + c.operation);
    if (results[i].contains("json")) {
      std::string target;
      for (const auto& [k, v] : sent[i].headers)
        if (k == "X-Amz-Target") target = v;
      EXPECT_EQ(target, "TrentService." + c.operation);
      EXPECT_EQ(json::parse(sent[i].body), results[i]["json"]);
      continue;
    }
    QueryParams ours = rdstest::BodyParams(sent[i]);
    QueryParams theirs;
    for (const auto& kv : results[i]["query"]) theirs.emplace_back(kv[0], kv[1]);
    EXPECT_EQ(ours, theirs);  // same pairs in the same order
    ExpectMatchesModel(c.service, c.operation, ours);
  }
  // Every typed operation is covered.
  for (const char* op : {"rds:DescribeDBInstances",
                         "rds:DescribeDBClusters",
                         "rds:DescribeDBSnapshots",
                         "rds:DescribeDBClusterSnapshots",
                         "rds:CreateDBSnapshot",
                         "rds:CreateDBClusterSnapshot",
                         "rds:CopyDBSnapshot",
                         "rds:CopyDBClusterSnapshot",
                         "rds:DeleteDBSnapshot",
                         "rds:DeleteDBClusterSnapshot",
                         "rds:ModifyDBSnapshotAttribute",
                         "rds:DescribeDBSnapshotAttributes",
                         "rds:ModifyDBClusterSnapshotAttribute",
                         "rds:DescribeDBClusterSnapshotAttributes",
                         "rds:AddTagsToResource",
                         "rds:ListTagsForResource",
                         "rds:RestoreDBInstanceFromDBSnapshot",
                         "rds:RestoreDBClusterFromSnapshot",
                         "rds:DeleteDBInstance",
                         "rds:DeleteDBCluster",
                         "rds:CreateDBInstance",
                         "rds:CreateDBCluster",
                         "rds:DescribeEvents",
                         "sts:AssumeRole",
                         "sts:AssumeRoleWithWebIdentity",
                         "sts:GetCallerIdentity",
                         "kms:DescribeKey",
                         "kms:ListAliases",
                         "kms:CreateKey",
                         "kms:CreateAlias"}) {
    EXPECT_TRUE(covered.count(op)) << op;
  }
}

// The model walk itself must reject wrong names (guards against a checker
// that accepts everything).
TEST(ModelWalk, RejectsWrongNamesAndValues) {
  const json& shapes = Models()["rds"]["shapes"];
  ASSERT_FALSE(shapes.empty());
  auto check = [&](const std::string& name, const std::string& value) {
    return CheckName(shapes, "DescribeDBSnapshotsMessage", Split(name), 0, value);
  };
  EXPECT_EQ(check("Filters.Filter.1.Values.Value.2", "x"), "");
  EXPECT_EQ(check("IncludeShared", "true"), "");
  EXPECT_NE(check("Filters.member.1.Name", "x"), "");
  EXPECT_NE(check("Filters.Filter.0.Name", "x"), "");
  EXPECT_NE(check("Filters.Filter.1.Values.member.1", "x"), "");
  EXPECT_NE(check("IncludeShared", "True"), "");
  EXPECT_NE(check("MaxRecords", "ten"), "");
  EXPECT_NE(check("SourceRegion", "us-east-1"), "");
  EXPECT_NE(check("Tags.Tag.1.Key", "k"), "");
  EXPECT_EQ(
      CheckName(shapes, "DescribeEventsMessage", Split("StartTime"), 0, "2026-11-23T04:00:00Z"),
      "");
  EXPECT_NE(CheckName(shapes, "DescribeEventsMessage", Split("StartTime"), 0, "yesterday"), "");
}

// The whole cross-region CopyDBSnapshot body, PreSignedUrl included, is what
// a real botocore client sends for the same call at the same time.
TEST_F(BotocoreParity, CrossRegionCopyBodyIsByteIdenticalToBotocore) {
  struct Variant {
    std::string operation;  // botocore method name
    ojson kwargs;
    std::function<void()> call;
  };
  std::vector<Variant> variants;
  variants.push_back(
      {"copy_db_snapshot",
       {{"SourceDBSnapshotIdentifier",
         "arn:aws:rds:us-east-1:111122223333:snapshot:drsnap-prod-db-1-20261123t0410"},
        {"TargetDBSnapshotIdentifier", "drsnap-prod-db-1-20261123t0410-usw2"},
        {"KmsKeyId", "arn:aws:kms:us-west-2:111122223333:key/5e6f7a8b"},
        {"Tags", kTagsJson},
        {"CopyTags", false},
        {"OptionGroupName", "pg16-audit-usw2"},
        {"SourceRegion", "us-east-1"}},
       [&] {
         (void)rds_->CopyDBSnapshot(
             {.source_db_snapshot_identifier =
                  "arn:aws:rds:us-east-1:111122223333:snapshot:drsnap-prod-db-1-20261123t0410",
              .target_db_snapshot_identifier = "drsnap-prod-db-1-20261123t0410-usw2",
              .kms_key_id = "arn:aws:kms:us-west-2:111122223333:key/5e6f7a8b",
              .tags = kTags,
              .copy_tags = false,
              .option_group_name = "pg16-audit-usw2",
              .source_region = "us-east-1"});
       }});
  variants.push_back(
      {"copy_db_cluster_snapshot",
       {{"SourceDBClusterSnapshotIdentifier",
         "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:drsnap-orders-20261123t0500"},
        {"TargetDBClusterSnapshotIdentifier", "drsnap-orders-20261123t0500-usw2"},
        {"KmsKeyId", "alias/dr"},
        {"CopyTags", true},
        {"SourceRegion", "us-east-1"}},
       [&] {
         (void)rds_->CopyDBClusterSnapshot(
             {.source_db_cluster_snapshot_identifier =
                  "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:drsnap-orders-20261123t0500",
              .target_db_cluster_snapshot_identifier = "drsnap-orders-20261123t0500-usw2",
              .kms_key_id = "alias/dr",
              .copy_tags = true,
              .source_region = "us-east-1"});
       }});
  ojson requests = ojson::array();
  std::vector<std::string> ours;
  Credentials creds = rdstest::TestCredentials();
  for (const Variant& v : variants) {
    requests.push_back({{"kind", "rds_presign"},
                        {"operation", v.operation},
                        {"kwargs", v.kwargs},
                        {"destination_region", "us-west-2"},
                        {"credentials",
                         {{"access_key", creds.access_key_id},
                          {"secret_key", creds.secret_access_key},
                          {"token", nullptr}}},
                        {"amz_date", FormatAmzDate(rdstest::TestNow())}});
    v.call();
    ours.push_back(rds_transport_->last_request().body);
  }
  // A's botocore_sign.py, fed directly: RunBotocore() takes a key-sorted json.
  std::ifstream script_file(testing::BotocoreScriptPath());
  ASSERT_TRUE(script_file) << testing::BotocoreScriptPath();
  std::ostringstream script;
  script << script_file.rdbuf();
  auto out = RunPython(script.str(), ojson{{"requests", requests}}.dump());
  ASSERT_TRUE(out) << out.error().ToString();
  const json results = json::parse(*out)["results"];
  ASSERT_EQ(results.size(), variants.size());
  for (size_t i = 0; i < variants.size(); ++i) {
    SCOPED_TRACE(variants[i].operation);
    EXPECT_EQ(ours[i], results[i]["body"].get<std::string>());
    EXPECT_NE(ours[i].find("PreSignedUrl="), std::string::npos);
    EXPECT_EQ(ours[i].find("SourceRegion"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// Decoding: our decoders and botocore's response parser read the same
// recorded bodies; every field we decode must equal botocore's value for the
// same member (or be the default when botocore has none). This checks our
// element names against the model, not only against our own fixtures.

constexpr char kParse[] = R"PY(
import datetime, json, sys
import botocore.session, botocore.parsers
doc = json.load(open(sys.argv[1], encoding="utf-8"))
s = botocore.session.get_session()

def conv(o):
    if isinstance(o, datetime.datetime):
        o = o.astimezone(datetime.timezone.utc)
        return o.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (o.microsecond // 1000)
    raise TypeError(repr(o))

def derive(d):
    # Nested members we flatten in our structs.
    if isinstance(d, dict):
        if "OptionGroupMemberships" in d:
            d["_OptionGroupNames"] = [m.get("OptionGroupName", "") for m in d["OptionGroupMemberships"]]
        if "DBClusterOptionGroupMemberships" in d:
            d["_OptionGroupNames"] = [m.get("DBClusterOptionGroupName", "")
                                      for m in d["DBClusterOptionGroupMemberships"]]
        if "DBClusterMembers" in d:
            d["_Members"] = [[m.get("DBInstanceIdentifier", ""), m.get("IsClusterWriter", False)]
                             for m in d["DBClusterMembers"]]
        if isinstance(d.get("Endpoint"), dict):
            d["_EndpointAddress"] = d["Endpoint"].get("Address", "")
            d["_EndpointPort"] = d["Endpoint"].get("Port", 0)
            del d["Endpoint"]
        for v in d.values():
            derive(v)
    elif isinstance(d, list):
        for v in d:
            derive(v)
    return d

out = []
for case in doc["cases"]:
    model = s.get_service_model(case["service"])
    op = model.operation_model(case["operation"])
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    parsed = parser.parse({"body": case["body"].encode("utf-8"), "headers": {},
                           "status_code": 200}, op.output_shape)
    parsed.pop("ResponseMetadata", None)
    out.append(derive(parsed))
sys.stdout.write(json.dumps({"results": out}, default=conv))
)PY";

// Our decoded values under AWS member names.
class Fields {
 public:
  Fields& S(const char* k, const std::string& v) { return Set(k, v); }
  Fields& I(const char* k, int v) { return Set(k, v); }
  Fields& B(const char* k, bool v) { return Set(k, v); }
  Fields& T(const char* k, const std::optional<TimePoint>& v) {
    return Set(k, v ? json(FormatIso8601(*v)) : json());
  }
  Fields& L(const char* k, const std::vector<std::string>& v) { return Set(k, v); }
  Fields& Tags(const std::vector<Tag>& tags) {
    json a = json::array();
    for (const Tag& t : tags) a.push_back({{"Key", t.key}, {"Value", t.value}});
    return Set("TagList", a);
  }
  Fields& J(const char* k, json v) { return Set(k, std::move(v)); }
  const json& get() const { return j_; }

 private:
  Fields& Set(const char* k, json v) {
    j_[k] = std::move(v);
    return *this;
  }
  json j_ = json::object();
};

bool IsDefault(const json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
         (v.is_number() && v.get<double>() == 0) || (v.is_boolean() && !v.get<bool>()) ||
         (v.is_array() && v.empty());
}

void ExpectAgrees(const json& ours, const json& theirs, const std::string& where) {
  ASSERT_TRUE(theirs.is_object()) << where << ": " << theirs.dump();
  for (auto it = ours.begin(); it != ours.end(); ++it) {
    if (!theirs.contains(it.key())) {
      EXPECT_TRUE(IsDefault(it.value())) << where << " " << it.key() << ": we decoded "
                                         << it.value().dump() << ", botocore has nothing";
      continue;
    }
    EXPECT_EQ(it.value(), theirs[it.key()]) << where << " " << it.key();
  }
}

json ToJson(const DBSnapshot& s) {
  return Fields()
      .S("DBSnapshotIdentifier", s.db_snapshot_identifier)
      .S("DBSnapshotArn", s.db_snapshot_arn)
      .S("DBInstanceIdentifier", s.db_instance_identifier)
      .S("DbiResourceId", s.dbi_resource_id)
      .S("SnapshotType", s.snapshot_type)
      .S("Status", s.status)
      .S("Engine", s.engine)
      .S("EngineVersion", s.engine_version)
      .S("LicenseModel", s.license_model)
      .I("AllocatedStorage", s.allocated_storage)
      .I("Port", s.port)
      .S("AvailabilityZone", s.availability_zone)
      .S("VpcId", s.vpc_id)
      .S("StorageType", s.storage_type)
      .I("PercentProgress", s.percent_progress)
      .B("Encrypted", s.encrypted)
      .S("KmsKeyId", s.kms_key_id)
      .S("OptionGroupName", s.option_group_name)
      .S("SourceRegion", s.source_region)
      .S("SourceDBSnapshotIdentifier", s.source_db_snapshot_identifier)
      .I("BackupRetentionPeriod", s.backup_retention_period)
      .S("PreferredBackupWindow", s.preferred_backup_window)
      .T("SnapshotCreateTime", s.snapshot_create_time)
      .T("OriginalSnapshotCreateTime", s.original_snapshot_create_time)
      .T("InstanceCreateTime", s.instance_create_time)
      .Tags(s.tag_list)
      .get();
}

json ToJson(const DBClusterSnapshot& s) {
  return Fields()
      .S("DBClusterSnapshotIdentifier", s.db_cluster_snapshot_identifier)
      .S("DBClusterSnapshotArn", s.db_cluster_snapshot_arn)
      .S("DBClusterIdentifier", s.db_cluster_identifier)
      .S("DbClusterResourceId", s.db_cluster_resource_id)
      .S("SourceDBClusterSnapshotArn", s.source_db_cluster_snapshot_arn)
      .S("SnapshotType", s.snapshot_type)
      .S("Status", s.status)
      .S("Engine", s.engine)
      .S("EngineVersion", s.engine_version)
      .S("EngineMode", s.engine_mode)
      .S("LicenseModel", s.license_model)
      .I("AllocatedStorage", s.allocated_storage)
      .I("Port", s.port)
      .L("AvailabilityZones", s.availability_zones)
      .S("VpcId", s.vpc_id)
      .S("StorageType", s.storage_type)
      .I("PercentProgress", s.percent_progress)
      .B("StorageEncrypted", s.storage_encrypted)
      .S("KmsKeyId", s.kms_key_id)
      .I("BackupRetentionPeriod", s.backup_retention_period)
      .S("PreferredBackupWindow", s.preferred_backup_window)
      .T("SnapshotCreateTime", s.snapshot_create_time)
      .T("ClusterCreateTime", s.cluster_create_time)
      .Tags(s.tag_list)
      .get();
}

json ToJson(const DBInstance& d) {
  return Fields()
      .S("DBInstanceIdentifier", d.db_instance_identifier)
      .S("DBInstanceArn", d.db_instance_arn)
      .S("DbiResourceId", d.dbi_resource_id)
      .S("DBInstanceClass", d.db_instance_class)
      .S("Engine", d.engine)
      .S("EngineVersion", d.engine_version)
      .S("DBInstanceStatus", d.db_instance_status)
      .I("AllocatedStorage", d.allocated_storage)
      .S("AvailabilityZone", d.availability_zone)
      .B("MultiAZ", d.multi_az)
      .I("BackupRetentionPeriod", d.backup_retention_period)
      .S("PreferredBackupWindow", d.preferred_backup_window)
      .B("StorageEncrypted", d.storage_encrypted)
      .S("KmsKeyId", d.kms_key_id)
      .S("StorageType", d.storage_type)
      .S("DBClusterIdentifier", d.db_cluster_identifier)
      .L("_OptionGroupNames", d.option_group_names)
      .S("_EndpointAddress", d.endpoint_address)
      .I("_EndpointPort", d.endpoint_port)
      .B("DeletionProtection", d.deletion_protection)
      .T("InstanceCreateTime", d.instance_create_time)
      .T("LatestRestorableTime", d.latest_restorable_time)
      .Tags(d.tag_list)
      .get();
}

json ToJson(const DBCluster& c) {
  json members = json::array();
  for (const auto& m : c.members)
    members.push_back({m.db_instance_identifier, m.is_cluster_writer});
  return Fields()
      .S("DBClusterIdentifier", c.db_cluster_identifier)
      .S("DBClusterArn", c.db_cluster_arn)
      .S("DbClusterResourceId", c.db_cluster_resource_id)
      .S("Status", c.status)
      .S("Engine", c.engine)
      .S("EngineVersion", c.engine_version)
      .S("EngineMode", c.engine_mode)
      .I("AllocatedStorage", c.allocated_storage)
      .L("AvailabilityZones", c.availability_zones)
      .B("MultiAZ", c.multi_az)
      .I("BackupRetentionPeriod", c.backup_retention_period)
      .S("PreferredBackupWindow", c.preferred_backup_window)
      .B("StorageEncrypted", c.storage_encrypted)
      .S("KmsKeyId", c.kms_key_id)
      .S("StorageType", c.storage_type)
      .S("Endpoint", c.endpoint)
      .I("Port", c.port)
      .B("DeletionProtection", c.deletion_protection)
      .L("_OptionGroupNames", c.option_group_names)
      .J("_Members", members)
      .T("ClusterCreateTime", c.cluster_create_time)
      .T("EarliestRestorableTime", c.earliest_restorable_time)
      .T("LatestRestorableTime", c.latest_restorable_time)
      .Tags(c.tag_list)
      .get();
}

json ToJson(const Event& e) {
  return Fields()
      .S("SourceIdentifier", e.source_identifier)
      .S("SourceType", e.source_type)
      .S("SourceArn", e.source_arn)
      .S("Message", e.message)
      .L("EventCategories", e.event_categories)
      .T("Date", e.date)
      .get();
}

json ToJson(const DBSnapshotAttributesResult& r, bool cluster) {
  json attrs = json::array();
  for (const auto& a : r.attributes) {
    attrs.push_back({{"AttributeName", a.attribute_name}, {"AttributeValues", a.attribute_values}});
  }
  return Fields()
      .S(cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier", r.snapshot_identifier)
      .J(cluster ? "DBClusterSnapshotAttributes" : "DBSnapshotAttributes", attrs)
      .get();
}

template <class T>
json Items(const std::vector<T>& items) {
  json a = json::array();
  for (const T& i : items) a.push_back(ToJson(i));
  return a;
}

// One recorded body: what we decode (as botocore-shaped JSON) and botocore's parse.
struct DecodeCase {
  std::string service, operation, fixture;
  std::function<Result<json>(const std::string& body)> decode;
};

template <class T>
Result<json> PageJson(Result<Page<T>> page, const char* list) {
  if (!page) return Fail(page.error());
  json j = {{list, Items(page->items)}};
  if (!page->marker.empty()) j["Marker"] = page->marker;
  return j;
}

TEST(DecodeParity, DecodersAgreeWithBotocoreParser) {
  std::vector<DecodeCase> cases = {
      {"rds", "DescribeDBSnapshots", "describe_db_snapshots_page1.xml",
       [](const std::string& b) {
         return PageJson(DecodeDescribeDBSnapshotsResponse(b), "DBSnapshots");
       }},
      {"rds", "DescribeDBSnapshots", "describe_db_snapshots_page2.xml",
       [](const std::string& b) {
         return PageJson(DecodeDescribeDBSnapshotsResponse(b), "DBSnapshots");
       }},
      {"rds", "DescribeDBClusterSnapshots", "describe_db_cluster_snapshots.xml",
       [](const std::string& b) {
         return PageJson(DecodeDescribeDBClusterSnapshotsResponse(b), "DBClusterSnapshots");
       }},
      {"rds", "DescribeDBInstances", "describe_db_instances.xml",
       [](const std::string& b) {
         return PageJson(DecodeDescribeDBInstancesResponse(b), "DBInstances");
       }},
      {"rds", "DescribeDBClusters", "describe_db_clusters.xml",
       [](const std::string& b) {
         return PageJson(DecodeDescribeDBClustersResponse(b), "DBClusters");
       }},
      {"rds", "DescribeEvents", "describe_events.xml",
       [](const std::string& b) { return PageJson(DecodeDescribeEventsResponse(b), "Events"); }},
  };
  for (auto [op, fixture] : std::vector<std::pair<std::string, std::string>>{
           {"CreateDBSnapshot", "create_db_snapshot.xml"},
           {"CopyDBSnapshot", "copy_db_snapshot.xml"},
           {"DeleteDBSnapshot", "delete_db_snapshot.xml"}}) {
    cases.push_back({"rds", op, fixture, [op](const std::string& b) -> Result<json> {
                       DRSNAP_ASSIGN_OR_RETURN(DBSnapshot s, DecodeDBSnapshotResponse(op, b));
                       return json{{"DBSnapshot", ToJson(s)}};
                     }});
  }
  for (auto [op, fixture] : std::vector<std::pair<std::string, std::string>>{
           {"CreateDBClusterSnapshot", "create_db_cluster_snapshot.xml"},
           {"CopyDBClusterSnapshot", "copy_db_cluster_snapshot.xml"},
           {"DeleteDBClusterSnapshot", "delete_db_cluster_snapshot.xml"}}) {
    cases.push_back({"rds", op, fixture, [op](const std::string& b) -> Result<json> {
                       DRSNAP_ASSIGN_OR_RETURN(DBClusterSnapshot s,
                                               DecodeDBClusterSnapshotResponse(op, b));
                       return json{{"DBClusterSnapshot", ToJson(s)}};
                     }});
  }
  cases.push_back(
      {"rds", "RestoreDBInstanceFromDBSnapshot", "restore_db_instance_from_db_snapshot.xml",
       [](const std::string& b) -> Result<json> {
         DRSNAP_ASSIGN_OR_RETURN(DBInstance d,
                                 DecodeDBInstanceResponse("RestoreDBInstanceFromDBSnapshot", b));
         return json{{"DBInstance", ToJson(d)}};
       }});
  cases.push_back({"rds", "RestoreDBClusterFromSnapshot", "restore_db_cluster_from_snapshot.xml",
                   [](const std::string& b) -> Result<json> {
                     DRSNAP_ASSIGN_OR_RETURN(
                         DBCluster c, DecodeDBClusterResponse("RestoreDBClusterFromSnapshot", b));
                     return json{{"DBCluster", ToJson(c)}};
                   }});
  for (auto [op, fixture, cluster] : std::vector<std::tuple<std::string, std::string, bool>>{
           {"DescribeDBSnapshotAttributes", "describe_db_snapshot_attributes.xml", false},
           {"ModifyDBSnapshotAttribute", "modify_db_snapshot_attribute.xml", false},
           {"DescribeDBClusterSnapshotAttributes", "describe_db_cluster_snapshot_attributes.xml",
            true},
           {"ModifyDBClusterSnapshotAttribute", "modify_db_cluster_snapshot_attribute.xml",
            true}}) {
    cases.push_back({"rds", op, fixture, [op, cluster](const std::string& b) -> Result<json> {
                       DRSNAP_ASSIGN_OR_RETURN(auto r,
                                               DecodeSnapshotAttributesResponse(op, b, cluster));
                       return json{{cluster ? "DBClusterSnapshotAttributesResult"
                                            : "DBSnapshotAttributesResult",
                                    ToJson(r, cluster)}};
                     }});
  }
  cases.push_back({"rds", "ListTagsForResource", "list_tags_for_resource.xml",
                   [](const std::string& b) -> Result<json> {
                     DRSNAP_ASSIGN_OR_RETURN(auto tags, DecodeListTagsForResourceResponse(b));
                     return Fields().Tags(tags).get();
                   }});
  for (auto [op, fixture] : std::vector<std::pair<std::string, std::string>>{
           {"AssumeRole", "sts_assume_role.xml"},
           {"AssumeRoleWithWebIdentity", "sts_assume_role_with_web_identity.xml"}}) {
    cases.push_back({"sts", op, fixture, [op](const std::string& b) -> Result<json> {
                       DRSNAP_ASSIGN_OR_RETURN(Credentials c, DecodeStsCredentialsResponse(op, b));
                       return json{{"Credentials", Fields()
                                                       .S("AccessKeyId", c.access_key_id)
                                                       .S("SecretAccessKey", c.secret_access_key)
                                                       .S("SessionToken", c.session_token)
                                                       .T("Expiration", c.expiration)
                                                       .get()}};
                     }});
  }
  cases.push_back(
      {"sts", "GetCallerIdentity", "sts_get_caller_identity.xml",
       [](const std::string& b) -> Result<json> {
         DRSNAP_ASSIGN_OR_RETURN(CallerIdentity id, DecodeGetCallerIdentityResponse(b));
         return Fields().S("Account", id.account).S("Arn", id.arn).S("UserId", id.user_id).get();
       }});

  json doc = {{"cases", json::array()}};
  for (const DecodeCase& c : cases) {
    doc["cases"].push_back({{"service", c.service},
                            {"operation", c.operation},
                            {"body", rdstest::Fixture(c.fixture)}});
  }
  auto out = RunPython(kParse, doc.dump());
  ASSERT_TRUE(out) << out.error().ToString();
  json results = json::parse(*out)["results"];
  ASSERT_EQ(results.size(), cases.size());
  int compared = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const DecodeCase& c = cases[i];
    SCOPED_TRACE(c.fixture);
    auto ours = c.decode(rdstest::Fixture(c.fixture));
    ASSERT_TRUE(ours) << ours.error().ToString();
    const json& theirs = results[i];
    for (auto it = ours->begin(); it != ours->end(); ++it) {
      ASSERT_TRUE(theirs.contains(it.key())) << it.key() << " missing in " << theirs.dump();
      const json& t = theirs[it.key()];
      if (it.value().is_array() && !it.value().empty() && it.value()[0].is_object()) {
        ASSERT_EQ(it.value().size(), t.size()) << it.key();
        for (size_t k = 0; k < t.size(); ++k) {
          ExpectAgrees(it.value()[k], t[k],
                       c.fixture + " " + it.key() + "[" + std::to_string(k) + "]");
          ++compared;
        }
      } else if (it.value().is_object()) {
        ExpectAgrees(it.value(), t, c.fixture + " " + it.key());
        ++compared;
      } else {
        EXPECT_EQ(it.value(), t) << it.key();
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 120);  // the 100-record page alone is 100
}

}  // namespace
}  // namespace drsnap::aws
