// Anomalies in a database's stream of recovery points, as the vault side
// sees them: the signs that the production account is no longer making
// honest snapshots (compromised, or the database replaced), which a
// retention policy must not act on by itself. While a database has an
// anomaly, its vault copies are not deleted for retention (the planner and
// the delete guard both ask FindAnomalies) and an error finding says why,
// until a person reviews it and runs `drsnap clear-anomaly`, which records
// the review as a tag on the vault copies in the DR account — where the
// production account cannot write.
//
// Pure: no clock, no I/O. Thread safety: none needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/clock.h"
#include "engine/model.h"

namespace drsnap::engine {

// The tag `drsnap clear-anomaly` puts on a database's newest vault copy in
// each DR region: ISO-8601 time of the review. Evidence at or before the
// newest such time is not an anomaly any more.
inline constexpr std::string_view kTagAnomalyCleared = "drsnap:anomaly-cleared";

// One recovery point of the database, from a snapshot whose point drsnap
// trusts (naming::WhyPointUntrusted found nothing).
struct PointEvidence {
  TimePoint point{};
  // AWS's creation time of the capture that carries the point (TimePoint{}
  // when only vault copies were seen: a vault copy's creation is when drsnap
  // copied it, which says nothing about the order points were made in).
  TimePoint captured_at{};
  // Views into the snapshot the evidence comes from, which must outlive the
  // FindAnomalies call (no copies: the planner gathers this for every
  // database whose vault copies it would delete).
  std::string_view engine;       // "" when unknown
  int64_t allocated_gb = 0;       // 0 when unknown (Aurora reports none)
  std::string_view snapshot_id;  // for the finding
};

struct Anomaly {
  std::string what;  // one sentence, names the snapshots
  TimePoint since;   // the point where it shows
};

// Points allowed in any 24 hours beyond the schedule's (a retry, a manual
// `drsnap apply`, a backup window moving): more is a burst.
inline constexpr int kBurstSlack = 2;

// How often the policy makes a recovery point: every rpo - capture_margin
// (`from: snapshot`), or daily (`from: automated`: RDS backs up once a day).
Duration PointInterval(const config::Policy& policy);

// The anomalies among `evidence` newer than `cleared` (points at or before it
// were reviewed):
//  - a burst: more distinct points within 24 hours than 24h / interval +
//    kBurstSlack (interval: PointInterval of the policy);
//  - the engine changes between consecutive points;
//  - the allocated storage shrinks between consecutive points (RDS cannot
//    shrink an instance's storage: a smaller one is another database);
//  - points out of order: a capture made more than a day after the capture
//    of a point newer than its own by more than a day.
// Several points of one recovery point (copies in several regions) count once.
std::vector<Anomaly> FindAnomalies(std::vector<PointEvidence> evidence, Duration interval,
                                   TimePoint cleared);

class LineageIndex;

// The evidence FindAnomalies judges for database (kind, db_id) under
// `policy`, as `index` sees it — the one gathering the planner and the
// delete guard both use: every available snapshot of a point drsnap trusts,
// namely the policy's captures in its source scope (with AWS's creation
// time), the captures the source account shared with each target account
// (point trusted, of this database; naming::WhyPointUntrusted) and the
// policy's vault copies in every target region. `cleared`: the newest
// kTagAnomalyCleared time on those vault copies (TimePoint{} when none).
// The PointEvidence views point into the index's inventory.
struct DatabaseEvidence {
  std::vector<PointEvidence> points;
  TimePoint cleared{};
};
DatabaseEvidence GatherEvidence(const LineageIndex& index, const config::Policy& policy,
                                DbKind kind, std::string_view db_id);

// FindAnomalies over GatherEvidence with the policy's PointInterval.
std::vector<Anomaly> AnomaliesOf(const LineageIndex& index, const config::Policy& policy,
                                 DbKind kind, std::string_view db_id);

// The one sentence that says `db_id`'s vault retention is frozen by
// `anomalies` (REQUIRES: not empty) and what a person does about it.
std::string FrozenRetentionSentence(std::string_view db_id, const std::vector<Anomaly>& anomalies);

}  // namespace drsnap::engine
