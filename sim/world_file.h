// World files: the initial state of drsnap-sim (accounts, keys, KMS keys,
// databases, seed snapshots, settings), in YAML or JSON.
#pragma once

#include <memory>
#include <string_view>

#include "core/error.h"
#include "sim/world.h"

namespace drsnap::sim {

// Parses a world file. Errors are "name:line: message" (code WorldFileInvalid).
Result<std::unique_ptr<World>> LoadWorld(std::string_view text, std::string_view name);

}  // namespace drsnap::sim
