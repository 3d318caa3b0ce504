// Hydraulic components: the fluid, a pipe (Darcy–Weisbach), a control valve (Kv with an
// opening characteristic) and a tank leak (Torricelli). Pure functions of SI quantities:
// flow q in m³/s, heads in metres of the fluid, pressures in Pa. Equations: docs/simulation.md.
#pragma once

#include <string>

namespace iotwins::simulation {

inline constexpr double kGravity = 9.80665;          // m/s²
inline constexpr double kAtmosphere = 101325.0;      // Pa
inline constexpr double kSecondsPerHour = 3600.0;

struct Fluid {
  double density = 998.2;           // kg/m³ (water, 20 °C)
  double viscosity = 1.002e-3;      // Pa·s
  double vapor_pressure = 2339.0;   // Pa
};

// Head (m) that a pressure difference (Pa) stands for, and back.
double pressure_to_head(double pa, const Fluid& fluid);
double head_to_pressure(double head_m, const Fluid& fluid);

struct PipeParams {
  double length_m = 100.0;
  double diameter_m = 0.1;
  double roughness_m = 4.5e-5;   // commercial steel
  double friction_factor = 0.0;  // > 0: a fixed Darcy factor (a purely quadratic pipe)
  double minor_loss_k = 0.0;     // sum of fittings' K (bends, tees, entry/exit)
};

// Darcy friction factor at Reynolds number re: 64/Re when laminar (Re ≤ 2000), Swamee–Jain
// when turbulent (Re ≥ 4000), linear in between so the system curve stays continuous.
double friction_factor(double re, double relative_roughness);
double reynolds(double q, const PipeParams& pipe, const Fluid& fluid);
// h = (f·L/D + ΣK)·v²/2g with v = q/A.
double pipe_head_loss(double q, const PipeParams& pipe, const Fluid& fluid);

enum class ValveCharacteristic { linear, equal_percentage, quick_opening };
bool parse_valve_characteristic(const std::string& name, ValveCharacteristic& out);

struct ValveParams {
  double kv_max = 100.0;  // m³/h at 1 bar drop, fully open
  ValveCharacteristic characteristic = ValveCharacteristic::equal_percentage;
  double rangeability = 50.0;  // Kv(100 %)/Kv(min) of an equal-percentage trim
};

// Kv at opening x ∈ [0, 1]: 0 when shut; x·Kv, R^(x−1)·Kv or √x·Kv by characteristic.
double valve_kv(double opening, const ValveParams& valve);
// Δp = SG·(Q/Kv)² bar (Q in m³/h, SG = ρ/1000), as head. Infinite when shut.
double valve_head_loss(double q, double kv, const Fluid& fluid);

// Torricelli outflow through an orifice of `area_m2` under `level_m` of liquid (Cd = 0.62).
double orifice_outflow(double area_m2, double level_m);

}  // namespace iotwins::simulation
