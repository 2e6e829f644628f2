// A test's child process: a binary (drsnap, drsnap-sim) started with
// posix_spawn, with exactly the environment given and its stdout and stderr
// in files, so that a test can run the real binary as a user would.
//
// Thread safety: none needed (each call is independent).
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace drsnap::testing {

struct ChildProcess {
  pid_t pid = -1;
  std::string out_path;  // "" when stdout went to /dev/null
  std::string err_path;
};

// Starts `binary` with `args` (argv[0] is `binary`) and only `env`; stdout
// to `out_path` ("" : /dev/null), stderr to `err_path`. Fails the test
// (ADD_FAILURE) and returns pid -1 when it cannot start.
ChildProcess SpawnProcess(const std::string& binary, std::vector<std::string> args,
                          std::vector<std::string> env, const std::string& out_path,
                          const std::string& err_path);

// Waits for it: its exit status, or 128 + the signal that ended it.
int WaitProcess(const ChildProcess& child);

// The whole file ("" when it cannot be read).
std::string ReadTextFile(const std::string& path);

// All that was written to `f` (a std::tmpfile() given to a command or a
// logger as its output), from the start; closes `f`.
std::string ReadAllAndClose(std::FILE* f);

// `command` run by /bin/sh (popen): its exit status (-1 when it did not exit
// normally or could not start) and all it wrote on stdout.
struct ShellRun {
  int status = -1;
  std::string out;
};
ShellRun RunShell(const std::string& command);

}  // namespace drsnap::testing
