// CloudWrapper forwards every Cloud method, with its arguments, to the
// wrapped cloud and hands back what it answered; a decorator derived from it
// changes only what it overrides.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/cloud.h"

namespace drsnap::engine {
namespace {

const Scope kScope{"111111111111", "us-east-1"};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string Join(const Tags& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

// Implements every method (the restore-drill ones too, which Cloud defaults
// to "NotSupported"): records "Method args" and answers with a value that
// names the method, so a call that did not arrive here shows.
class RecordingCloud final : public Cloud {
 public:
  std::vector<std::string> calls() const {
    std::lock_guard l(mu_);
    return calls_;
  }

  Result<std::vector<Database>> ListDatabases(const Scope& s) override {
    Record("ListDatabases " + s.ToString());
    return std::vector<Database>{Db("ListDatabases")};
  }
  Result<std::vector<Snapshot>> ListSnapshots(const Scope& s) override {
    Record("ListSnapshots " + s.ToString());
    return std::vector<Snapshot>{Snap("ListSnapshots")};
  }
  Result<std::vector<std::string>> ListSharedAccounts(const Scope& s, DbKind k,
                                                      const std::string& id) override {
    Record("ListSharedAccounts " + s.ToString() + " " + DbKindName(k) + " " + id);
    return std::vector<std::string>{"ListSharedAccounts"};
  }
  Result<std::string> DefaultRdsKeyArn(const Scope& s) override {
    Record("DefaultRdsKeyArn " + s.ToString());
    return std::string("DefaultRdsKeyArn");
  }
  Result<Snapshot> DescribeSnapshot(const Scope& s, DbKind k, const std::string& id) override {
    Record("DescribeSnapshot " + s.ToString() + " " + DbKindName(k) + " " + id);
    return Snap("DescribeSnapshot");
  }
  Result<Snapshot> CreateSnapshot(const Scope& s, DbKind k, const std::string& db,
                                  const std::string& id, const Tags& t) override {
    Record("CreateSnapshot " + s.ToString() + " " + DbKindName(k) + " " + db + " " + id + " " +
           Join(t));
    return Snap("CreateSnapshot");
  }
  Result<Snapshot> CopySnapshot(const Scope& d, const CopyRequest& r) override {
    Record("CopySnapshot " + d.ToString() + " " + DbKindName(r.kind) + " " + r.source + " " +
           r.source_region + " " + r.target_id + " " + r.kms_key_id + " " + r.option_group + " " +
           (r.copy_tags ? "copy-tags" : "no-copy-tags") + " " + Join(r.tags));
    return Snap("CopySnapshot");
  }
  Status ShareSnapshot(const Scope& s, DbKind k, const std::string& id,
                       const std::vector<std::string>& accounts) override {
    Record("ShareSnapshot " + s.ToString() + " " + DbKindName(k) + " " + id + " " + Join(accounts));
    return Fail(Error::Terminal("ShareSnapshot", ""));
  }
  Status DeleteSnapshot(const Scope& s, DbKind k, const std::string& id) override {
    Record("DeleteSnapshot " + s.ToString() + " " + DbKindName(k) + " " + id);
    return Fail(Error::Terminal("DeleteSnapshot", ""));
  }
  Result<Database> RestoreFromSnapshot(const Scope& s, const RestoreRequest& r) override {
    Record("RestoreFromSnapshot " + s.ToString() + " " + DbKindName(r.kind) + " " + r.db_id + " " +
           r.snapshot_id + " " + r.engine + " " + r.instance_class + " " + r.subnet_group + " " +
           Join(r.security_groups) + " " + Join(r.tags));
    return Db("RestoreFromSnapshot");
  }
  Result<Database> DescribeDatabase(const Scope& s, DbKind k, const std::string& id) override {
    Record("DescribeDatabase " + s.ToString() + " " + DbKindName(k) + " " + id);
    return Db("DescribeDatabase");
  }
  Status DeleteDatabase(const Scope& s, DbKind k, const std::string& id) override {
    Record("DeleteDatabase " + s.ToString() + " " + DbKindName(k) + " " + id);
    return Fail(Error::Terminal("DeleteDatabase", ""));
  }
  Status TagSnapshot(const Scope& s, const std::string& arn, const Tags& t) override {
    Record("TagSnapshot " + s.ToString() + " " + arn + " " + Join(t));
    return Fail(Error::Terminal("TagSnapshot", ""));
  }

 private:
  static Database Db(const std::string& id) {
    Database d;
    d.id = id;
    return d;
  }
  static Snapshot Snap(const std::string& id) {
    Snapshot s;
    s.id = id;
    return s;
  }
  void Record(std::string line) {
    std::lock_guard l(mu_);
    calls_.push_back(std::move(line));
  }
  mutable std::mutex mu_;
  std::vector<std::string> calls_;  // guarded by mu_
};

// The code of a failed Status (the recording cloud names its method there).
std::string Code(const Status& s) { return s ? std::string("ok") : s.error().code; }

// Calls every method of `cloud` once, in declaration order, and checks each
// answer is the recording cloud's.
void CallEveryMethod(Cloud& cloud) {
  auto dbs = cloud.ListDatabases(kScope);
  ASSERT_TRUE(dbs.has_value());
  EXPECT_EQ(dbs->at(0).id, "ListDatabases");
  auto snaps = cloud.ListSnapshots(kScope);
  ASSERT_TRUE(snaps.has_value());
  EXPECT_EQ(snaps->at(0).id.str(), "ListSnapshots");
  auto shared = cloud.ListSharedAccounts(kScope, DbKind::kCluster, "snap-1");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(*shared, std::vector<std::string>{"ListSharedAccounts"});
  auto key = cloud.DefaultRdsKeyArn(kScope);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(*key, "DefaultRdsKeyArn");
  auto described = cloud.DescribeSnapshot(kScope, DbKind::kInstance, "snap-2");
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ(described->id.str(), "DescribeSnapshot");
  auto created = cloud.CreateSnapshot(kScope, DbKind::kInstance, "db1", "snap-3", {{"k", "v"}});
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->id.str(), "CreateSnapshot");
  const CopyRequest copy{.kind = DbKind::kCluster,
                         .source = "arn:src",
                         .source_region = "us-west-2",
                         .target_id = "copy-1",
                         .kms_key_id = "key-1",
                         .option_group = "og-1",
                         .copy_tags = true,
                         .tags = {{"a", "b"}}};
  auto copied = cloud.CopySnapshot(Scope{"222222222222", "eu-west-1"}, copy);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->id.str(), "CopySnapshot");
  EXPECT_EQ(Code(cloud.ShareSnapshot(kScope, DbKind::kInstance, "snap-4", {"2", "3"})),
            "ShareSnapshot");
  EXPECT_EQ(Code(cloud.DeleteSnapshot(kScope, DbKind::kCluster, "snap-5")), "DeleteSnapshot");
  const RestoreRequest restore{.kind = DbKind::kCluster,
                               .db_id = "drill-1",
                               .snapshot_id = "snap-6",
                               .engine = "aurora-postgresql",
                               .instance_class = "db.t3.micro",
                               .subnet_group = "subnets",
                               .security_groups = {"sg-1", "sg-2"},
                               .tags = {{"c", "d"}}};
  auto restored = cloud.RestoreFromSnapshot(kScope, restore);
  ASSERT_TRUE(restored.has_value()) << restored.error().ToString();
  EXPECT_EQ(restored->id, "RestoreFromSnapshot");
  auto db = cloud.DescribeDatabase(kScope, DbKind::kInstance, "drill-2");
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_EQ(db->id, "DescribeDatabase");
  EXPECT_EQ(Code(cloud.DeleteDatabase(kScope, DbKind::kCluster, "drill-3")), "DeleteDatabase");
  EXPECT_EQ(Code(cloud.TagSnapshot(kScope, "arn:snap-7", {{"e", "f"}})), "TagSnapshot");
}

const std::vector<std::string> kEveryCall = {
    "ListDatabases 111111111111/us-east-1",
    "ListSnapshots 111111111111/us-east-1",
    "ListSharedAccounts 111111111111/us-east-1 cluster snap-1",
    "DefaultRdsKeyArn 111111111111/us-east-1",
    "DescribeSnapshot 111111111111/us-east-1 instance snap-2",
    "CreateSnapshot 111111111111/us-east-1 instance db1 snap-3 k=v",
    "CopySnapshot 222222222222/eu-west-1 cluster arn:src us-west-2 copy-1 key-1 og-1 copy-tags a=b",
    "ShareSnapshot 111111111111/us-east-1 instance snap-4 2,3",
    "DeleteSnapshot 111111111111/us-east-1 cluster snap-5",
    "RestoreFromSnapshot 111111111111/us-east-1 cluster drill-1 snap-6 aurora-postgresql "
    "db.t3.micro subnets sg-1,sg-2 c=d",
    "DescribeDatabase 111111111111/us-east-1 instance drill-2",
    "DeleteDatabase 111111111111/us-east-1 cluster drill-3",
    "TagSnapshot 111111111111/us-east-1 arn:snap-7 e=f",
};

TEST(CloudWrapperTest, ForwardsEveryMethodWithItsArgumentsAndAnswer) {
  auto recording = std::make_shared<RecordingCloud>();
  // The recording cloud itself, then through the wrapper: the same calls.
  CallEveryMethod(*recording);
  ASSERT_EQ(recording->calls(), kEveryCall);
  auto inner = std::make_shared<RecordingCloud>();
  CloudWrapper wrapper(inner);
  EXPECT_EQ(&wrapper.inner(), inner.get());
  CallEveryMethod(wrapper);
  EXPECT_EQ(inner->calls(), kEveryCall);
}

TEST(CloudWrapperTest, WrappersStack) {
  auto inner = std::make_shared<RecordingCloud>();
  CloudWrapper outer(std::make_shared<CloudWrapper>(inner));
  CallEveryMethod(outer);
  EXPECT_EQ(inner->calls(), kEveryCall);
}

// A decorator overrides one method; every other call still reaches the
// wrapped cloud.
class NoDeletes final : public CloudWrapper {
 public:
  using CloudWrapper::CloudWrapper;
  Status DeleteSnapshot(const Scope&, DbKind, const std::string&) override {
    return Fail(Error::Terminal("Refused", "no deletes"));
  }
};

TEST(CloudWrapperTest, ADecoratorChangesOnlyWhatItOverrides) {
  auto inner = std::make_shared<RecordingCloud>();
  NoDeletes cloud(inner);
  EXPECT_EQ(Code(cloud.DeleteSnapshot(kScope, DbKind::kInstance, "snap-1")), "Refused");
  EXPECT_TRUE(inner->calls().empty());
  ASSERT_TRUE(cloud.ListSnapshots(kScope).has_value());
  EXPECT_EQ(Code(cloud.DeleteDatabase(kScope, DbKind::kInstance, "drill-1")), "DeleteDatabase");
  EXPECT_EQ(inner->calls(),
            (std::vector<std::string>{"ListSnapshots 111111111111/us-east-1",
                                      "DeleteDatabase 111111111111/us-east-1 instance drill-1"}));
}

// The drill methods reach a wrapped cloud that does not run drills as they
// would without the wrapper: "NotSupported".
class NoDrills final : public Cloud {
 public:
  Result<std::vector<Database>> ListDatabases(const Scope&) override { return {}; }
  Result<std::vector<Snapshot>> ListSnapshots(const Scope&) override { return {}; }
  Result<std::vector<std::string>> ListSharedAccounts(const Scope&, DbKind,
                                                      const std::string&) override {
    return {};
  }
  Result<std::string> DefaultRdsKeyArn(const Scope&) override { return std::string(); }
  Result<Snapshot> DescribeSnapshot(const Scope&, DbKind, const std::string&) override {
    return Snapshot{};
  }
  Result<Snapshot> CreateSnapshot(const Scope&, DbKind, const std::string&, const std::string&,
                                  const Tags&) override {
    return Snapshot{};
  }
  Result<Snapshot> CopySnapshot(const Scope&, const CopyRequest&) override { return Snapshot{}; }
  Status ShareSnapshot(const Scope&, DbKind, const std::string&,
                       const std::vector<std::string>&) override {
    return OkStatus();
  }
  Status DeleteSnapshot(const Scope&, DbKind, const std::string&) override { return OkStatus(); }
};

TEST(CloudWrapperTest, DrillMethodsOfACloudWithoutDrillsStayUnsupported) {
  CloudWrapper wrapper(std::make_shared<NoDrills>());
  auto r = wrapper.RestoreFromSnapshot(kScope, RestoreRequest{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "NotSupported");
  EXPECT_EQ(Code(wrapper.TagSnapshot(kScope, "arn", {})), "NotSupported");
}

// A wrapper over a cloud it does not own (a non-owning shared_ptr).
TEST(CloudWrapperTest, CanWrapACloudOwnedElsewhere) {
  RecordingCloud local;
  {
    CloudWrapper wrapper(std::shared_ptr<Cloud>(std::shared_ptr<Cloud>(), &local));
    ASSERT_TRUE(wrapper.DefaultRdsKeyArn(kScope).has_value());
  }
  EXPECT_EQ(local.calls(), std::vector<std::string>{"DefaultRdsKeyArn 111111111111/us-east-1"});
}

}  // namespace
}  // namespace drsnap::engine
