// Window aggregates: tumbling (fixed, epoch-aligned windows; one result per window, stamped with
// the window's end) and sliding (the last window_s seconds, a result at every sample). Results
// are new properties named <property>_<aggregate>; the inputs are consumed.
// Aggregates: mean, min, max, sum, count, first, last, stddev (sample standard deviation, 0 for
// one value).
#include <cmath>
#include <deque>

#include "analytics/ops_common.h"

namespace iotwins::analytics::ops {
namespace {

enum class Agg { mean, min, max, sum, count, first, last, stddev };
constexpr std::pair<std::string_view, Agg> kAggs[] = {
    {"mean", Agg::mean},   {"min", Agg::min},     {"max", Agg::max},   {"sum", Agg::sum},
    {"count", Agg::count}, {"first", Agg::first}, {"last", Agg::last}, {"stddev", Agg::stddev}};

struct AggSpec {
  std::vector<Agg> aggs;
  std::vector<std::string> suffixes;
};

Result<AggSpec> parse_aggs(const Params& p) {
  IOT_ASSIGN(auto names, p.strings("aggregates"));
  if (names.empty()) names = {"mean"};
  AggSpec spec;
  for (const auto& n : names) {
    bool found = false;
    for (const auto& [name, agg] : kAggs) {
      if (name == n) {
        spec.aggs.push_back(agg);
        spec.suffixes.push_back("_" + n);
        found = true;
      }
    }
    if (!found) {
      return p.error("aggregates", "unknown aggregate '" + n +
                                       "' (one of: mean, min, max, sum, count, first, last, stddev)");
    }
  }
  return spec;
}

// Values of one window, summarised.
struct Summary {
  long long count = 0;
  double sum = 0, mean = 0, m2 = 0, min = 0, max = 0, first = 0, last = 0;

  void add(double v) {
    if (count == 0) min = max = first = v;
    ++count;
    sum += v;
    const double delta = v - mean;  // Welford: stable variance
    mean += delta / static_cast<double>(count);
    m2 += delta * (v - mean);
    min = std::min(min, v);
    max = std::max(max, v);
    last = v;
  }
  double get(Agg a) const {
    switch (a) {
      case Agg::mean: return mean;
      case Agg::min: return min;
      case Agg::max: return max;
      case Agg::sum: return sum;
      case Agg::count: return static_cast<double>(count);
      case Agg::first: return first;
      case Agg::last: return last;
      case Agg::stddev: return count > 1 ? std::sqrt(m2 / static_cast<double>(count - 1)) : 0.0;
    }
    return 0;
  }
};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

class Tumbling final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Tumbling>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "window_s", "aggregates"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("window_s")) return p.error("window_s", "is required");
    IOT_ASSIGN(int64_t window, duration_ns(p, "window_s", 1));
    IOT_ASSIGN(AggSpec spec, parse_aggs(p));
    return std::make_unique<Tumbling>(std::move(sel), window, std::move(spec));
  }
  Tumbling(Selector s, int64_t window, AggSpec spec)
      : SelectiveOperator(std::move(s)), window_(window), spec_(std::move(spec)) {}
  std::string_view type() const override { return "tumbling"; }

  void advance(int64_t now_ns, std::vector<Sample>& out) override {
    state_.for_each([&](const std::string&, State& st) {
      if (st.active && (st.index + 1) * window_ <= now_ns) close(st, out);
    });
  }

 private:
  struct State {
    bool active = false;
    bool seen = false;
    int64_t index = 0;  // window [index * W, (index + 1) * W)
    std::string twin, property;
    Summary summary;
  };
  void close(State& st, std::vector<Sample>& out) {
    const int64_t end = (st.index + 1) * window_;
    for (size_t i = 0; i < spec_.aggs.size(); ++i) {
      out.push_back(Sample{st.twin, st.property + spec_.suffixes[i], end, st.summary.get(spec_.aggs[i])});
    }
    st.active = false;
    st.summary = Summary{};
  }
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    const int64_t index = floor_div(in.ts_ns, window_);
    if (st.active && index < st.index) return;  // late: its window has moved on
    if (st.active && index > st.index) close(st, out);
    if (!st.active) {
      // A window already closed (by advance) must not reopen for a late sample.
      if (st.seen && index <= st.index) return;
      st.seen = true;
      st.twin = in.twin;
      st.property = in.property;
      st.active = true;
      st.index = index;
    }
    st.summary.add(in.value);
  }
  int64_t window_;
  AggSpec spec_;
  PerSeries<State> state_;
};

class Sliding final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Sliding>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "window_s", "aggregates"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (!p.has("window_s")) return p.error("window_s", "is required");
    IOT_ASSIGN(int64_t window, duration_ns(p, "window_s", 1));
    IOT_ASSIGN(AggSpec spec, parse_aggs(p));
    return std::make_unique<Sliding>(std::move(sel), window, std::move(spec));
  }
  Sliding(Selector s, int64_t window, AggSpec spec)
      : SelectiveOperator(std::move(s)), window_(window), spec_(std::move(spec)) {}
  std::string_view type() const override { return "sliding"; }

 private:
  static constexpr size_t kMaxPoints = 1 << 20;  // bounds memory for a very dense series
  struct Point {
    int64_t ts;
    double v;
  };
  struct State {
    std::deque<Point> points;           // the window, in time order
    std::deque<Point> mins, maxs;       // monotonic queues: front is the window's min / max
    // Sums of (v - shift) and its square: shifting by a value of the series keeps the variance
    // from cancelling catastrophically when values are large and vary little.
    double shift = 0, sum = 0, sumsq = 0;
    int since_resum = 0;
  };
  void handle(const Sample& in, std::vector<Sample>& out) override {
    State& st = state_.at(in);
    if (!st.points.empty() && in.ts_ns < st.points.back().ts) return;  // late
    if (st.points.empty()) st.shift = in.value;
    st.points.push_back({in.ts_ns, in.value});
    const double x = in.value - st.shift;
    st.sum += x;
    st.sumsq += x * x;
    while (!st.mins.empty() && st.mins.back().v >= in.value) st.mins.pop_back();
    st.mins.push_back({in.ts_ns, in.value});
    while (!st.maxs.empty() && st.maxs.back().v <= in.value) st.maxs.pop_back();
    st.maxs.push_back({in.ts_ns, in.value});
    // The window is (t - W, t].
    while (st.points.front().ts <= in.ts_ns - window_ || st.points.size() > kMaxPoints) {
      const Point old = st.points.front();
      st.points.pop_front();
      st.sum -= old.v - st.shift;
      st.sumsq -= (old.v - st.shift) * (old.v - st.shift);
      if (st.mins.front().ts <= old.ts) st.mins.pop_front();
      if (st.maxs.front().ts <= old.ts) st.maxs.pop_front();
    }
    if (++st.since_resum >= 4096) {  // keep rounding in the running sums bounded
      st.sum = st.sumsq = 0;
      for (const Point& p : st.points) {
        st.sum += p.v - st.shift;
        st.sumsq += (p.v - st.shift) * (p.v - st.shift);
      }
      st.since_resum = 0;
    }
    const double n = static_cast<double>(st.points.size());
    const double shifted_mean = st.sum / n;
    const double mean = st.shift + shifted_mean;
    for (size_t i = 0; i < spec_.aggs.size(); ++i) {
      double v = 0;
      switch (spec_.aggs[i]) {
        case Agg::mean: v = mean; break;
        case Agg::min: v = st.mins.front().v; break;
        case Agg::max: v = st.maxs.front().v; break;
        case Agg::sum: v = st.sum + n * st.shift; break;
        case Agg::count: v = n; break;
        case Agg::first: v = st.points.front().v; break;
        case Agg::last: v = st.points.back().v; break;
        case Agg::stddev: {
          double var = n > 1 ? (st.sumsq - n * shifted_mean * shifted_mean) / (n - 1) : 0.0;
          v = std::sqrt(std::max(0.0, var));
          break;
        }
      }
      out.push_back(Sample{in.twin, in.property + spec_.suffixes[i], in.ts_ns, v});
    }
  }
  int64_t window_;
  AggSpec spec_;
  PerSeries<State> state_;
};

}  // namespace

void register_windows(OperatorRegistry& r) {
  (void)r.add("tumbling", factory<Tumbling>());
  (void)r.add("sliding", factory<Sliding>());
}

}  // namespace iotwins::analytics::ops
