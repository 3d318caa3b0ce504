// Little-endian fixed-width and varint helpers for tsdb's on-disk formats.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace iotwins::tsdb {

inline void put_u32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 4);
}
inline void put_u64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
inline uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// Sequential reader over untrusted bytes: every get fails (returns false) instead of reading
// past the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool get_u32(uint32_t& v) {
    if (data_.size() - pos_ < 4) return false;
    v = tsdb::get_u32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool get_u64(uint64_t& v) {
    if (data_.size() - pos_ < 8) return false;
    v = tsdb::get_u64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool get_varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool get_string(std::string& s, size_t max_len) {
    uint64_t n = 0;
    if (!get_varint(n) || n > max_len || n > data_.size() - pos_) return false;
    s.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == data_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace iotwins::tsdb
