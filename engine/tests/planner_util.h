// Test helpers for the planner, retention and status tests: inventory
// builders, a small text format for inventories (golden files), and plan
// rendering.
#pragma once

#include <string>
#include <string_view>

#include "config/policy.h"
#include "core/clock.h"
#include "engine/model.h"
#include "engine/naming.h"
#include "testing/golden.h"

namespace drsnap::engine::testutil {

inline constexpr char kProd[] = "111111111111";
inline constexpr char kVault[] = "222222222222";
inline constexpr char kVault2[] = "333333333333";
inline constexpr char kSrcRegion[] = "us-east-1";
inline constexpr char kDrRegion[] = "eu-west-1";
inline constexpr char kDrRegion2[] = "eu-central-1";
inline constexpr char kDefaultKey[] = "arn:aws:kms:us-east-1:111111111111:key/default-rds";
inline constexpr char kCustomerKey[] = "arn:aws:kms:us-east-1:111111111111:key/app";
inline constexpr char kShareKey[] = "arn:aws:kms:us-east-1:111111111111:key/share";

TimePoint T(std::string_view iso);

// Parses YAML policy text; aborts the test binary on errors (test input).
config::Config MustConfig(std::string_view yaml);
// One policy 'orders' protecting names "orders*" in prod/us-east-1, from
// `source` ("automated"|"snapshot"), rpo, targets vault/eu-west-1 (+ the
// extra yaml appended under the policy, e.g. retention). min_retention is
// off (0s), so that retention alone decides: its own tests set it.
config::Config StandardConfig(const std::string& source = "automated",
                              const std::string& rpo = "24h",
                              const std::string& retention = "{daily: 7}",
                              const std::string& extra_targets = "");

// Builds inventories in code.
class World {
 public:
  // Starts with the (empty, complete) scopes StandardConfig() observes:
  // prod/us-east-1, vault/eu-west-1, vault/us-east-1.
  // References returned by the builders stay valid while a World holds at
  // most kMaxScopes scopes and kMax*PerScope items per scope (it aborts
  // beyond that rather than leave them dangling).
  static constexpr size_t kMaxScopes = 32;
  static constexpr size_t kMaxSnapshotsPerScope = 20000;
  static constexpr size_t kMaxDatabasesPerScope = 256;
  World();
  Inventory inv;

  ScopeInventory& At(const std::string& account, const std::string& region);
  Database& Db(const std::string& id, DbKind kind = DbKind::kInstance,
               const std::string& account = kProd, const std::string& region = kSrcRegion);
  Snapshot& Automated(const std::string& db, TimePoint point, DbKind kind = DbKind::kInstance);
  // A drsnap capture (name, tags) of db at point, in prod/us-east-1.
  Snapshot& Capture(const std::string& db, TimePoint point,
                    SnapshotStatus status = SnapshotStatus::kAvailable,
                    std::vector<std::string> shared_with = {kVault}, int attempt = 0,
                    DbKind kind = DbKind::kInstance, const std::string& policy = "orders");
  Snapshot& Raw(const std::string& db, TimePoint point,
                SnapshotStatus status = SnapshotStatus::kAvailable);
  Snapshot& Vault(const std::string& db, TimePoint point,
                  SnapshotStatus status = SnapshotStatus::kAvailable,
                  const std::string& account = kVault, const std::string& region = kDrRegion,
                  int attempt = 0, DbKind kind = DbKind::kInstance,
                  const std::string& policy = "orders");
  Snapshot& Hop(const std::string& db, TimePoint point,
                SnapshotStatus status = SnapshotStatus::kAvailable,
                const std::string& account = kVault, int attempt = 0,
                DbKind kind = DbKind::kInstance);
  // Any manual snapshot (no tags).
  Snapshot& Manual(const std::string& id, const std::string& db, const std::string& account = kProd,
                   const std::string& region = kSrcRegion);
  // Adds a snapshot as is (scope/seen_from filled from its scope if empty).
  Snapshot& Add(Snapshot s);
};

// A drsnap-made snapshot's tags for the given name.
Tags ManagedTags(const std::string& id, const std::string& policy, const std::string& db);

// The text format (one item per line, '#' comments, key=value fields):
//   now 2026-11-25T12:00:00Z
//   scope 111111111111/us-east-1 [incomplete=why] [default-key=ARN]
//   db <id> [kind=cluster] [engine=postgres] [status=available] [key=ARN] [og=name]
//          [scope=acct/region] [tags=k:v,k:v] [retention=7]
//   snap <id> [scope=acct/region] [kind=cluster] [type=automated|manual|shared] [db=id]
//          [status=available] [point=ISO] [created=ISO] [key=ARN] [shared=acct,acct]
//          [source=ARN] [progress=N] [managed=policy] [tags=k:v,...] [seen=acct/region]
//   refused 222222222222/eu-west-1        (facts.one_step_copy_refused)
// `managed=policy` adds drsnap's tags derived from the name (db= if given).
// snap scope defaults to the last `scope` line; point defaults to the name's
// timestamp (drsnap names) or created.
// Returns an error message in *error on bad input.
Inventory ParseInventoryText(std::string_view text, TimePoint* now, std::string* error);

// One block per action ("<stage> <describe>\n  kms=... og=... region=...\n  why: ...")
// then one line per finding.
std::string RenderPlan(const Plan& plan);

// The capture actions (create or copy at Stage::kCapture) of `db` in `plan`.
int CapturesOf(const Plan& plan, const std::string& db);

// Golden files (testdata/planner/*.golden: sections "=== config",
// "=== inventory" and "=== plan"): testing/golden.h.
using drsnap::testing::ReadTestdata;
using drsnap::testing::UpdateGolden;
using drsnap::testing::WriteTestdata;

}  // namespace drsnap::engine::testutil
