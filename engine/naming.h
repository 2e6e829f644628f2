// Deterministic snapshot identifiers that carry lineage, and the tags drsnap
// writes. Names are derived from (database, recovery point, stage, attempt),
// so a retried action meets "...AlreadyExists" and counts it as done, and the
// DR side can tell source account, database and recovery point from the name
// alone (tags do not cross accounts).
//
// Grammar (all lower case, valid AWS identifiers: start with a letter,
// letters/digits/hyphens, no "--", no trailing hyphen, <= 63 chars for
// clusters and <= 255 for instances):
//
//   capture  drsnap-<db>-<ts>[-rN]                  source account, source region
//   raw      drsnap-<db>-<ts>-raw[-rN]              source; `snapshot` source on a
//                                                   default-key DB, before re-encryption
//   hop      drsnap-<srcacct>-<db>-<ts>-hop[-rN]    DR account, source region
//   vault    drsnap-<srcacct>-<db>-<ts>[-rN]        DR account, DR region
//
//   <db>      the DB id token: the DB identifier itself when short enough,
//             otherwise its first characters + "-" + 8 hex digits of a stable
//             64-bit FNV-1a hash of the full id (DbToken()). The budget is the
//             same for every stage, so one database has one token everywhere.
//   <srcacct> the 12-digit source account id (a DB id starts with a letter, so
//             a 12-digit token right after "drsnap-" always means an account)
//   <ts>      the recovery point, UTC, yyyymmddhhmm (minute precision)
//   -rN       attempt N >= 1 after a failed copy (N <= 999); absent = attempt 0
//
// Parsing goes right to left: [-rN], [-hop|-raw], 12-digit <ts>, then the rest.
//
// "Created by drsnap" (IsDrsnapCreated) — the one rule for deleting and for
// adopting (sharing, vaulting, counting for retention) a snapshot: it is
// drsnap's iff
//   - it is a manual snapshot owned by the scope it was seen from (not
//     automated, not shared), and its identifier parses with ParseName();
//   - it carries all seven drsnap tags, coherent with the name and with
//     each other: drsnap:managed=true; drsnap:stage the name's stage;
//     drsnap:db an id whose DbToken() is the name's token, and the database
//     AWS says the snapshot is of (DBInstanceIdentifier /
//     DBClusterIdentifier, when listed);
//     drsnap:recovery-point the name's point (to the minute);
//     drsnap:source-account the name's account (hop, vault) or the
//     snapshot's own account (capture, raw); drsnap:policy and
//     drsnap:source-arn not empty;
//   - its recovery point is one AWS's facts allow (WhyPointUntrusted): not
//     in the future of the observation, not after AWS made the snapshot
//     (SnapshotCreateTime), and AWS's own record of the point
//     (Snapshot::recovery_point: OriginalSnapshotCreateTime, or a cluster
//     snapshot's SnapshotCreateTime, which its copies keep) within
//     [point - kClockSkew, point + kPointTolerance].
// WhyNotDrsnapCreated() names what does not agree. A shared capture (no
// tags cross accounts) is trusted by the point rule alone, with its owner,
// name and DB id (LineageIndex::SharedCaptures). drsnap writes all the
// tags itself in every account it creates snapshots in (the capture in the
// source account; hop and vault copies with the DR account's own
// credentials). Tags can be forged by whoever may tag in that account: this
// rule keeps mistakes and look-alikes out; the boundary against an attacker
// is IAM (docs/deploy.md). Which policy may adopt a snapshot is its
// drsnap:policy tag (LineageEntry::OursFor).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "engine/model.h"

namespace drsnap::engine::naming {

inline constexpr std::string_view kPrefix = "drsnap";

// Tags drsnap writes on everything it creates.
inline constexpr char kTagManaged[] = "drsnap:managed";               // "true"
inline constexpr char kTagPolicy[] = "drsnap:policy";                 // policy name
inline constexpr char kTagSourceArn[] = "drsnap:source-arn";          // ARN of what was copied
inline constexpr char kTagDb[] = "drsnap:db";                         // full DB identifier
inline constexpr char kTagRecoveryPoint[] = "drsnap:recovery-point";  // ISO 8601, seconds
inline constexpr char kTagStage[] = "drsnap:stage";                   // capture|raw|hop|vault
inline constexpr char kTagSourceAccount[] = "drsnap:source-account";  // 12 digits

enum class NameStage { kCapture, kRaw, kHop, kVault };
const char* NameStageName(NameStage s);  // "capture" | "raw" | "hop" | "vault"
std::optional<NameStage> ParseNameStage(std::string_view s);

inline constexpr int kMaxAttempt = 999;

// The lineage a name carries.
struct Lineage {
  NameStage stage = NameStage::kCapture;
  std::string source_account;  // hop/vault only; "" for capture/raw
  std::string db_token;        // DbToken() of the database
  TimePoint recovery_point{};  // minute precision
  int attempt = 0;
  auto operator<=>(const Lineage&) const = default;
};

// The token that stands for db_id in names (see grammar). REQUIRES: db_id is
// non-empty. Lower-cases; replaces characters other than [a-z0-9-] with '-'
// and collapses "--" (then always hashes, since the id was altered).
std::string DbToken(std::string_view db_id);
// DbToken(db_id) == token, without building the token when db_id is one
// already (the usual case: no allocation).
bool HasDbToken(std::string_view db_id, std::string_view token);

// The recovery point as it appears in names (floored to the minute).
TimePoint NamePoint(TimePoint t);
std::string FormatNameTimestamp(TimePoint t);  // "202611230410"
std::optional<TimePoint> ParseNameTimestamp(std::string_view s);

// REQUIRES: attempt in [0, kMaxAttempt]; source_account 12 digits for hop/vault.
std::string MakeName(const Lineage& lineage);
std::string CaptureName(std::string_view db_id, TimePoint recovery_point, int attempt = 0);
std::string RawName(std::string_view db_id, TimePoint recovery_point, int attempt = 0);
std::string HopName(std::string_view source_account, std::string_view db_id,
                    TimePoint recovery_point, int attempt = 0);
std::string VaultName(std::string_view source_account, std::string_view db_id,
                      TimePoint recovery_point, int attempt = 0);

// Recovers the lineage of a drsnap-made identifier; nullopt for anything
// else (automated "rds:..." names, other tools' snapshots, malformed ids).
// Accepts full ARNs too (the part after the last ':').
std::optional<Lineage> ParseName(std::string_view snapshot_id_or_arn);

// The same without allocations: the views point into the argument, which
// must outlive the result (used to index a million snapshots).
struct LineageView {
  NameStage stage = NameStage::kCapture;
  std::string_view source_account;
  std::string_view db_token;
  TimePoint recovery_point{};
  int attempt = 0;
};
std::optional<LineageView> ParseNameView(std::string_view snapshot_id_or_arn);

// True when `id` is a valid identifier for a manual snapshot of `kind`
// (length, first letter, charset, no "--", no trailing hyphen).
bool IsValidSnapshotId(DbKind kind, std::string_view id);

// drsnap's tags on one snapshot, found in one pass over its tags; null where
// a tag is absent. The pointers point into `tags`.
struct DrsnapTags {
  const std::string* managed = nullptr;
  const std::string* policy = nullptr;
  const std::string* db = nullptr;
  const std::string* recovery_point = nullptr;
  const std::string* stage = nullptr;
  const std::string* source_account = nullptr;
  const std::string* source_arn = nullptr;
};
DrsnapTags FindDrsnapTags(const Tags& tags);

// How far AWS's clock may be behind drsnap's when a name is made from
// drsnap's clock (a `snapshot` capture): the point checks allow it.
inline constexpr std::chrono::minutes kClockSkew{5};
// How long after the point in its name AWS may have started a snapshot
// drsnap created on schedule (`snapshot` captures are named when planned).
inline constexpr std::chrono::hours kPointTolerance{1};

// The point rule above, for a snapshot observed at `observed_at` ({}:
// unknown, the future is not judged): "" when AWS's facts allow the point in
// its name, else why not.
std::string WhyPointUntrusted(const Snapshot& snapshot, const LineageView& lineage,
                              TimePoint observed_at);

// The rule above: "" when it holds, else what does not agree (one clause,
// e.g. "it has no drsnap:recovery-point tag").
std::string WhyNotDrsnapCreated(const Snapshot& snapshot, const LineageView& lineage,
                                const DrsnapTags& tags, TimePoint observed_at);

// The rule above. `snapshot` is as observed (tags from TagList) at
// `observed_at` ({}: the future is not judged).
bool IsDrsnapCreated(const Snapshot& snapshot, TimePoint observed_at = {});
// Same, when the caller already parsed the name (ParseNameView(snapshot.id))
// and found the snapshot's drsnap tags (FindDrsnapTags(snapshot.tags)).
bool IsDrsnapCreated(const Snapshot& snapshot, const LineageView& lineage, const DrsnapTags& tags,
                     TimePoint observed_at);

}  // namespace drsnap::engine::naming
