// Structured logging: a message plus key=value fields, as text or JSON lines.
// With LogFormat::kJson every line written is one JSON object ("time",
// "level", "msg", then the fields with their types); nothing else should be
// written to the same stream (see cli/command.h, InstallStopHandlers).
//
// Thread safety: Log() may be called from any thread; one line is written
// atomically. Configure() is meant for program start.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace drsnap {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class LogFormat { kText, kJson };

// A field's value, with its type: text, a whole number, a real number or a
// boolean. JSON lines keep the type ("failed":8, "dry_run":true), so that a
// collector can compare and sum them; text lines print the value plainly
// (failed=8 dry_run=true). Text converts implicitly from anything that
// converts to std::string_view (std::string, literals, SharedString), so a
// field written as text stays text: pass the number itself, not
// std::to_string of it.
class LogValue {
 public:
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  template <class T>
    requires std::convertible_to<const T&, std::string_view>
  LogValue(const T& text) {  // NOLINT: implicit by design
    std::string_view v = text;
    value_ = std::string(v);
  }
  LogValue(std::string&& text) : value_(std::move(text)) {}  // NOLINT
  template <std::signed_integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  LogValue(T n) : value_(static_cast<std::int64_t>(n)) {}  // NOLINT
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  LogValue(T n) : value_(static_cast<std::uint64_t>(n)) {}  // NOLINT
  LogValue(double x) : value_(x) {}                         // NOLINT
  LogValue(bool b) : value_(b) {}                           // NOLINT

  const Value& value() const { return value_; }
  // The value as text lines print it: the text itself, digits, true/false.
  std::string ToString() const;

 private:
  Value value_;
};

using LogFields = std::vector<std::pair<std::string, LogValue>>;

std::optional<LogLevel> ParseLogLevel(std::string_view s);
std::optional<LogFormat> ParseLogFormat(std::string_view s);

class Logger {
 public:
  // Writes to stderr by default.
  explicit Logger(std::FILE* out = stderr);
  void Configure(LogLevel level, LogFormat format);
  bool Enabled(LogLevel level) const { return level >= level_; }
  // The configured format: a command that writes to stderr itself (progress
  // on a terminal) does so only with kText, so a JSON stream holds only
  // the logger's lines.
  LogFormat format() const { return format_; }
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
