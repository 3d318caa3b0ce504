// Detector and operator throughput (Google Benchmark). Scoring uses the batch API on 8
// variables; the anchor is the cheapest pass over the same rows (their squared norms), so the
// ratio says how close a detector gets to merely reading its input.
#include <benchmark/benchmark.h>

#include <random>

#include "analytics/detectors.h"
#include "analytics/operator.h"

namespace iotwins::analytics {
namespace {

constexpr int kVars = 8;
constexpr int kTrainRows = 400;   // SKAB's training rows per file
constexpr int kScoreRows = 1 << 16;

Eigen::MatrixXd data(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Eigen::MatrixXd mix(3, kVars);
  for (int i = 0; i < mix.size(); ++i) mix.data()[i] = g(rng);
  Eigen::MatrixXd x(rows, kVars);
  for (int r = 0; r < rows; ++r) {
    Eigen::RowVector3d f(g(rng), g(rng), g(rng));
    x.row(r) = f * mix;
    for (int c = 0; c < kVars; ++c) x(r, c) += 0.1 * g(rng) + c;
  }
  return x;
}

Params spec(const std::string& type) { return Params({{"type", type}}, "bench"); }

const char* kKinds[] = {"pca", "mset", "iforest", "autoencoder"};

void BM_Score(benchmark::State& state) {
  const std::string kind = kKinds[state.range(0)];
  auto det = make_detector(spec(kind));
  if (!det || !(*det)->fit(data(kTrainRows, 1))) {
    state.SkipWithError("fit failed");
    return;
  }
  const Eigen::MatrixXd rows = data(kScoreRows, 2);
  Eigen::VectorXd out;
  for (auto _ : state) {
    (void)(*det)->score_batch(rows, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(kind);
  state.SetItemsProcessed(state.iterations() * kScoreRows);
  state.counters["model_bytes"] = static_cast<double>((*det)->serialize().size());
}
BENCHMARK(BM_Score)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

void BM_ScoreExplained(benchmark::State& state) {
  const std::string kind = kKinds[state.range(0)];
  auto det = make_detector(spec(kind));
  if (!det || !(*det)->fit(data(kTrainRows, 1))) {
    state.SkipWithError("fit failed");
    return;
  }
  const Eigen::MatrixXd rows = data(1024, 2);
  for (auto _ : state) {
    for (int i = 0; i < rows.rows(); ++i) benchmark::DoNotOptimize((*det)->score(rows.row(i).transpose()));
  }
  state.SetLabel(kind);
  state.SetItemsProcessed(state.iterations() * rows.rows());
}
BENCHMARK(BM_ScoreExplained)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

void BM_Fit(benchmark::State& state) {
  const std::string kind = kKinds[state.range(0)];
  const Eigen::MatrixXd train = data(kTrainRows, 1);
  for (auto _ : state) {
    auto det = make_detector(spec(kind));
    benchmark::DoNotOptimize((*det)->fit(train));
  }
  state.SetLabel(kind);
}
BENCHMARK(BM_Fit)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

void BM_AnchorRowNorms(benchmark::State& state) {
  const Eigen::MatrixXd rows = data(kScoreRows, 2);
  Eigen::VectorXd out(kScoreRows);
  for (auto _ : state) {
    out.noalias() = rows.rowwise().squaredNorm();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kScoreRows);
}
BENCHMARK(BM_AnchorRowNorms)->Unit(benchmark::kMillisecond);

// A typical DataFilter chain over one twin's 8 properties.
void BM_FilterChain(benchmark::State& state) {
  auto chain = Chain::from_json(R"([{"type": "validity"}, {"type": "range", "min": -100, "max": 100},
      {"type": "deadband", "band": 0.05}, {"type": "ewma", "alpha": 0.2},
      {"type": "tumbling", "window_s": 10, "aggregates": ["mean", "max"]}])");
  if (!chain) {
    state.SkipWithError(chain.error().message().c_str());
    return;
  }
  const Eigen::MatrixXd rows = data(4096, 3);
  std::vector<Sample> in;
  const char* names[kVars] = {"a1", "a2", "cur", "pres", "temp", "tc", "volt", "flow"};
  for (int r = 0; r < rows.rows(); ++r) {
    for (int c = 0; c < kVars; ++c) in.push_back(Sample{"pump-1", names[c], r * 1'000'000'000LL, rows(r, c)});
  }
  std::vector<Sample> out;
  int64_t offset = 0;
  for (auto _ : state) {
    out.clear();
    for (Sample s : in) {
      s.ts_ns += offset;
      chain->process(s, out);
    }
    offset += 4096LL * 1'000'000'000LL;
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(in.size()));
}
BENCHMARK(BM_FilterChain)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace iotwins::analytics

BENCHMARK_MAIN();
