// Smoothers and resampling: moving_mean, moving_median, ewma, resample. With `suffix` the
// smoothed value is emitted as a new property (name + suffix) beside the original; without it
// the value is replaced in place.
#include <algorithm>
#include <cmath>
#include <deque>

#include "analytics/ops_common.h"

namespace iotwins::analytics::ops {
namespace {

void emit(const Sample& in, double value, const std::string& suffix, std::vector<Sample>& out) {
  if (!suffix.empty()) out.push_back(in);
  out.push_back(in);
  out.back().value = value;
  if (!suffix.empty()) out.back().property += suffix;
}

// moving_mean / moving_median over the last `window` samples of the series (fewer at the start).
class Moving final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Moving>> create(const Params& p, bool median) {
    IOT_TRY(p.check_known({"type", "properties", "window", "suffix"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("window")) return p.error("window", "is required");
    IOT_ASSIGN(int window, p.integer("window", 1, 1, 100000));
    IOT_ASSIGN(std::string suffix, p.string("suffix", ""));
    return std::make_unique<Moving>(std::move(sel), window, median, std::move(suffix));
  }
  Moving(Selector s, int window, bool median, std::string suffix)
      : SelectiveOperator(std::move(s)), window_(window), median_(median), suffix_(std::move(suffix)) {}
  std::string_view type() const override { return median_ ? "moving_median" : "moving_mean"; }

 private:
  struct State {
    std::deque<double> values;  // arrival order
    std::vector<double> sorted; // the same values, sorted (median only)
    double sum = 0;
    int since_resum = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    st.values.push_back(in.value);
    st.sum += in.value;
    if (median_) st.sorted.insert(std::upper_bound(st.sorted.begin(), st.sorted.end(), in.value), in.value);
    if (static_cast<int>(st.values.size()) > window_) {
      const double old = st.values.front();
      st.values.pop_front();
      st.sum -= old;
      if (median_) st.sorted.erase(std::lower_bound(st.sorted.begin(), st.sorted.end(), old));
    }
    // Re-add from scratch now and then so rounding in the running sum cannot accumulate.
    if (++st.since_resum >= 4096) {
      st.sum = 0;
      for (double v : st.values) st.sum += v;
      st.since_resum = 0;
    }
    double result;
    if (median_) {
      const size_t n = st.sorted.size();
      result = n % 2 ? st.sorted[n / 2] : 0.5 * (st.sorted[n / 2 - 1] + st.sorted[n / 2]);
    } else {
      result = st.sum / static_cast<double>(st.values.size());
    }
    emit(in, result, suffix_, out);
  }
  int window_;
  bool median_;
  std::string suffix_;
  PerSeries<State> state_;
};

// ewma: y = y + a (x - y), starting at the first value. Either a fixed `alpha` in (0, 1], or a
// `time_constant_s` tau for irregular sampling: a = 1 - exp(-dt / tau).
class Ewma final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Ewma>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "alpha", "time_constant_s", "suffix"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (p.has("alpha") == p.has("time_constant_s")) {
      return p.error("alpha", "give exactly one of alpha and time_constant_s");
    }
    double alpha = 0, tau = 0;
    if (p.has("alpha")) {
      IOT_ASSIGN(alpha, p.number("alpha"));
      if (!(alpha > 0 && alpha <= 1)) return p.error("alpha", "must be within (0, 1]");
    } else {
      IOT_ASSIGN(tau, p.number("time_constant_s"));
      if (!(tau > 0)) return p.error("time_constant_s", "must be positive");
    }
    IOT_ASSIGN(std::string suffix, p.string("suffix", ""));
    return std::make_unique<Ewma>(std::move(sel), alpha, tau * kNsPerSecond, std::move(suffix));
  }
  Ewma(Selector s, double alpha, double tau_ns, std::string suffix)
      : SelectiveOperator(std::move(s)), alpha_(alpha), tau_ns_(tau_ns), suffix_(std::move(suffix)) {}
  std::string_view type() const override { return "ewma"; }

 private:
  struct State {
    bool seen = false;
    double y = 0;
    int64_t ts = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    if (!st.seen) {
      st = {true, in.value, in.ts_ns};
    } else {
      const double dt = static_cast<double>(std::max<int64_t>(0, in.ts_ns - st.ts));
      const double a = alpha_ > 0 ? alpha_ : 1.0 - std::exp(-dt / tau_ns_);
      st.y += a * (in.value - st.y);
      st.ts = in.ts_ns;
    }
    emit(in, st.y, suffix_, out);
  }
  double alpha_, tau_ns_;
  std::string suffix_;
  PerSeries<State> state_;
};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// resample: turns each series into samples on the grid k * period_s (aligned to the epoch).
// A grid time is emitted once the first sample at or after it arrives, with the value held from
// the sample before it (method: hold) or interpolated between the two (method: linear). Gaps
// longer than `max_gap_s` (default 60 periods) are not filled. Late samples are dropped.
class Resample final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Resample>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "period_s", "method", "max_gap_s"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("period_s")) return p.error("period_s", "is required");
    IOT_ASSIGN(int64_t period, duration_ns(p, "period_s", 1));
    IOT_ASSIGN(std::string method, p.choice("method", "hold", {"hold", "linear"}));
    IOT_ASSIGN(double period_s, p.number("period_s"));
    IOT_ASSIGN(int64_t max_gap, duration_ns(p, "max_gap_s", 60 * period_s));
    if (max_gap / period > 1000000) return p.error("max_gap_s", "would fill more than 1e6 points");
    return std::make_unique<Resample>(std::move(sel), period, method == "linear", max_gap);
  }
  Resample(Selector s, int64_t period, bool linear, int64_t max_gap)
      : SelectiveOperator(std::move(s)), period_(period), linear_(linear), max_gap_(max_gap) {}
  std::string_view type() const override { return "resample"; }

 private:
  struct State {
    bool seen = false;
    int64_t ts = 0;
    double value = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    if (st.seen && in.ts_ns <= st.ts) return;
    if (!st.seen || in.ts_ns - st.ts > max_gap_) {
      if (floor_div(in.ts_ns, period_) * period_ == in.ts_ns) out.push_back(in);
    } else {
      for (int64_t g = (floor_div(st.ts, period_) + 1) * period_; g <= in.ts_ns; g += period_) {
        double v = in.value;
        if (g < in.ts_ns) {
          v = linear_ ? st.value + (in.value - st.value) * static_cast<double>(g - st.ts) /
                                       static_cast<double>(in.ts_ns - st.ts)
                      : st.value;
        }
        out.push_back(Sample{in.twin, in.property, g, v});
      }
    }
    st = {true, in.ts_ns, in.value};
  }
  int64_t period_;
  bool linear_;
  int64_t max_gap_;
  PerSeries<State> state_;
};

}  // namespace

void register_smoothers(OperatorRegistry& r) {
  (void)r.add("moving_mean", [](const Params& p) -> Result<std::unique_ptr<Operator>> {
    IOT_ASSIGN(auto op, Moving::create(p, false));
    return std::unique_ptr<Operator>(std::move(op));
  });
  (void)r.add("moving_median", [](const Params& p) -> Result<std::unique_ptr<Operator>> {
    IOT_ASSIGN(auto op, Moving::create(p, true));
    return std::unique_ptr<Operator>(std::move(op));
  });
  (void)r.add("ewma", factory<Ewma>());
  (void)r.add("resample", factory<Resample>());
}

}  // namespace iotwins::analytics::ops
