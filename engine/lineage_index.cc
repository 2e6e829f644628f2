#include "engine/lineage_index.h"

#include <algorithm>

namespace drsnap::engine {
namespace {

// "account/region/id" of a snapshot reference: a full ARN
// (arn:aws:rds:<region>:<account>:snapshot:<id> / cluster-snapshot:<id>), or
// a bare id in `where`.
std::string RefKey(std::string_view ref, const Scope& where) {
  if (ref.starts_with("arn:")) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (parts.size() < 6) {
      size_t p = ref.find(':', start);
      if (p == std::string_view::npos) {
        parts.push_back(ref.substr(start));
        break;
      }
      parts.push_back(ref.substr(start, p - start));
      start = p + 1;
    }
    if (parts.size() >= 6) {
      std::string_view id = ref.substr(ref.rfind(':') + 1);
      return std::string(parts[4]) + "/" + std::string(parts[3]) + "/" + std::string(id);
    }
  }
  return where.account_id + "/" + where.region + "/" + std::string(ref);
}

bool InFlight(SnapshotStatus s) {
  return s == SnapshotStatus::kCreating || s == SnapshotStatus::kCopying;
}

bool ByPointAttemptId(const LineageEntry& a, const LineageEntry& b) {
  if (a.lineage.recovery_point != b.lineage.recovery_point)
    return a.lineage.recovery_point < b.lineage.recovery_point;
  if (a.lineage.attempt != b.lineage.attempt) return a.lineage.attempt < b.lineage.attempt;
  return a.snapshot->id < b.snapshot->id;
}

}  // namespace

void LineageIndex::IndexShared(PerScope& ps, const Snapshot& s) {
  // Trust nothing a sharer could fake cheaply: the owner is the snapshot's
  // scope, and its ARN (when AWS gave one) must agree.
  if (!s.arn.empty() && ArnAccount(s.arn) != s.scope.account_id) return;
  auto lin = naming::ParseNameView(s.id);
  if (!lin || lin->stage != naming::NameStage::kCapture) return;
  ps.shared_captures[Key{s.scope.account_id, lin->db_token, s.kind}].push_back(
      LineageEntry{&s, *lin, false, nullptr});
}

LineageIndex::LineageIndex(const Inventory& inventory) : inventory_(inventory) {
  // This runs over every snapshot of the inventory (a million for a large
  // estate), so it touches as little of each as it can: consecutive
  // snapshots usually share a lineage key and a (policy, database), and the
  // previous lookups are reused then.
  static constexpr std::string_view kDb = naming::kTagDb, kPolicy = naming::kTagPolicy,
                                    kStage = naming::kTagStage, kManaged = naming::kTagManaged;
  for (const auto& si : inventory.scopes) {
    PerScope& ps = scopes_[si.scope];
    ps.inv = &si;
    std::vector<LineageEntry>* group = nullptr;  // of `group_key`
    Key group_key{};
    std::unordered_set<Key, KeyHash>* tagged = nullptr;  // of `tagged_policy`
    std::string_view tagged_policy;
    Key last_tagged{};
    bool have_last_tagged = false;
    for (const auto& s : si.snapshots) {
      if (InFlight(s.status) && !s.source_arn.empty()) {
        in_flight_sources_.insert(
            RefKey(s.source_arn, s.scope.account_id.empty() ? si.scope : s.scope));
      }
      if (!(s.scope == si.scope) && !s.scope.account_id.empty()) {  // shared with us
        if (s.type == SnapshotType::kShared) IndexShared(ps, s);
        continue;
      }
      if (s.type == SnapshotType::kAutomated) {
        ps.automated[Key{"", s.db_id, s.kind}].push_back(&s);
        continue;
      }
      if (s.type != SnapshotType::kManual) continue;
      auto lin = naming::ParseNameView(s.id);
      if (!lin) continue;
      Key key{lin->source_account, lin->db_token, s.kind};  // views into s.id
      // drsnap's tags, in one pass that tells keys apart by length first.
      const std::string *db_tag = nullptr, *policy_tag = nullptr, *stage_tag = nullptr;
      bool managed = false;
      for (const auto& [k, v] : s.tags) {
        switch (k.size()) {
          case kDb.size():
            if (k == kDb) db_tag = &v;
            break;
          case kPolicy.size():
            if (k == kPolicy) policy_tag = &v;
            break;
          case kStage.size():
            if (k == kStage) stage_tag = &v;
            break;
          case kManaged.size():
            if (k == kManaged) managed = v == "true";
            break;
          default:
            break;
        }
      }
      bool created = managed && stage_tag && s.type == SnapshotType::kManual &&
                     (s.scope == s.seen_from || s.seen_from.account_id.empty()) &&
                     naming::ParseNameStage(*stage_tag) == lin->stage;
      if (!group || !(group_key == key)) {
        group = &ps.lineages[key];
        group_key = key;
      }
      group->push_back(LineageEntry{&s, *lin, created, db_tag, policy_tag});
      if (created && db_tag && !db_tag->empty() && policy_tag) {
        Key t{"", *db_tag, s.kind};
        if (!tagged || tagged_policy != *policy_tag) {
          tagged = &ps.tagged[*policy_tag];
          tagged_policy = *policy_tag;
          have_last_tagged = false;
        }
        if (!have_last_tagged || !(last_tagged == t)) {
          tagged->insert(t);
          last_tagged = t;
          have_last_tagged = true;
        }
      }
    }
    for (auto* g : {&ps.lineages, &ps.shared_captures})
      for (auto& [k, v] : *g)
        if (!std::is_sorted(v.begin(), v.end(), ByPointAttemptId))
          std::sort(v.begin(), v.end(), ByPointAttemptId);
    for (auto& [k, v] : ps.automated) {
      std::sort(v.begin(), v.end(), [](const Snapshot* a, const Snapshot* b) {
        if (a->recovery_point != b->recovery_point) return a->recovery_point < b->recovery_point;
        return a->id < b->id;
      });
    }
  }
}

const LineageIndex::PerScope* LineageIndex::Get(const Scope& scope) const {
  auto it = scopes_.find(scope);
  return it == scopes_.end() ? nullptr : &it->second;
}

const ScopeInventory* LineageIndex::Find(const Scope& scope) const {
  const PerScope* ps = Get(scope);
  return ps ? ps->inv : nullptr;
}

bool LineageIndex::Complete(const Scope& scope) const {
  const ScopeInventory* si = Find(scope);
  return si && si->complete;
}

std::span<const LineageEntry> LineageIndex::Lineages(const Scope& scope,
                                                     std::string_view source_account,
                                                     std::string_view db_token, DbKind kind) const {
  const PerScope* ps = Get(scope);
  if (!ps) return {};
  auto it = ps->lineages.find(Key{source_account, db_token, kind});
  if (it == ps->lineages.end()) return {};
  return it->second;
}

std::span<const Snapshot* const> LineageIndex::Automated(const Scope& scope, DbKind kind,
                                                         std::string_view db_id) const {
  const PerScope* ps = Get(scope);
  if (!ps) return {};
  auto it = ps->automated.find(Key{"", db_id, kind});
  if (it == ps->automated.end()) return {};
  return it->second;
}

bool LineageIndex::IsInFlightSource(const Snapshot& s) const {
  if (in_flight_sources_.empty()) return false;
  if (!s.arn.empty() && in_flight_sources_.count(RefKey(s.arn, s.scope))) return true;
  return in_flight_sources_.count(s.scope.account_id + "/" + s.scope.region + "/" + s.id) > 0;
}

std::span<const LineageEntry> LineageIndex::SharedCaptures(const Scope& seen_from,
                                                           std::string_view owner_account,
                                                           std::string_view db_token,
                                                           DbKind kind) const {
  const PerScope* ps = Get(seen_from);
  if (!ps) return {};
  auto it = ps->shared_captures.find(Key{owner_account, db_token, kind});
  if (it == ps->shared_captures.end()) return {};
  return it->second;
}

std::vector<LineageIndex::SharedDatabase> LineageIndex::SharedDatabases(
    const Scope& seen_from, std::string_view owner_account) const {
  const PerScope* ps = Get(seen_from);
  if (!ps) return {};
  std::vector<SharedDatabase> out;
  for (const auto& [key, entries] : ps->shared_captures) {
    if (key.account != owner_account) continue;
    for (const LineageEntry& e : entries) {
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

std::vector<std::pair<DbKind, std::string>> LineageIndex::TaggedDatabases(
    const Scope& scope, std::string_view policy) const {
  const PerScope* ps = Get(scope);
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
