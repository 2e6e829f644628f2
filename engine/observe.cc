#include "engine/observe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_set>

#include "engine/ledger.h"
#include "engine/naming.h"

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

// Phase 2 of Observe: the restore attributes the planner needs (observe.h,
// "Shares": the numbered rules below refer to it).
void ObserveShares(Cloud& cloud, const ObserveRequest& request, Inventory& inv) {
  // Rule 5: which hour of which day this observation is in.
  const int64_t hours_since_epoch =
      std::chrono::duration_cast<std::chrono::hours>(inv.observed_at.time_since_epoch()).count();
  const int64_t day = hours_since_epoch >= 0 ? hours_since_epoch / 24 : -1;
  const int hour = static_cast<int>(hours_since_epoch >= 0 ? hours_since_epoch % 24 : 0);
  auto audit_due = [&](const Snapshot& s) {
    return request.audit_shares && day >= 0 && ShareAuditHour(s.id.str(), day) == hour;
  };
  // Per region, per account observed there: complete or not, and what its
  // listing shows as shared (ARNs, and the owner accounts they belong to).
  struct View {
    bool complete = true;
    std::unordered_set<std::string_view> shared_arns;
    std::set<std::string_view, std::less<>> shared_owners;
  };
  std::map<std::string_view, std::map<std::string_view, View>, std::less<>> views;
  for (const auto& si : inv.scopes) {
    View& v = views[si.scope.region][si.scope.account_id];
    v.complete = si.complete;
    for (const auto& o : si.snapshots) {
      if (o.type != SnapshotType::kShared || o.scope.account_id == si.scope.account_id) continue;
      v.shared_arns.insert(o.arn);
      v.shared_owners.insert(o.scope.account_id);
    }
  }

  struct Ref {
    size_t scope_index;
    size_t snapshot_index;
  };
  std::vector<Ref> reads;  // rule 2 (and infer_shares == false)
  // Rule 4: per (owner account/region, target account), the snapshots whose
  // share with the target only the attribute can confirm.
  std::map<std::pair<std::string, std::string>, std::vector<Ref>> unconfirmed;
  for (size_t i = 0; i < inv.scopes.size(); ++i) {
    ScopeInventory& si = inv.scopes[i];
    const auto& region_views = views[si.scope.region];
    for (size_t j = 0; j < si.snapshots.size(); ++j) {
      Snapshot& s = si.snapshots[j];
      if (s.type != SnapshotType::kManual || s.scope != si.scope || !request.needs_shares(s))
        continue;
      if (!request.infer_shares) {
        reads.push_back({i, j});
        continue;
      }
      // Rule 1: the accounts observed completely in the region that list it.
      std::vector<std::string> inferred;
      for (const auto& [account, v] : region_views)
        if (account != si.scope.account_id && v.complete && v.shared_arns.contains(s.arn))
          inferred.emplace_back(account);
      s.shared_with = std::move(inferred);
      if (s.status != SnapshotStatus::kAvailable) continue;
      std::vector<std::string> targets;
      if (request.share_targets) {
        targets = request.share_targets(s);
      } else {
        for (const auto& [account, v] : region_views) targets.emplace_back(account);
      }
      bool read = false;
      std::vector<std::string> to_confirm;
      for (const auto& t : targets) {
        if (t == si.scope.account_id) continue;
        if (std::ranges::find(*s.shared_with, t) != s.shared_with->end()) continue;
        auto v = region_views.find(t);
        if (v == region_views.end() || !v->second.complete) {
          read = true;  // rule 2
          break;
        }
        if (!v->second.shared_owners.contains(si.scope.account_id))
          to_confirm.push_back(t);  // rule 4 (else rule 3: not shared)
      }
      if (read || audit_due(s)) {  // rule 2, or rule 5
        reads.push_back({i, j});
        continue;
      }
      for (const auto& t : to_confirm) unconfirmed[{si.scope.ToString(), t}].push_back({i, j});
    }
  }

  auto snap = [&](const Ref& r) -> Snapshot& {
    return inv.scopes[r.scope_index].snapshots[r.snapshot_index];
  };
  std::set<std::pair<size_t, size_t>> read;  // snapshots already read (or queued)
  auto queue = [&](const Ref& r, std::vector<Ref>& batch) {
    if (read.insert({r.scope_index, r.snapshot_index}).second) batch.push_back(r);
  };
  std::mutex mu;  // guards ScopeInventory::complete/error across reads
  auto read_all = [&](const std::vector<Ref>& batch) {
    ParallelFor(batch.size(), request.parallelism, [&](size_t k) {
      ScopeInventory& si = inv.scopes[batch[k].scope_index];
      Snapshot& s = snap(batch[k]);
      auto accounts = cloud.ListSharedAccounts(si.scope, s.kind, s.id);
      if (accounts) {
        std::ranges::sort(*accounts);
        s.shared_with = std::move(*accounts);
      } else {
        std::lock_guard l(mu);
        MarkIncomplete(si, accounts.error(), "reading the restore attribute of " + s.id);
      }
    });
  };

  // Rule 2, and rule 4's probe: the oldest snapshot of each group.
  std::vector<Ref> batch;
  for (const Ref& r : reads) queue(r, batch);
  std::map<std::pair<std::string, std::string>, Ref> probe_of;
  for (const auto& [group, refs] : unconfirmed) {
    Ref oldest = *std::ranges::min_element(refs, [&](const Ref& a, const Ref& b) {
      return std::tie(snap(a).create_time, snap(a).id) < std::tie(snap(b).create_time, snap(b).id);
    });
    probe_of.emplace(group, oldest);
    queue(oldest, batch);
  }
  read_all(batch);

  // Rule 4: a probe that names its target account shows that the target's
  // listing does not report shares: read the rest of its group.
  std::vector<Ref> rest;
  for (const auto& [group, refs] : unconfirmed) {
    const Snapshot& probe = snap(probe_of.at(group));
    const auto& sw = probe.shared_with;
    if (!sw || std::ranges::find(*sw, group.second) == sw->end()) continue;
    for (const Ref& r : refs) queue(r, rest);
  }
  read_all(rest);
}

}  // namespace

int ShareAuditHour(std::string_view snapshot_id, int64_t day) {
  // FNV-1a over the id and the day: stable across builds and platforms.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : snapshot_id) mix(static_cast<unsigned char>(c));
  for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(static_cast<uint64_t>(day) >> (8 * i)));
  return static_cast<int>(h % 24);
}

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
    if (request.read_ledgers) {
      auto tags = cloud.ReadLedger(si.scope);
      if (tags)
        si.ledger = DecodeLedger(*tags, inv.observed_at);
      else if (tags.error().code != "NotSupported")
        si.ledger_error = tags.error().ToString();
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

  if (request.needs_shares) ObserveShares(cloud, request, inv);
  return inv;
}

std::function<std::vector<std::string>(const Snapshot&)> ShareTargetsFor(
    const config::Config& config) {
  using Accounts = std::vector<std::string>;
  auto by_policy = std::make_shared<std::map<std::string, Accounts, std::less<>>>();
  auto by_source = std::make_shared<std::map<Scope, Accounts>>();
  for (const auto& p : config.policies) {
    Accounts& mine = (*by_policy)[p.name];
    Accounts& at_source = (*by_source)[Scope{p.source_account_id, p.source_region}];
    for (const auto& t : p.targets) {
      if (t.account_id == p.source_account_id) continue;
      for (Accounts* list : {&mine, &at_source})
        if (std::ranges::find(*list, t.account_id) == list->end()) list->push_back(t.account_id);
    }
  }
  return [by_policy, by_source](const Snapshot& s) -> Accounts {
    if (auto tag = s.tags.find(naming::kTagPolicy); tag != s.tags.end())
      if (auto p = by_policy->find(tag->second); p != by_policy->end()) return p->second;
    auto src = by_source->find(s.scope);
    return src == by_source->end() ? Accounts{} : src->second;
  };
}

}  // namespace drsnap::engine
