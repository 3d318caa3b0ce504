// libFuzzer target: binary model artifacts (downloaded from the model registry, so possibly
// corrupt or hostile) through deserialize_detector and SeriesDetector::deserialize. A model
// that loads must score a row of its own dimension and survive serialize -> deserialize with
// the same bytes. The checksum would stop almost every mutation at the door, so each input is
// also tried with its checksum recomputed (model_io.h: FNV-1a of everything before the last
// 8 bytes), which lets mutations reach the payload readers; the seed corpus (written by
// fuzz_make_seeds) holds real artifacts of every kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "analytics/detectors.h"
#include "analytics/windowed.h"

using namespace iotwins::analytics;

namespace {

// Dimensions above this would only measure the allocator; artifacts of real models are far smaller.
constexpr int kMaxScoredDimension = 4096;

void check_row_detector(std::string_view blob) {
  auto model = deserialize_detector(blob);
  if (!model) return;
  const std::string bytes = (*model)->serialize();
  auto again = deserialize_detector(bytes);
  if (!again || (*again)->serialize() != bytes || (*again)->kind() != (*model)->kind()) std::abort();
  const int dim = (*model)->dimension();
  if (dim <= 0 || dim > kMaxScoredDimension) return;
  Eigen::VectorXd row = Eigen::VectorXd::Zero(dim);
  (void)(*model)->score(row);
  Eigen::MatrixXd rows = Eigen::MatrixXd::Ones(2, dim);
  Eigen::VectorXd out;
  (void)(*model)->score_batch(rows, out);
}

void check_series_detector(std::string_view blob) {
  auto model = SeriesDetector::deserialize(blob);
  if (!model) return;
  const std::string bytes = (*model)->serialize();
  auto again = SeriesDetector::deserialize(bytes);
  if (!again || (*again)->serialize() != bytes) std::abort();
  const int dim = (*model)->dimension();
  if (dim <= 0 || dim > kMaxScoredDimension) return;
  Eigen::VectorXd row = Eigen::VectorXd::Zero(dim);
  (void)(*model)->push(row);
  (void)(*model)->push(row);
}

// The blob with its trailing checksum made valid for the bytes before it.
std::string with_valid_checksum(std::string_view blob) {
  std::string fixed(blob);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : blob.substr(0, blob.size() - 8)) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::memcpy(fixed.data() + fixed.size() - 8, &h, 8);
  return fixed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  check_row_detector(blob);
  check_series_detector(blob);
  if (blob.size() < 8) return 0;
  const std::string fixed = with_valid_checksum(blob);
  check_row_detector(fixed);
  check_series_detector(fixed);
  return 0;
}
