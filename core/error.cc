#include "core/error.h"

namespace drsnap {

const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTerminal:
      return "terminal";
    case ErrorClass::kTransient:
      return "transient";
    case ErrorClass::kThrottling:
      return "throttling";
  }
  return "unknown";
}

Error& Error::With(std::string what) & {
  context.push_back(std::move(what));
  return *this;
}

Error&& Error::With(std::string what) && {
  context.push_back(std::move(what));
  return std::move(*this);
}

std::string Error::ToString() const {
  std::string out;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message.empty() ? code : message;
  std::string detail;
  if (!code.empty() && !message.empty()) detail += code;
  if (http_status != 0) {
    if (!detail.empty()) detail += ", ";
    detail += "HTTP " + std::to_string(http_status);
  }
  if (!request_id.empty()) {
    if (!detail.empty()) detail += ", ";
    detail += "request id " + request_id;
  }
  if (!detail.empty()) out += " [" + detail + "]";
  if (!hint.empty()) out += ". " + hint;
  return out;
}

Error Error::Terminal(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  e.error_class = ErrorClass::kTerminal;
  return e;
}

Error Error::Transient(std::string code, std::string message) {
  Error e = Terminal(std::move(code), std::move(message));
  e.error_class = ErrorClass::kTransient;
  return e;
}

Error Error::Throttling(std::string code, std::string message) {
  Error e = Terminal(std::move(code), std::move(message));
  e.error_class = ErrorClass::kThrottling;
  return e;
}

}  // namespace drsnap
