// Shared pieces of the built-in operators (private to src/analytics).
#pragma once

#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "analytics/operator.h"

namespace iotwins::analytics::ops {

// Which properties an operator applies to: `properties` (empty = all).
class Selector {
 public:
  static Result<Selector> from(const Params& p) {
    IOT_ASSIGN(auto names, p.strings("properties"));
    Selector s;
    s.names_ = std::move(names);
    return s;
  }
  bool matches(const std::string& property) const {
    if (names_.empty()) return true;
    for (const auto& n : names_) {
      if (n == property) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> names_;
};

// Per-series (twin, property) state of an operator.
template <class State>
class PerSeries {
 public:
  State& at(const Sample& s) {
    key_.assign(s.twin);
    key_.push_back('\x1f');  // unit separator: cannot occur in twin ids
    key_.append(s.property);
    return map_[key_];
  }
  template <class F>
  void for_each(F&& f) {
    for (auto& [k, v] : map_) f(k, v);
  }

 private:
  std::string key_;
  std::unordered_map<std::string, State> map_;
};

// Base for operators that transform matching samples and pass the others through.
class SelectiveOperator : public Operator {
 public:
  explicit SelectiveOperator(Selector selector) : selector_(std::move(selector)) {}
  void process(const Sample& in, std::vector<Sample>& out) final {
    if (selector_.matches(in.property)) {
      // A non-finite value carries no measurement, and would poison running state (a NaN
      // deadband reference or a NaN in a sorted median window), so it stops here.
      if (std::isfinite(in.value)) handle(in, out);
    } else {
      out.push_back(in);
    }
  }

 protected:
  virtual void handle(const Sample& in, std::vector<Sample>& out) = 0;

 private:
  Selector selector_;
};

constexpr double kNsPerSecond = 1e9;

// Seconds option as nanoseconds, > 0.
inline Result<int64_t> duration_ns(const Params& p, std::string_view key, double fallback_s) {
  IOT_ASSIGN(double s, p.number(key, fallback_s));
  if (!(s > 0) || s > 1e9) return p.error(key, "must be a positive number of seconds");
  return static_cast<int64_t>(s * kNsPerSecond + 0.5);
}

// Registration of each family of operators.
void register_filters(OperatorRegistry& r);
void register_smoothers(OperatorRegistry& r);
void register_windows(OperatorRegistry& r);
void register_derivations(OperatorRegistry& r);

template <class T>
OperatorRegistry::Factory factory() {
  return [](const Params& p) -> Result<std::unique_ptr<Operator>> {
    IOT_ASSIGN(auto op, T::create(p));
    return std::unique_ptr<Operator>(std::move(op));
  };
}

}  // namespace iotwins::analytics::ops
