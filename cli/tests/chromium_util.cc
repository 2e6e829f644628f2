#include "cli/tests/chromium_util.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/child_process.h"

namespace drsnap::testing {

ChromiumRun Chromium(const std::string& dir, const std::string& extra, const std::string& url) {
  std::string profile = dir + "/profile";
  std::filesystem::create_directories(profile);
  std::string cmd = std::string("timeout 120 ") + kChromium +
                    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --user-data-dir=" +
                    profile + " " + extra + " '" + url + "' 2>" + dir + "/chromium.err";
  ShellRun run = RunShell(cmd);
  ChromiumRun r;
  r.status = run.status;
  r.out = std::move(run.out);
  return r;
}

std::string ChromiumErr(const std::string& dir) {
  std::ifstream f(dir + "/chromium.err");
  std::stringstream s;
  s << f.rdbuf();
  std::string e = s.str();
  return e.size() > 2000 ? e.substr(e.size() - 2000) : e;
}

}  // namespace drsnap::testing
