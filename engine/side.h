// Which half of the pipeline one deployment runs (the source account P
// captures and shares; each DR account D vaults with its own
// credentials and never needs P's).
//
//   kAll     one process reaches every account: every stage (CLI default).
//   kSource  runs in P: capture, share and expiry in the policy's source
//            scope. It also lists the DR scopes, read-only, to know what is
//            vaulted (captures are expired only once vaulted everywhere).
//   kVault   runs in D: vault copies, hops and DR-side expiry, planned from
//            what D sees (snapshots shared with it); P is never called.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <string_view>

#include "core/error.h"

namespace drsnap::engine {

enum class Side { kAll, kSource, kVault };

const char* SideName(Side s);  // "all" | "source" | "vault"
// "", "all", "source", "vault" (case-insensitive); Error code "UsageError" otherwise.
Result<Side> ParseSide(std::string_view text);

}  // namespace drsnap::engine
