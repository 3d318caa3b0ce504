#include "core/result.h"

#include <cerrno>
#include <cstring>

namespace iotwins {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::precondition_failed: return "precondition_failed";
    case Errc::too_large: return "too_large";
    case Errc::unauthenticated: return "unauthenticated";
    case Errc::permission_denied: return "permission_denied";
    case Errc::resource_exhausted: return "resource_exhausted";
    case Errc::unavailable: return "unavailable";
    case Errc::timeout: return "timeout";
    case Errc::cancelled: return "cancelled";
    case Errc::io_error: return "io_error";
    case Errc::corruption: return "corruption";
    case Errc::unsupported: return "unsupported";
    case Errc::internal: return "internal";
  }
  return "internal";
}

std::string Error::to_string() const {
  std::string out(errc_name(code_));
  out += ": ";
  out += message_;
  return out;
}

std::unexpected<Error> errno_error(std::string what, int err) {
  Errc code = Errc::io_error;
  if (err == ENOENT) code = Errc::not_found;
  else if (err == EEXIST) code = Errc::already_exists;
  else if (err == EACCES || err == EPERM) code = Errc::permission_denied;
  else if (err == ENOSPC || err == EDQUOT) code = Errc::resource_exhausted;
  return make_error(code, std::move(what) + ": " + std::strerror(err));
}

}  // namespace iotwins
