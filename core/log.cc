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

nlohmann::ordered_json ToJson(const LogValue& v) {
  return std::visit([](const auto& x) { return nlohmann::ordered_json(x); }, v.value());
}

}  // namespace

std::string LogValue::ToString() const {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return nlohmann::json(x).dump();  // shortest form that reads back; null if not finite
        } else {
          return std::to_string(x);
        }
      },
      value_);
}

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
    for (const auto& [k, v] : fields) j[k] = ToJson(v);
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = ts + " " + LevelName(level) + " " + std::string(msg);
  for (const auto& [k, value] : fields) {
    line += " " + k + "=";
    std::string v = value.ToString();
    if (std::holds_alternative<std::string>(value.value()) && NeedsQuoting(v)) {
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
