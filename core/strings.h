// Small string helpers the layers share.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drsnap {

// `c` / `s` with A-Z turned into a-z; every other byte unchanged (no
// locale: AWS identifiers, header names and config keys are ASCII).
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string AsciiLower(std::string_view s);

// The items with `separator` between them ("a, b, c").
std::string Join(const std::vector<std::string>& items, std::string_view separator = ", ");

// a == b, ignoring the case of A-Z / a-z only.
bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace drsnap
