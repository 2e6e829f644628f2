#include "engine/side.h"

#include <string>

#include "core/strings.h"

namespace drsnap::engine {

const char* SideName(Side s) {
  switch (s) {
    case Side::kAll:
      return "all";
    case Side::kSource:
      return "source";
    case Side::kVault:
      return "vault";
  }
  return "all";
}

Result<Side> ParseSide(std::string_view text) {
  const std::string s = AsciiLower(text);
  if (s.empty() || s == "all") return Side::kAll;
  if (s == "source") return Side::kSource;
  if (s == "vault") return Side::kVault;
  return Fail(Error::Terminal("UsageError",
                              "side '" + std::string(text) + "' is not one of source, vault, all"));
}

}  // namespace drsnap::engine
