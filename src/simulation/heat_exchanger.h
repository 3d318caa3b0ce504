// HeatExchanger: a counterflow exchanger by the ε-NTU method. With C = ṁ·cp on each side,
// NTU = UA/C_min and Cr = C_min/C_max, ε = (1 − e^(−NTU(1−Cr))) / (1 − Cr·e^(−NTU(1−Cr)))
// (ε = NTU/(1+NTU) when Cr = 1); the duty is q = ε·C_min·(T_hot,in − T_cold,in). Outlet
// temperatures reach their steady values through a first-order lag (the metal and the
// fluid held in the exchanger). Fouling lowers UA.
#pragma once

#include <memory>

#include "simulation/unit.h"

namespace iotwins::simulation {

struct HeatExchangerParams {
  double ua_kw_per_k = 12.0;
  double hot_cp_kj_per_kg_k = 4.19;
  double cold_cp_kj_per_kg_k = 4.18;
  double cold_in_c = 12.0;
  double time_constant_s = 60.0;
  double fouling_ua_loss = 0.6;  // fraction of UA lost at full fouling
};

struct HeatExchangerInitial {
  double hot_flow_kg_s = 2.0;
  double cold_flow_kg_s = 2.5;
  double hot_in_c = 80.0;
};

// Steady effectiveness of a counterflow exchanger.
double counterflow_effectiveness(double ntu, double cr);

class HeatExchanger final : public Unit {
 public:
  enum Property : size_t { kHotIn, kHotOut, kColdIn, kColdOut, kHotFlow, kColdFlow, kDuty, kEffectiveness };

  static Result<std::unique_ptr<HeatExchanger>> create(const std::string& twin,
                                                       const HeatExchangerParams& params,
                                                       const HeatExchangerInitial& initial);
  std::unique_ptr<Unit> clone() const override { return std::make_unique<HeatExchanger>(*this); }

  void compute(double t) override;
  void advance(double dt) override;
  bool accepts_fault(size_t, FaultKind kind) const override { return kind == FaultKind::fouling; }
  void set_fault(size_t, FaultKind kind, double severity) override;
  Status set_state(size_t port, std::string_view property, double value) override;

  HeatExchanger(const HeatExchanger&) = default;

 protected:
  std::vector<NumberRef> setpoints(size_t port) override;
  std::vector<NumberRef> parameters(size_t port) override;

 private:
  HeatExchanger() = default;

  HeatExchangerParams params_;
  double hot_flow_ = 0, cold_flow_ = 0, hot_in_c_ = 0;
  double hot_out_c_ = 0, cold_out_c_ = 0;              // lagged outlet temperatures (state)
  double hot_out_ss_ = 0, cold_out_ss_ = 0;            // steady targets of the last compute
  double fouling_ = 0;
};

}  // namespace iotwins::simulation
