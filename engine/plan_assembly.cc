#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>

#include "core/memory.h"
#include "engine/plan_assembly_internal.h"

namespace drsnap::engine {
namespace {

// A planned entry is named by 32 bits: its lane, and its index in the lane.
constexpr int kLocalBits = 29;
static_assert(PlanAssembly::kMaxThreads <= (size_t{1} << (32 - kLocalBits)),
              "every lane's number fits above an entry's index");

// What is planned, in the order planned, until the plan is sorted. A plan
// may hold close to a million actions, nearly all of them deletes, and each
// Action is a few hundred bytes: a delete is recorded here as 24 bytes (the
// snapshot, its database, its reason, its scope) and becomes an Action
// exactly once, in its sorted place in the plan. Other actions are kept
// whole in Lane::full.
struct Planned {
  const Snapshot* deleted = nullptr;  // a delete of this snapshot; null: Lane::full[payload]
  uint32_t db = 0;                    // the database: PlanAssembly::Impl::dbs_[db]
  uint32_t payload = 0;               // deleted: Lane::reasons[payload]
  uint32_t scope = 0;                 // deleted: where it lives, Lane::delete_scopes[scope]
};

// What one planning thread makes (Impl::PlanDatabases): its databases'
// planned actions and findings. Only that thread writes it while planning.
struct Lane final : PlanSink {
  // Planned entries never move while planning. Chunks of 6 MB, in huge
  // pages: a large plan's first touch of small pages would cost a page
  // fault per 4 KB (see core/memory.h); a small plan touches one page.
  static constexpr size_t kChunk = size_t{1} << 18;
  // A lane's entries are numbered in kLocalBits bits (Impl::At).
  static constexpr size_t kMaxPlanned = size_t{1} << kLocalBits;

  std::vector<std::vector<Planned>> planned;
  size_t planned_count = 0;
  std::vector<Action> full;
  std::vector<SharedString> reasons;  // consecutive deletes with one shared reason share an entry
  // The scopes deletes are made in (a handful), and the index's Scope
  // objects already seen (LineageIndex::ScopeOf): a delete's scope is found
  // by address, and its sort key is known without reading the snapshot.
  std::vector<Scope> delete_scopes;
  std::vector<std::pair<const Scope*, uint32_t>> delete_scope_ids;
  std::vector<Finding> findings;
  uint32_t db = 0;  // the database being planned

  void Add(Action action) override {
    full.push_back(std::move(action));
    Record(Planned{nullptr, db, static_cast<uint32_t>(full.size() - 1)});
  }
  void Delete(const Snapshot& snapshot, const Scope& where, const SharedString& reason) override {
    if (reasons.empty() || !reasons.back().SharesWith(reason)) reasons.push_back(reason);
    Record(Planned{&snapshot, db, static_cast<uint32_t>(reasons.size() - 1), DeleteScopeId(where)});
  }
  void Find(Finding finding) override { findings.push_back(std::move(finding)); }

  void Record(Planned p) {
    if (planned_count % kChunk == 0) {
      if (planned_count >= kMaxPlanned) throw std::length_error("plan too large");
      planned.emplace_back().reserve(kChunk);
      AdviseHugePages(planned.back().data(), kChunk * sizeof(Planned));
    }
    planned.back().push_back(p);
    ++planned_count;
  }
  const Planned& At(size_t i) const { return planned[i / kChunk][i % kChunk]; }

  // The id of `where` among the lane's delete scopes: by address when
  // seen before (the index's Scope objects, a handful), else by value.
  uint32_t DeleteScopeId(const Scope& where) {
    for (const auto& [known, id] : delete_scope_ids)
      if (known == &where) return id;
    uint32_t id = 0;
    while (id < delete_scopes.size() && !(delete_scopes[id] == where)) ++id;
    if (id == delete_scopes.size()) delete_scopes.push_back(where);
    // Remembered by address while few: a caller that passes a Scope object
    // per snapshot costs a comparison by value, not an ever longer list.
    if (delete_scope_ids.size() < kAddressesRemembered) delete_scope_ids.emplace_back(&where, id);
    return id;
  }
  static constexpr size_t kAddressesRemembered = 64;
};

}  // namespace

size_t PlanningThreads(int requested) {
  size_t n = 0;
  if (requested > 0) {
    n = static_cast<size_t>(requested);
  } else {
    cpu_set_t set;
    n = sched_getaffinity(0, sizeof set, &set) == 0 ? static_cast<size_t>(CPU_COUNT(&set))
                                                    : std::thread::hardware_concurrency();
  }
  return std::clamp<size_t>(n, 1, PlanAssembly::kMaxThreads);
}

class PlanAssembly::Impl {
 public:
  Impl(std::vector<PlannedDatabase> databases, size_t threads, size_t databases_per_chunk)
      : dbs_(std::move(databases)),
        threads_(std::clamp<size_t>(threads, 1, kMaxThreads)),
        per_chunk_(std::max<size_t>(1, databases_per_chunk)) {}

  // Plans the databases in chunks of per_chunk_, each taken by the next
  // free lane; a lane is a thread (the first is this one). An exception in
  // a lane stops the others and is rethrown here.
  void PlanDatabases(const std::function<void(size_t, PlanSink&)>& plan_one) {
    const size_t per_chunk = per_chunk_;
    const size_t n_chunks = (dbs_.size() + per_chunk - 1) / per_chunk;
    chunks_.assign(n_chunks, Chunk{});
    lanes_ = std::vector<Lane>(std::clamp<size_t>(n_chunks, 1, threads_));
    std::atomic<size_t> next_chunk{0};
    std::vector<std::exception_ptr> errors(lanes_.size());
    auto work = [&](uint32_t lane_id) {
      try {
        Lane& lane = lanes_[lane_id];
        for (size_t c; (c = next_chunk.fetch_add(1, std::memory_order_relaxed)) < n_chunks;) {
          Chunk& ch = chunks_[c];
          ch.lane = lane_id;
          ch.planned_begin = lane.planned_count;
          ch.findings_begin = lane.findings.size();
          const size_t last = std::min(dbs_.size(), (c + 1) * per_chunk);
          for (size_t i = c * per_chunk; i < last; ++i) {
            lane.db = static_cast<uint32_t>(i);
            plan_one(i, lane);
          }
          ch.planned_end = lane.planned_count;
          ch.findings_end = lane.findings.size();
        }
      } catch (...) {
        errors[lane_id] = std::current_exception();
        next_chunk.store(n_chunks);  // the others stop after their chunk
      }
    };
    std::vector<std::jthread> helpers;
    for (uint32_t lane_id = 1; lane_id < lanes_.size(); ++lane_id) {
      try {
        helpers.emplace_back(work, lane_id);
      } catch (const std::system_error&) {
        break;  // no thread to be had: the lanes started do all the work
      }
    }
    work(0);
    for (auto& h : helpers) h.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  Plan Finish(std::vector<Finding> findings) {
    // The findings: the caller's, then the databases', in database order.
    // The sort below keeps that order among equal findings.
    plan_.findings = std::move(findings);
    for (const Chunk& ch : chunks_) {
      auto& found = lanes_[ch.lane].findings;
      std::move(found.begin() + static_cast<ptrdiff_t>(ch.findings_begin),
                found.begin() + static_cast<ptrdiff_t>(ch.findings_end),
                std::back_inserter(plan_.findings));
    }
    SortActions();
    std::stable_sort(plan_.findings.begin(), plan_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       return std::tie(a.policy, a.db_id, a.scope, a.message) <
                              std::tie(b.policy, b.db_id, b.scope, b.message);
                     });
    return std::move(plan_);
  }

 private:
  // Consecutive databases, planned by one lane: where its output went there.
  struct Chunk {
    uint32_t lane = 0;
    size_t planned_begin = 0, planned_end = 0;
    size_t findings_begin = 0, findings_end = 0;
  };

  // A planned entry by place: its lane (the top bits) and its index in
  // that lane (the low kLocalBits bits).
  static constexpr uint32_t kLocalMask = (uint32_t{1} << kLocalBits) - 1;
  const Lane& LaneOf(uint32_t ref) const { return lanes_[ref >> kLocalBits]; }
  const Planned& At(uint32_t ref) const { return LaneOf(ref).At(ref & kLocalMask); }
  // Calls fn(ref) for every planned entry, in plan order: chunk by chunk,
  // as the items were, whichever lane planned them.
  template <typename Fn>
  void ForEachPlanned(Fn fn) const {
    for (const Chunk& ch : chunks_) {
      const uint32_t lane = ch.lane << kLocalBits;
      for (size_t i = ch.planned_begin; i < ch.planned_end; ++i)
        fn(lane | static_cast<uint32_t>(i));
    }
  }

  // Makes plan_.actions: every planned action, sorted by (stage, policy,
  // db kind, db id, scope, snapshot id), stably. The string part of that key
  // is first replaced by ranks (a plan has few distinct databases and
  // scopes); then a counting sort by (stage, database) and a sort of each
  // (small, usually already sorted) bucket by (scope, snapshot id).
  //
  // Deletes (nearly all of a large plan) are sorted without reading their
  // snapshots, which are spread over the inventory's memory and long since
  // out of the cache: their scope is known by rank (DeleteScopeId), and
  // the ids of a database's deletes in one scope are planned in id order
  // almost always, which is checked while the actions are made (when each
  // id is read anyway) and repaired there when it does not hold.
  //
  // All of one database's entries are in one lane, in planned order: within
  // a bucket, the order of refs is the planned order.
  void SortActions() {
    size_t planned_count = 0;
    for (const Lane& lane : lanes_) planned_count += lane.planned_count;
    auto stage_of = [&](uint32_t ref) {
      const Planned& p = At(ref);
      return p.deleted ? Stage::kExpire : LaneOf(ref).full[p.payload].stage;
    };
    // Ranks of the databases by (policy, kind, id) and of the scopes.
    std::vector<uint32_t> by_key(dbs_.size());
    for (uint32_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    std::sort(by_key.begin(), by_key.end(), [&](uint32_t x, uint32_t y) {
      const PlannedDatabase& a = dbs_[x];
      const PlannedDatabase& b = dbs_[y];
      return std::tie(a.policy, a.kind, a.id, x) < std::tie(b.policy, b.kind, b.id, y);
    });
    std::vector<uint32_t> db_rank(dbs_.size());
    for (uint32_t r = 0; r < by_key.size(); ++r) db_rank[by_key[r]] = r;
    by_key = {};
    std::map<Scope, uint32_t> scope_rank;
    for (const Lane& lane : lanes_) {
      for (const Scope& sc : lane.delete_scopes) scope_rank.emplace(sc, 0);
      for (size_t i = 0; i < lane.full.size(); ++i)
        if (i == 0 || !(lane.full[i].scope == lane.full[i - 1].scope))
          scope_rank.emplace(lane.full[i].scope, 0);
    }
    uint32_t next = 0;
    for (auto& [k, rank] : scope_rank) rank = next++;
    std::vector<std::vector<uint32_t>> delete_rank(lanes_.size()), full_rank(lanes_.size());
    for (size_t l = 0; l < lanes_.size(); ++l) {
      const Lane& lane = lanes_[l];
      for (const Scope& sc : lane.delete_scopes) delete_rank[l].push_back(scope_rank.at(sc));
      std::vector<uint32_t>& ranks = full_rank[l];
      ranks.resize(lane.full.size());
      for (size_t i = 0; i < lane.full.size(); ++i)
        ranks[i] = i > 0 && lane.full[i].scope == lane.full[i - 1].scope
                       ? ranks[i - 1]
                       : scope_rank.at(lane.full[i].scope);
    }
    auto rank_of = [&](uint32_t ref) {
      const Planned& p = At(ref);
      const uint32_t lane = ref >> kLocalBits;
      return p.deleted ? delete_rank[lane][p.scope] : full_rank[lane][p.payload];
    };

    // Counting sort by bucket (stage, database rank), stable.
    constexpr size_t kStages = static_cast<size_t>(Stage::kExpire) + 1;
    const size_t n_db = dbs_.size();
    auto bucket_of = [&](uint32_t ref) {
      return static_cast<size_t>(stage_of(ref)) * n_db + db_rank[At(ref).db];
    };
    std::vector<uint32_t> begin(kStages * n_db + 1, 0);
    ForEachPlanned([&](uint32_t ref) { ++begin[bucket_of(ref) + 1]; });
    for (size_t b = 1; b < begin.size(); ++b) begin[b] += begin[b - 1];
    std::vector<uint32_t> order(planned_count);
    {
      std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
      ForEachPlanned([&](uint32_t ref) { order[fill[bucket_of(ref)]++] = ref; });
    }
    // Within a bucket: (scope, snapshot id), then the planned order. A
    // database's actions come in scope order per step, each part already
    // in id order: a stable sort by scope rank alone (integers) usually
    // finishes the job. Buckets of other stages (few actions, all in
    // Lane::full) are checked and sorted by id here; deletes below.
    struct Keyed {
      uint32_t scope_rank;
      uint32_t ref;
    };
    std::vector<Keyed> keyed;
    const size_t expire_first = static_cast<size_t>(Stage::kExpire) * n_db;
    for (size_t b = 0; b + 1 < begin.size(); ++b) {
      auto first = order.begin() + begin[b], last = order.begin() + begin[b + 1];
      if (last - first < 2) continue;
      keyed.clear();
      bool ranks_sorted = true;
      for (auto it = first; it != last; ++it) {
        uint32_t rank = rank_of(*it);
        if (!keyed.empty() && rank < keyed.back().scope_rank) ranks_sorted = false;
        keyed.push_back(Keyed{rank, *it});
      }
      if (!ranks_sorted)
        std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& x, const Keyed& y) {
          return x.scope_rank < y.scope_rank;
        });
      if (b < expire_first) {
        auto id_of = [&](uint32_t ref) -> const SharedString& {
          return LaneOf(ref).full[At(ref).payload].snapshot_id;
        };
        auto less = [&](const Keyed& x, const Keyed& y) {
          if (x.scope_rank != y.scope_rank) return x.scope_rank < y.scope_rank;
          int c = id_of(x.ref).compare(id_of(y.ref));
          if (c != 0) return c < 0;
          return x.ref < y.ref;
        };
        if (!std::is_sorted(keyed.begin(), keyed.end(), less))
          std::sort(keyed.begin(), keyed.end(), less);
      } else if (ranks_sorted) {
        continue;  // `order` holds it already
      }
      for (size_t k = 0; k < keyed.size(); ++k) first[static_cast<ptrdiff_t>(k)] = keyed[k].ref;
    }
    // Make the actions, each once, in place. A run of deletes of one
    // database in one scope is in planned order; when its ids are not
    // ascending, the run is sorted stably by id: (id, planned order).
    plan_.actions.reserve(planned_count);
    AdviseHugePages(plan_.actions.data(), planned_count * sizeof(Action));
    size_t run_begin = 0;  // in plan_.actions: the current run of deletes
    bool run_sorted = true;
    const Planned* run_key = nullptr;  // the previous delete
    auto end_run = [&](size_t end) {
      if (!run_sorted)
        std::stable_sort(
            plan_.actions.begin() + static_cast<ptrdiff_t>(run_begin),
            plan_.actions.begin() + static_cast<ptrdiff_t>(end),
            [](const Action& x, const Action& y) { return x.snapshot_id < y.snapshot_id; });
      run_sorted = true;
    };
    // The snapshot of a delete a few steps ahead is fetched early: its
    // Snapshot first, its id's shared buffer when the Snapshot is there.
    constexpr size_t kAhead = 8;
    const size_t n = order.size();
    for (size_t k = 0; k < n; ++k) {
      if (k + 2 * kAhead < n) {
        if (const Snapshot* ahead = At(order[k + 2 * kAhead]).deleted) __builtin_prefetch(ahead);
      }
      if (k + kAhead < n) {
        if (const Snapshot* ahead = At(order[k + kAhead]).deleted) ahead->id.Prefetch();
      }
      Lane& lane = lanes_[order[k] >> kLocalBits];
      const Planned& p = lane.At(order[k] & kLocalMask);
      if (!p.deleted) {
        if (run_key) end_run(plan_.actions.size());
        run_key = nullptr;
        plan_.actions.push_back(std::move(lane.full[p.payload]));
        continue;
      }
      // Same database: same lane, so the lane's scope ids compare.
      const bool same_run = run_key && run_key->db == p.db && run_key->scope == p.scope;
      if (!same_run) {
        if (run_key) end_run(plan_.actions.size());
        run_begin = plan_.actions.size();
      }
      const PlannedDatabase& db = dbs_[p.db];
      Action& a = plan_.actions.emplace_back();
      a.kind = ActionKind::kDeleteSnapshot;
      a.stage = Stage::kExpire;
      a.db_kind = db.kind;
      a.scope = lane.delete_scopes[p.scope];
      a.policy = db.policy;
      a.db_id = db.id;
      a.snapshot_id = p.deleted->id;
      a.reason = lane.reasons[p.payload];
      if (same_run && a.snapshot_id < plan_.actions[plan_.actions.size() - 2].snapshot_id)
        run_sorted = false;
      run_key = &p;
    }
    if (run_key) end_run(plan_.actions.size());
    lanes_.clear();
    chunks_.clear();
  }

  std::vector<PlannedDatabase> dbs_;  // in plan order
  size_t threads_;
  size_t per_chunk_;
  std::vector<Chunk> chunks_;  // the databases in order, by chunk: which lane planned them
  std::vector<Lane> lanes_;
  Plan plan_;
};

PlanAssembly::PlanAssembly(std::vector<PlannedDatabase> databases, size_t threads,
                           size_t databases_per_chunk)
    : impl_(std::make_unique<Impl>(std::move(databases), threads, databases_per_chunk)) {}

PlanAssembly::~PlanAssembly() = default;

void PlanAssembly::PlanDatabases(const std::function<void(size_t, PlanSink&)>& plan_one) {
  impl_->PlanDatabases(plan_one);
}

Plan PlanAssembly::Finish(std::vector<Finding> findings) {
  return impl_->Finish(std::move(findings));
}

}  // namespace drsnap::engine
