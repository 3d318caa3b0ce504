#include "wal/consumers.h"

#include <charconv>
#include <cstdio>

#include "wal/crc32c.h"

namespace iotwins::wal {
namespace {

constexpr std::string_view kFirstLine = "iotwins-wal-consumers 1\n";

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

}  // namespace

Status validate_consumer_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxConsumerName) {
    return make_error(Errc::invalid_argument,
                      "consumer name must be 1 to " + std::to_string(kMaxConsumerName) +
                          " characters, got " + std::to_string(name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i])) {
      return make_error(Errc::invalid_argument,
                        "consumer name '" + std::string(name) + "' has a character outside " +
                            "[A-Za-z0-9._-] at position " + std::to_string(i));
    }
  }
  return ok();
}

std::string encode_consumers(const ConsumerOffsets& offsets) {
  std::string out(kFirstLine);
  for (const auto& [name, seq] : offsets) {
    out += name;
    out += ' ';
    out += std::to_string(seq);
    out += '\n';
  }
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32c(out));
  out += "crc ";
  out += crc;
  out += '\n';
  return out;
}

Result<ConsumerOffsets> decode_consumers(std::string_view text, std::string_view where) {
  auto fail = [&](size_t line, std::string why) {
    return make_error(Errc::corruption,
                      std::string(where) + ":" + std::to_string(line) + ": " + std::move(why));
  };
  if (!text.starts_with(kFirstLine)) return fail(1, "not a consumer offsets file");
  size_t crc_at = text.rfind("crc ");
  if (crc_at == std::string_view::npos || crc_at < kFirstLine.size() || !text.ends_with('\n') ||
      text.size() - crc_at != 4 + 8 + 1) {
    return fail(1, "missing or malformed crc line (file cut short?)");
  }
  uint32_t stored = 0;
  auto hex = text.substr(crc_at + 4, 8);
  auto [hend, hec] = std::from_chars(hex.data(), hex.data() + hex.size(), stored, 16);
  if (hec != std::errc() || hend != hex.data() + hex.size()) {
    return fail(1, "crc line is not 8 hex digits");
  }
  if (crc32c(text.substr(0, crc_at)) != stored) return fail(1, "checksum mismatch");

  ConsumerOffsets out;
  std::string_view body = text.substr(kFirstLine.size(), crc_at - kFirstLine.size());
  size_t line = 2;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view row = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    size_t sp = row.find(' ');
    if (sp == std::string_view::npos) return fail(line, "expected '<name> <seq>'");
    std::string_view name = row.substr(0, sp);
    if (auto valid = validate_consumer_name(name); !valid) {
      return fail(line, valid.error().message());
    }
    uint64_t seq = 0;
    auto digits = row.substr(sp + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return fail(line, "offset '" + std::string(digits) + "' is not a sequence number");
    }
    if (!out.emplace(std::string(name), seq).second) {
      return fail(line, "consumer '" + std::string(name) + "' appears twice");
    }
    ++line;
  }
  return out;
}

}  // namespace iotwins::wal
