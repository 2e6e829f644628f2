#include "cli/verify_report.h"

#include "engine/lineage_index.h"
#include "engine/verify.h"

namespace drsnap::cli {

std::map<std::string, VerificationInfo> VerificationsFor(const engine::StatusReport& report,
                                                         const engine::Inventory& inventory) {
  std::map<std::string, VerificationInfo> out;
  engine::LineageIndex index(inventory);
  for (const auto& row : report.rows) {
    auto v = engine::verify::LastVerification(index, row.target, row.source.account_id, row.kind,
                                              row.db_id, row.policy);
    if (!v) continue;
    out[HtmlRowKey(row)] = VerificationInfo{v->at, v->ok, v->snapshot_id, v->detail};
  }
  return out;
}

}  // namespace drsnap::cli
