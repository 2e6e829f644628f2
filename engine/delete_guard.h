// The safety rules S1-S5 (planner.h) for deletes, as one reusable checker.
// The planner runs every delete it plans through it; the executor runs each
// delete through it again right before the call (CheckDeleteAllowed in
// planner.h is the one-shot form).
//
// Thread safety: Check() is const and may be called concurrently; the
// inventory (and index) must outlive the guard.
#pragma once

#include <memory>

#include "config/policy.h"
#include "core/error.h"
#include "engine/lineage_index.h"
#include "engine/model.h"

namespace drsnap::engine {

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

 private:
  std::unique_ptr<LineageIndex> owned_;
  const LineageIndex& index_;
  const config::Config& config_;
};

}  // namespace drsnap::engine
