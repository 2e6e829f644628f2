// An index over an Inventory by lineage (naming.h), shared by the planner,
// the delete guard and the status report. Built once per inventory in
// O(snapshots); lookups are hash lookups.
//
// Thread safety: immutable after construction; the Inventory must outlive it.
#pragma once

#include <map>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/model.h"
#include "engine/naming.h"

namespace drsnap::engine {

struct LineageEntry {
  const Snapshot* snapshot = nullptr;
  naming::LineageView lineage;              // views into snapshot->id
  bool drsnap_created = false;              // naming::IsDrsnapCreated(*snapshot)
  // snapshot->status, here too: the planner reads every entry's status, and
  // the entries are one compact array while the snapshots are spread over
  // the inventory's heap.
  SnapshotStatus status = SnapshotStatus::kOther;
  uint32_t group = 0;                       // LineageIndex::GroupOf() (fits the padding)
  // The values of drsnap:db and drsnap:policy, when present: the snapshot's
  // own, or an equal value of a snapshot indexed just before it (one copy
  // per run of a database's snapshots, which stays cached for the readers).
  const std::string* db_tag = nullptr;
  const std::string* policy_tag = nullptr;

  // drsnap made it, for database `db_id` (its drsnap:db tag says so).
  bool OursFor(std::string_view db_id) const {
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
  // owned there, or whose listing named no owner). Null when `entry` is not such an entry. The Scope lives
  // as long as the index; GroupOf() recognises it without comparing text.
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

 private:
  // Views into the inventory's strings (the inventory outlives the index).
  struct Key {
    std::string_view account;  // "" for capture/raw names and automated snapshots
    std::string_view name;     // DB token (drsnap names) or DB id (automated)
    DbKind kind;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      size_t h = std::hash<std::string_view>()(k.account);
      h = h * 31 + std::hash<std::string_view>()(k.name);
      return h * 2 + (k.kind == DbKind::kCluster ? 1 : 0);
    }
  };
  // The entries of one key: a slice of one flat array per scope and kind of
  // group (a million entries in ten thousand vectors would cost a third more
  // memory and the copying of growing them).
  struct Group {
    uint32_t begin = 0;  // in the flat array, once arranged
    uint32_t size = 0;
    uint32_t id = 0;  // groups_[id] is this group
  };
  // Where each group is, by LineageEntry::group.
  struct GroupRef {
    const LineageEntry* first = nullptr;
    uint32_t size = 0;
    const Scope* scope = nullptr;  // the scope that observed them
    bool shared = false;           // a SharedCaptures() group
    DbKind kind = DbKind::kInstance;  // of the key (every snapshot in it has it)
  };
  // The group of `entry` when `entry` is in one of groups_ (else null).
  const GroupRef* RefOf(const LineageEntry& entry) const;
  // Entries of `groups`, in the order they were indexed, into a slice per
  // group, each sorted by (recovery point, attempt, id); then points
  // groups_ at them. `grouped`: every group's entries came in one run.
  void Arrange(std::span<LineageEntry> entries,
               std::unordered_map<Key, Group, KeyHash>& groups, bool grouped);
  // An allocator whose resize() writes nothing: the parts of a large scope
  // write their entries in place, each thread into its own range of one
  // array, and the first touch of those pages happens on that thread
  // (LineageEntry is an implicit-lifetime aggregate: the storage holds
  // entries as soon as it is allocated, and each is written before it is
  // read).
  template <typename T>
  struct UnwrittenAllocator : std::allocator<T> {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    template <typename U>
    struct rebind {
      using other = UnwrittenAllocator<U>;
    };
    UnwrittenAllocator() = default;
    template <typename U>
    UnwrittenAllocator(const UnwrittenAllocator<U>&) noexcept {}  // NOLINT: as std::allocator
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
      if constexpr (sizeof...(Args) > 0) ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  };
  using EntryArray = std::vector<LineageEntry, UnwrittenAllocator<LineageEntry>>;
  struct PerScope {
    const ScopeInventory* inv = nullptr;
    EntryArray entries;                        // of `lineages`
    std::vector<LineageEntry> shared_entries;  // of `shared_captures`
    std::unordered_map<Key, Group, KeyHash> lineages;
    std::unordered_map<Key, std::vector<const Snapshot*>, KeyHash> automated;
    // policy -> (kind, db id) of drsnap-made snapshots tagged with it
    std::unordered_map<std::string_view, std::unordered_set<Key, KeyHash>> tagged;
    // Shared-with-me captures: key account = the owner account.
    std::unordered_map<Key, Group, KeyHash> shared_captures;
  };
  const PerScope* Get(const Scope& scope) const;
  // What indexing a run of one scope's snapshots found, before it joins
  // the scope's index (in the order of the runs: as if in one pass). Each
  // part is written by one thread.
  struct Part {
    // Groups numbered in order of first appearance (lineages and shared
    // captures in one sequence); LineageEntry::group holds these numbers
    // until the part is joined.
    struct LocalGroup {
      Key key;
      uint32_t size = 0;
      bool shared = false;  // a SharedCaptures() group
    };
    std::vector<LocalGroup> groups;
    std::unordered_map<Key, uint32_t, KeyHash> lineage_ids, shared_ids;
    bool grouped = true;  // each lineage group's entries came in one run
    // Entries of lineage groups: out[0, count), in the scope's array, where
    // this part's snapshots would be if every one made an entry.
    LineageEntry* out = nullptr;
    size_t count = 0;
    std::vector<LineageEntry> shared_entries;  // of shared groups
    std::unordered_map<Key, std::vector<const Snapshot*>, KeyHash> automated;
    std::unordered_map<std::string_view, std::unordered_set<Key, KeyHash>> tagged;
    std::vector<std::string> in_flight_sources;  // "account/region/id"

    // Indexes `snapshots` of `scope` (listed there) into this part.
    void Index(const Scope& scope, std::span<const Snapshot> snapshots);
    void IndexShared(const Snapshot& s);
    uint32_t GroupFor(std::unordered_map<Key, uint32_t, KeyHash>& ids, const Key& key, bool shared);
  };

  const Inventory& inventory_;
  std::map<Scope, PerScope> scopes_;
  std::vector<GroupRef> groups_;
  std::unordered_set<std::string> in_flight_sources_;  // "account/region/id"
};

}  // namespace drsnap::engine
