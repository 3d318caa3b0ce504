// Filters: validity, range, deadband, rate_limit. They pass a sample unchanged or drop it
// (range may clamp it instead).
#include <cmath>
#include <limits>

#include "analytics/ops_common.h"

namespace iotwins::analytics::ops {
namespace {

// validity: drops NaN and infinite values and, with `monotonic` (default true), samples whose
// time is not after the previous accepted sample of the same series (duplicates, reordering).
class Validity final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Validity>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "monotonic"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    IOT_ASSIGN(bool monotonic, p.boolean("monotonic", true));
    return std::make_unique<Validity>(std::move(sel), monotonic);
  }
  Validity(Selector s, bool monotonic) : SelectiveOperator(std::move(s)), monotonic_(monotonic) {}
  std::string_view type() const override { return "validity"; }

 private:
  struct State {
    bool seen = false;
    int64_t last_ts = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    if (!std::isfinite(in.value)) return;
    if (monotonic_) {
      State& st = state_.at(in);
      if (st.seen && in.ts_ns <= st.last_ts) return;
      st.seen = true;
      st.last_ts = in.ts_ns;
    }
    out.push_back(in);
  }
  bool monotonic_;
  PerSeries<State> state_;
};

// range: values outside [min, max] are dropped (action: drop) or clamped (action: clamp).
class Range final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Range>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "min", "max", "action"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("min") && !p.has("max")) return p.error("min", "min or max is required");
    IOT_ASSIGN(double lo, p.number("min", -std::numeric_limits<double>::infinity()));
    IOT_ASSIGN(double hi, p.number("max", std::numeric_limits<double>::infinity()));
    if (lo > hi) return p.error("min", "must not exceed max");
    IOT_ASSIGN(std::string action, p.choice("action", "drop", {"drop", "clamp"}));
    return std::make_unique<Range>(std::move(sel), lo, hi, action == "clamp");
  }
  Range(Selector s, double lo, double hi, bool clamp)
      : SelectiveOperator(std::move(s)), lo_(lo), hi_(hi), clamp_(clamp) {}
  std::string_view type() const override { return "range"; }

 private:
  void handle(const Sample& in, std::vector<Sample>& out) override {
    if (in.value >= lo_ && in.value <= hi_) {
      out.push_back(in);
    } else if (clamp_ && !std::isnan(in.value)) {
      out.push_back(in);
      out.back().value = std::clamp(in.value, lo_, hi_);
    }
  }
  double lo_, hi_;
  bool clamp_;
};

// deadband: emits a sample only when it differs from the last emitted value of its series by
// more than `band` (absolute) or `percent` % of that value; the first sample always passes, and
// with `max_silence_s` a sample passes anyway once that long has gone by since the last one.
class Deadband final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Deadband>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "band", "percent", "max_silence_s"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("band") && !p.has("percent")) return p.error("band", "band or percent is required");
    IOT_ASSIGN(double band, p.number_in("band", 0, 0, 1e300));
    IOT_ASSIGN(double percent, p.number_in("percent", 0, 0, 1e6));
    int64_t silence = 0;
    if (p.has("max_silence_s")) {
      IOT_ASSIGN(silence, duration_ns(p, "max_silence_s", 0));
    }
    return std::make_unique<Deadband>(std::move(sel), band, percent / 100.0, silence);
  }
  Deadband(Selector s, double band, double fraction, int64_t silence)
      : SelectiveOperator(std::move(s)), band_(band), fraction_(fraction), silence_(silence) {}
  std::string_view type() const override { return "deadband"; }

 private:
  struct State {
    bool seen = false;
    double value = 0;
    int64_t ts = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    const double limit = std::max(band_, fraction_ * std::abs(st.value));
    const bool pass = !st.seen || std::abs(in.value - st.value) > limit ||
                      (silence_ > 0 && in.ts_ns - st.ts >= silence_);
    if (!pass) return;
    st = {true, in.value, in.ts_ns};
    out.push_back(in);
  }
  double band_, fraction_;
  int64_t silence_;
  PerSeries<State> state_;
};

// rate_limit: at most one sample per `min_interval_s` per series; the first sample of an
// interval passes, the rest are dropped.
class RateLimit final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<RateLimit>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "min_interval_s"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("min_interval_s")) return p.error("min_interval_s", "is required");
    IOT_ASSIGN(int64_t interval, duration_ns(p, "min_interval_s", 1));
    return std::make_unique<RateLimit>(std::move(sel), interval);
  }
  RateLimit(Selector s, int64_t interval) : SelectiveOperator(std::move(s)), interval_(interval) {}
  std::string_view type() const override { return "rate_limit"; }

 private:
  struct State {
    bool seen = false;
    int64_t ts = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    if (st.seen && in.ts_ns - st.ts < interval_) return;
    st = {true, in.ts_ns};
    out.push_back(in);
  }
  int64_t interval_;
  PerSeries<State> state_;
};

}  // namespace

void register_filters(OperatorRegistry& r) {
  (void)r.add("validity", factory<Validity>());
  (void)r.add("range", factory<Range>());
  (void)r.add("deadband", factory<Deadband>());
  (void)r.add("rate_limit", factory<RateLimit>());
}

}  // namespace iotwins::analytics::ops
