// How a plan is put together, apart from what it holds (the rules are in
// engine/planner.cc): the planner's rules decide, database by database,
// and tell a PlanSink; PlanAssembly plans the databases on several threads
// and makes the one sorted Plan out of what they were told.
//
// Internal to engine/: planner.cc is its only user.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "core/shared_string.h"
#include "engine/model.h"

namespace drsnap::engine {

// Where the rules put what they decide about one database. One sink per
// planning thread: a sink is used by one thread at a time.
class PlanSink {
 public:
  virtual ~PlanSink() = default;
  // A create, copy or share of the database being planned.
  virtual void Add(Action action) = 0;
  // A delete of `snapshot` (which the database being planned owns), in
  // `where`, for `reason`. REQUIRES: `snapshot` and `where` outlive the
  // PlanAssembly (the inventory's snapshot; the lineage index's Scope
  // object for its listing, LineageIndex::ScopeOf, is best: it is
  // recognised by address). Consecutive deletes that pass the same
  // `reason` object share its text.
  virtual void Delete(const Snapshot& snapshot, const Scope& where, const SharedString& reason) = 0;
  virtual void Find(Finding finding) = 0;
};

// A database to plan, as plans are sorted: (policy, kind, id).
struct PlannedDatabase {
  SharedString policy;
  DbKind kind = DbKind::kInstance;
  SharedString id;
};

// The threads to plan with (PlanOptions::threads): `requested`, or one per
// CPU this process may run on; at least 1, at most PlanAssembly::kMaxThreads.
size_t PlanningThreads(int requested);

class PlanAssembly {
 public:
  static constexpr size_t kMaxThreads = 8;

  // `databases` in plan order; the rules plan database i into a sink.
  // `threads` (1..kMaxThreads) take `databases_per_chunk` databases at a
  // time.
  PlanAssembly(std::vector<PlannedDatabase> databases, size_t threads, size_t databases_per_chunk);
  ~PlanAssembly();
  PlanAssembly(const PlanAssembly&) = delete;
  PlanAssembly& operator=(const PlanAssembly&) = delete;

  // Calls plan_one(i, sink) once for every database i: on up to `threads`
  // threads (this one too), each database on one thread, the sink that
  // thread's. An exception in plan_one stops the other threads after their
  // current chunk and is rethrown here. Returns when every thread is done.
  void PlanDatabases(const std::function<void(size_t, PlanSink&)>& plan_one);

  // REQUIRES: PlanDatabases() returned. The plan: every action, sorted by
  // (stage, policy, db kind, db id, scope, snapshot id), stably (the order
  // the rules told it in otherwise); the findings, `findings` first and then
  // the databases' in database order, sorted stably by (policy, db id,
  // scope, message). The same for any number of threads. Call once.
  Plan Finish(std::vector<Finding> findings);

 private:
  class Impl;  // engine/plan_assembly.cc
  std::unique_ptr<Impl> impl_;
};

}  // namespace drsnap::engine
