#include "engine/preflight.h"

#include <mutex>
#include <set>
#include <tuple>

#include "core/arn.h"
#include "engine/observe.h"

namespace drsnap::engine {

bool IsDefaultRdsKey(std::string_view key, const ScopeInventory* source) {
  return IsDefaultRdsKeyAlias(key) ||
         (source && !source->default_rds_key_arn.empty() && key == source->default_rds_key_arn);
}

const KeyAccess* CaptureKeyRefused(const Inventory& inventory, std::string_view account,
                                   std::span<const std::string_view> capture_keys,
                                   const Database* live, const config::Policy& policy,
                                   const ScopeInventory* source) {
  if (inventory.key_access.empty()) return nullptr;
  for (std::string_view key : capture_keys)
    if (const KeyAccess* k = inventory.KeyRefused(account, key)) return k;
  if (!live || !live->encrypted) return nullptr;
  return inventory.KeyRefused(account, IsDefaultRdsKey(live->kms_key_id, source)
                                           ? std::string_view(policy.share_key)
                                           : std::string_view(live->kms_key_id));
}

std::vector<KeyAccess> KeyChecksFor(const Inventory& inventory, const config::Config& config) {
  std::set<std::tuple<std::string, std::string, std::string>> seen;  // account, region, key
  std::vector<KeyAccess> out;
  for (const auto& p : config.policies) {
    const Scope source{p.source_account_id, p.source_region};
    const ScopeInventory* src = inventory.Find(source);
    for (const auto& t : p.targets) {
      if (t.account_id == p.source_account_id) continue;
      const ScopeInventory* view = inventory.Find(Scope{t.account_id, p.source_region});
      if (!view || !view->complete) continue;  // no credentials there, or blind
      auto add = [&](const std::string& key) {
        if (key.empty() || IsDefaultRdsKey(key, src)) return;
        if (seen.emplace(t.account_id, p.source_region, key).second)
          out.push_back(KeyAccess{t.account_id, key, {}});
      };
      add(p.share_key);
      if (src) {
        for (const auto& db : src->databases)
          if (db.encrypted) add(db.kms_key_id);
      }
      for (const auto& s : view->snapshots)
        if (s.encrypted && s.scope.account_id == p.source_account_id) add(s.kms_key_id);
    }
  }
  return out;
}

std::vector<KeyAccess> CheckKeyAccess(Cloud& cloud, const Inventory& inventory,
                                      const config::Config& config, int parallelism) {
  std::vector<KeyAccess> checks = KeyChecksFor(inventory, config);
  std::vector<char> answered(checks.size(), 0);
  ParallelFor(checks.size(), parallelism, [&](size_t i) {
    KeyAccess& k = checks[i];
    auto arn = ParseArn(k.key_arn);
    if (!arn || arn->region.empty()) return;  // not an ARN: cannot tell its region
    auto use = cloud.CheckKeyUse(Scope{k.account_id, std::string(arn->region)}, k.key_arn);
    if (!use) return;
    k.use = std::move(*use);
    answered[i] = 1;
  });
  std::vector<KeyAccess> out;
  for (size_t i = 0; i < checks.size(); ++i)
    if (answered[i]) out.push_back(std::move(checks[i]));
  return out;
}

void ReadSnapshotQuotas(Cloud& cloud, Inventory& inventory, int parallelism) {
  ParallelFor(inventory.scopes.size(), parallelism, [&](size_t i) {
    ScopeInventory& si = inventory.scopes[i];
    if (!si.complete) return;
    auto q = cloud.DescribeSnapshotQuotas(si.scope);
    if (!q) return;
    if (q->instance_max > 0) si.snapshot_quota[0] = {q->instance_used, q->instance_max};
    if (q->cluster_max > 0) si.snapshot_quota[1] = {q->cluster_used, q->cluster_max};
  });
}

}  // namespace drsnap::engine
