#include "engine/delete_guard.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>

#include "engine/naming.h"
#include "engine/planner.h"

namespace drsnap::engine {
namespace {

using naming::NameStage;

bool InFlight(SnapshotStatus s) {
  return s == SnapshotStatus::kCreating || s == SnapshotStatus::kCopying;
}

Status Refuse(const DeleteRequest& a, const std::string& why) {
  Error e = Error::Terminal("DeleteRefused", why);
  e.With("delete " + a.scope.ToString() + "/" + a.snapshot_id);
  return Fail(std::move(e));
}

}  // namespace

std::vector<Scope> DeleteDependencies(const config::Policy& policy, NameStage stage,
                                      const Scope& where, bool failed) {
  std::vector<Scope> out{where};
  auto add = [&](const Scope& s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  if (failed) return out;
  switch (stage) {
    case NameStage::kRaw:
      add(Scope{policy.source_account_id, policy.source_region});
      break;
    case NameStage::kCapture:
      for (const Scope& s : PolicyScopes(policy)) add(s);
      break;
    case NameStage::kHop:
      for (const auto& t : policy.targets) {
        if (t.account_id != where.account_id) continue;
        for (const auto& r : t.regions) add(Scope{t.account_id, r.region});
      }
      break;
    case NameStage::kVault:
      break;
  }
  return out;
}

DeleteGuard::DeleteGuard(const Inventory& inventory, const config::Config& config)
    : owned_(std::make_unique<LineageIndex>(inventory)), index_(*owned_), config_(config) {
  Init();
}

DeleteGuard::DeleteGuard(const LineageIndex& index, const config::Config& config)
    : index_(index), config_(config) {
  Init();
}

void DeleteGuard::Init() {
  for (const auto& p : config_.policies) {
    PolicyInfo info;
    info.policy = &p;
    info.scopes = PolicyScopes(p);
    policies_.emplace(p.name, std::move(info));
  }
}

const DeleteGuard::VaultFacts& DeleteGuard::Facts(std::span<const LineageEntry> entries,
                                                  const std::string& db_id) const {
  // Groups are adjacent in memory: mix the address so they spread.
  const auto address = reinterpret_cast<std::uintptr_t>(entries.data());
  FactsShard& shard = facts_[((address >> 3) * 0x9E3779B97F4A7C15ull >> 32) % kFactsShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto& by_db = shard.facts[entries.data()];
  if (auto found = by_db.find(db_id); found != by_db.end()) return found->second;
  VaultFacts& f = by_db[db_id];
  const LineageEntry* newest = nullptr;
  std::vector<TimePoint> in_flight;
  std::vector<const LineageEntry*> available;  // sorted by point (entries are)
  for (const auto& e : entries) {
    if (e.lineage.stage != NameStage::kVault || !e.OursFor(db_id)) continue;
    if (InFlight(e.status)) in_flight.push_back(e.lineage.recovery_point);
    if (e.status != SnapshotStatus::kAvailable) continue;
    available.push_back(&e);
    if (!newest || e.lineage.recovery_point > newest->lineage.recovery_point ||
        (e.lineage.recovery_point == newest->lineage.recovery_point &&
         e.snapshot->id > newest->snapshot->id))
      newest = &e;
  }
  if (newest) {
    f.newest_available = newest->snapshot->id;
    f.newest = newest;
  }
  for (TimePoint x : in_flight) {
    // The base is the newest available copy older than the in-flight one.
    const LineageEntry* base = nullptr;
    for (const LineageEntry* e : available)
      if (e->lineage.recovery_point < x) base = e;
    if (base) f.bases.insert(base->snapshot->id);
  }
  return f;
}

const LineageEntry* DeleteGuard::FindEntry(std::span<const LineageEntry> entries,
                                           const naming::LineageView& lineage, std::string_view id,
                                           bool first, const LineageEntry* known) {
  // Entries are sorted by (point, attempt, id), and an entry with this id
  // parsed to this lineage: only the equal (point, attempt) range can hold it.
  auto range =
      std::ranges::equal_range(entries, std::pair{lineage.recovery_point, lineage.attempt},
                               std::less<>(), [](const LineageEntry& e) {
                                 return std::pair{e.lineage.recovery_point, e.lineage.attempt};
                               });
  const LineageEntry* found = nullptr;
  for (const LineageEntry& e : range) {
    if (&e != known && e.snapshot->id != id) continue;
    found = &e;
    if (first) break;
  }
  return found;
}

Status DeleteGuard::Check(const Action& a, const Snapshot* fresh) const {
  if (a.kind != ActionKind::kDeleteSnapshot) return OkStatus();
  return CheckDelete(DeleteRequest{a.policy, a.scope, a.snapshot_id, a.db_kind, a.db_id}, fresh);
}

Status DeleteGuard::CheckDelete(const DeleteRequest& a, const Snapshot* fresh) const {
  auto pit = policies_.find(a.policy);
  if (pit == policies_.end())
    return Refuse(a, "S5: the action names no known policy ('" + a.policy + "')");
  const config::Policy* p = pit->second.policy;

  // S1: a drsnap name ...
  std::optional<naming::LineageView> lin;
  std::span<const LineageEntry> entries;
  const LineageEntry* hint = nullptr;  // a.indexed, once it is known to be right
  if (a.indexed) {
    // The caller's entry: its name parsed when it was indexed (the same
    // text), and its group is the one Lineages() would return. A planner
    // passes the snapshot's own id and the index's own Scope (ScopeOf), so
    // both are recognised by address, without reading the snapshot: a plan
    // may check close to a million deletes, and the snapshots are spread
    // over the inventory's memory.
    const std::string& indexed_id = a.indexed->snapshot->id;
    if (&indexed_id == &a.snapshot_id || indexed_id == a.snapshot_id)
      entries = index_.GroupOf(*a.indexed, a.scope, a.db_kind);
    if (!entries.empty()) {
      lin = a.indexed->lineage;
      hint = a.indexed;
      // Every entry of a group has its key's account and token: the first
      // entry's text, which every delete of the group reads (cached), not
      // this snapshot's.
      lin->source_account = entries.front().lineage.source_account;
      lin->db_token = entries.front().lineage.db_token;
    }
  }
  if (!lin) {
    lin = naming::ParseNameView(a.snapshot_id);  // views into a.snapshot_id
    if (!lin)
      return Refuse(a, "S1: " + a.snapshot_id + " is not a drsnap name; drsnap did not create it");
    entries = index_.Lineages(a.scope, lin->source_account, lin->db_token, a.db_kind);
  }
  const VaultFacts* facts = nullptr;
  if (lin->stage == NameStage::kVault && !entries.empty()) facts = &Facts(entries, a.db_id);
  const LineageEntry* entry =
      FindEntry(entries, *lin, a.snapshot_id, /*first=*/facts != nullptr, hint);
  const Snapshot* snap = fresh ? fresh : (entry ? entry->snapshot : nullptr);
  // What the index already knows about `snap` (S1's tags, S5's tags) holds
  // only when `snap` is the indexed snapshot itself.
  const LineageEntry* indexed = entry && snap == entry->snapshot ? entry : nullptr;
  // S4: the snapshot's scope and every scope the delete's justification
  // depends on were observed completely (DeleteDependencies: a failed
  // snapshot's and a vault copy's is their own scope; a capture's is every
  // scope of the policy, computed once: a plan may expire many captures).
  // The indexed entry carries the snapshot's status (no read of the snapshot).
  const SnapshotStatus status =
      indexed ? indexed->status : (snap ? snap->status : SnapshotStatus::kOther);
  bool failed = snap && status == SnapshotStatus::kFailed;
  std::vector<Scope> deps;
  std::span<const Scope> depends_on;
  if (failed || lin->stage == NameStage::kVault) {
    depends_on = std::span<const Scope>(&a.scope, 1);
  } else if (lin->stage == NameStage::kCapture) {
    depends_on = pit->second.scopes;
  } else {
    deps = DeleteDependencies(*p, lin->stage, a.scope, failed);
    depends_on = deps;
  }
  for (const Scope& s : depends_on) {
    const ScopeInventory* si = index_.Find(s);
    if (!si || !si->complete)
      return Refuse(a, "S4: scope " + s.ToString() + " of policy '" + p->name + "' " +
                           (si ? "is incomplete" : "was not observed") + "; deleting " +
                           a.snapshot_id + " depends on it");
  }
  if (!snap)
    return Refuse(a, "S1: " + a.snapshot_id + " was not observed in " + a.scope.ToString() +
                         " as a manual snapshot owned there; drsnap only deletes what it created");
  // ... and drsnap's tags on it.
  if (!(indexed ? indexed->drsnap_created : naming::IsDrsnapCreated(*snap)))
    return Refuse(a, "S1: " + a.snapshot_id +
                         " does not carry drsnap's tags (drsnap:managed=true and a matching "
                         "drsnap:stage); drsnap did not create it");
  // S5: it belongs to this policy and database.
  auto tag = [&](const char* key) -> const std::string* {
    auto t = snap->tags.find(key);
    return t == snap->tags.end() ? nullptr : &t->second;
  };
  const std::string* policy_tag = indexed ? indexed->policy_tag : tag(naming::kTagPolicy);
  const std::string* db_tag = indexed ? indexed->db_tag : tag(naming::kTagDb);
  if (!policy_tag || *policy_tag != a.policy)
    return Refuse(a, "S5: " + a.snapshot_id + " is tagged for policy '" +
                         (policy_tag ? *policy_tag : std::string()) + "', not '" + a.policy + "'");
  if (!db_tag || *db_tag != a.db_id || !naming::HasDbToken(a.db_id, lin->db_token))
    return Refuse(a, "S5: " + a.snapshot_id + " is not a snapshot of " + a.db_id);
  // Captures and raws live in the policy's source scope; hops and vault copies
  // carry the policy's source account.
  bool dr_side = lin->stage == NameStage::kHop || lin->stage == NameStage::kVault;
  bool in_source = a.scope.account_id == p->source_account_id && a.scope.region == p->source_region;
  if (dr_side ? lin->source_account != p->source_account_id : !in_source)
    return Refuse(a, "S5: " + a.snapshot_id + " does not belong to policy '" + p->name +
                         "' (source " + Scope{p->source_account_id, p->source_region}.ToString() +
                         ")");

  // S3: not the source of an in-flight copy.
  if (index_.IsInFlightSource(*snap))
    return Refuse(a, "S3: " + a.snapshot_id + " is the source of a copy in flight");
  TimePoint point = lin->recovery_point;
  auto in_flight_at = [&](const Scope& scope, std::string_view acct, NameStage stage) {
    for (const auto& e : index_.Lineages(scope, acct, lin->db_token, a.db_kind))
      if (e.lineage.recovery_point == point && e.lineage.stage == stage &&
          InFlight(e.status) && e.OursFor(a.db_id))
        return e.snapshot;
    return static_cast<const Snapshot*>(nullptr);
  };
  const std::vector<Scope>& scopes = pit->second.scopes;
  switch (lin->stage) {
    case NameStage::kRaw:
      if (const Snapshot* s = in_flight_at(a.scope, "", NameStage::kCapture))
        return Refuse(a, "S3: " + s->id + " is being copied from it");
      break;
    case NameStage::kCapture:
      for (const Scope& s : scopes) {
        for (NameStage st : {NameStage::kHop, NameStage::kVault})
          if (const Snapshot* x = in_flight_at(s, p->source_account_id, st))
            return Refuse(a, "S3: " + x->id + " in " + s.ToString() + " is being copied from it");
      }
      break;
    case NameStage::kHop:
      for (const Scope& s : scopes) {
        if (s.account_id != a.scope.account_id) continue;
        if (const Snapshot* x = in_flight_at(s, p->source_account_id, NameStage::kVault))
          return Refuse(a, "S3: " + x->id + " in " + s.ToString() + " is being copied from it");
      }
      break;
    case NameStage::kVault: {
      // S2: the newest available vault copy stays; S3: so does the base of
      // an in-flight (incremental) copy.
      if (!fresh && facts) {
        // Equal ids parse to equal (point, attempt): those are compared
        // first, from the index, and the ids only when they agree.
        const LineageEntry* newest = facts->newest;
        if (newest && newest->lineage.recovery_point == lin->recovery_point &&
            newest->lineage.attempt == lin->attempt &&
            (newest == hint || facts->newest_available == a.snapshot_id))
          return Refuse(a, "S2: " + a.snapshot_id + " is the newest available vault copy of " +
                               a.db_id + " in " + a.scope.ToString());
        if (facts->bases.count(a.snapshot_id))
          return Refuse(a,
                        "S3: " + a.snapshot_id + " is the base of an incremental copy in flight");
        break;
      }
      const Snapshot* newest = nullptr;
      std::optional<TimePoint> newest_point;
      std::vector<TimePoint> in_flight_points;
      for (const auto& e : entries) {
        if (e.lineage.stage != NameStage::kVault || !e.OursFor(a.db_id)) continue;
        const Snapshot* s = e.snapshot->id == a.snapshot_id ? snap : e.snapshot;
        if (InFlight(s->status)) in_flight_points.push_back(e.lineage.recovery_point);
        if (s->status != SnapshotStatus::kAvailable) continue;
        if (!newest_point || e.lineage.recovery_point > *newest_point ||
            (e.lineage.recovery_point == *newest_point && s->id > newest->id)) {
          newest = s;
          newest_point = e.lineage.recovery_point;
        }
      }
      if (newest && newest->id == a.snapshot_id)
        return Refuse(a, "S2: " + a.snapshot_id + " is the newest available vault copy of " +
                             a.db_id + " in " + a.scope.ToString());
      if (status == SnapshotStatus::kAvailable) {
        for (TimePoint x : in_flight_points) {
          // The base is the newest available copy older than the in-flight one.
          const Snapshot* base = nullptr;
          TimePoint base_point{};
          for (const auto& e : entries) {
            if (e.lineage.stage != NameStage::kVault || !e.OursFor(a.db_id)) continue;
            const Snapshot* s = e.snapshot->id == a.snapshot_id ? snap : e.snapshot;
            if (s->status != SnapshotStatus::kAvailable || e.lineage.recovery_point >= x) continue;
            if (!base || e.lineage.recovery_point >= base_point) {
              base = s;
              base_point = e.lineage.recovery_point;
            }
          }
          if (base && base->id == a.snapshot_id)
            return Refuse(a,
                          "S3: " + a.snapshot_id + " is the base of an incremental copy in flight");
        }
      }
      break;
    }
  }
  return OkStatus();
}

}  // namespace drsnap::engine
