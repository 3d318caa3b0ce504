#include "dataplane/objects/chunk.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace iotwins::dataplane {
namespace {

std::string char_name(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", c);
  return buf;
}

}  // namespace

Status validate_object_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxObjectIdLength) {
    return make_error(Errc::invalid_argument, "object id must be 1 to 128 characters, got " +
                                                  std::to_string(id.size()));
  }
  if (id == "." || id == "..") return make_error(Errc::invalid_argument, "object id must not be '.' or '..'");
  for (size_t i = 0; i < id.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(id[i]);
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) {
      return make_error(Errc::invalid_argument, "object id '" + std::string(id.substr(0, 64)) +
                                                    "': character " + char_name(c) + " at " +
                                                    std::to_string(i) + " is not one of [A-Za-z0-9._-]");
    }
  }
  return ok();
}

Status validate_object_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxObjectNameLength) {
    return make_error(Errc::invalid_argument, "object name must be 1 to 255 bytes, got " +
                                                  std::to_string(name.size()));
  }
  if (name == "." || name == "..") return make_error(Errc::invalid_argument, "object name must not be '.' or '..'");
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
      return make_error(Errc::invalid_argument, "object name: character " + char_name(c) + " at " +
                                                    std::to_string(i) +
                                                    " is not allowed (no path separators or control characters)");
    }
  }
  return ok();
}

Status validate_sha256_hex(std::string_view hex) {
  bool good = hex.size() == 64;
  for (char c : hex) good = good && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!good) return make_error(Errc::invalid_argument, "sha256 must be 64 lowercase hex digits");
  return ok();
}

Status validate_chunk(const ObjectChunk& c) {
  IOT_TRY(validate_object_id(c.object));
  IOT_TRY(validate_object_name(c.name));
  IOT_TRY(validate_sha256_hex(c.sha256));
  if (c.size > kMaxObjectBytes) {
    return make_error(Errc::too_large, "object " + c.object + ": size " + std::to_string(c.size) +
                                           " is over the limit of 1 TiB");
  }
  if (c.offset > c.size || c.data.size() > c.size - c.offset) {
    return make_error(Errc::invalid_argument, "object " + c.object + ": chunk [" + std::to_string(c.offset) +
                                                  ", " + std::to_string(c.offset + c.data.size()) +
                                                  ") is outside the object's " + std::to_string(c.size) +
                                                  " bytes");
  }
  if (c.data.empty() && c.size != 0) {
    return make_error(Errc::invalid_argument, "object " + c.object + ": empty chunk");
  }
  return ok();
}

Event encode_chunk_event(const ObjectChunk& c, int64_t ts_ns) {
  nlohmann::json j = {{"object", c.object}, {"name", c.name},     {"size", c.size},
                      {"sha256", c.sha256}, {"offset", c.offset}, {"data", base64_encode(c.data)},
                      {"source", c.source}};
  return Event{std::string(kObjectsTwin), std::string(kObjectChunkType), ts_ns,
               j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

bool is_chunk_event(const Record& record) {
  const auto* e = std::get_if<Event>(&record);
  return e != nullptr && e->type == kObjectChunkType;
}

Result<ObjectChunk> decode_chunk_event(const Event& event) {
  if (event.type != kObjectChunkType) {
    return make_error(Errc::invalid_argument, "event type '" + event.type + "' is not an object chunk");
  }
  ObjectChunk c;
  std::string data;
  try {
    auto j = nlohmann::json::parse(event.json);
    c.object = j.at("object").get<std::string>();
    c.name = j.at("name").get<std::string>();
    c.size = j.at("size").get<uint64_t>();
    c.sha256 = j.at("sha256").get<std::string>();
    c.offset = j.at("offset").get<uint64_t>();
    data = j.at("data").get<std::string>();
    if (j.contains("source")) c.source = j.at("source").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::invalid_argument, std::string("object chunk: ") + e.what());
  }
  IOT_ASSIGN(c.data, base64_decode(data));
  IOT_TRY(validate_chunk(c));
  return c;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) {
    return make_error(Errc::invalid_argument, "base64: length " + std::to_string(text.size()) +
                                                  " is not a multiple of 4");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      size_t at = i + k;
      int d = at >= text.size() - pad ? 0 : value(text[at]);
      if (d < 0) return make_error(Errc::invalid_argument, "base64: bad character at " + std::to_string(at));
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    bool last = i + 4 == text.size();
    out += static_cast<char>(v >> 16);
    if (!last || pad < 2) out += static_cast<char>((v >> 8) & 255);
    if (!last || pad < 1) out += static_cast<char>(v & 255);
  }
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}
std::string Sha256::hex() {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

}  // namespace iotwins::dataplane
