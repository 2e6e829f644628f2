#include "core/log.h"

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/time_util.h"

namespace drsnap {
namespace {

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "warn" || s == "warning") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  if (s == "off") return LogLevel::kOff;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view s) {
  if (s == "text") return LogFormat::kText;
  if (s == "json") return LogFormat::kJson;
  return std::nullopt;
}

Logger::Logger(std::FILE* out) : out_(out) {}

void Logger::Configure(LogLevel level, LogFormat format) {
  std::lock_guard lock(mu_);
  level_ = level;
  format_ = format;
}

std::string Logger::Format(LogLevel level, std::string_view msg, const LogFields& fields) const {
  std::string ts = FormatIso8601(std::chrono::system_clock::now());
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["time"] = ts;
    j["level"] = LevelName(level);
    j["msg"] = std::string(msg);
    for (const auto& [k, v] : fields) j[k] = v;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = ts + " " + LevelName(level) + " " + std::string(msg);
  for (const auto& [k, v] : fields) {
    line += " " + k + "=";
    if (NeedsQuoting(v)) {
      line += nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line += v;
    }
  }
  return line;
}

void Logger::Log(LogLevel level, std::string_view msg, const LogFields& fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, msg, fields);
  line += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

Logger& Log() {
  static Logger logger;
  return logger;
}

}  // namespace drsnap
