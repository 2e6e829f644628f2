#include "engine/anomaly.h"

#include <algorithm>

#include "core/strings.h"
#include "core/time_util.h"
#include "engine/lineage_index.h"
#include "engine/naming.h"

namespace drsnap::engine {

using std::chrono::hours;

Duration PointInterval(const config::Policy& policy) {
  if (policy.capture == config::CaptureSource::kSnapshot && policy.rpo > policy.capture_margin)
    return policy.rpo - policy.capture_margin;
  return hours(24);
}

std::vector<Anomaly> FindAnomalies(std::vector<PointEvidence> evidence, Duration interval,
                                   TimePoint cleared) {
  std::vector<Anomaly> out;
  // One entry per point (sorted, merged in place: no allocation per point):
  // the first capture time seen and the known facts.
  std::erase_if(evidence, [&](const PointEvidence& e) { return e.point <= cleared; });
  std::stable_sort(evidence.begin(), evidence.end(),
            [](const PointEvidence& a, const PointEvidence& b) { return a.point < b.point; });
  size_t n = 0;
  for (size_t i = 0; i < evidence.size(); ++i) {
    PointEvidence& e = evidence[i];
    if (n > 0 && evidence[n - 1].point == e.point) {
      PointEvidence& p = evidence[n - 1];
      if (e.captured_at != TimePoint{} &&
          (p.captured_at == TimePoint{} || e.captured_at < p.captured_at)) {
        p.captured_at = e.captured_at;
        p.snapshot_id = e.snapshot_id;
      }
      if (p.engine.empty()) p.engine = e.engine;
      if (p.allocated_gb == 0) p.allocated_gb = e.allocated_gb;
      continue;
    }
    if (n != i) evidence[n] = e;
    ++n;
  }
  evidence.resize(n);
  if (evidence.empty()) return out;
  std::vector<const PointEvidence*> sorted;
  sorted.reserve(evidence.size());
  for (const auto& p : evidence) sorted.push_back(&p);

  // Burst: a sliding 24-hour window over the points.
  const int64_t per_day =
      interval.count() > 0 ? static_cast<int64_t>(Duration(hours(24)) / interval) : int64_t{1};
  const int64_t allowed = std::max<int64_t>(per_day, 1) + kBurstSlack;
  for (size_t first = 0, last = 0; last < sorted.size(); ++last) {
    while (sorted[last]->point - sorted[first]->point >= hours(24)) ++first;
    if (static_cast<int64_t>(last - first + 1) > allowed) {
      out.push_back({std::to_string(last - first + 1) + " recovery points between " +
                         FormatIso8601Seconds(sorted[first]->point) + " and " +
                         FormatIso8601Seconds(sorted[last]->point) + " (a point every " +
                         FormatDuration(std::chrono::duration_cast<std::chrono::seconds>(interval)) +
                         " allows " + std::to_string(allowed) + " in a day); the newest is " +
                         std::string(sorted[last]->snapshot_id),
                     sorted[first]->point});
      break;
    }
  }
  for (size_t i = 1; i < sorted.size(); ++i) {
    const PointEvidence& a = *sorted[i - 1];
    const PointEvidence& b = *sorted[i];
    if (!a.engine.empty() && !b.engine.empty() && a.engine != b.engine) {
      out.push_back({"the engine changed from " + std::string(a.engine) + " (" +
                         std::string(a.snapshot_id) + ") to " + std::string(b.engine) + " (" +
                         std::string(b.snapshot_id) + ")",
                     b.point});
    }
    if (a.allocated_gb > 0 && b.allocated_gb > 0 && b.allocated_gb < a.allocated_gb) {
      out.push_back({"the allocated storage shrank from " + std::to_string(a.allocated_gb) +
                         " GB (" + std::string(a.snapshot_id) + ") to " +
                         std::to_string(b.allocated_gb) + " GB (" + std::string(b.snapshot_id) +
                         "); RDS cannot shrink a database's storage",
                     b.point});
    }
  }
  // Out of order: an older point captured well after a newer one.
  for (size_t i = 0; i < sorted.size(); ++i) {
    const PointEvidence& older = *sorted[i];
    if (older.captured_at == TimePoint{}) continue;
    for (size_t j = i + 1; j < sorted.size(); ++j) {
      const PointEvidence& newer = *sorted[j];
      if (newer.captured_at == TimePoint{} || newer.point - older.point <= hours(24)) continue;
      if (older.captured_at - newer.captured_at > hours(24)) {
        out.push_back({"recovery point " + FormatIso8601Seconds(older.point) + " (" +
                           std::string(older.snapshot_id) + ") was captured at " +
                           FormatIso8601Seconds(older.captured_at) + ", after the newer point " +
                           FormatIso8601Seconds(newer.point) + " (" + std::string(newer.snapshot_id) + ")",
                       older.point});
        i = sorted.size();  // one finding of this kind is enough
        break;
      }
    }
  }
  return out;
}

DatabaseEvidence GatherEvidence(const LineageIndex& index, const config::Policy& policy,
                                DbKind kind, std::string_view db_id) {
  DatabaseEvidence out;
  const std::string token = naming::DbToken(db_id);
  auto add = [&](const LineageEntry& e, bool capture) {
    const Snapshot& s = *e.snapshot;
    if (e.status != SnapshotStatus::kAvailable) return;
    out.points.push_back({e.lineage.recovery_point, capture ? s.create_time : TimePoint{},
                          s.engine, s.kind == DbKind::kInstance ? s.allocated_gb : 0,
                          s.id.str()});
  };
  const Scope source{policy.source_account_id, policy.source_region};
  for (const LineageEntry& e : index.Lineages(source, "", token, kind))
    if (e.lineage.stage == naming::NameStage::kCapture && e.OursFor(db_id, policy.name))
      add(e, true);
  for (const auto& t : policy.targets) {
    if (t.account_id != policy.source_account_id) {
      // What the target account sees shared by the source account, in the
      // source region (tags do not cross accounts: owner, name and DB id).
      for (const LineageEntry& e : index.SharedCaptures(Scope{t.account_id, policy.source_region},
                                                        policy.source_account_id, token, kind)) {
        const Snapshot& s = *e.snapshot;
        if (s.scope == source && s.db_id == db_id && e.point_trusted) add(e, true);
      }
    }
    for (const auto& r : t.regions) {
      for (const LineageEntry& e :
           index.Lineages(Scope{t.account_id, r.region}, policy.source_account_id, token, kind)) {
        if (e.lineage.stage != naming::NameStage::kVault || !e.OursFor(db_id, policy.name))
          continue;
        add(e, false);
        if (auto it = e.snapshot->tags.find(std::string(kTagAnomalyCleared));
            it != e.snapshot->tags.end())
          if (auto when = ParseIso8601(it->second)) out.cleared = std::max(out.cleared, *when);
      }
    }
  }
  return out;
}

std::vector<Anomaly> AnomaliesOf(const LineageIndex& index, const config::Policy& policy,
                                 DbKind kind, std::string_view db_id) {
  DatabaseEvidence ev = GatherEvidence(index, policy, kind, db_id);
  return FindAnomalies(std::move(ev.points), PointInterval(policy), ev.cleared);
}

std::string FrozenRetentionSentence(std::string_view db_id,
                                    const std::vector<Anomaly>& anomalies) {
  std::vector<std::string> what;
  for (const auto& a : anomalies) what.push_back(a.what);
  const std::string db(db_id);
  return "vault retention of " + db + " is frozen: " + Join(what, "; ") +
         ". Nothing is deleted from the vault until a person checks these snapshots and runs "
         "`drsnap clear-anomaly --db " +
         db + "` (docs/configuration.md)";
}

}  // namespace drsnap::engine
