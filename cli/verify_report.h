// The last restore drill per status row, for the HTML report's "Last
// verification" field: read from the result tags `drsnap verify` writes on
// vault copies (engine/verify.h LastVerification).
//
// Thread safety: pure.
#pragma once

#include <map>
#include <string>

#include "cli/report_html.h"
#include "engine/model.h"
#include "engine/status.h"

namespace drsnap::cli {

// HtmlRowKey(row) -> the newest recorded drill of that database in that
// target; rows never verified are absent ("never").
std::map<std::string, VerificationInfo> VerificationsFor(const engine::StatusReport& report,
                                                         const engine::Inventory& inventory);

}  // namespace drsnap::cli
