// BitWriter / BitReader: the MSB-first bit streams under the Gorilla-style chunk codec.
// Inline because they run once per encoded field (tens of millions of times a second).
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace iotwins::tsdb {

class BitWriter {
 public:
  BitWriter() = default;
  // Starts the output with `prefix` zero bytes (room for a header the caller fills in) and
  // reserves room for about `expect_bytes` more.
  BitWriter(size_t prefix, size_t expect_bytes) : out_(prefix, '\0') { out_.reserve(prefix + expect_bytes); }

  // Appends the low `n` bits of `bits` (0 <= n <= 64), most significant first.
  void write(uint64_t bits, int n) {
    if (n == 0) return;
    if (n < 64) bits &= (uint64_t{1} << n) - 1;
    int free_bits = 64 - used_;
    if (n <= free_bits) {
      acc_ |= n == 64 ? bits : bits << (free_bits - n);
      used_ += n;
      if (used_ == 64) flush_word();
      return;
    }
    int rest = n - free_bits;
    acc_ |= bits >> rest;
    used_ = 64;
    flush_word();
    acc_ = bits << (64 - rest);
    used_ = rest;
  }
  void write_bit(bool b) { write(b ? 1 : 0, 1); }

  uint64_t bit_count() const { return out_.size() * 8 + static_cast<uint64_t>(used_); }

  // The bytes written, the last one padded with zero bits.
  // Leaves the writer empty.
  std::string finish() {
    uint64_t acc = acc_;
    for (int i = 0; i < (used_ + 7) / 8; ++i) {
      out_.push_back(static_cast<char>(acc >> 56));
      acc <<= 8;
    }
    acc_ = 0;
    used_ = 0;
    return std::move(out_);
  }

 private:
  void flush_word() {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(acc_ >> (56 - 8 * i));
    out_.append(b, 8);
    acc_ = 0;
    used_ = 0;
  }

  std::string out_;
  uint64_t acc_ = 0;
  int used_ = 0;
};

// Reads what BitWriter wrote. Reading past the end yields zero bits and sets overrun(), so a
// decoder of untrusted bytes checks overrun() instead of every read.
class BitReader {
 public:
  explicit BitReader(std::string_view data) : data_(data) {}

  uint64_t read(int n) {
    if (n == 0) return 0;
    uint64_t out = 0;
    int need = n;
    while (need > 0) {
      if (avail_ == 0 && !refill()) {
        overrun_ = true;
        return need >= 64 ? 0 : out << need;
      }
      int take = need < avail_ ? need : avail_;
      uint64_t chunk = take == 64 ? acc_ : acc_ >> (64 - take);
      out = take == 64 ? chunk : (out << take) | chunk;
      acc_ = take == 64 ? 0 : acc_ << take;
      avail_ -= take;
      need -= take;
    }
    return out;
  }
  bool read_bit() { return read(1) != 0; }
  // Number of leading 1 bits, up to max, consuming them and the terminating 0 if any.
  int read_unary(int max) {
    int n = 0;
    while (n < max && read_bit()) ++n;
    return n;
  }

  bool overrun() const { return overrun_; }

 private:
  bool refill() {
    if (pos_ >= data_.size()) return false;
    size_t left = data_.size() - pos_;
    if (left >= 8) {
      uint64_t w = 0;
      for (int i = 0; i < 8; ++i) w = (w << 8) | static_cast<unsigned char>(data_[pos_ + i]);
      acc_ = w;
      avail_ = 64;
      pos_ += 8;
      return true;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < left; ++i) w = (w << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    avail_ = static_cast<int>(left * 8);
    acc_ = w << (64 - avail_);
    pos_ = data_.size();
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
  uint64_t acc_ = 0;
  int avail_ = 0;
  bool overrun_ = false;
};

}  // namespace iotwins::tsdb
