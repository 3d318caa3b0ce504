#include "dataplane/codec/records.h"

namespace iotwins::dataplane {
namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == ':' || c == '-';
}

Status validate_name(std::string_view what, std::string_view name, size_t max_length) {
  if (name.empty()) return make_error(Errc::invalid_argument, std::string(what) + " is empty");
  if (name.size() > max_length) {
    return make_error(Errc::invalid_argument, std::string(what) + " is " +
                                                  std::to_string(name.size()) +
                                                  " characters long, the limit is " +
                                                  std::to_string(max_length));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!id_char(name[i])) {
      unsigned code = static_cast<unsigned char>(name[i]);
      static constexpr char kHex[] = "0123456789abcdef";
      std::string shown = code >= 0x20 && code < 0x7f
                              ? "'" + std::string(1, name[i]) + "'"
                              : std::string("byte 0x") + kHex[code >> 4] + kHex[code & 15];
      return make_error(Errc::invalid_argument,
                        std::string(what) + " has " + shown + " at position " +
                            std::to_string(i) + "; allowed are [A-Za-z0-9._:-]");
    }
  }
  return ok();
}

}  // namespace

Status validate_twin_id(std::string_view id) {
  return validate_name("twin id", id, kMaxTwinIdLength);
}

Status validate_property_name(std::string_view name, size_t max_length) {
  return validate_name("property name", name, max_length);
}

}  // namespace iotwins::dataplane
