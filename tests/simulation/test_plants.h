// Small plant descriptions shared by the simulation tests.
#pragma once

#include <string>

namespace iotwins::simulation::testing_plants {

// One pump circuit with every parameter inline; `extra` is appended to the circuit's tank
// mapping lines, `faults` to the document.
inline std::string one_circuit(const std::string& pump_extra = "", const std::string& tank_extra = "",
                               const std::string& faults = "", const std::string& valve_extra = "") {
  return R"(plant:
  site: test-site
  seed: 7
  step_s: 1
lines:
  - id: line-1
    circuits:
      - id: c1
        pump:
          twin: pump-1
          rated_speed_rpm: 2900
          max_speed_rpm: 3000
          shutoff_head_m: 42
          bep_flow_m3h: 60
          bep_head_m: 34
          runout_flow_m3h: 110
          bep_efficiency: 0.76
          shutoff_power_kw: 1.0
          speed_ramp_rpm_s: 100000
          motor: {efficiency: 0.92, power_factor: 0.86, voltage_v: 400, ambient_c: 25,
                  thermal_resistance_k_per_kw: 60, thermal_time_constant_s: 600}
          suction: {static_head_m: 2.0, loss_m_at_bep: 0.3, clog_loss_m_at_bep: 10}
          speed_rpm: 2900
)" + pump_extra + R"(        pipe: {length_m: 150, diameter_m: 0.1, roughness_mm: 0.045, minor_loss_k: 6}
        valve:
          twin: valve-1
          kv_max: 160
          opening_pct: 70
)" + valve_extra + R"(        tank:
          twin: tank-1
          area_m2: 12
          height_m: 5
          bottom_elevation_m: 12
          leak_area_m2: 0.0005
          level_m: 2
          demand_m3h: 50
)" + tank_extra + faults;
}

inline std::string zone(const std::string& extra = "") {
  return R"(plant: {seed: 3, step_s: 60}
lines:
  - id: facility
    zones:
      - twin: zone-1
        resistance_k_per_kw: 2.0
        capacitance_kj_per_k: 3000
        internal_gain_kw: 1.5
        outdoor_mean_c: 5
        outdoor_amplitude_c: 0
        gain_kw_per_k: 3
        heating_max_kw: 50
        cooling_max_kw: 50
        zone_temp_c: 15
        setpoint_c: 21
)" + extra;
}

}  // namespace iotwins::simulation::testing_plants
