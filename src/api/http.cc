#include "api/http.h"

#include <cctype>
#include <strings.h>

namespace iotwins::api {

std::string_view to_string(Method m) {
  switch (m) {
    case Method::GET: return "GET";
    case Method::HEAD: return "HEAD";
    case Method::POST: return "POST";
    case Method::PUT: return "PUT";
    case Method::PATCH: return "PATCH";
    case Method::DELETE: return "DELETE";
    case Method::OPTIONS: return "OPTIONS";
    case Method::OTHER: return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view t) {
  if (t == "GET") return Method::GET;
  if (t == "HEAD") return Method::HEAD;
  if (t == "POST") return Method::POST;
  if (t == "PUT") return Method::PUT;
  if (t == "PATCH") return Method::PATCH;
  if (t == "DELETE") return Method::DELETE;
  if (t == "OPTIONS") return Method::OPTIONS;
  return Method::OTHER;
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  size_t n = std::min(a.size(), b.size());
  int c = ::strncasecmp(a.data(), b.data(), n);
  if (c != 0) return c < 0;
  return a.size() < b.size();
}

const std::string* Request::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

const std::string* Request::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? empty : it->second;
}

std::string percent_decode(std::string_view s, bool plus_is_space, bool* ok) {
  std::string out;
  out.reserve(s.size());
  *ok = true;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        *ok = false;
        return out;
      }
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<std::pair<std::string, std::map<std::string, std::string>>> parse_target(std::string_view target) {
  std::string_view path = target, query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  bool ok = true;
  std::string decoded = percent_decode(path, false, &ok);
  if (!ok) return make_error(Errc::invalid_argument, "malformed percent-escape in the path");
  if (decoded.empty() || decoded[0] != '/') {
    return make_error(Errc::invalid_argument, "the request target must start with '/'");
  }
  std::map<std::string, std::string> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true, &ok);
      if (!ok) return make_error(Errc::invalid_argument, "malformed percent-escape in the query");
      std::string value;
      if (eq != std::string_view::npos) {
        value = percent_decode(pair.substr(eq + 1), true, &ok);
        if (!ok) {
          return make_error(Errc::invalid_argument,
                            "malformed percent-escape in query parameter '" + key + "'");
        }
      }
      params[key] = value;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::make_pair(std::move(decoded), std::move(params));
}

int http_status(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return 400;
    case Errc::unauthenticated: return 401;
    case Errc::permission_denied: return 403;
    case Errc::not_found: return 404;
    case Errc::already_exists:
    case Errc::conflict: return 409;
    case Errc::precondition_failed: return 412;
    case Errc::too_large: return 413;
    case Errc::resource_exhausted: return 429;
    case Errc::unsupported: return 501;
    case Errc::unavailable:
    case Errc::cancelled: return 503;
    case Errc::timeout: return 504;
    case Errc::io_error:
    case Errc::corruption:
    case Errc::internal: return 500;
  }
  return 500;
}

Errc errc_from_status(int status) {
  switch (status) {
    case 400: return Errc::invalid_argument;
    case 401: return Errc::unauthenticated;
    case 403: return Errc::permission_denied;
    case 404: return Errc::not_found;
    case 405: return Errc::invalid_argument;
    case 409: return Errc::conflict;
    case 412: return Errc::precondition_failed;
    case 413: return Errc::too_large;
    case 429: return Errc::resource_exhausted;
    case 501: return Errc::unsupported;
    case 503: return Errc::unavailable;
    case 504: return Errc::timeout;
    default: return status >= 500 ? Errc::internal : Errc::invalid_argument;
  }
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

}  // namespace iotwins::api
