// Errors are values. Every fallible function returns Result<T> or Status;
// each layer that passes an error up adds what it was doing (With()).
//
// Thread safety: plain values; safe to copy between threads.
#pragma once

#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace drsnap {

// How a caller should react to an error.
enum class ErrorClass {
  kTerminal,    // the same request cannot succeed: bad input, access denied, not found
  kTransient,   // a retry may succeed: 5xx, connection reset, timeout
  kThrottling,  // the service asked us to slow down (Throttling, ThrottlingException, ...)
};

const char* ErrorClassName(ErrorClass c);

struct Error {
  std::string code;     // AWS error code ("DBSnapshotNotFound") or drsnap's ("ConfigInvalid")
  std::string message;  // one sentence a user can read
  ErrorClass error_class = ErrorClass::kTerminal;
  int http_status = 0;       // 0 when no HTTP response was received
  std::string request_id;    // AWS request id, when there is one
  std::string hint;          // what the user can do about it, when we know
  std::vector<std::string> context;  // innermost first: "CopyDBSnapshot", "account 111 us-east-1"

  bool retryable() const { return error_class != ErrorClass::kTerminal; }
  bool throttling() const { return error_class == ErrorClass::kThrottling; }

  // Adds what the caller was doing. Returns *this for chaining.
  Error& With(std::string what) &;
  Error&& With(std::string what) &&;

  // One line: "outermost: ...: innermost: message [code, HTTP 400, request id X]. hint"
  std::string ToString() const;

  static Error Terminal(std::string code, std::string message);
  static Error Transient(std::string code, std::string message);
  static Error Throttling(std::string code, std::string message);
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline Status OkStatus() { return {}; }

}  // namespace drsnap

// Early return of the error of a Status/Result expression.
#define DRSNAP_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    auto drsnap_status_ = (expr);                                       \
    if (!drsnap_status_) return ::drsnap::Fail(std::move(drsnap_status_).error()); \
  } while (0)

#define DRSNAP_CONCAT_INNER_(a, b) a##b
#define DRSNAP_CONCAT_(a, b) DRSNAP_CONCAT_INNER_(a, b)
// DRSNAP_ASSIGN_OR_RETURN(auto x, Foo()); returns Foo()'s error if any.
#define DRSNAP_ASSIGN_OR_RETURN(lhs, expr) \
  DRSNAP_ASSIGN_OR_RETURN_IMPL_(DRSNAP_CONCAT_(drsnap_result_, __LINE__), lhs, expr)
#define DRSNAP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)             \
  auto tmp = (expr);                                              \
  if (!tmp) return ::drsnap::Fail(std::move(tmp).error());        \
  lhs = std::move(*tmp)
