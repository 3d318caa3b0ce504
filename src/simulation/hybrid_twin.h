// HybridTwin: the plant model run in lockstep with live measurements on the edge. For each
// timestamp the model is stepped up to it, the measured inputs (drive speed, valve opening,
// demand) are imposed, the model's outputs are compared with what was measured, and the
// residuals (measured − simulated) are returned as a stream for the detectors. Integrating
// states that would otherwise wander away from reality (a tank level) can be re-synchronised
// from the measurement after their residual is taken. Single-threaded, like Plant.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "simulation/plant.h"

namespace iotwins::simulation {

struct HybridBinding {
  std::string twin;
  std::string property;
};

struct HybridOptions {
  std::vector<HybridBinding> inputs;  // measured values that drive the model; no residual
  std::vector<HybridBinding> sync;    // states reset from the measurement after the residual
};

struct MeasuredFrame {
  std::string twin;
  std::vector<std::pair<std::string, double>> values;  // property → measured value
};

struct Residual {
  std::string twin;
  std::string property;  // the measured property; its stream is residual_property(property)
  int64_t ts_ns = 0;
  double measured = 0.0;
  double simulated = 0.0;
  double residual = 0.0;
};

class HybridTwin {
 public:
  // The model starts at `start_ns`; its sensor noise is turned off (it predicts the truth).
  static Result<HybridTwin> create(Plant model, HybridOptions options, int64_t start_ns);

  // Frames of several twins that share one timestamp. The timestamp is rounded to the model's
  // step grid; an older timestamp than the model's is rejected and changes nothing. Properties
  // the model does not have are ignored (devices report more than the model knows).
  Result<std::vector<Residual>> update(int64_t ts_ns, std::span<const MeasuredFrame> frames);

  // The stream name of a property's residual: "<property>_residual".
  static std::string residual_property(std::string_view property);

  const Plant& model() const { return model_; }
  // Timestamp the model has reached (its outputs are at this time).
  int64_t model_ts_ns() const;

 private:
  HybridTwin(Plant model, HybridOptions options, int64_t start_ns)
      : model_(std::move(model)), options_(std::move(options)), start_ns_(start_ns) {}
  bool is_input(std::string_view twin, std::string_view property) const;
  bool is_sync(std::string_view twin, std::string_view property) const;

  Plant model_;
  HybridOptions options_;
  int64_t start_ns_ = 0;
};

}  // namespace iotwins::simulation
