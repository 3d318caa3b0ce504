#include "analytics/units.h"

#include <string>

namespace iotwins::analytics {
namespace {

// Each unit relative to its dimension's SI unit: si = value * scale + offset.
struct Unit {
  std::string_view name, dimension;
  double scale, offset;
};

constexpr Unit kUnits[] = {
    {"K", "temperature", 1, 0},        {"C", "temperature", 1, 273.15},
    {"degC", "temperature", 1, 273.15}, {"F", "temperature", 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0},
    {"degF", "temperature", 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0},
    {"Pa", "pressure", 1, 0},          {"kPa", "pressure", 1e3, 0},
    {"MPa", "pressure", 1e6, 0},       {"bar", "pressure", 1e5, 0},
    {"mbar", "pressure", 100, 0},      {"psi", "pressure", 6894.757293168361, 0},
    {"atm", "pressure", 101325, 0},
    {"m", "length", 1, 0},             {"mm", "length", 1e-3, 0},
    {"cm", "length", 1e-2, 0},         {"km", "length", 1e3, 0},
    {"in", "length", 0.0254, 0},       {"ft", "length", 0.3048, 0},
    {"m/s", "speed", 1, 0},            {"km/h", "speed", 1 / 3.6, 0},
    {"mph", "speed", 0.44704, 0},      {"m3/s", "flow", 1, 0},
    {"m3/h", "flow", 1 / 3600.0, 0},   {"l/s", "flow", 1e-3, 0},
    {"l/min", "flow", 1e-3 / 60, 0},   {"gpm", "flow", 3.785411784e-3 / 60, 0},
    {"W", "power", 1, 0},              {"kW", "power", 1e3, 0},
    {"MW", "power", 1e6, 0},           {"hp", "power", 745.6998715822702, 0},
    {"J", "energy", 1, 0},             {"kJ", "energy", 1e3, 0},
    {"Wh", "energy", 3600, 0},         {"kWh", "energy", 3.6e6, 0},
    {"kg", "mass", 1, 0},              {"g", "mass", 1e-3, 0},
    {"t", "mass", 1e3, 0},             {"lb", "mass", 0.45359237, 0},
    {"s", "time", 1, 0},               {"ms", "time", 1e-3, 0},
    {"min", "time", 60, 0},            {"h", "time", 3600, 0},
    {"Hz", "frequency", 1, 0},         {"rpm", "frequency", 1 / 60.0, 0},
    {"V", "voltage", 1, 0},            {"mV", "voltage", 1e-3, 0},
    {"kV", "voltage", 1e3, 0},         {"A", "current", 1, 0},
    {"mA", "current", 1e-3, 0},        {"m/s2", "acceleration", 1, 0},
    {"g0", "acceleration", 9.80665, 0},
};

const Unit* find(std::string_view name) {
  for (const Unit& u : kUnits) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

}  // namespace

Result<Conversion> conversion(std::string_view from, std::string_view to) {
  const Unit* a = find(from);
  if (a == nullptr) return make_error(Errc::invalid_argument, "unknown unit '" + std::string(from) + "'");
  const Unit* b = find(to);
  if (b == nullptr) return make_error(Errc::invalid_argument, "unknown unit '" + std::string(to) + "'");
  if (a->dimension != b->dimension) {
    return make_error(Errc::invalid_argument,
                      "cannot convert " + std::string(a->dimension) + " (" + std::string(from) +
                          ") to " + std::string(b->dimension) + " (" + std::string(to) + ")");
  }
  // to = (from * sa + oa - ob) / sb
  return Conversion{a->scale / b->scale, (a->offset - b->offset) / b->scale};
}

}  // namespace iotwins::analytics
