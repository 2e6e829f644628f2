// Golden files for tests: expected output kept under testdata/ and compared
// with what a test produces. DRSNAP_UPDATE_GOLDEN=1 in the environment makes
// the tests rewrite their golden files instead of comparing (review the diff
// before committing).
//
// Thread safety: none needed (tests call these from the test's thread).
#pragma once

#include <string>

namespace drsnap::testing {

// True when DRSNAP_UPDATE_GOLDEN is "1".
bool UpdateGolden();

// The path of testdata/<relative> in the source tree.
std::string TestdataPath(const std::string& relative);

// The bytes of testdata/<relative>; "" when it cannot be read.
std::string ReadTestdata(const std::string& relative);

// Replaces testdata/<relative> with `text`.
void WriteTestdata(const std::string& relative, const std::string& text);

enum class GoldenMode { kCompare, kUpdate };

// kCompare: a (non-fatal) failure names the file at `path` when it is
// missing or differs from `got`. kUpdate: writes `got` there instead.
void ExpectGoldenFile(const std::string& path, const std::string& got, GoldenMode mode);

// ExpectGoldenFile on testdata/<relative>, kUpdate when UpdateGolden().
void ExpectGolden(const std::string& relative, const std::string& got);

}  // namespace drsnap::testing
