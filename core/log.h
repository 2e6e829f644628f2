// Structured logging: a message plus key=value fields, as text or JSON lines.
//
// Thread safety: Log() may be called from any thread; one line is written
// atomically. Configure() is meant for program start.
#pragma once

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drsnap {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class LogFormat { kText, kJson };

using LogFields = std::vector<std::pair<std::string, std::string>>;

std::optional<LogLevel> ParseLogLevel(std::string_view s);
std::optional<LogFormat> ParseLogFormat(std::string_view s);

class Logger {
 public:
  // Writes to stderr by default.
  explicit Logger(std::FILE* out = stderr);
  void Configure(LogLevel level, LogFormat format);
  bool Enabled(LogLevel level) const { return level >= level_; }
  void Log(LogLevel level, std::string_view msg, const LogFields& fields = {});
  // The line Log() would write, without the trailing newline (for tests).
  std::string Format(LogLevel level, std::string_view msg, const LogFields& fields) const;

 private:
  std::FILE* out_;
  LogLevel level_ = LogLevel::kInfo;
  LogFormat format_ = LogFormat::kText;
  std::mutex mu_;
};

// The process-wide logger.
Logger& Log();

inline void LogDebug(std::string_view msg, const LogFields& f = {}) { Log().Log(LogLevel::kDebug, msg, f); }
inline void LogInfo(std::string_view msg, const LogFields& f = {}) { Log().Log(LogLevel::kInfo, msg, f); }
inline void LogWarn(std::string_view msg, const LogFields& f = {}) { Log().Log(LogLevel::kWarn, msg, f); }
inline void LogError(std::string_view msg, const LogFields& f = {}) { Log().Log(LogLevel::kError, msg, f); }

}  // namespace drsnap
