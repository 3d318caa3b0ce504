// Result<T> and Error: how every module reports failure. No exception crosses a module
// boundary; library exceptions are caught at the edge and turned into an Error.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotwins {

// Stable error codes. Their names (errc_name) are part of the REST contract: they become the
// `type` of application/problem+json answers, so never rename one.
enum class Errc {
  invalid_argument,    // bad input from a caller: 400
  not_found,           // 404
  already_exists,      // 409
  conflict,            // stale version, state conflict: 409
  precondition_failed, // If-Match mismatch: 412
  too_large,           // a size limit: 413
  unauthenticated,     // 401
  permission_denied,   // 403
  resource_exhausted,  // queue or buffer full, rate limited: 429/503
  unavailable,         // a peer or dependency is not reachable now; retry: 503
  timeout,             // 504
  cancelled,           // shutting down
  io_error,            // the environment failed (disk, socket)
  corruption,          // stored data failed a check
  unsupported,         // a feature this build or machine lacks
  internal,            // a bug: should never happen
};

std::string_view errc_name(Errc code);

// An error: a code, a message for humans, and the chain of contexts it passed through
// (outermost last), e.g. "open wal segment 00042: No space left on device".
class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }

  // Adds what the caller was doing; returns *this so it chains in `return err.context(..)`.
  Error& context(std::string what) & {
    message_ = std::move(what) + ": " + message_;
    return *this;
  }
  Error&& context(std::string what) && {
    message_ = std::move(what) + ": " + message_;
    return std::move(*this);
  }

  // "not_found: node n-1 is not registered".
  std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> make_error(Errc code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}

inline Status ok() { return {}; }

// Error from errno, with what was being done: errno_error("open /x") -> "open /x: <strerror>".
std::unexpected<Error> errno_error(std::string what, int err);

}  // namespace iotwins

// IOT_TRY(expr): evaluates a Result/Status; on error returns it from the current function.
#define IOT_TRY(expr)                                            \
  do {                                                           \
    auto&& iot_try_r_ = (expr);                                  \
    if (!iot_try_r_) return std::unexpected(iot_try_r_.error()); \
  } while (0)

#define IOT_CONCAT_INNER(a, b) a##b
#define IOT_CONCAT(a, b) IOT_CONCAT_INNER(a, b)
// IOT_ASSIGN(decl, expr): `IOT_ASSIGN(auto file, fs.open(path));`
#define IOT_ASSIGN(decl, expr) IOT_ASSIGN_IMPL(IOT_CONCAT(iot_assign_r_, __LINE__), decl, expr)
#define IOT_ASSIGN_IMPL(tmp, decl, expr)                \
  auto tmp = (expr);                                    \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  decl = std::move(*tmp)
