// Binary model artifacts: "IOTWMDL1", the detector kind, a format version, the payload, and an
// FNV-1a checksum of everything before it, so a truncated or altered artifact is refused.
// Numbers are little-endian (the only byte order of the machines we target; checked at compile).
#pragma once

#include <Eigen/Core>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::analytics {

static_assert(std::endian::native == std::endian::little, "model artifacts are little-endian");

class ModelWriter {
 public:
  ModelWriter(std::string_view kind, uint32_t version);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void f64(double v);
  void str(std::string_view s);
  void vec(const Eigen::VectorXd& v);
  void mat(const Eigen::MatrixXd& m);
  // Appends the checksum and returns the artifact.
  std::string finish() &&;

 private:
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class ModelReader {
 public:
  // Checks magic, checksum, kind and version (versions newer than `max_version` are refused).
  static Result<ModelReader> open(std::string_view blob, std::string_view kind,
                                  uint32_t max_version);
  // The kind named in an artifact, without opening it fully.
  static Result<std::string> peek_kind(std::string_view blob);

  uint32_t version() const { return version_; }
  Result<uint32_t> u32();
  Result<uint64_t> u64();
  Result<double> f64();
  Result<std::string> str();
  Result<Eigen::VectorXd> vec();
  Result<Eigen::MatrixXd> mat();
  // Every byte of the payload must have been read.
  Status done() const;

 private:
  ModelReader(std::string_view payload, uint32_t version) : in_(payload), version_(version) {}
  Status take(void* p, size_t n, const char* what);
  std::string_view in_;
  size_t pos_ = 0;
  uint32_t version_ = 0;
};

}  // namespace iotwins::analytics
