#include "engine/protection.h"

#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "core/strings.h"
#include "engine/naming.h"

namespace drsnap::engine {

bool IsClusterMemberInstance(const Database& d) {
  return d.kind == DbKind::kInstance &&
         (d.engine.starts_with("aurora") || d.engine == "docdb" || d.engine == "neptune");
}

Protection ProtectedDatabases(const LineageIndex& index, const config::Config& config) {
  Protection out;
  // (source scope, kind, id) -> the policy that claimed it.
  std::map<std::tuple<Scope, DbKind, std::string>, const config::Policy*> claimed;
  for (const auto& p : config.policies) {
    const Scope source{p.source_account_id, p.source_region};
    std::set<std::string> share_accounts;  // target accounts other than the source's
    for (const auto& t : p.targets)
      if (t.account_id != p.source_account_id) share_accounts.insert(t.account_id);

    std::map<std::pair<std::string, DbKind>, const Database*> dbs;
    if (const ScopeInventory* src = index.Find(source)) {
      for (const auto& d : src->databases) {
        if (IsClusterMemberInstance(d)) continue;
        if (!p.databases.Matches(d.kind == DbKind::kCluster, d.id, d.engine, d.tags)) continue;
        dbs[{d.id, d.kind}] = &d;
      }
    } else {
      config::DatabaseSelector untagged = p.databases;
      untagged.tags.clear();
      for (const auto& account : share_accounts)
        for (const auto& d :
             index.SharedDatabases(Scope{account, p.source_region}, source.account_id))
          if (untagged.Matches(d.kind == DbKind::kCluster, d.db_id, d.engine, {}))
            dbs.emplace(std::pair{d.db_id, d.kind}, nullptr);
    }
    // Deleted (or unseen) databases that still have our snapshots: in the
    // source scope, every target scope, and the hop scope of each target
    // account other than the source's.
    std::set<Scope> tagged_scopes{source};
    for (const auto& t : p.targets) {
      for (const auto& r : t.regions) tagged_scopes.insert(Scope{t.account_id, r.region});
      if (t.account_id != p.source_account_id)
        tagged_scopes.insert(Scope{t.account_id, p.source_region});
    }
    for (const auto& s : tagged_scopes)
      for (const auto& [kind, id] : index.TaggedDatabases(s, p.name))
        dbs.emplace(std::pair{id, kind}, nullptr);

    for (const auto& [key, live] : dbs) {
      const auto& [id, kind] = key;
      auto [it, first] = claimed.emplace(std::make_tuple(source, kind, id), &p);
      if (!first && it->second != &p) {
        out.findings.push_back(Finding{Finding::Severity::kWarning, p.name, id, source,
                                       std::string(DbKindName(kind)) + " " + id +
                                           " is already protected by policy '" + it->second->name +
                                           "'; this policy leaves it alone"});
        continue;
      }
      out.databases.push_back(ProtectedDatabase{&p, kind, id, live});
    }
  }
  return out;
}

std::vector<std::string> LiteralDbIdsForToken(std::string_view token,
                                              const config::Config& config) {
  std::set<std::string> ids;
  for (const auto& p : config.policies) {
    for (const auto& name : p.databases.names) {
      if (name.empty() || name.find_first_of("*?") != std::string::npos) continue;
      std::string id = AsciiLower(name);
      if (naming::DbToken(id) == token) ids.insert(std::move(id));
    }
  }
  return {ids.begin(), ids.end()};
}

}  // namespace drsnap::engine
