// A hand-built StatusReport + Inventory for the HTML report tests: three
// database x target rows in three states (ok, breached, unknown), vault
// copies available / copying / failed and one older than the timeline, a
// scope finding, a planner finding and a failed action.
#pragma once

#include <string>

#include "cli/report_html.h"
#include "core/time_util.h"
#include "engine/naming.h"
#include "engine/status.h"

namespace drsnap::testing {

struct ReportFixture {
  engine::StatusReport status;
  engine::Inventory inventory;
  std::vector<engine::ActionResult> results;
  std::vector<engine::Finding> findings;
  std::map<std::string, std::vector<cli::RpoSample>> history;

  cli::HtmlReportInput Input() const {
    cli::HtmlReportInput in;
    in.title = "test report";
    in.notes = {"a note with <markup> & \"quotes\""};
    in.status = &status;
    in.inventory = &inventory;
    in.results = results;
    in.findings = findings;
    in.history = history;
    in.appendix_title = "policy";
    in.appendix_text = "version: 1\n";
    return in;
  }
};

inline TimePoint At(const char* iso) { return *ParseIso8601(iso); }

inline ReportFixture MakeReportFixture() {
  using engine::Scope;
  using engine::Snapshot;
  using engine::SnapshotStatus;
  using std::chrono::hours;
  const Scope src{"111111111111", "us-east-1"};
  const Scope eu{"222222222222", "eu-west-1"};
  const Scope usw{"222222222222", "us-west-2"};
  const TimePoint now = At("2026-11-26T00:00:00Z");
  ReportFixture f;
  f.status.generated_at = now;
  f.inventory.observed_at = now;

  engine::TargetStatus ok;
  ok.policy = "critical";
  ok.kind = engine::DbKind::kInstance;
  ok.db_id = "orders";
  ok.source = src;
  ok.target = eu;
  ok.rpo = hours(6);
  ok.state = engine::RpoState::kOk;
  ok.reason = "the newest recoverable point is 2h old, within rpo 6h <ok>";
  ok.newest_point = At("2026-11-25T22:00:00Z");
  ok.newest_snapshot_id = engine::naming::VaultName("111111111111", "orders", *ok.newest_point);
  ok.age = hours(2);
  ok.vaulted_copies = 3;
  ok.in_flight.push_back(engine::InFlightCopy{
      engine::naming::VaultName("111111111111", "orders", At("2026-11-25T23:00:00Z")), eu, "vault",
      "copying", 42, At("2026-11-25T23:00:00Z"), At("2026-11-25T23:30:00Z")});
  ok.tiers = {{"newest", 1}, {"hourly", 3}, {"daily", 2}};

  engine::TargetStatus breached = ok;
  breached.target = usw;
  breached.state = engine::RpoState::kBreached;
  breached.reason = "the newest recoverable point is 1d2h old, over rpo 6h";
  breached.newest_point = At("2026-11-24T22:00:00Z");
  breached.newest_snapshot_id =
      engine::naming::VaultName("111111111111", "orders", *breached.newest_point);
  breached.age = hours(26);
  breached.vaulted_copies = 1;
  breached.in_flight.clear();
  breached.tiers = {{"newest", 1}};

  engine::TargetStatus unknown;
  unknown.policy = "critical";
  unknown.kind = engine::DbKind::kCluster;
  unknown.db_id = "ledger";
  unknown.source = src;
  unknown.target = eu;
  unknown.rpo = hours(6);
  unknown.state = engine::RpoState::kUnknown;
  unknown.reason = "never vaulted in this target";
  f.status.rows = {unknown, ok, breached};
  f.status.findings.push_back(engine::Finding{engine::Finding::Severity::kError, "", "",
                                              Scope{"222222222222", "ap-south-1"},
                                              "scope could not be listed: AccessDenied"});

  auto snap = [&](Scope scope, engine::DbKind kind, std::string id, engine::SnapshotType type,
                  SnapshotStatus status, TimePoint point, int pct, std::string db) {
    Snapshot s;
    s.kind = kind;
    s.id = std::move(id);
    s.scope = scope;
    s.seen_from = scope;
    s.db_id = std::move(db);
    s.type = type;
    s.status = status;
    s.percent_progress = pct;
    s.recovery_point = point;
    s.create_time = point;
    return s;
  };
  using engine::DbKind;
  using engine::SnapshotType;
  engine::ScopeInventory source;
  source.scope = src;
  source.snapshots = {
      snap(src, DbKind::kInstance, "rds:orders-2026-11-25-03-00", SnapshotType::kAutomated,
           SnapshotStatus::kAvailable, At("2026-11-25T03:00:00Z"), 100, "orders"),
      snap(src, DbKind::kInstance,
           engine::naming::CaptureName("orders", At("2026-11-25T23:00:00Z")), SnapshotType::kManual,
           SnapshotStatus::kAvailable, At("2026-11-25T23:00:00Z"), 100, "orders"),
      // Someone else's snapshot of another database: not on any timeline.
      snap(src, DbKind::kInstance, "manual-backup", SnapshotType::kManual,
           SnapshotStatus::kAvailable, At("2026-11-25T12:00:00Z"), 100, "billing"),
  };
  engine::ScopeInventory eu_inv;
  eu_inv.scope = eu;
  auto vault = [&](Scope scope, const char* iso, SnapshotStatus st, int pct) {
    return snap(scope, DbKind::kInstance,
                engine::naming::VaultName("111111111111", "orders", At(iso)), SnapshotType::kManual,
                st, At(iso), pct, "orders");
  };
  eu_inv.snapshots = {
      vault(eu, "2026-11-25T14:00:00Z", SnapshotStatus::kAvailable, 100),
      vault(eu, "2026-11-25T18:00:00Z", SnapshotStatus::kAvailable, 100),
      vault(eu, "2026-11-25T22:00:00Z", SnapshotStatus::kAvailable, 100),
      vault(eu, "2026-11-25T23:00:00Z", SnapshotStatus::kCopying, 42),
      vault(eu, "2026-09-01T00:00:00Z", SnapshotStatus::kAvailable, 100),  // older than the window
  };
  engine::ScopeInventory usw_inv;
  usw_inv.scope = usw;
  usw_inv.snapshots = {
      vault(usw, "2026-11-24T22:00:00Z", SnapshotStatus::kAvailable, 100),
      snap(usw, DbKind::kInstance,
           engine::naming::VaultName("111111111111", "orders", At("2026-11-25T14:00:00Z")),
           SnapshotType::kManual, SnapshotStatus::kFailed, At("2026-11-25T14:00:00Z"), 0, "orders"),
  };
  f.inventory.scopes = {source, eu_inv, usw_inv};

  engine::ActionResult failed;
  failed.action.kind = engine::ActionKind::kCopySnapshot;
  failed.action.stage = engine::Stage::kVault;
  failed.action.db_kind = DbKind::kInstance;
  failed.action.scope = usw;
  failed.action.policy = "critical";
  failed.action.db_id = "orders";
  failed.action.snapshot_id =
      engine::naming::VaultName("111111111111", "orders", At("2026-11-25T14:00:00Z"), 1);
  failed.action.source_arn = "arn:aws:rds:us-east-1:222222222222:snapshot:x-hop";
  failed.outcome = engine::Outcome::kFailed;
  failed.error = Error::Terminal("KMSKeyNotAccessibleFault", "the key is disabled");
  engine::ActionResult done = failed;
  done.outcome = engine::Outcome::kDone;
  done.error.reset();
  f.results = {done, failed};

  f.findings.push_back(engine::Finding{engine::Finding::Severity::kWarning, "critical", "ledger",
                                       src, "waiting for the cluster snapshot to be available"});

  const std::string ok_key = cli::HtmlRowKey(ok);
  for (int i = 0; i <= 12; ++i) {
    TimePoint t = now - hours(12) + hours(i);
    f.history[ok_key].push_back(cli::RpoSample{t, true, hours(i % 4 + 1), engine::RpoState::kOk});
  }
  return f;
}

}  // namespace drsnap::testing
