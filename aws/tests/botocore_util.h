// Test helper: runs aws/tests/tools/botocore_sign.py on a batch of requests
// and returns botocore's results. Used by the differential SigV4 tests.
// The interpreter is $DRSNAP_PYTHON, else `python3` on PATH (pyenv, with
// botocore). Any failure (no python, no botocore, script error) is reported
// as a test failure by the caller: never a skip.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/error.h"

namespace drsnap::aws::testing {

inline std::string BotocoreScriptPath() {
  return std::string(DRSNAP_SOURCE_DIR) + "/aws/tests/tools/botocore_sign.py";
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Returns the parsed {"botocore_version", "results": [...]} document.
inline Result<nlohmann::ordered_json> RunBotocore(const nlohmann::ordered_json& requests) {
  char in_path[] = "/tmp/drsnap_botocore_in_XXXXXX";
  char err_path[] = "/tmp/drsnap_botocore_err_XXXXXX";
  const int in_fd = mkstemp(in_path);
  const int err_fd = mkstemp(err_path);
  if (in_fd < 0 || err_fd < 0) return Fail(Error::Terminal("TestSetup", "mkstemp failed"));
  close(in_fd);
  close(err_fd);
  // Removes both files on every path, including a throwing dump().
  struct Unlinker {
    const char* a;
    const char* b;
    ~Unlinker() {
      unlink(a);
      unlink(b);
    }
  } unlinker{in_path, err_path};
  try {
    std::ofstream in(in_path, std::ios::binary);
    in << nlohmann::ordered_json{{"requests", requests}}.dump();
  } catch (const std::exception& e) {
    return Fail(
        Error::Terminal("TestSetup", std::string("cannot write the request batch: ") + e.what()));
  }
  const char* py_env = std::getenv("DRSNAP_PYTHON");
  const std::string python = py_env != nullptr && *py_env != '\0' ? py_env : "python3";
  const std::string cmd = ShellQuote(python) + " " + ShellQuote(BotocoreScriptPath()) + " " +
                          ShellQuote(in_path) + " 2>" + ShellQuote(err_path);
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    return Fail(Error::Terminal("TestSetup", "popen failed for: " + cmd));
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  std::ostringstream err;
  err << std::ifstream(err_path).rdbuf();
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(Error::Terminal(
        "BotocoreFailed",
        "`" + cmd + "` failed (status " + std::to_string(status) +
            "); python3 with botocore is required for this test (set DRSNAP_PYTHON to "
            "choose the interpreter). stderr: " +
            err.str()));
  }
  try {
    return nlohmann::ordered_json::parse(out);
  } catch (const std::exception& e) {
    return Fail(Error::Terminal("BotocoreFailed",
                                std::string("bad JSON from botocore_sign.py: ") + e.what()));
  }
}

}  // namespace drsnap::aws::testing
