// An index over an Inventory by lineage (naming.h), shared by the planner,
// the delete guard and the status report. Built once per inventory in
// O(snapshots); lookups are hash lookups.
//
// Thread safety: immutable after construction; the Inventory must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/model.h"
#include "engine/naming.h"

namespace drsnap::engine {

struct LineageEntry {
  const Snapshot* snapshot = nullptr;
  naming::LineageView lineage;  // views into snapshot->id
  // naming::IsDrsnapCreated(*snapshot, observed_at): name, tags and point
  // agree (Lineages() entries; false for SharedCaptures(), whose tags do
  // not cross accounts).
  bool drsnap_created = false;
  // snapshot->status, here too: the planner reads every entry's status, and
  // the entries are one compact array while the snapshots are spread over
  // the inventory's heap.
  SnapshotStatus status = SnapshotStatus::kOther;
  // SharedCaptures() entries: naming::WhyPointUntrusted() found nothing
  // (the point in the name is one AWS's facts allow). Others: true.
  bool point_trusted = true;
  uint32_t group = 0;  // LineageIndex::GroupOf() (fits the padding)
  // The values of drsnap:db and drsnap:policy, when present: the snapshot's
  // own, or an equal value of a snapshot indexed just before it (one copy
  // per run of a database's snapshots, which stays cached for the readers).
  const std::string* db_tag = nullptr;
  const std::string* policy_tag = nullptr;

  // drsnap made it (naming::IsDrsnapCreated), for database `db_id` under
  // `policy` (its drsnap:db and drsnap:policy tags say so): the one test for
  // adopting a snapshot (sharing, vaulting, counting it for retention).
  bool OursFor(std::string_view db_id, std::string_view policy) const {
    return OfDatabase(db_id) && policy_tag && *policy_tag == policy;
  }
  // drsnap made it for database `db_id`, under any policy: what S3 protects
  // against (a copy in flight reads or builds on a snapshot whatever policy
  // started it).
  bool OfDatabase(std::string_view db_id) const {
    return drsnap_created && db_tag && *db_tag == db_id;
  }
};

class LineageIndex {
 public:
  // Snapshots below which a scope is not split for threads.
  static constexpr size_t kSnapshotsPerPart = size_t{1} << 15;
  // `threads`: how many threads may index one large scope at once, in
  // parts of at least `snapshots_per_part`; the index is the same for any
  // values. The threads are joined before the constructor returns; an
  // exception in one is rethrown here.
  explicit LineageIndex(const Inventory& inventory, int threads = 1,
                        size_t snapshots_per_part = kSnapshotsPerPart);

  const Inventory& inventory() const { return inventory_; }
  const ScopeInventory* Find(const Scope& scope) const;
  // True when the scope was observed and its listing completed.
  bool Complete(const Scope& scope) const;

  // Manual snapshots owned by `scope` whose identifier parses as a drsnap
  // name with this lineage key (source_account "" for capture/raw names),
  // sorted by (recovery point, attempt, id). Includes look-alikes without
  // drsnap's tags: callers check naming::IsDrsnapCreated before trusting one.
  std::span<const LineageEntry> Lineages(const Scope& scope, std::string_view source_account,
                                         std::string_view db_token, DbKind kind) const;

  // The group `entry` is in, when it is an entry of this index's Lineages()
  // (not of SharedCaptures()) in `scope` for `kind`: Lineages(scope,
  // entry.lineage.source_account, entry.lineage.db_token, kind), in O(1),
  // without reading the snapshot. Empty when `entry` is anything else
  // (another index's, a shared capture, another scope's or kind's).
  std::span<const LineageEntry> GroupOf(const LineageEntry& entry, const Scope& scope,
                                        DbKind kind) const;

  // The scope whose listing holds `entry`, an entry of this index's
  // Lineages(): where the snapshot lives (the index keeps only snapshots
  // owned there, or whose listing named no owner). Null when `entry` is not such an entry. The
  // Scope lives as long as the index; GroupOf() recognises it without comparing text.
  const Scope* ScopeOf(const LineageEntry& entry) const;

  // Automated snapshots of a database in `scope`, sorted by recovery point.
  std::span<const Snapshot* const> Automated(const Scope& scope, DbKind kind,
                                             std::string_view db_id) const;

  // True when a creating/copying snapshot anywhere in the inventory was
  // copied from `s` (by its source_arn / source id).
  bool IsInFlightSource(const Snapshot& s) const;

  // (kind, db id) of drsnap-made snapshots in `scope` tagged with `policy`.
  std::vector<std::pair<DbKind, std::string>> TaggedDatabases(const Scope& scope,
                                                              std::string_view policy) const;

  // Entries of `scope` that carry a drsnap name but are not to be trusted:
  // Lineages() entries that are not drsnap_created, SharedCaptures()
  // entries seen from `scope` whose point is not point_trusted. In index
  // order. Callers report them (they are never adopted nor deleted).
  std::vector<const LineageEntry*> Untrusted(const Scope& scope) const;

  // The snapshot ids the listing of `scope` holds more than once (a listing
  // that repeats a snapshot, or a scope listed twice): sorted, unique. A
  // scope with any is not a consistent observation: nothing is deleted on
  // its account (DeleteGuard, S4).
  std::vector<std::string> ListedTwice(const Scope& scope) const;

  // Snapshots another account shared with `seen_from`'s account (type
  // shared, seen in `seen_from`'s region), owned by `owner_account`, whose
  // identifier parses as a capture name with this DB token; sorted like
  // Lineages(). These are never mixed with Lineages(): when the owner's
  // scope is observed too, the same capture is indexed there as owned and
  // here, under the scope that sees it, as shared. Tags do not cross
  // accounts, so drsnap_created is false and db_tag is null: callers trust
  // one only by its owner, its name and its DB id (SharedDatabases).
  // Only snapshots whose ARN (when present) names the owner account.
  std::span<const LineageEntry> SharedCaptures(const Scope& seen_from,
                                               std::string_view owner_account,
                                               std::string_view db_token, DbKind kind) const;

  // The databases behind SharedCaptures(seen_from, owner_account, ...): the
  // DB id from the snapshot (DBInstanceIdentifier / DBClusterIdentifier),
  // kept only when its DbToken() is the token in the name. Sorted, unique.
  struct SharedDatabase {
    DbKind kind = DbKind::kInstance;
    std::string db_id;
    std::string engine;
    auto operator<=>(const SharedDatabase&) const = default;
  };
  std::vector<SharedDatabase> SharedDatabases(const Scope& seen_from,
                                              std::string_view owner_account) const;

  ~LineageIndex();
  LineageIndex(const LineageIndex&) = delete;
  LineageIndex& operator=(const LineageIndex&) = delete;

 private:
  struct State;  // engine/lineage_index.cc
  const Inventory& inventory_;
  std::unique_ptr<State> state_;
};

}  // namespace drsnap::engine
