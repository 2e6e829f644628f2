#include "engine/observe.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace drsnap::engine {

void ParallelFor(size_t n, int parallelism, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, parallelism)));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

namespace {

void MarkIncomplete(ScopeInventory& si, const Error& e, const std::string& what) {
  si.complete = false;
  std::string line = what + ": " + e.ToString();
  si.error = si.error.empty() ? line : si.error + "; " + line;
}

}  // namespace

Inventory Observe(Cloud& cloud, const ObserveRequest& request, TimePoint now) {
  Inventory inv;
  inv.observed_at = now;
  for (const auto& s : request.scopes) {
    if (inv.Find(s) != nullptr) continue;
    ScopeInventory si;
    si.scope = s;
    inv.scopes.push_back(std::move(si));
  }

  // Phase 1: one task per scope (databases, snapshots, default key).
  ParallelFor(inv.scopes.size(), request.parallelism, [&](size_t i) {
    ScopeInventory& si = inv.scopes[i];
    auto dbs = cloud.ListDatabases(si.scope);
    if (dbs) {
      si.databases = std::move(*dbs);
    } else {
      MarkIncomplete(si, dbs.error(), "databases");
    }
    auto snaps = cloud.ListSnapshots(si.scope);
    if (snaps) {
      si.snapshots = std::move(*snaps);
      for (auto& s : si.snapshots)
        if (s.seen_from == Scope{}) s.seen_from = si.scope;
    } else {
      MarkIncomplete(si, snaps.error(), "snapshots");
    }
    if (std::ranges::find(request.default_key_scopes, si.scope) !=
        request.default_key_scopes.end()) {
      auto key = cloud.DefaultRdsKeyArn(si.scope);
      if (key) {
        si.default_rds_key_arn = *key;
      } else {
        MarkIncomplete(si, key.error(), "default RDS key");
      }
    }
  });

  // Phase 2: restore attributes, only where the planner needs them.
  if (request.needs_shares) {
    struct Lookup {
      size_t scope_index;
      size_t snapshot_index;
    };
    std::vector<Lookup> lookups;
    for (size_t i = 0; i < inv.scopes.size(); ++i) {
      auto& si = inv.scopes[i];
      // The other accounts observed in this region, and what they see shared.
      bool all_complete = true;
      std::map<std::string, std::set<std::string>> seen_by;  // ARN -> accounts
      for (const auto& other : inv.scopes) {
        if (other.scope.region != si.scope.region || other.scope.account_id == si.scope.account_id)
          continue;
        all_complete &= other.complete;
        for (const auto& o : other.snapshots)
          if (o.type == SnapshotType::kShared && o.scope == si.scope)
            seen_by[o.arn].insert(other.scope.account_id);
      }
      for (size_t j = 0; j < si.snapshots.size(); ++j) {
        Snapshot& s = si.snapshots[j];
        if (s.type != SnapshotType::kManual || s.scope != si.scope || !request.needs_shares(s))
          continue;
        if (request.infer_shares && all_complete) {
          auto it = seen_by.find(s.arn);
          s.shared_with = it == seen_by.end()
                              ? std::vector<std::string>{}
                              : std::vector<std::string>(it->second.begin(), it->second.end());
        } else {
          lookups.push_back({i, j});
        }
      }
    }
    std::mutex mu;  // guards ScopeInventory::complete/error across lookups
    ParallelFor(lookups.size(), request.parallelism, [&](size_t k) {
      ScopeInventory& si = inv.scopes[lookups[k].scope_index];
      Snapshot& s = si.snapshots[lookups[k].snapshot_index];
      auto accounts = cloud.ListSharedAccounts(si.scope, s.kind, s.id);
      if (accounts) {
        s.shared_with = std::move(*accounts);
      } else {
        std::lock_guard l(mu);
        MarkIncomplete(si, accounts.error(), "reading the restore attribute of " + s.id);
      }
    });
  }
  return inv;
}

}  // namespace drsnap::engine
