#include "analytics/model_io.h"

#include <cstring>

namespace iotwins::analytics {
namespace {

constexpr std::string_view kMagic = "IOTWMDL1";
// Sizes a sane artifact never exceeds; they stop a corrupt length from allocating gigabytes.
constexpr uint32_t kMaxString = 1 << 16;
constexpr uint64_t kMaxElements = uint64_t{1} << 28;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Result<uint32_t> read_u32(std::string_view in, size_t& pos) {
  if (in.size() - pos < 4) return make_error(Errc::corruption, "model artifact is truncated");
  uint32_t v;
  std::memcpy(&v, in.data() + pos, 4);
  pos += 4;
  return v;
}

}  // namespace

ModelWriter::ModelWriter(std::string_view kind, uint32_t version) {
  out_.append(kMagic);
  str(kind);
  u32(version);
}

void ModelWriter::u32(uint32_t v) { raw(&v, 4); }
void ModelWriter::u64(uint64_t v) { raw(&v, 8); }
void ModelWriter::f64(double v) { raw(&v, 8); }
void ModelWriter::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  raw(s.data(), s.size());
}
void ModelWriter::vec(const Eigen::VectorXd& v) {
  u32(static_cast<uint32_t>(v.size()));
  raw(v.data(), sizeof(double) * v.size());
}
void ModelWriter::mat(const Eigen::MatrixXd& m) {
  u32(static_cast<uint32_t>(m.rows()));
  u32(static_cast<uint32_t>(m.cols()));
  raw(m.data(), sizeof(double) * m.size());  // column-major, as Eigen stores it
}
std::string ModelWriter::finish() && {
  uint64_t h = fnv1a(out_);
  raw(&h, 8);
  return std::move(out_);
}

Result<std::string> ModelReader::peek_kind(std::string_view blob) {
  if (blob.size() < kMagic.size() + 4 + 8 || blob.substr(0, kMagic.size()) != kMagic) {
    return make_error(Errc::corruption, "not a model artifact (bad magic)");
  }
  size_t pos = kMagic.size();
  IOT_ASSIGN(uint32_t n, read_u32(blob, pos));
  if (n > kMaxString || blob.size() - pos < n) {
    return make_error(Errc::corruption, "model artifact kind is truncated");
  }
  return std::string(blob.substr(pos, n));
}

Result<ModelReader> ModelReader::open(std::string_view blob, std::string_view kind,
                                      uint32_t max_version) {
  IOT_ASSIGN(std::string found, peek_kind(blob));
  std::string_view body = blob.substr(0, blob.size() - 8);
  uint64_t sum;
  std::memcpy(&sum, blob.data() + body.size(), 8);
  if (sum != fnv1a(body)) return make_error(Errc::corruption, "model artifact checksum mismatch");
  if (found != kind) {
    return make_error(Errc::invalid_argument,
                      "model artifact is a '" + found + "' model, not '" + std::string(kind) + "'");
  }
  size_t pos = kMagic.size() + 4 + found.size();
  IOT_ASSIGN(uint32_t version, read_u32(body, pos));
  if (version == 0 || version > max_version) {
    return make_error(Errc::unsupported, "model artifact version " + std::to_string(version) +
                                             " of '" + found + "' is not supported (max " +
                                             std::to_string(max_version) + ")");
  }
  return ModelReader(body.substr(pos), version);
}

Status ModelReader::take(void* p, size_t n, const char* what) {
  if (in_.size() - pos_ < n) {
    return make_error(Errc::corruption, std::string("model artifact is truncated in ") + what);
  }
  std::memcpy(p, in_.data() + pos_, n);
  pos_ += n;
  return ok();
}

Result<uint32_t> ModelReader::u32() {
  uint32_t v;
  IOT_TRY(take(&v, 4, "an integer"));
  return v;
}
Result<uint64_t> ModelReader::u64() {
  uint64_t v;
  IOT_TRY(take(&v, 8, "an integer"));
  return v;
}
Result<double> ModelReader::f64() {
  double v;
  IOT_TRY(take(&v, 8, "a number"));
  return v;
}
Result<std::string> ModelReader::str() {
  IOT_ASSIGN(uint32_t n, u32());
  if (in_.size() - pos_ < n) {
    return make_error(Errc::corruption, "model artifact is truncated in a string");
  }
  std::string s(in_.substr(pos_, n));
  pos_ += n;
  return s;
}
Result<Eigen::VectorXd> ModelReader::vec() {
  IOT_ASSIGN(uint32_t n, u32());
  if (n > kMaxElements || (in_.size() - pos_) / 8 < n) {
    return make_error(Errc::corruption, "model artifact is truncated in a vector");
  }
  Eigen::VectorXd v(n);
  IOT_TRY(take(v.data(), 8 * size_t{n}, "a vector"));
  return v;
}
Result<Eigen::MatrixXd> ModelReader::mat() {
  IOT_ASSIGN(uint32_t r, u32());
  IOT_ASSIGN(uint32_t c, u32());
  uint64_t n = uint64_t{r} * c;
  if (n > kMaxElements || (in_.size() - pos_) / 8 < n) {
    return make_error(Errc::corruption, "model artifact is truncated in a matrix");
  }
  Eigen::MatrixXd m(r, c);
  IOT_TRY(take(m.data(), 8 * n, "a matrix"));
  return m;
}
Status ModelReader::done() const {
  if (pos_ != in_.size()) {
    return make_error(Errc::corruption, "model artifact has " + std::to_string(in_.size() - pos_) +
                                            " unexpected trailing bytes");
  }
  return ok();
}

}  // namespace iotwins::analytics
