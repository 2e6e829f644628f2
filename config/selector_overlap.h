// Whether two policies can select the same database: decided from the
// policy file alone, so that an overlap is refused when the file is loaded
// (file:line:col) instead of one policy silently protecting a database
// another one names with a stricter RPO or other targets.
//
// The check is sound: when it says two selectors are disjoint, no database
// can match both. It may report an overlap that no database of the estate
// has (the selectors allow one); the fix is to make the selectors disjoint
// in the file (exclude_names, tags, engines, kinds).
//
// Thread safety: pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/policy.h"

namespace drsnap::config {

// Some string matches both globs (`*`, `?`; case-insensitive).
bool GlobsIntersect(std::string_view a, std::string_view b);
// Every string `inner` matches, `outer` matches too (sound: a "false" may
// be a containment this check cannot prove, e.g. "a*" within "*a*" is
// proved, "a?" within "a*" is proved, "[ab]" has no meaning here).
bool GlobCovers(std::string_view outer, std::string_view inner);

// Why a database could match both selectors ("" when none can).
std::string WhySelectorsOverlap(const DatabaseSelector& a, const DatabaseSelector& b);

// One sentence per pair of policies with the same source account and
// region whose selectors overlap, each starting with the location of the
// later policy in the file.
std::vector<std::string> PolicyOverlaps(const Config& config);

}  // namespace drsnap::config
