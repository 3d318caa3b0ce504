// Writes the binary seed corpora that cannot be typed by hand, from the real encoders, so the
// seeds always match the current formats:
//   fuzz_make_seeds FUZZ_DIR  ->  FUZZ_DIR/batch_frame/corpus, tsdb_chunk/corpus,
//                                 detector_model/corpus
// Deterministic: the same build writes the same bytes.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "analytics/detectors.h"
#include "analytics/windowed.h"
#include "dataplane/codec/batch_frame.h"
#include "tsdb/chunk.h"

namespace fs = std::filesystem;
using namespace iotwins;

namespace {

bool write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    return false;
  }
  return true;
}

bool batch_frames(const fs::path& dir) {
  dataplane::Batch batch{.source_node = "edge-1", .stream = "telemetry", .first_seq = 41};
  for (int i = 0; i < 6; ++i) {
    batch.records.push_back(dataplane::Sample{.twin = i % 2 ? "pump-1" : "tank-2",
                                              .property = i % 3 ? "flow" : "level",
                                              .ts_ns = 1'700'000'000'000'000'000 + i * 1'000'000'000LL,
                                              .value = 0.5 * i - 1});
  }
  batch.records.push_back(dataplane::Event{.twin = "pump-1", .type = "anomaly",
                                           .ts_ns = 1'700'000'010'000'000'000,
                                           .json = R"({"score":3.5,"threshold":2})"});
  auto plain = dataplane::encode_batch(batch, {.compress = false});
  auto packed = dataplane::encode_batch(batch, {.compress = true});
  dataplane::Batch empty{.source_node = "iot-7", .stream = "events", .first_seq = 0};
  auto none = dataplane::encode_batch(empty, {.compress = false});
  if (!plain || !packed || !none) {
    std::fprintf(stderr, "encode_batch failed\n");
    return false;
  }
  return write(dir, "plain", *plain) && write(dir, "zstd", *packed) && write(dir, "empty", *none);
}

bool tsdb_chunks(const fs::path& dir) {
  std::vector<tsdb::Sample> regular, jittery;
  for (int i = 0; i < 64; ++i) {
    regular.push_back({.ts = 1'700'000'000'000'000'000 + i * 1'000'000'000LL, .value = 20.0 + (i % 4) * 0.25});
    jittery.push_back({.ts = 1'700'000'000'000'000'000 + i * 997'000'000LL + (i % 5) * 13'000,
                       .value = std::sin(i * 0.3) * 1e3});
  }
  std::vector<tsdb::Sample> one{{.ts = -5, .value = -0.0}};
  return write(dir, "regular", tsdb::encode_chunk(regular)) &&
         write(dir, "jittery", tsdb::encode_chunk(jittery)) && write(dir, "one", tsdb::encode_chunk(one));
}

Eigen::MatrixXd training_rows() {
  Eigen::MatrixXd m(120, 3);
  for (int r = 0; r < m.rows(); ++r) {
    m(r, 0) = std::sin(r * 0.1);
    m(r, 1) = std::cos(r * 0.07) + 0.1 * (r % 7);
    m(r, 2) = m(r, 0) * 0.5 + 0.01 * (r % 3);
  }
  return m;
}

analytics::Params params_of(std::string type) {
  analytics::Params p;
  p.set("type", std::move(type));
  return p;
}

bool detector_models(const fs::path& dir) {
  const Eigen::MatrixXd train = training_rows();
  std::vector<analytics::Params> specs;
  specs.push_back(params_of("pca"));
  auto mset = params_of("mset");
  mset.set("memory", 20.0);
  specs.push_back(mset);
  auto forest = params_of("iforest");
  forest.set("trees", 4.0);
  forest.set("sample", 32.0);
  specs.push_back(forest);
  auto ae = params_of("autoencoder");
  ae.set("hidden", 4.0);
  ae.set("code", 2.0);
  ae.set("epochs", 3.0);
  specs.push_back(ae);
  for (const auto& spec : specs) {
    auto kind = spec.string("type");
    auto detector = analytics::make_detector(spec);
    if (!kind || !detector || !(*detector)->fit(train)) {
      std::fprintf(stderr, "cannot fit a %s detector\n", kind ? kind->c_str() : "?");
      return false;
    }
    if (!write(dir, *kind, (*detector)->serialize())) return false;
  }
  auto series_spec = params_of("pca");
  series_spec.set("lags", 1.0);
  series_spec.set("diffs", true);
  series_spec.set("smooth", 3.0);
  auto series = analytics::SeriesDetector::create(series_spec);
  if (!series || !(*series)->fit(train)) {
    std::fprintf(stderr, "cannot fit a series detector\n");
    return false;
  }
  return write(dir, "series_pca", (*series)->serialize());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds FUZZ_DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  const bool ok = batch_frames(root / "batch_frame" / "corpus") && tsdb_chunks(root / "tsdb_chunk" / "corpus") &&
                  detector_models(root / "detector_model" / "corpus");
  return ok ? 0 : 1;
}
