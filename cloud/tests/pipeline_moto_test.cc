// Issue 4, shown-by 8: the source-side stages (capture, share) of the DR
// pipeline run against moto, an independent RDS emulator, and agree with
// drsnap-sim. The same policy and the same seeding (through the typed
// aws::RdsClient) go to both backends; each is driven by a Reconciler over
// MakeAwsClouds() (profiles in temp AWS config files, endpoint_url per
// account), through the real curl transport and SigV4.
//
// What moto cannot do, and how the test deals with it:
//  - moto keeps no automated snapshots: the policy uses `from: snapshot`.
//  - moto puts every request whose access key it does not know into its
//    default account 123456789012. Had the DR profile such a key, the DR
//    account's view of us-east-1 would list the source's captures as visible
//    to it, the planner would (rightly, for real AWS) take them as already
//    shared and never share them. So the test first makes the DR account's
//    key in moto: IAM CreateUser + CreateAccessKey sent with moto's
//    `x-moto-account-id: 210987654321` header; moto then maps that key to
//    210987654321 (moto/iam/models.py get_account_id_from).
//  - moto lists snapshots shared with an account only for
//    DescribeDBSnapshots SnapshotType=shared, not for IncludeShared=true
//    (moto/rds/models.py describe_db_snapshots), which is what AwsCloud sends
//    and what real RDS answers. The observer's share inference (engine/
//    observe.h, rule 4) notices: the DR account lists nothing of the source's
//    as shared, so it reads the restore attribute of the oldest capture, and
//    once that names the DR account, of every capture. So no wrapper is
//    needed: each capture is shared exactly once (moto does not de-duplicate
//    ValuesToAdd, so a second share would list the account twice, which the
//    restore check below would catch).
//  - moto does not copy a snapshot shared from another account (its backends
//    are per account), so the vault stage cannot run there. The Reconciler
//    has no stage filter: RunOnce runs every stage against both backends and
//    the test asserts only on the SOURCE scope (123456789012/us-east-1):
//    capture and share actions, the snapshots there, their tags and restore
//    attributes. DR-scope actions (vault copies into us-west-2) are not
//    checked; against moto they fail, which the test tolerates.
//  - moto accepts any account id as a share target (it does not check that
//    the account exists); the DR account is 210987654321.
//
// moto must be installed for $DRSNAP_PYTHON (default: `python3` on PATH); when
// it cannot be started the test fails (never skips). moto is killed when the
// test ends, passed or failed, and dies with this process.
// DRSNAP_TEST_DEBUG=1 prints every run's actions, findings and scopes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "aws/http.h"
#include "aws/rds.h"
#include "aws/tests/moto_server.h"
#include "cloud/aws_cloud.h"
#include "config/policy.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/reconcile.h"
#include "sim/server.h"
#include "sim/simulator.h"
#include "sim/simulator_clock.h"
#include "testing/sim_pipeline.h"

namespace drsnap::cloud {
namespace {

constexpr char kSourceAccount[] = "123456789012";  // moto's default account
constexpr char kDrAccount[] = "210987654321";
const engine::Scope kSource{kSourceAccount, "us-east-1"};

const std::vector<std::string> kProtected = {"app-billing", "app-orders", "app-users"};
constexpr char kUnprotected[] = "scratch-db";
constexpr char kUserSnapshot[] = "manual-before-drsnap";  // someone else's snapshot

using testing_moto::MotoServer;

// An account's profile (name, account id, access key).
using Profile = drsnap::testing::SimAccount;
std::vector<Profile> Profiles() {
  return {
      {"prod", kSourceAccount, "AKIAPROD000000000001", "prod-secret-key-0000000000000000000001"},
      {"dr", kDrAccount, "AKIADRDR000000000001", "dr-secret-key-00000000000000000000001"}};
}

// The text of the first <name>...</name> in xml, "" if none.
std::string XmlText(const std::string& xml, const std::string& name) {
  size_t b = xml.find("<" + name + ">");
  if (b == std::string::npos) return "";
  b += name.size() + 2;
  size_t e = xml.find("</" + name + ">", b);
  return e == std::string::npos ? "" : xml.substr(b, e - b);
}

// An access key moto maps to `account` (see the top comment): an IAM user
// and key made in that account through moto's account header. moto does not
// check signatures, but routes by the Authorization header's credential
// scope, so a well-formed (unsigned) one names the IAM service.
Result<Profile> MotoAccountKey(const std::string& url, const std::string& name,
                               const std::string& account) {
  aws::HttpOptions options;
  options.env = std::make_shared<MapEnvironment>();  // no proxies: loopback only
  auto transport = aws::NewCurlTransport(options);
  auto call = [&](const std::string& body) -> Result<std::string> {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = url + "/";
    req.headers = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"x-moto-account-id", account},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIASETUP00000000000/20260101/us-east-1/iam/aws4_request, "
         "SignedHeaders=host, Signature=0"}};
    req.body = body + "&Version=2010-05-08";
    auto resp = transport->Send(req);
    if (!resp) return std::unexpected(std::move(resp).error());
    if (resp->status != 200)
      return std::unexpected(
          Error::Terminal("MotoIam", "HTTP " + std::to_string(resp->status) + ": " + resp->body));
    return resp->body;
  };
  auto user = call("Action=CreateUser&UserName=drsnap-" + name);
  if (!user) return std::unexpected(std::move(user).error());
  auto key = call("Action=CreateAccessKey&UserName=drsnap-" + name);
  if (!key) return std::unexpected(std::move(key).error());
  Profile p{name, account, XmlText(*key, "AccessKeyId"), XmlText(*key, "SecretAccessKey")};
  if (p.access_key_id.empty() || p.secret.empty())
    return std::unexpected(Error::Terminal("MotoIam", "no key in: " + *key));
  return p;
}

constexpr char kDrKey[] =
    "arn:aws:kms:us-west-2:210987654321:key/00000000-0000-0000-0000-00000000d001";

// The one policy both backends run. Only app-* databases are protected.
std::string PolicyYaml(const std::string& endpoint) {
  return std::string(R"(version: 1
accounts:
  prod: {id: ")") +
         kSourceAccount + R"(", profile: prod, endpoint_url: ")" + endpoint + R"("}
  dr: {id: ")" +
         kDrAccount + R"(", profile: dr, endpoint_url: ")" + endpoint + R"("}
policies:
  apps:
    databases: {names: ["app-*"], kinds: [instance]}
    source: {account: prod, region: us-east-1, from: snapshot}
    rpo: 24h
    targets:
      - account: dr
        regions:
          us-west-2: {kms_key: ")" +
         kDrKey + R"("}
    retention: {daily: 7}
)";
}

// drsnap-sim's world: the two accounts and the DR key; databases are seeded
// through the API like moto's.
std::string SimWorld(TimePoint start) {
  std::string w = "start_time: \"" + FormatIso8601Seconds(start) + "\"\n" +
                  "regions: [us-east-1, us-west-2]\naccounts:\n";
  for (const auto& p : Profiles()) {
    w += "  - id: \"" + p.id + "\"\n    name: " + p.name + "\n    access_keys:\n" +
         "      - {id: " + p.access_key_id + ", secret: " + p.secret + ", user: drsnap}\n";
    if (p.id == kDrAccount)
      w += "    kms_keys:\n      - {region: us-west-2, id: "
           "00000000-0000-0000-0000-00000000d001, alias: alias/dr}\n";
  }
  return w;
}

// One backend under test: the clouds, a reconciler and a typed RDS client of
// the source scope (the prod profile's credentials, the backend's endpoint).
class Backend {
 public:
  ~Backend() {
    reconciler.reset();
    cloud.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Writes the AWS config files and the policy, loads it, builds the clouds.
  // Empty on success, else what failed.
  std::string Init(const std::string& endpoint, std::shared_ptr<Clock> clock,
                   const std::vector<Profile>& profiles) {
    auto d = drsnap::testing::MakeTempDir("drsnap-pipeline-moto");
    if (!d) return d.error().ToString();
    dir_ = *d;
    if (auto st = drsnap::testing::WriteAwsProfiles(dir_, profiles); !st)
      return st.error().ToString();
    std::ofstream(dir_ + "/drsnap.yaml") << PolicyYaml(endpoint);
    auto env = drsnap::testing::AwsProfileEnvironment(dir_);
    auto cfg = config::LoadConfigFile(dir_ + "/drsnap.yaml");
    if (!cfg) return cfg.error().ToString();
    AwsCloudFactoryOptions o;
    o.env = env;
    o.retry.max_attempts = 2;
    auto clouds = MakeAwsClouds(*cfg, o);
    if (!clouds) return clouds.error().ToString();
    cloud = *clouds;
    auto* source = dynamic_cast<AwsCloud*>((*clouds)->For(kSourceAccount).get());
    if (source == nullptr) return "no AwsCloud for the source account";
    auto r = source->Rds("us-east-1");
    if (!r) return r.error().ToString();
    rds = *r;
    reconciler = std::make_unique<engine::Reconciler>(cloud, *cfg, std::move(clock));
    return "";
  }

  std::shared_ptr<MultiAccountCloud> cloud;
  std::shared_ptr<aws::RdsClient> rds;
  std::unique_ptr<engine::Reconciler> reconciler;

 private:
  std::string dir_;
};

// The same databases in both backends: three protected, one not, all
// unencrypted and without automated backups (moto has none), plus a manual
// snapshot drsnap did not make.
void Seed(aws::RdsClient& rds) {
  std::vector<std::string> ids = kProtected;
  ids.push_back(kUnprotected);
  for (const auto& id : ids) {
    auto db = rds.CreateDBInstance({.db_instance_identifier = id,
                                    .db_instance_class = "db.t3.micro",
                                    .engine = "postgres",
                                    .allocated_storage = 20,
                                    .master_username = "dbadmin",
                                    .master_user_password = "correct-horse-9",
                                    .backup_retention_period = 0,
                                    .storage_encrypted = false,
                                    .tags = {{"team", "apps"}}});
    ASSERT_TRUE(db) << id << ": " << db.error().ToString();
  }
}

void SeedUserSnapshot(aws::RdsClient& rds) {
  auto s = rds.CreateDBSnapshot({.db_snapshot_identifier = kUserSnapshot,
                                 .db_instance_identifier = "app-orders",
                                 .tags = {{"owner", "someone"}}});
  ASSERT_TRUE(s) << s.error().ToString();
}

bool IsSourceSideMutation(const engine::Action& a) {
  return a.scope == kSource && (a.kind == engine::ActionKind::kCreateSnapshot ||
                                a.kind == engine::ActionKind::kShareSnapshot ||
                                a.kind == engine::ActionKind::kDeleteSnapshot);
}

// Source-side actions of one run, as "kind db snapshot" lines; fails the
// test for a failed source-side action or an incompletely observed source.
std::vector<std::string> SourceActions(const engine::ReconcileReport& r, const std::string& who) {
  std::vector<std::string> out;
  for (const auto& res : r.apply.results) {
    if (!IsSourceSideMutation(res.action)) continue;
    out.push_back(std::string(engine::ActionKindName(res.action.kind)) + " " + res.action.db_id +
                  " " + res.action.snapshot_id);
    if (res.outcome == engine::Outcome::kFailed)
      ADD_FAILURE() << who << ": " << res.action.Describe() << ": " << res.error->ToString();
  }
  for (const auto& s : r.inventory.scopes)
    if (s.scope == kSource && !s.complete)
      ADD_FAILURE() << who << ": source scope incomplete: " << s.error;
  return out;
}

// What a backend holds on the source side, read back through the typed
// client: per manual snapshot, its DB, tags and restore share list.
struct SourceSnapshot {
  std::string db;
  std::vector<aws::Tag> tags;        // sorted by key
  std::vector<std::string> restore;  // sorted
  bool operator==(const SourceSnapshot&) const = default;
};
using SourceState = std::map<std::string, SourceSnapshot>;

void PrintTo(const SourceSnapshot& s, std::ostream* os) {
  *os << "db=" << s.db << " tags={";
  for (const auto& t : s.tags) *os << t.key << "=" << t.value << ",";
  *os << "} restore={";
  for (const auto& a : s.restore) *os << a << ",";
  *os << "}";
}

std::ostream& operator<<(std::ostream& os, const SourceState& st) {
  for (const auto& [id, s] : st) {
    os << "\n  " << id << " db=" << s.db << " tags={";
    for (const auto& t : s.tags) os << t.key << "=" << t.value << ",";
    os << "} restore={";
    for (const auto& a : s.restore) os << a << ",";
    os << "}";
  }
  return os;
}

SourceState ReadSource(aws::RdsClient& rds, const std::string& who) {
  SourceState out;
  auto listed = rds.DescribeDBSnapshotsAll({.snapshot_type = "manual", .max_records = 20});
  EXPECT_TRUE(listed) << who << ": " << listed.error().ToString();
  if (!listed) return out;
  for (const auto& s : *listed) {
    SourceSnapshot& o = out[s.db_snapshot_identifier];
    o.db = s.db_instance_identifier;
    o.tags = s.tag_list;
    std::sort(o.tags.begin(), o.tags.end(),
              [](const aws::Tag& a, const aws::Tag& b) { return a.key < b.key; });
    auto attrs = rds.DescribeDBSnapshotAttributes(s.db_snapshot_identifier);
    EXPECT_TRUE(attrs) << who << ": " << attrs.error().ToString();
    if (attrs) o.restore = attrs->Values("restore");
    std::sort(o.restore.begin(), o.restore.end());
  }
  return out;
}

std::string TagValue(const SourceSnapshot& s, const std::string& key) {
  for (const auto& t : s.tags)
    if (t.key == key) return t.value;
  return "<missing>";
}

// The scenario on one backend. Reconciles until a run issues no source-side
// action (at most 4 runs; `between` runs between them), then once more.
// Returns the source state at the end and the source-side actions per run.
struct ScenarioResult {
  SourceState state;
  std::vector<std::vector<std::string>> actions_per_run;
};

ScenarioResult RunScenario(Backend& b, TimePoint now, const std::string& who,
                           const std::function<void()>& between) {
  ScenarioResult out;
  for (int run = 0; run < 4; ++run) {
    auto report = b.reconciler->RunOnce(engine::ReconcileOptions{});
    if (std::getenv("DRSNAP_TEST_DEBUG") != nullptr) {
      for (const auto& res : report.apply.results)
        std::cerr << who << " run " << run << ": " << res.action.Describe() << " -> "
                  << static_cast<int>(res.outcome) << " "
                  << (res.error ? res.error->ToString() : "") << "\n";
      for (const auto& f : report.plan.findings) std::cerr << "  finding: " << f.message << "\n";
      for (const auto& sc : report.inventory.scopes)
        std::cerr << "  scope " << sc.scope.ToString() << " complete=" << sc.complete << " "
                  << sc.error << " snaps=" << sc.snapshots.size() << "\n";
    }
    out.actions_per_run.push_back(SourceActions(report, who));
    if (out.actions_per_run.back().empty()) break;
    between();
  }
  out.state = ReadSource(*b.rds, who);

  // Every protected database: exactly one capture, named from engine/naming.h,
  // tagged, shared with the DR account.
  for (const auto& db : kProtected) {
    SCOPED_TRACE(who + " " + db);
    std::vector<std::string> captures;
    for (const auto& [id, s] : out.state)
      if (s.db == db && id != kUserSnapshot) captures.push_back(id);
    EXPECT_EQ(captures.size(), 1u) << out.state;
    if (captures.size() != 1) continue;
    const std::string& id = captures[0];
    EXPECT_EQ(id, engine::naming::CaptureName(db, now, 0));
    auto lineage = engine::naming::ParseName(id);
    EXPECT_TRUE(lineage.has_value()) << id;
    if (lineage) {
      EXPECT_EQ(lineage->stage, engine::naming::NameStage::kCapture);
    }
    const SourceSnapshot& s = out.state.at(id);
    EXPECT_EQ(TagValue(s, engine::naming::kTagManaged), "true");
    EXPECT_EQ(TagValue(s, engine::naming::kTagPolicy), "apps");
    EXPECT_EQ(TagValue(s, engine::naming::kTagDb), db);
    EXPECT_EQ(TagValue(s, engine::naming::kTagStage), "capture");
    EXPECT_EQ(TagValue(s, engine::naming::kTagRecoveryPoint), FormatIso8601Seconds(now));
    EXPECT_EQ(s.restore, std::vector<std::string>{kDrAccount});
  }
  // The unprotected database has no snapshot; the user's snapshot is
  // neither shared nor deleted nor re-tagged.
  for (const auto& [id, s] : out.state) EXPECT_NE(s.db, kUnprotected) << who << " " << id;
  EXPECT_TRUE(out.state.contains(kUserSnapshot)) << who << out.state;
  if (out.state.contains(kUserSnapshot)) {
    const auto& u = out.state.at(kUserSnapshot);
    EXPECT_EQ(u.restore, std::vector<std::string>{}) << who;
    EXPECT_EQ(u.tags, (std::vector<aws::Tag>{{"owner", "someone"}})) << who;
  }
  for (const auto& run : out.actions_per_run)
    for (const auto& a : run) {
      EXPECT_EQ(a.find(kUnprotected), std::string::npos) << who << ": " << a;
      EXPECT_EQ(a.find(kUserSnapshot), std::string::npos) << who << ": " << a;
    }

  // Idempotent: one more reconcile issues no source-side action.
  auto again = b.reconciler->RunOnce(engine::ReconcileOptions{});
  EXPECT_EQ(SourceActions(again, who), std::vector<std::string>{}) << who;
  EXPECT_EQ(ReadSource(*b.rds, who), out.state) << who;
  return out;
}

// A minute-aligned "now" both backends plan with, so names agree.
TimePoint MinuteFloor(TimePoint t) { return std::chrono::floor<std::chrono::minutes>(t); }

TEST(PipelineMotoTest, SourceStagesAgreeWithDrsnapSim) {
  // --- moto ---
  MotoServer moto;
  ASSERT_EQ(moto.WaitUntilReady(), "");
  // moto stamps snapshots with the wall clock; the reconciler plans at the
  // current minute, held still so every run sees the same "now".
  const TimePoint now = MinuteFloor(std::chrono::system_clock::now());
  Backend on_moto;
  auto dr_key = MotoAccountKey(moto.url(), "dr", kDrAccount);
  ASSERT_TRUE(dr_key) << dr_key.error().ToString();
  ASSERT_EQ(on_moto.Init(moto.url(), std::make_shared<FakeClock>(now), {Profiles()[0], *dr_key}),
            "");
  Seed(*on_moto.rds);
  SeedUserSnapshot(*on_moto.rds);
  if (::testing::Test::HasFatalFailure()) return;
  ScenarioResult moto_result = RunScenario(on_moto, now, "moto", [] {});
  if (::testing::Test::HasFatalFailure()) return;

  // --- drsnap-sim, same policy, same seeding, same "now" ---
  auto made = sim::Simulator::FromWorldText(SimWorld(now - std::chrono::hours(1)), "world.yaml");
  ASSERT_TRUE(made) << made.error().ToString();
  std::shared_ptr<sim::Simulator> simulator(std::move(*made));
  auto server = sim::Server::Start(simulator, sim::ServerOptions{});
  ASSERT_TRUE(server) << server.error().ToString();
  Backend on_sim;
  ASSERT_EQ(on_sim.Init((*server)->endpoint(), std::make_shared<sim::SimulatorClock>(simulator),
                        Profiles()),
            "");
  Seed(*on_sim.rds);
  // The simulator creates databases over virtual time; moto at once.
  simulator->Advance(std::chrono::minutes(55));
  SeedUserSnapshot(*on_sim.rds);
  simulator->Advance(std::chrono::minutes(5));
  ASSERT_EQ(simulator->Now(), now);
  ScenarioResult sim_result =
      RunScenario(on_sim, now, "sim", [&] { simulator->Advance(std::chrono::minutes(10)); });

  // Both backends took the same source-side steps: the captures in the first
  // run, the shares in the second (the planner shares what it has observed),
  // then nothing.
  std::vector<std::string> creates, shares;
  for (const auto& db : kProtected) {
    creates.push_back("create " + db + " " + engine::naming::CaptureName(db, now, 0));
    shares.push_back("share " + db + " " + engine::naming::CaptureName(db, now, 0));
  }
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (const auto* r : {&moto_result, &sim_result}) {
    ASSERT_EQ(r->actions_per_run.size(), 3u);
    EXPECT_EQ(sorted(r->actions_per_run[0]), creates);
    EXPECT_EQ(sorted(r->actions_per_run[1]), shares);
    EXPECT_EQ(r->actions_per_run[2], std::vector<std::string>{});
  }

  // --- agree: the same snapshot names, tags and share lists ---
  EXPECT_EQ(moto_result.state, sim_result.state)
      << "moto:" << moto_result.state << "\nsim:" << sim_result.state;
  (*server)->Stop();
}

}  // namespace
}  // namespace drsnap::cloud
