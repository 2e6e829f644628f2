// The safety rules every delete passes, as one checker. The planner runs
// every delete it plans through it; the executor runs each delete through it
// again right before the call, against a fresher view and the snapshot as
// just described (`fresh`).
//
//   S1 never delete a snapshot drsnap did not create (naming::IsDrsnapCreated);
//   S2 never delete the newest available vault copy of a database in a
//      target region;
//   S3 never delete a snapshot an in-flight copy depends on: the source of a
//      creating/copying snapshot (by source_arn, or by lineage: the capture of
//      an in-flight hop/vault copy, the hop of an in-flight vault copy), nor
//      the newest available vault copy older than an in-flight vault copy of
//      the same database in the same region (the incremental-copy base);
//   S4 the scope of the snapshot being deleted and every scope its
//      justification depends on were observed completely
//      (DeleteDependencies);
//   S5 only a delete of a snapshot that belongs to the action's policy and
//      database (tags drsnap:policy / drsnap:db, and the policy's source
//      scope or source account) is allowed;
//   S6 never delete a vault copy (available or being made) younger than the
//      policy's min_retention, counted from its own creation in the DR
//      account (WithinMinRetention; "now" is the observation's time);
//   S7 never delete a vault copy for retention while the database's stream
//      of points shows an anomaly nobody has reviewed (engine/anomaly.h,
//      AnomaliesOf): the production account may be compromised, and the
//      newer points that would push good copies out may be forged.
//
// A refusal names its rule (SafetyRule) and says why in one sentence;
// callers branch on the rule, never on the text.
//
// Thread safety: a DeleteGuard's checks are const and may run concurrently;
// the inventory (and index) must outlive the guard.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"
#include "core/error.h"
#include "engine/lineage_index.h"
#include "engine/model.h"
#include "engine/naming.h"

namespace drsnap::engine {

enum class SafetyRule : uint8_t {
  kNotCreatedByDrsnap,     // S1
  kNewestVaultCopy,        // S2
  kInFlightDependency,     // S3
  kIncompleteObservation,  // S4
  kOtherPolicyOrDatabase,  // S5
  kMinRetention,           // S6
  kAnomalyFreeze,          // S7
};
const char* SafetyRuleName(SafetyRule rule);  // "S1" ... "S7"

// A delete allowed, or refused by one rule with one sentence.
class DeleteVerdict {
 public:
  static DeleteVerdict Allowed() { return DeleteVerdict(); }
  static DeleteVerdict Refused(SafetyRule rule, std::string sentence);

  bool allowed() const { return !refused_; }
  explicit operator bool() const { return allowed(); }
  // REQUIRES: !allowed().
  SafetyRule rule() const { return rule_; }
  const std::string& sentence() const { return sentence_; }
  // "allowed", or "S2: <sentence>".
  std::string ToString() const;
  // OK, or Error code "DeleteRefused" with ToString() as the message and
  // `delete <scope>/<id>` as its context.
  Status ToStatus(const Scope& scope, std::string_view snapshot_id) const;

 private:
  bool refused_ = false;
  SafetyRule rule_ = SafetyRule::kNotCreatedByDrsnap;
  std::string sentence_;
};

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

// S6: `vault_copy` (a vault-stage snapshot that is not failed) was made
// less than policy.min_retention before `now`, by AWS's record of its
// creation (Snapshot::create_time); a copy whose creation time is unknown
// counts as just made.
bool WithinMinRetention(const config::Policy& policy, const Snapshot& vault_copy, TimePoint now);

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

  // `fresh`, when given, is the snapshot as just described by AWS: it takes
  // the place of the inventory's copy (status, tags) in every rule. A
  // non-delete action is allowed.
  DeleteVerdict Check(const Action& action, const Snapshot* fresh = nullptr) const;
  // The same for a delete that is not (yet) an Action.
  DeleteVerdict CheckDelete(const DeleteRequest& request, const Snapshot* fresh = nullptr) const;

  ~DeleteGuard();
  DeleteGuard(DeleteGuard&&) noexcept;
  DeleteGuard& operator=(DeleteGuard&&) noexcept;

 private:
  class Impl;  // engine/delete_guard.cc
  std::unique_ptr<Impl> impl_;
};

// One delete judged against `inventory` (indexed for this one call): for a
// single check. To check many deletes against one inventory, build one
// DeleteGuard.
DeleteVerdict CheckDeleteAllowed(const Inventory& inventory, const config::Config& config,
                                 const Action& action, const Snapshot* fresh = nullptr);

}  // namespace drsnap::engine
