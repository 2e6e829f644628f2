// The safety rules S1-S5 (planner.h) for deletes, as one reusable checker.
// The planner runs every delete it plans through it; the executor runs each
// delete through it again right before the call (CheckDeleteAllowed in
// planner.h is the one-shot form).
//
// Thread safety: Check() is const and may be called concurrently; the
// inventory (and index) must outlive the guard.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/policy.h"
#include "core/error.h"
#include "engine/lineage_index.h"
#include "engine/model.h"
#include "engine/naming.h"

namespace drsnap::engine {

// S4, per delete: the scopes whose complete observation a delete of a
// drsnap snapshot of `stage` in `where` relies on, `where` first:
//   failed snapshot (any stage)  its own scope (it is garbage either way);
//   raw                          the source scope (the capture made from it
//                                and any copy reading it live there);
//   capture                      every scope of the policy (PolicyScopes):
//                                "vaulted in every target" and "no hop or
//                                vault copy in flight reads it";
//   hop                          its own scope and the policy's target scopes
//                                in the same account (the regions it serves);
//   vault                        its own target scope (retention, S2, S3).
std::vector<Scope> DeleteDependencies(const config::Policy& policy, naming::NameStage stage,
                                      const Scope& where, bool failed);

// One delete as the guard judges it: the fields of a delete Action, by
// reference (the planner checks each delete before it makes the Action).
struct DeleteRequest {
  const std::string& policy;
  const Scope& scope;  // where the snapshot lives
  const std::string& snapshot_id;
  DbKind db_kind;
  const std::string& db_id;
  // Optional: the entry of this very snapshot in the guard's own index
  // (from LineageIndex::Lineages(scope, ...)), when the caller has it (the
  // planner). It spares parsing the name and looking its group up again;
  // every rule is checked the same way. Ignored unless it is an entry of
  // that index in `scope` with the id `snapshot_id`.
  const LineageEntry* indexed = nullptr;
};

class DeleteGuard {
 public:
  // Indexes `inventory` itself.
  DeleteGuard(const Inventory& inventory, const config::Config& config);
  // Uses an index the caller already has.
  DeleteGuard(const LineageIndex& index, const config::Config& config);

  // OK, or Error code "DeleteRefused" with the rule ("S2: ...") in the message.
  // `fresh`, when given, is the snapshot as just described by AWS and takes
  // the place of the inventory's copy (status, tags).
  Status Check(const Action& action, const Snapshot* fresh = nullptr) const;
  // The same for a delete that is not (yet) an Action.
  Status CheckDelete(const DeleteRequest& request, const Snapshot* fresh = nullptr) const;

 private:
  struct PolicyInfo {
    const config::Policy* policy = nullptr;
    std::vector<Scope> scopes;
  };
  // Per lineage group and database: the vault copies' S2/S3 facts.
  struct VaultFacts {
    std::string_view newest_available;           // S2: its id
    const LineageEntry* newest = nullptr;        // S2: its entry
    std::unordered_set<std::string_view> bases;  // S3: bases of in-flight copies
  };
  void Init();
  // The entry of snapshot `id` (which parses as `lineage`) in `entries`
  // (sorted as LineageIndex::Lineages() returns them); when several share
  // the id, the first or the last. `known`, when not null, is an entry of
  // `entries` known to have the id (its text is not compared again).
  static const LineageEntry* FindEntry(std::span<const LineageEntry> entries,
                                       const naming::LineageView& lineage, std::string_view id,
                                       bool first, const LineageEntry* known);
  const VaultFacts& Facts(std::span<const LineageEntry> entries, const std::string& db_id) const;

  std::unique_ptr<LineageIndex> owned_;
  const LineageIndex& index_;
  const config::Config& config_;
  std::map<std::string, PolicyInfo, std::less<>> policies_;
  // The facts by lineage group, then database id (node-based: references
  // stay valid), in shards by group, each behind its own lock: threads that
  // plan different databases (MakePlan) rarely wait for one another.
  struct alignas(64) FactsShard {
    std::mutex mu;
    std::unordered_map<const LineageEntry*, std::map<std::string, VaultFacts, std::less<>>> facts;
  };
  static constexpr size_t kFactsShards = 16;
  mutable std::array<FactsShard, kFactsShards> facts_;
};

}  // namespace drsnap::engine
