// LoadConfigFile reads only a regular file of at most kMaxPolicyFileBytes:
// a directory, a FIFO or a device is refused before anything is read (a
// FIFO would block the open, a device such as /dev/urandom never ends), and
// an oversized file is refused before it is parsed.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "config/policy.h"

namespace drsnap::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kExample = std::string(DRSNAP_SOURCE_DIR) + "/testdata/config/example.yaml";

std::string TempDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "drsnap-policy-file-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(PolicyFileTest, ADirectoryIsReportedAsADirectory) {
  std::string dir = TempDir();
  auto c = LoadConfigFile(dir);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().message, HasSubstr(dir + " is a directory"));
  EXPECT_THAT(c.error().message, Not(HasSubstr("empty")));
  std::filesystem::remove_all(dir);
}

// /dev/null reads as an empty file: it must be refused as a device, not
// parsed as an empty policy.
TEST(PolicyFileTest, DevNullIsRefusedAsADevice) {
  auto c = LoadConfigFile("/dev/null");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().message, HasSubstr("/dev/null is not a regular file (a character device)"));
}

// Devices that never end: refused before the first read (reading them
// would never return).
TEST(PolicyFileTest, EndlessDevicesAreRefusedBeforeReading) {
  for (const char* dev : {"/dev/urandom", "/dev/zero"}) {
    auto c = LoadConfigFile(dev);
    ASSERT_FALSE(c) << dev;
    EXPECT_EQ(c.error().code, "ConfigUnreadable") << dev;
    EXPECT_THAT(c.error().message, HasSubstr("is not a regular file (a character device)")) << dev;
  }
}

// A FIFO with a writer that would hand over a valid policy: still refused,
// since drsnap reads only regular files. The writer thread is released
// afterwards by opening the read end without blocking.
TEST(PolicyFileTest, AFifoIsRefusedBeforeReading) {
  std::string dir = TempDir();
  std::string fifo = dir + "/policy.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string policy = ReadAll(kExample);
  std::thread writer([&] {
    // LoadConfigFile may open the FIFO to look at it and close it before
    // this write: then the write gets EPIPE, and SIGPIPE (sent to this
    // thread) must not end the test binary.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    int fd = open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // blocks until a reader opens
    if (fd < 0) return;
    ssize_t n = write(fd, policy.data(), policy.size());
    (void)n;
    close(fd);
  });
  auto c = LoadConfigFile(fifo);
  // Release the writer if LoadConfigFile did not open the FIFO.
  int rd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  writer.join();
  if (rd >= 0) close(rd);
  ASSERT_FALSE(c) << "a FIFO was read as a policy file";
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().message, HasSubstr(fifo + " is not a regular file (a FIFO)"));
  std::filesystem::remove_all(dir);
}

// A valid policy padded with comments past the limit: refused by its size,
// before parsing.
TEST(PolicyFileTest, AFileOverTheLimitIsRefusedBeforeParsing) {
  std::string dir = TempDir();
  std::string path = dir + "/big.yaml";
  std::string text = ReadAll(kExample);
  ASSERT_LT(text.size(), kMaxPolicyFileBytes);
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
    std::string comment = "# " + std::string(77, 'x') + "\n";
    for (size_t n = text.size(); n <= kMaxPolicyFileBytes; n += comment.size()) out << comment;
  }
  ASSERT_GT(std::filesystem::file_size(path), kMaxPolicyFileBytes);
  auto c = LoadConfigFile(path);
  ASSERT_FALSE(c) << "a policy file over the limit was parsed";
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().message, HasSubstr(path + " is larger than 1 MiB"));
  std::filesystem::remove_all(dir);
}

// Exactly at the limit is still read.
TEST(PolicyFileTest, AFileAtTheLimitIsRead) {
  std::string dir = TempDir();
  std::string path = dir + "/at-limit.yaml";
  std::string text = ReadAll(kExample);
  text.resize(kMaxPolicyFileBytes - 1, '#');  // one comment line, to the limit
  text += "\n";
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  ASSERT_EQ(std::filesystem::file_size(path), kMaxPolicyFileBytes);
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->policies.size(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(PolicyFileTest, AMissingFileIsUnreadable) {
  auto c = LoadConfigFile("/nonexistent/drsnap.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "ConfigUnreadable");
  EXPECT_THAT(c.error().message, HasSubstr("/nonexistent/drsnap.yaml"));
}

}  // namespace
}  // namespace drsnap::config
