#include "engine/delete_guard.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/time_util.h"
#include "engine/anomaly.h"
#include "engine/naming.h"
#include "engine/planner.h"

namespace drsnap::engine {

using naming::NameStage;

const char* SafetyRuleName(SafetyRule rule) {
  switch (rule) {
    case SafetyRule::kNotCreatedByDrsnap:
      return "S1";
    case SafetyRule::kNewestVaultCopy:
      return "S2";
    case SafetyRule::kInFlightDependency:
      return "S3";
    case SafetyRule::kIncompleteObservation:
      return "S4";
    case SafetyRule::kOtherPolicyOrDatabase:
      return "S5";
    case SafetyRule::kMinRetention:
      return "S6";
    case SafetyRule::kAnomalyFreeze:
      return "S7";
  }
  return "S?";
}

DeleteVerdict DeleteVerdict::Refused(SafetyRule rule, std::string sentence) {
  DeleteVerdict v;
  v.refused_ = true;
  v.rule_ = rule;
  v.sentence_ = std::move(sentence);
  return v;
}

std::string DeleteVerdict::ToString() const {
  return refused_ ? std::string(SafetyRuleName(rule_)) + ": " + sentence_ : "allowed";
}

Status DeleteVerdict::ToStatus(const Scope& scope, std::string_view snapshot_id) const {
  if (!refused_) return OkStatus();
  Error e = Error::Terminal("DeleteRefused", ToString());
  e.With("delete " + scope.ToString() + "/" + std::string(snapshot_id));
  return Fail(std::move(e));
}

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

bool WithinMinRetention(const config::Policy& policy, const Snapshot& vault_copy, TimePoint now) {
  if (policy.min_retention.count() <= 0) return false;
  if (vault_copy.create_time == TimePoint{}) return true;
  return now - vault_copy.create_time < policy.min_retention;
}

class DeleteGuard::Impl {
 public:
  Impl(std::unique_ptr<LineageIndex> owned, const LineageIndex& index, const config::Config& config)
      : owned_(std::move(owned)), index_(index) {
    for (const auto& p : config.policies) {
      PolicyInfo info;
      info.policy = &p;
      info.source = Scope{p.source_account_id, p.source_region};
      info.capture_dependencies = DeleteDependencies(p, NameStage::kCapture, info.source, false);
      info.scopes = PolicyScopes(p);
      policies_.emplace(p.name, std::move(info));
    }
  }

  DeleteVerdict CheckDelete(const DeleteRequest& a, const Snapshot* fresh) const;

 private:
  struct PolicyInfo {
    const config::Policy* policy = nullptr;
    Scope source;
    std::vector<Scope> capture_dependencies;  // of a capture in `source`
    std::vector<Scope> scopes;                // PolicyScopes()
  };
  // S2/S3's facts about one database's vault copies in one lineage group.
  struct VaultFacts {
    const LineageEntry* newest = nullptr;    // S2: the newest available copy
    std::vector<const LineageEntry*> bases;  // S3: the bases of in-flight copies
  };
  // The snapshot being judged as just described: laid over every indexed
  // entry with its id, or added as an entry of its own when none has it.
  struct Overlay {
    const Snapshot* snapshot = nullptr;
    naming::LineageView lineage;
    bool ours = false;  // drsnap's, for the database judged (its own tags)
  };

  // S4's scopes (DeleteDependencies): the capture's, computed once per
  // policy; the others' in `storage`.
  static std::span<const Scope> Dependencies(const PolicyInfo& info, NameStage stage,
                                             const Scope& where, bool failed,
                                             std::vector<Scope>& storage) {
    if (failed || stage == NameStage::kVault) return std::span<const Scope>(&where, 1);
    if (stage == NameStage::kCapture && where == info.source) return info.capture_dependencies;
    storage = DeleteDependencies(*info.policy, stage, where, failed);
    return storage;
  }

  // The entry of snapshot `id` (which parses as `lineage`) in `entries`
  // (sorted as LineageIndex::Lineages() returns them); when several share
  // the id, the first. `known`, when not null, is an entry of `entries`
  // known to have the id (its text is not compared again).
  static const LineageEntry* FindEntry(std::span<const LineageEntry> entries,
                                       const naming::LineageView& lineage, std::string_view id,
                                       const LineageEntry* known) {
    // Entries are sorted by (point, attempt, id), and an entry with this id
    // parsed to this lineage: only the equal (point, attempt) range can hold it.
    auto range =
        std::ranges::equal_range(entries, std::pair{lineage.recovery_point, lineage.attempt},
                                 std::less<>(), [](const LineageEntry& e) {
                                   return std::pair{e.lineage.recovery_point, e.lineage.attempt};
                                 });
    for (const LineageEntry& e : range)
      if (&e == known || e.snapshot->id == id) return &e;
    return nullptr;
  }

  // The one computation of S2 and S3's vault facts: the copies of `db_id`
  // (drsnap's, stage vault) in `entries`, as indexed, or with `overlay`.
  // S2: the newest available copy of `policy` by (point, id). S3: for every
  // copy in flight (any policy), the newest available copy older than it
  // (the base AWS copies incrementally from): the last such in the entries'
  // order.
  static VaultFacts ComputeVaultFacts(std::span<const LineageEntry> entries, std::string_view db_id,
                                      std::string_view policy, const Overlay* overlay) {
    VaultFacts f;
    std::vector<TimePoint> in_flight;
    std::vector<const LineageEntry*> available;  // in the entries' (point) order
    std::optional<LineageEntry> extra;           // the overlay when no entry has its id
    if (overlay && overlay->ours) {
      bool indexed = std::ranges::any_of(
          entries, [&](const LineageEntry& e) { return e.snapshot->id == overlay->snapshot->id; });
      if (!indexed)
        extra = LineageEntry{overlay->snapshot, overlay->lineage, true,   overlay->snapshot->status,
                             true,              0,                nullptr, nullptr};
    }
    // S2 looks at the policy's own copies; S3 at every drsnap copy of the
    // database (a copy in flight builds on whichever is there).
    auto consider = [&](const LineageEntry& e, SnapshotStatus status, bool policys) {
      if (IsInFlight(status)) in_flight.push_back(e.lineage.recovery_point);
      if (status != SnapshotStatus::kAvailable) return;
      available.push_back(&e);
      if (!policys) return;
      if (!f.newest || e.lineage.recovery_point > f.newest->lineage.recovery_point ||
          (e.lineage.recovery_point == f.newest->lineage.recovery_point &&
           e.snapshot->id > f.newest->snapshot->id))
        f.newest = &e;
    };
    bool extra_done = !extra;
    for (const auto& e : entries) {
      if (!extra_done && extra->lineage.recovery_point < e.lineage.recovery_point) {
        consider(*extra, extra->status, true);
        extra_done = true;
      }
      if (e.lineage.stage != NameStage::kVault || !e.OfDatabase(db_id)) continue;
      SnapshotStatus status = e.status;
      if (overlay && e.snapshot->id == overlay->snapshot->id) status = overlay->snapshot->status;
      consider(e, status, e.OursFor(db_id, policy));
    }
    if (!extra_done) consider(*extra, extra->status, true);
    for (TimePoint x : in_flight) {
      const LineageEntry* base = nullptr;
      for (const LineageEntry* e : available)
        if (e->lineage.recovery_point < x) base = e;
      if (base) f.bases.push_back(base);
    }
    if (extra) {  // the facts outlive `extra`: it is named by the marker
      if (f.newest == &*extra) f.newest = &kOverlayMarker;
      for (auto& b : f.bases)
        if (b == &*extra) b = &kOverlayMarker;
    }
    return f;
  }

  // ComputeVaultFacts(entries, db_id, policy, nullptr), once per group,
  // database and policy (a plan may check close to a million deletes).
  const VaultFacts& CachedVaultFacts(std::span<const LineageEntry> entries,
                                     const std::string& db_id, const std::string& policy) const {
    // Groups are adjacent in memory: mix the address so they spread.
    const auto address = reinterpret_cast<std::uintptr_t>(entries.data());
    FactsShard& shard = facts_[((address >> 3) * 0x9E3779B97F4A7C15ull >> 32) % kFactsShards];
    std::lock_guard<std::mutex> lock(shard.mu);
    auto& by_policy = shard.facts[entries.data()][db_id];
    if (auto found = by_policy.find(policy); found != by_policy.end()) return found->second;
    return by_policy.emplace(policy, ComputeVaultFacts(entries, db_id, policy, nullptr))
        .first->second;
  }

  // S7: the sentence that freezes (policy, kind, db)'s vault retention, or
  // "" when its points show no anomaly; computed once per database.
  const std::string& FrozenBecause(const config::Policy& policy, DbKind kind,
                                   const std::string& db_id) const {
    std::lock_guard<std::mutex> lock(frozen_mu_);
    auto key = std::tuple(policy.name, kind, db_id);
    if (auto it = frozen_.find(key); it != frozen_.end()) return it->second;
    std::vector<Anomaly> anomalies = AnomaliesOf(index_, policy, kind, db_id);
    return frozen_
        .emplace(std::move(key),
                 anomalies.empty() ? std::string() : FrozenRetentionSentence(db_id, anomalies))
        .first->second;
  }

  // Marks the overlay's own entry in VaultFacts computed with one that is
  // not indexed (compared by address only).
  static const LineageEntry kOverlayMarker;

  std::unique_ptr<LineageIndex> owned_;
  const LineageIndex& index_;
  std::map<std::string, PolicyInfo, std::less<>> policies_;
  // The cached facts by lineage group, then database id (node-based:
  // references stay valid), in shards by group, each behind its own lock:
  // threads that plan different databases (MakePlan) rarely wait for one
  // another.
  struct alignas(64) FactsShard {
    std::mutex mu;
    std::unordered_map<const LineageEntry*,
                       std::map<std::string, std::map<std::string, VaultFacts, std::less<>>,
                                std::less<>>>
        facts;
  };
  static constexpr size_t kFactsShards = 16;
  mutable std::array<FactsShard, kFactsShards> facts_;
  mutable std::mutex frozen_mu_;
  mutable std::map<std::tuple<std::string, DbKind, std::string>, std::string> frozen_;
};

const LineageEntry DeleteGuard::Impl::kOverlayMarker{};

DeleteVerdict DeleteGuard::Impl::CheckDelete(const DeleteRequest& a, const Snapshot* fresh) const {
  auto refuse = [](SafetyRule rule, std::string sentence) {
    return DeleteVerdict::Refused(rule, std::move(sentence));
  };
  auto pit = policies_.find(a.policy);
  if (pit == policies_.end())
    return refuse(SafetyRule::kOtherPolicyOrDatabase,
                  "the action names no known policy ('" + a.policy + "')");
  const PolicyInfo& info = pit->second;
  const config::Policy& p = *info.policy;

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
      return refuse(SafetyRule::kNotCreatedByDrsnap,
                    a.snapshot_id + " is not a drsnap name; drsnap did not create it");
    entries = index_.Lineages(a.scope, lin->source_account, lin->db_token, a.db_kind);
  }
  const LineageEntry* entry = FindEntry(entries, *lin, a.snapshot_id, hint);
  const Snapshot* snap = fresh ? fresh : (entry ? entry->snapshot : nullptr);
  // What the index already knows about `snap` (S1's tags, S5's tags, its
  // status) holds only when `snap` is the indexed snapshot itself.
  const LineageEntry* indexed = entry && snap == entry->snapshot ? entry : nullptr;
  const SnapshotStatus status =
      indexed ? indexed->status : (snap ? snap->status : SnapshotStatus::kOther);

  // S4: the snapshot's scope and every scope the delete's justification
  // depends on were observed completely.
  std::vector<Scope> storage;
  for (const Scope& s : Dependencies(info, lin->stage, a.scope,
                                     snap && status == SnapshotStatus::kFailed, storage)) {
    const ScopeInventory* si = index_.Find(s);
    if (!si || !si->complete)
      return refuse(SafetyRule::kIncompleteObservation,
                    "scope " + s.ToString() + " of policy '" + p.name + "' " +
                        (si ? "is incomplete" : "was not observed") + "; deleting " +
                        a.snapshot_id + " depends on it");
    if (std::vector<std::string> twice = index_.ListedTwice(s); !twice.empty())
      return refuse(SafetyRule::kIncompleteObservation,
                    "the listing of scope " + s.ToString() + " holds " + twice.front() +
                        " twice, so it cannot be trusted; deleting " + a.snapshot_id +
                        " depends on it");
  }
  if (!snap)
    return refuse(SafetyRule::kNotCreatedByDrsnap,
                  a.snapshot_id + " was not observed in " + a.scope.ToString() +
                      " as a manual snapshot owned there; drsnap only deletes what it created");
  // ... and drsnap's tags on it.
  const naming::DrsnapTags tags =
      indexed ? naming::DrsnapTags{} : naming::FindDrsnapTags(snap->tags);
  if (!(indexed ? indexed->drsnap_created : naming::IsDrsnapCreated(*snap, *lin, tags, index_.inventory().observed_at)))
    return refuse(SafetyRule::kNotCreatedByDrsnap,
                  a.snapshot_id +
                      " does not carry drsnap's tags (drsnap:managed=true and a matching "
                      "drsnap:stage); drsnap did not create it");
  // S5: it belongs to this policy and database.
  const std::string* policy_tag = indexed ? indexed->policy_tag : tags.policy;
  const std::string* db_tag = indexed ? indexed->db_tag : tags.db;
  if (!policy_tag || *policy_tag != a.policy)
    return refuse(SafetyRule::kOtherPolicyOrDatabase,
                  a.snapshot_id + " is tagged for policy '" +
                      (policy_tag ? *policy_tag : std::string()) + "', not '" + a.policy + "'");
  if (!db_tag || *db_tag != a.db_id || !naming::HasDbToken(a.db_id, lin->db_token))
    return refuse(SafetyRule::kOtherPolicyOrDatabase,
                  a.snapshot_id + " is not a snapshot of " + a.db_id);
  // Captures and raws live in the policy's source scope; hops and vault copies
  // carry the policy's source account.
  bool dr_side = lin->stage == NameStage::kHop || lin->stage == NameStage::kVault;
  if (dr_side ? lin->source_account != p.source_account_id : !(a.scope == info.source))
    return refuse(SafetyRule::kOtherPolicyOrDatabase,
                  a.snapshot_id + " does not belong to policy '" + p.name + "' (source " +
                      info.source.ToString() + ")");

  // S3: not the source of an in-flight copy.
  if (index_.IsInFlightSource(*snap))
    return refuse(SafetyRule::kInFlightDependency,
                  a.snapshot_id + " is the source of a copy in flight");
  const TimePoint point = lin->recovery_point;
  auto in_flight_at = [&](const Scope& scope, std::string_view acct, NameStage stage) {
    for (const auto& e : index_.Lineages(scope, acct, lin->db_token, a.db_kind))
      if (e.lineage.recovery_point == point && e.lineage.stage == stage && IsInFlight(e.status) &&
          e.OfDatabase(a.db_id))
        return e.snapshot;
    return static_cast<const Snapshot*>(nullptr);
  };
  switch (lin->stage) {
    case NameStage::kRaw:
      if (const Snapshot* s = in_flight_at(a.scope, "", NameStage::kCapture))
        return refuse(SafetyRule::kInFlightDependency, s->id + " is being copied from it");
      break;
    case NameStage::kCapture:
      for (const Scope& s : info.scopes) {
        for (NameStage st : {NameStage::kHop, NameStage::kVault})
          if (const Snapshot* x = in_flight_at(s, p.source_account_id, st))
            return refuse(SafetyRule::kInFlightDependency,
                          x->id + " in " + s.ToString() + " is being copied from it");
      }
      break;
    case NameStage::kHop:
      for (const Scope& s : info.scopes) {
        if (s.account_id != a.scope.account_id) continue;
        if (const Snapshot* x = in_flight_at(s, p.source_account_id, NameStage::kVault))
          return refuse(SafetyRule::kInFlightDependency,
                        x->id + " in " + s.ToString() + " is being copied from it");
      }
      break;
    case NameStage::kVault: {
      // S6: young copies stay, whatever retention says.
      if (status != SnapshotStatus::kFailed &&
          WithinMinRetention(p, *snap, index_.inventory().observed_at))
        return refuse(SafetyRule::kMinRetention,
                      a.snapshot_id + " is younger than min_retention " +
                          FormatDuration(p.min_retention) + " of policy '" + p.name +
                          "' (made " + FormatIso8601Seconds(snap->create_time) + ")");
      // S7: an unreviewed anomaly freezes retention (a failed copy is
      // garbage whatever the stream of points says).
      if (status != SnapshotStatus::kFailed)
        if (const std::string& why = FrozenBecause(p, a.db_kind, a.db_id); !why.empty())
          return refuse(SafetyRule::kAnomalyFreeze, why);
      // S2: the newest available vault copy stays; S3: so does the base of
      // an in-flight (incremental) copy. The facts as indexed serve when
      // the snapshot judged is the indexed one (or says the same status);
      // else they are computed with it laid over the index.
      const bool as_indexed = !fresh || (entry && fresh->status == entry->status);
      Overlay overlay;
      if (!as_indexed) {
        overlay.snapshot = fresh;
        overlay.lineage = *lin;
        overlay.ours = db_tag && *db_tag == a.db_id;  // and S5 held: its policy tag is a.policy
      }
      VaultFacts computed;
      const VaultFacts* facts = nullptr;
      if (as_indexed) {
        if (!entries.empty()) facts = &CachedVaultFacts(entries, a.db_id, a.policy);
      } else {
        computed = ComputeVaultFacts(entries, a.db_id, a.policy, &overlay);
        facts = &computed;
      }
      if (!facts) break;
      // An entry is this snapshot when it is the overlay's, or has its id.
      // Equal ids parse to equal (point, attempt): those are compared first.
      auto is_this = [&](const LineageEntry* e) {
        if (e == &kOverlayMarker) return true;
        return e->lineage.recovery_point == lin->recovery_point &&
               e->lineage.attempt == lin->attempt &&
               (e == hint || e->snapshot->id == a.snapshot_id);
      };
      if (facts->newest && is_this(facts->newest))
        return refuse(SafetyRule::kNewestVaultCopy, a.snapshot_id +
                                                        " is the newest available vault copy of " +
                                                        a.db_id + " in " + a.scope.ToString());
      for (const LineageEntry* base : facts->bases)
        if (is_this(base))
          return refuse(SafetyRule::kInFlightDependency,
                        a.snapshot_id + " is the base of an incremental copy in flight");
      break;
    }
  }
  return DeleteVerdict::Allowed();
}

DeleteGuard::DeleteGuard(const Inventory& inventory, const config::Config& config) {
  auto index = std::make_unique<LineageIndex>(inventory);
  const LineageIndex& ref = *index;
  impl_ = std::make_unique<Impl>(std::move(index), ref, config);
}

DeleteGuard::DeleteGuard(const LineageIndex& index, const config::Config& config)
    : impl_(std::make_unique<Impl>(nullptr, index, config)) {}

DeleteGuard::~DeleteGuard() = default;
DeleteGuard::DeleteGuard(DeleteGuard&&) noexcept = default;
DeleteGuard& DeleteGuard::operator=(DeleteGuard&&) noexcept = default;

DeleteVerdict DeleteGuard::Check(const Action& a, const Snapshot* fresh) const {
  if (a.kind != ActionKind::kDeleteSnapshot) return DeleteVerdict::Allowed();
  return CheckDelete(DeleteRequest{a.policy, a.scope, a.snapshot_id, a.db_kind, a.db_id}, fresh);
}

DeleteVerdict DeleteGuard::CheckDelete(const DeleteRequest& request, const Snapshot* fresh) const {
  return impl_->CheckDelete(request, fresh);
}

DeleteVerdict CheckDeleteAllowed(const Inventory& inventory, const config::Config& config,
                                 const Action& action, const Snapshot* fresh) {
  return DeleteGuard(inventory, config).Check(action, fresh);
}

}  // namespace drsnap::engine
