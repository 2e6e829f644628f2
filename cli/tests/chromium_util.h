// Headless Chromium for the tests of the HTML report (Debian's `chromium`,
// installed by scripts/setup): load a URL (a file:// report, or the live
// report `drsnap run --listen` serves on 127.0.0.1) and capture what it
// printed (--dump-dom) or wrote (--screenshot).
#pragma once

#include <string>

namespace drsnap::testing {

inline constexpr char kChromium[] = "/usr/bin/chromium";

struct ChromiumRun {
  int status = -1;  // exit status
  std::string out;  // stdout (the DOM with --dump-dom)
};

// Runs headless Chromium with `extra` arguments on `url`, its profile in
// `dir`/profile and its stderr (D-Bus chatter) in `dir`/chromium.err; killed
// after 120 s.
ChromiumRun Chromium(const std::string& dir, const std::string& extra, const std::string& url);

// The last 2000 characters of `dir`/chromium.err, for failure messages.
std::string ChromiumErr(const std::string& dir);

}  // namespace drsnap::testing
