// Saving and restoring the complete simulator state as JSON.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "sim/world.h"

namespace drsnap::sim {

std::string DumpState(const World& w);
Result<std::unique_ptr<World>> LoadState(std::string_view json);

}  // namespace drsnap::sim
