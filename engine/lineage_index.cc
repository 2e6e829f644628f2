#include "engine/lineage_index.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <new>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/arn.h"
#include "core/memory.h"

namespace drsnap::engine {
namespace {

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
  uint32_t id = 0;  // State::groups[id] is this group
};
// Where each group is, by LineageEntry::group.
struct GroupRef {
  const LineageEntry* first = nullptr;
  uint32_t size = 0;
  const Scope* scope = nullptr;     // the scope that observed them
  bool shared = false;              // a SharedCaptures() group
  DbKind kind = DbKind::kInstance;  // of the key (every snapshot in it has it)
};
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
  std::vector<std::string> listed_twice;  // ids of Lineages() entries, sorted
};
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
  TimePoint observed_at{};  // the inventory's: the points' "now"
  void IndexShared(const Snapshot& s);
  uint32_t GroupFor(std::unordered_map<Key, uint32_t, KeyHash>& ids, const Key& key, bool shared);
};

// "account/region/id" of a snapshot reference: a full ARN
// (arn:aws:rds:<region>:<account>:snapshot:<id> / cluster-snapshot:<id>), or
// a bare id in `where`.
std::string RefKey(std::string_view ref, const Scope& where) {
  if (auto arn = ParseArn(ref); arn && !arn->resource.empty()) {
    std::string_view id = ref.substr(ref.rfind(':') + 1);
    return std::string(arn->account) + "/" + std::string(arn->region) + "/" + std::string(id);
  }
  return where.account_id + "/" + where.region + "/" + std::string(ref);
}

// Asks the cache for `s`'s id and every line of its tags.
void PrefetchTags(const Snapshot& s) {
  s.id.Prefetch();
  if (s.tags.empty()) return;
  const auto first = reinterpret_cast<uintptr_t>(&*s.tags.begin());
  const auto last =
      reinterpret_cast<uintptr_t>(&*std::prev(s.tags.end())) + sizeof(Tags::value_type);
  for (uintptr_t line = first & ~uintptr_t{63}; line < last; line += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(line));
}

bool ByPointAttemptId(const LineageEntry& a, const LineageEntry& b) {
  if (a.lineage.recovery_point != b.lineage.recovery_point)
    return a.lineage.recovery_point < b.lineage.recovery_point;
  if (a.lineage.attempt != b.lineage.attempt) return a.lineage.attempt < b.lineage.attempt;
  return a.snapshot->id < b.snapshot->id;
}

// Entries of `groups`, in the order they were indexed, into a slice per
// group, each sorted by (recovery point, attempt, id); then points
// `refs` at them. `grouped`: every group's entries came in one run.
// Notes in `repeated` (when given) every id a group holds twice.
void Arrange(std::span<LineageEntry> entries, std::unordered_map<Key, Group, KeyHash>& groups,
             bool grouped, std::vector<GroupRef>& refs, std::vector<std::string>* repeated) {
  if (entries.empty()) return;
  // Slices go in order of group id (of first appearance). The ids of one
  // scope are usually consecutive; they are not when the inventory lists a
  // scope twice, so `begin` is indexed by id - first_id with gaps allowed.
  uint32_t first_id = UINT32_MAX, last_id = 0;
  for (const auto& [k, g] : groups) {
    first_id = std::min(first_id, g.id);
    last_id = std::max(last_id, g.id);
  }
  std::vector<uint32_t> begin(last_id - first_id + 1, 0);
  for (const auto& [k, g] : groups) begin[g.id - first_id] = g.size;
  uint32_t at = 0;
  for (uint32_t& b : begin) at += std::exchange(b, at);
  for (auto& [k, g] : groups) g.begin = begin[g.id - first_id];
  if (!grouped) {
    // Where each entry goes, then the permutation applied in place along
    // its cycles (no second copy of the entries).
    std::vector<uint32_t> to(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) to[i] = begin[entries[i].group - first_id]++;
    for (uint32_t i = 0; i < to.size(); ++i) {
      while (to[i] != i) {
        uint32_t j = to[i];
        std::swap(entries[i], entries[j]);
        std::swap(to[i], to[j]);
      }
    }
  }
  for (auto& [k, g] : groups) {
    auto first = entries.begin() + g.begin, last = first + g.size;
    if (!std::is_sorted(first, last, ByPointAttemptId)) std::sort(first, last, ByPointAttemptId);
    if (repeated)  // equal ids parse to equal (point, attempt): adjacent once sorted
      for (auto it = first; it != last && it + 1 != last; ++it)
        if (it->snapshot->id == (it + 1)->snapshot->id) repeated->push_back((it + 1)->snapshot->id);
    refs[g.id].first = entries.data() + g.begin;
    refs[g.id].size = g.size;
  }
}

}  // namespace

struct LineageIndex::State {
  std::map<Scope, PerScope> scopes;
  std::vector<GroupRef> groups;                       // by LineageEntry::group
  std::unordered_set<std::string> in_flight_sources;  // "account/region/id"

  const PerScope* Get(const Scope& scope) const {
    auto it = scopes.find(scope);
    return it == scopes.end() ? nullptr : &it->second;
  }
  // The group of `entry` when `entry` is in one of `groups` (else null).
  const GroupRef* RefOf(const LineageEntry& entry) const {
    if (entry.group >= groups.size()) return nullptr;
    const GroupRef& g = groups[entry.group];
    std::less<const LineageEntry*> before;  // a total order, also across arrays
    if (before(&entry, g.first) || !before(&entry, g.first + g.size)) return nullptr;
    return &g;
  }
};

uint32_t Part::GroupFor(std::unordered_map<Key, uint32_t, KeyHash>& ids, const Key& key,
                        bool shared) {
  auto [it, inserted] = ids.try_emplace(key, static_cast<uint32_t>(groups.size()));
  if (inserted) groups.push_back(LocalGroup{key, 0, shared});
  return it->second;
}

void Part::IndexShared(const Snapshot& s) {
  // Trust nothing a sharer could fake cheaply: the owner is the snapshot's
  // scope, and its ARN (when AWS gave one) must agree.
  if (!s.arn.empty() && ArnAccount(s.arn) != s.scope.account_id) return;
  auto lin = naming::ParseNameView(s.id);
  if (!lin || lin->stage != naming::NameStage::kCapture) return;
  uint32_t id = GroupFor(shared_ids, Key{s.scope.account_id, lin->db_token, s.kind}, true);
  ++groups[id].size;
  LineageEntry e{&s, *lin, false, s.status, true, id, nullptr, nullptr};
  e.point_trusted = naming::WhyPointUntrusted(s, *lin, observed_at).empty();
  shared_entries.push_back(e);
}

void Part::Index(const Scope& scope, std::span<const Snapshot> snapshots) {
  // This runs over every snapshot of the inventory (a million for a large
  // estate), so it touches as little of each as it can: consecutive
  // snapshots usually share a lineage key and a (policy, database), and the
  // previous lookups are reused then.
  bool have_group = false;
  uint32_t group = 0;  // of `group_key`
  Key group_key{};
  std::unordered_set<Key, KeyHash>* tagged_dbs = nullptr;  // of `tagged_policy`
  std::string_view tagged_policy;
  Key last_tagged{};
  const std::string *last_db_tag = nullptr, *last_policy_tag = nullptr;  // shared values
  bool have_last_tagged = false;
  // The tags of a snapshot are a heap block of their own (about seven
  // cache lines), which the hardware does not fetch ahead: the loop would
  // wait for each. They are asked for a few snapshots early.
  constexpr size_t kAhead = 8;
  for (size_t at = 0; at < snapshots.size(); ++at) {
    const Snapshot& s = snapshots[at];
    if (at + kAhead < snapshots.size()) PrefetchTags(snapshots[at + kAhead]);
    if (IsInFlight(s.status) && !s.source_arn.empty())
      in_flight_sources.push_back(
          RefKey(s.source_arn, s.scope.account_id.empty() ? scope : s.scope));
    if (!(s.scope == scope) && !s.scope.account_id.empty()) {  // shared with us
      if (s.type == SnapshotType::kShared) IndexShared(s);
      continue;
    }
    if (s.type == SnapshotType::kAutomated) {
      automated[Key{"", s.db_id, s.kind}].push_back(&s);
      continue;
    }
    if (s.type != SnapshotType::kManual) continue;
    auto lin = naming::ParseNameView(s.id);
    if (!lin) continue;
    Key key{lin->source_account, lin->db_token, s.kind};  // views into s.id
    const naming::DrsnapTags tags = naming::FindDrsnapTags(s.tags);
    const std::string *db_tag = tags.db, *policy_tag = tags.policy;
    if (db_tag && last_db_tag && *db_tag == *last_db_tag) db_tag = last_db_tag;
    if (policy_tag && last_policy_tag && *policy_tag == *last_policy_tag)
      policy_tag = last_policy_tag;
    if (db_tag) last_db_tag = db_tag;
    if (policy_tag) last_policy_tag = policy_tag;
    bool created = naming::IsDrsnapCreated(s, *lin, tags, observed_at);
    if (!have_group || !(group_key == key)) {
      group = GroupFor(lineage_ids, key, /*shared=*/false);
      group_key = key;
      have_group = true;
      if (groups[group].size > 0) grouped = false;
    }
    ++groups[group].size;
    out[count++] = LineageEntry{&s, *lin, created, s.status, true, group, db_tag, policy_tag};
    if (created && db_tag && !db_tag->empty() && policy_tag) {
      Key t{"", *db_tag, s.kind};
      if (!tagged_dbs || tagged_policy != *policy_tag) {
        tagged_dbs = &tagged[*policy_tag];
        tagged_policy = *policy_tag;
        have_last_tagged = false;
      }
      if (!have_last_tagged || !(last_tagged == t)) {
        tagged_dbs->insert(t);
        last_tagged = t;
        have_last_tagged = true;
      }
    }
  }
}

LineageIndex::~LineageIndex() = default;

LineageIndex::LineageIndex(const Inventory& inventory, int threads, size_t snapshots_per_part)
    : inventory_(inventory), state_(std::make_unique<State>()) {
  auto& scopes = state_->scopes;
  auto& group_refs = state_->groups;
  auto& in_flight_sources = state_->in_flight_sources;
  // A large scope is indexed in parts, each by a thread of its own, and
  // the parts are joined in order: the index is the one a single pass
  // makes (the same groups, the same entries in each), whatever `threads`.
  for (const auto& si : inventory.scopes) {
    auto [ps_it, ps_new] = scopes.try_emplace(si.scope);
    PerScope& ps = ps_it->second;
    const Scope& scope = ps_it->first;  // stable: GroupRef points to it
    ps.inv = &si;
    const std::span<const Snapshot> all(si.snapshots);
    const size_t n_parts = std::clamp<size_t>(all.size() / std::max<size_t>(snapshots_per_part, 1),
                                              1, static_cast<size_t>(std::max(threads, 1)));
    std::vector<Part> parts(n_parts);
    // The scope's array gets room for an entry per snapshot (an upper
    // bound; nothing is written yet). Each part writes its entries where
    // its first snapshot's would go; the join below closes the gaps.
    const size_t old_size = ps.entries.size();
    ps.entries.resize(old_size + all.size());
    AdviseHugePages(ps.entries.data() + old_size, all.size() * sizeof(LineageEntry));
    const size_t per_part = (all.size() + n_parts - 1) / n_parts;
    auto first_of = [&](size_t p) { return std::min(all.size(), p * per_part); };
    auto range = [&](size_t p) {
      const size_t first = first_of(p);
      return all.subspan(first, std::min(all.size(), first + per_part) - first);
    };
    for (size_t p = 0; p < n_parts; ++p) {
      parts[p].out = ps.entries.data() + old_size + first_of(p);
      parts[p].observed_at = inventory.observed_at;
    }
    std::vector<std::exception_ptr> errors(n_parts);
    auto index_part = [&](size_t p) {
      try {
        parts[p].Index(scope, range(p));
      } catch (...) {
        errors[p] = std::current_exception();
      }
    };
    {
      std::vector<std::jthread> helpers;
      for (size_t p = 1; p < n_parts; ++p) {
        try {
          helpers.emplace_back(index_part, p);
        } catch (const std::system_error&) {
          index_part(p);  // no thread to be had: this one does it
        }
      }
      index_part(0);
    }  // joined
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);

    // Join the parts, in order. Group ids: in order of first appearance,
    // as one pass would number them. The entries stay grouped (each group
    // in one run, which Arrange then need not permute) when every part's
    // are and a group seen before continues only the run that ended the
    // previous part.
    bool grouped = ps_new;  // a scope listed twice: no
    bool have_last = false;
    uint32_t last_group = 0;  // of the last entry so far
    size_t end = old_size;    // of the entries joined so far
    for (size_t p = 0; p < n_parts; ++p) {
      Part& part = parts[p];
      // Down to follow the previous part's (ranges may overlap: copying
      // forward to a lower address is safe).
      LineageEntry* at = ps.entries.data() + end;
      if (part.out != at) std::copy(part.out, part.out + part.count, at);
      std::span<LineageEntry> added(at, part.count);
      end += part.count;
      grouped = grouped && part.grouped;
      const uint32_t first_local = added.empty() ? UINT32_MAX : added.front().group;
      std::vector<uint32_t> to(part.groups.size());
      for (uint32_t local = 0; local < part.groups.size(); ++local) {
        const Part::LocalGroup& lg = part.groups[local];
        auto& map = lg.shared ? ps.shared_captures : ps.lineages;
        auto [it, inserted] = map.try_emplace(lg.key);
        if (inserted) {
          it->second.id = static_cast<uint32_t>(group_refs.size());
          group_refs.push_back(GroupRef{nullptr, 0, &scope, lg.shared, lg.key.kind});
        }
        // A group with entries before this part: only the run that ended
        // the previous part may go on, with this part's first entries.
        if (!lg.shared && it->second.size > 0 &&
            !(local == first_local && have_last && it->second.id == last_group))
          grouped = false;
        it->second.size += lg.size;
        to[local] = it->second.id;
      }
      for (LineageEntry& e : added) e.group = to[e.group];
      if (!added.empty()) {
        have_last = true;
        last_group = added.back().group;
      }
      for (LineageEntry e : part.shared_entries) {
        e.group = to[e.group];
        ps.shared_entries.push_back(e);
      }
      for (auto& [k, v] : part.automated) {
        auto& dst = ps.automated[k];
        dst.insert(dst.end(), v.begin(), v.end());
      }
      for (auto& [policy, dbs] : part.tagged) ps.tagged[policy].insert(dbs.begin(), dbs.end());
      for (auto& ref : part.in_flight_sources) in_flight_sources.insert(std::move(ref));
    }
    ps.entries.resize(end);
    ps.listed_twice.clear();
    Arrange(ps.entries, ps.lineages, grouped, group_refs, &ps.listed_twice);
    Arrange(ps.shared_entries, ps.shared_captures, /*grouped=*/false, group_refs, nullptr);
    std::sort(ps.listed_twice.begin(), ps.listed_twice.end());
    ps.listed_twice.erase(std::unique(ps.listed_twice.begin(), ps.listed_twice.end()),
                          ps.listed_twice.end());
    for (auto& [k, v] : ps.automated) {
      std::sort(v.begin(), v.end(), [](const Snapshot* a, const Snapshot* b) {
        if (a->recovery_point != b->recovery_point) return a->recovery_point < b->recovery_point;
        return a->id < b->id;
      });
    }
  }
}

const ScopeInventory* LineageIndex::Find(const Scope& scope) const {
  const PerScope* ps = state_->Get(scope);
  return ps ? ps->inv : nullptr;
}

bool LineageIndex::Complete(const Scope& scope) const {
  const ScopeInventory* si = Find(scope);
  return si && si->complete;
}

std::span<const LineageEntry> LineageIndex::Lineages(const Scope& scope,
                                                     std::string_view source_account,
                                                     std::string_view db_token, DbKind kind) const {
  const PerScope* ps = state_->Get(scope);
  if (!ps) return {};
  auto it = ps->lineages.find(Key{source_account, db_token, kind});
  if (it == ps->lineages.end()) return {};
  return {ps->entries.data() + it->second.begin, it->second.size};
}

std::span<const LineageEntry> LineageIndex::GroupOf(const LineageEntry& entry, const Scope& scope,
                                                    DbKind kind) const {
  const GroupRef* g = state_->RefOf(entry);
  if (!g || g->shared || g->kind != kind) return {};
  // The scope ScopeOf() gave is recognised by address (no text compared).
  if (g->scope != &scope && !(*g->scope == scope)) return {};
  return {g->first, g->size};
}

const Scope* LineageIndex::ScopeOf(const LineageEntry& entry) const {
  const GroupRef* g = state_->RefOf(entry);
  return g && !g->shared ? g->scope : nullptr;
}

std::span<const Snapshot* const> LineageIndex::Automated(const Scope& scope, DbKind kind,
                                                         std::string_view db_id) const {
  const PerScope* ps = state_->Get(scope);
  if (!ps) return {};
  auto it = ps->automated.find(Key{"", db_id, kind});
  if (it == ps->automated.end()) return {};
  return it->second;
}

bool LineageIndex::IsInFlightSource(const Snapshot& s) const {
  const auto& sources = state_->in_flight_sources;
  if (sources.empty()) return false;
  if (!s.arn.empty() && sources.count(RefKey(s.arn, s.scope))) return true;
  return sources.count(s.scope.account_id + "/" + s.scope.region + "/" + s.id) > 0;
}

std::span<const LineageEntry> LineageIndex::SharedCaptures(const Scope& seen_from,
                                                           std::string_view owner_account,
                                                           std::string_view db_token,
                                                           DbKind kind) const {
  const PerScope* ps = state_->Get(seen_from);
  if (!ps) return {};
  auto it = ps->shared_captures.find(Key{owner_account, db_token, kind});
  if (it == ps->shared_captures.end()) return {};
  return {ps->shared_entries.data() + it->second.begin, it->second.size};
}

std::vector<LineageIndex::SharedDatabase> LineageIndex::SharedDatabases(
    const Scope& seen_from, std::string_view owner_account) const {
  const PerScope* ps = state_->Get(seen_from);
  if (!ps) return {};
  std::vector<SharedDatabase> out;
  for (const auto& [key, group] : ps->shared_captures) {
    if (key.account != owner_account) continue;
    for (const LineageEntry& e : std::span(ps->shared_entries).subspan(group.begin, group.size)) {
      if (!e.point_trusted) continue;
      const Snapshot& s = *e.snapshot;
      if (s.db_id.empty() || naming::DbToken(s.db_id) != key.name) continue;
      out.push_back(SharedDatabase{s.kind, s.db_id, s.engine});
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(),
                        [](const SharedDatabase& a, const SharedDatabase& b) {
                          return a.kind == b.kind && a.db_id == b.db_id;
                        }),
            out.end());
  return out;
}

std::vector<const LineageEntry*> LineageIndex::Untrusted(const Scope& scope) const {
  std::vector<const LineageEntry*> out;
  const PerScope* ps = state_->Get(scope);
  if (!ps) return out;
  for (const LineageEntry& e : ps->entries)
    if (!e.drsnap_created) out.push_back(&e);
  for (const LineageEntry& e : ps->shared_entries)
    if (!e.point_trusted) out.push_back(&e);
  return out;
}

std::vector<std::string> LineageIndex::ListedTwice(const Scope& scope) const {
  const PerScope* ps = state_->Get(scope);
  return ps ? ps->listed_twice : std::vector<std::string>{};
}

std::vector<std::pair<DbKind, std::string>> LineageIndex::TaggedDatabases(
    const Scope& scope, std::string_view policy) const {
  const PerScope* ps = state_->Get(scope);
  if (!ps) return {};
  auto it = ps->tagged.find(policy);
  if (it == ps->tagged.end()) return {};
  std::vector<std::pair<DbKind, std::string>> out;
  out.reserve(it->second.size());
  for (const Key& k : it->second) out.emplace_back(k.kind, std::string(k.name));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace drsnap::engine
