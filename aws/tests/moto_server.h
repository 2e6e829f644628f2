// moto (python3 -m moto.server, an independent RDS emulator) on a free
// loopback port, for tests that want a second opinion on our client. Started
// in its own process group, killed with the test binary (PR_SET_PDEATHSIG)
// and stopped in the destructor. DRSNAP_PYTHON selects the interpreter
// (default: python3 on PATH, which has moto on the CI image).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace drsnap::testing_moto {

inline int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

inline bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Runs moto.server in its own process group; stops it in the destructor.
class MotoServer {
 public:
  MotoServer() {
    const char* py = std::getenv("DRSNAP_PYTHON");
    python_ = py != nullptr && *py != '\0' ? py : "python3";
    port_ = FreeLoopbackPort();
    char log_template[] = "/tmp/drsnap_moto_XXXXXX";
    int log_fd = mkstemp(log_template);
    log_path_ = log_template;
    std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test binary
      dup2(log_fd, 1);
      dup2(log_fd, 2);
      execlp(python_.c_str(), python_.c_str(), "-m", "moto.server", "-H", "127.0.0.1", "-p",
             port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(log_fd);
  }

  ~MotoServer() {
    if (pid_ > 0) {
      kill(-pid_, SIGTERM);
      kill(pid_, SIGTERM);
      for (int i = 0; i < 50; ++i) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (pid_ > 0) {
        kill(-pid_, SIGKILL);
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    unlink(log_path_.c_str());
  }

  // Waits until the server accepts connections. Error text when it exited
  // or never came up (with its log).
  std::string WaitUntilReady() {
    if (pid_ < 0) return "fork failed";
    for (int i = 0; i < 600; ++i) {  // up to 60 s on a loaded machine
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        std::string how = WIFEXITED(status) ? "with code " + std::to_string(WEXITSTATUS(status))
                                            : "on signal " + std::to_string(WTERMSIG(status));
        return "`" + python_ + " -m moto.server` exited " + how +
               " before answering (127: the interpreter could not be run); is moto installed "
               "for that python? Set DRSNAP_PYTHON to one that has it. Log:\n" +
               Log();
      }
      if (Accepts(port_)) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "moto did not accept connections on port " + std::to_string(port_) + ". Log:\n" + Log();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const {
    std::ostringstream out;
    out << std::ifstream(log_path_).rdbuf();
    return out.str();
  }

 private:
  std::string python_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace drsnap::testing_moto
