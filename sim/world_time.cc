// The virtual clock's agenda: automated backups, snapshot creation and copy
// completion, automated-snapshot expiry, databases becoming available.
#include <algorithm>
#include <cmath>

#include "sim/world.h"

namespace drsnap::sim {

using namespace std::chrono;

namespace {

// The next start of a daily "HH:MM-HH:MM" window strictly after t.
TimePoint NextWindowStart(std::string_view window, TimePoint t) {
  auto w = ParseWindow(window);
  int start_min = w ? w->first : 4 * 60;
  auto day = floor<days>(t);
  TimePoint cand = day + minutes(start_min);
  while (cand <= t) cand += days(1);
  return cand;
}

}  // namespace

Duration World::CreateDuration(int size_gb) const {
  double secs = size_gb * 1024.0 / settings.create_mbps;
  return seconds(std::max<long long>(settings.min_step_seconds, std::llround(secs)));
}

Duration World::CopyDuration(int size_gb, bool cross_region, bool incremental) const {
  double mbps = cross_region ? settings.cross_region_mbps : settings.same_region_mbps;
  double secs = size_gb * 1024.0 / mbps;
  if (incremental) secs /= settings.incremental_speedup;
  return seconds(std::max<long long>(settings.min_step_seconds, std::llround(secs)));
}

void World::ScheduleBackup(Scope& s, Database& db) {
  // Aurora cluster members are backed up by their cluster.
  if (db.retention_days <= 0 || !db.cluster_id.empty()) return;
  if (db.next_backup <= now) db.next_backup = NextWindowStart(db.backup_window, now);
  agenda_.emplace(db.next_backup,
                  Task{Task::kBackup, db.cluster, s.account, s.region, db.info->db_id});
}

void World::ScheduleJobEnd(Snapshot* snap) {
  agenda_.emplace(snap->job_end, Task{Task::kJobEnd, snap->cluster, snap->scope->account,
                                      snap->scope->region, snap->id});
}

void World::ScheduleExpiry(Snapshot* snap) {
  if (!snap->automated) return;
  agenda_.emplace(
      snap->create_time + days(snap->retention_days),
      Task{Task::kExpire, snap->cluster, snap->scope->account, snap->scope->region, snap->id});
}

void World::ScheduleDbReady(Scope& s, Database& db) {
  agenda_.emplace(db.ready_at,
                  Task{Task::kDbReady, db.cluster, s.account, s.region, db.info->db_id});
}

void World::RebuildAgenda() {
  agenda_.clear();
  for (auto& [key, sp] : scopes) {
    Scope& s = *sp;
    for (int k = 0; k < 2; ++k) {
      for (auto& [id, db] : s.dbs[k]) {
        if (db.status == "creating")
          ScheduleDbReady(s, db);
        else
          ScheduleBackup(s, db);
      }
      for (auto& [id, snap] : s.snaps[k]) {
        if (snap->status == SnapStatus::kCreating || snap->status == SnapStatus::kCopying)
          ScheduleJobEnd(snap.get());
        if (snap->automated) ScheduleExpiry(snap.get());
      }
    }
  }
}

Snapshot* World::TakeSnapshot(Scope& s, Database& db, std::string id, bool automated,
                              std::shared_ptr<const Creator> creator) {
  auto snap = std::make_unique<Snapshot>();
  snap->id = std::move(id);
  snap->cluster = db.cluster;
  snap->db = db.info;
  snap->kms_key_arn = db.kms_key_arn;
  snap->automated = automated;
  snap->create_time = now;
  snap->original_create_time = now;
  snap->job_start = now;
  snap->job_end = now + CreateDuration(db.info->size_gb);
  snap->status = SnapStatus::kCreating;
  snap->retention_days = static_cast<uint16_t>(std::max(0, db.retention_days));
  snap->fail_at_end = TakeFault("fail_snapshots", s.account, s.region);
  snap->creator = creator ? std::move(creator) : AutomatedCreator();
  if (!automated && !db.cluster) {
    // CopyTagsToSnapshot is not modelled as a DB attribute; manual snapshots
    // start without tags, like AWS's default.
  }
  Snapshot* p = InsertSnap(s, std::move(snap));
  if (!p) return nullptr;
  ScheduleJobEnd(p);
  if (automated) ScheduleExpiry(p);
  std::string arn = SnapshotArn(*p);
  if (db.cluster) {
    Record(s, automated ? "RDS-EVENT-0168" : "RDS-EVENT-0074", "creation", "db-cluster-snapshot",
           p->id, arn,
           automated ? "Creating automated cluster snapshot" : "Creating manual cluster snapshot");
  } else {
    Record(s, automated ? "RDS-EVENT-0090" : "RDS-EVENT-0040", "creation", "db-snapshot", p->id,
           arn, automated ? "Creating automated snapshot" : "Creating manual snapshot");
  }
  return p;
}

void World::FinishJob(Snapshot* snap) {
  Scope& s = *snap->scope;
  bool was_copy = snap->status == SnapStatus::kCopying;
  bool failed = snap->fail_at_end;
  if (was_copy && !failed) {
    // Deleting the source before the copy completes fails the copy.
    auto p = ParseArn(snap->source_arn);
    Scope* src_scope = p ? FindScope(p->account, p->region) : nullptr;
    Snapshot* src = src_scope ? FindSnap(*src_scope, snap->cluster, p->resource) : nullptr;
    if (!src) failed = true;
  }
  s.in_flight.erase(snap);
  snap->status = failed ? SnapStatus::kFailed : SnapStatus::kAvailable;
  std::string arn = SnapshotArn(*snap);
  if (was_copy) {
    if (snap->cluster) return;  // no cluster copy-finished event is documented
    bool cross = snap->cross_region();
    auto mins = duration_cast<minutes>(snap->job_end - snap->create_time).count();
    if (failed) {
      Record(s, cross ? "RDS-EVENT-0061" : "RDS-EVENT-0190", "notification", "db-snapshot",
             snap->id, arn,
             std::string(cross ? "Canceled cross region copy of snapshot "
                               : "Canceled copy of snapshot ") +
                 snap->source_arn + ".");
    } else if (cross) {
      Record(s, "RDS-EVENT-0060", "notification", "db-snapshot", snap->id, arn,
             "Finished cross region copy of snapshot " + snap->source_arn + " from source " +
                 snap->source_region + " in " + std::to_string(mins) + " minutes.");
    } else {
      Record(s, "RDS-EVENT-0197", "notification", "db-snapshot", snap->id, arn,
             "Finished copy of snapshot " + snap->source_arn + ".");
    }
    return;
  }
  if (failed) {
    Record(s, snap->cluster ? "RDS-EVENT-0074" : "RDS-EVENT-0040", "failure",
           snap->cluster ? "db-cluster-snapshot" : "db-snapshot", snap->id, arn,
           "Snapshot creation failed");
    return;
  }
  if (snap->cluster) {
    Record(
        s, snap->automated ? "RDS-EVENT-0169" : "RDS-EVENT-0075", "creation", "db-cluster-snapshot",
        snap->id, arn,
        snap->automated ? "Automated cluster snapshot created" : "Manual cluster snapshot created");
  } else {
    Record(s, snap->automated ? "RDS-EVENT-0091" : "RDS-EVENT-0042", "creation", "db-snapshot",
           snap->id, arn,
           snap->automated ? "Automated snapshot created" : "Manual snapshot created");
  }
}

void World::RunTask(TimePoint at, const Task& task) {
  Scope* s = FindScope(task.account, task.region);
  if (!s) return;
  int k = task.cluster ? 1 : 0;
  switch (task.kind) {
    case Task::kBackup: {
      auto it = s->dbs[k].find(task.id);
      if (it == s->dbs[k].end()) return;
      Database& db = it->second;
      if (db.next_backup != at || db.retention_days <= 0) return;  // stale task
      // Aurora cluster members are backed up by their cluster.
      if (!db.cluster_id.empty()) return;
      if (db.status == "available") {
        std::string id = AutomatedSnapshotId(db.info->db_id, now);
        if (!FindSnap(*s, db.cluster, id)) TakeSnapshot(*s, db, id, /*automated=*/true);
      }
      db.next_backup = at + days(1);
      ScheduleBackup(*s, db);
      return;
    }
    case Task::kJobEnd: {
      Snapshot* snap = FindSnap(*s, task.cluster, task.id);
      if (!snap || snap->job_end != at) return;
      if (snap->status != SnapStatus::kCreating && snap->status != SnapStatus::kCopying) return;
      FinishJob(snap);
      return;
    }
    case Task::kExpire: {
      Snapshot* snap = FindSnap(*s, task.cluster, task.id);
      if (!snap || !snap->automated) return;
      if (snap->create_time + days(snap->retention_days) != at) return;
      EraseSnap(snap);
      return;
    }
    case Task::kDbReady: {
      auto it = s->dbs[k].find(task.id);
      if (it == s->dbs[k].end()) return;
      Database& db = it->second;
      if (db.status != "creating" || db.ready_at != at) return;
      if (db.fail_when_ready) {
        // AWS's status for a restore that cannot complete; it stays there.
        db.status = "incompatible-restore";
        return;
      }
      db.status = "available";
      std::string arn = DbArn(s->region, s->account, db.cluster, db.info->db_id);
      if (!db.restored_from.empty()) {
        Record(*s, db.cluster ? "RDS-EVENT-0170" : "RDS-EVENT-0043", "restoration",
               db.cluster ? "db-cluster" : "db-instance", db.info->db_id, arn,
               "Restored from snapshot " + db.restored_from);
      } else {
        Record(*s, db.cluster ? "RDS-EVENT-0170" : "RDS-EVENT-0005", "creation",
               db.cluster ? "db-cluster" : "db-instance", db.info->db_id, arn,
               db.cluster ? "DB cluster created" : "DB instance created");
      }
      ScheduleBackup(*s, db);
      return;
    }
  }
}

void World::AdvanceTo(TimePoint t) {
  while (!agenda_.empty() && agenda_.begin()->first <= t) {
    auto node = agenda_.extract(agenda_.begin());
    if (node.value().first > now) now = node.value().first;
    RunTask(node.value().first, node.value().second);
  }
  if (t > now) now = t;
}

}  // namespace drsnap::sim
