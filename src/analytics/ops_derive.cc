// Derivations: unit (conversion), expression (a new property computed from several), and
// threshold (alerts with hysteresis).
#include <cmath>
#include <unordered_map>

#include "analytics/expr.h"
#include "analytics/ops_common.h"
#include "analytics/units.h"

namespace iotwins::analytics::ops {
namespace {

// unit: converts values `from` one unit `to` another (named units), or by `scale` and `offset`
// (value * scale + offset). With `suffix` the converted value is a new property beside the
// original.
class Unit final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Unit>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "from", "to", "scale", "offset", "suffix"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    Conversion c;
    const bool named = p.has("from") || p.has("to");
    if (named == (p.has("scale") || p.has("offset"))) {
      return p.error("from", "give either from and to, or scale and offset");
    }
    if (named) {
      IOT_ASSIGN(std::string from, p.string("from"));
      IOT_ASSIGN(std::string to, p.string("to"));
      auto conv = conversion(from, to);
      if (!conv) return p.error("to", conv.error().message());
      c = *conv;
    } else {
      IOT_ASSIGN(c.scale, p.number("scale", 1));
      IOT_ASSIGN(c.offset, p.number("offset", 0));
    }
    IOT_ASSIGN(std::string suffix, p.string("suffix", ""));
    return std::make_unique<Unit>(std::move(sel), c, std::move(suffix));
  }
  Unit(Selector s, Conversion c, std::string suffix)
      : SelectiveOperator(std::move(s)), conv_(c), suffix_(std::move(suffix)) {}
  std::string_view type() const override { return "unit"; }

 private:
  void handle(const Sample& in, std::vector<Sample>& out) override {
    if (!suffix_.empty()) out.push_back(in);
    out.push_back(in);
    out.back().value = conv_.apply(in.value);
    out.back().property += suffix_;
  }
  Conversion conv_;
  std::string suffix_;
};

// expression: `output` = `expr` over the latest value of each property it names, per twin.
// Evaluated whenever one of those properties arrives and all have been seen; the result takes
// the arriving sample's time. Inputs pass through; a non-finite result (0/0, log of a negative)
// is not emitted.
class ExpressionOp final : public Operator {
 public:
  static Result<std::unique_ptr<ExpressionOp>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "output", "expr"}));
    IOT_ASSIGN(std::string output, p.string("output"));
    if (output.empty()) return p.error("output", "must not be empty");
    IOT_ASSIGN(std::string text, p.string("expr"));
    auto expr = Expression::parse(text);
    if (!expr) return p.error("expr", expr.error().message());
    if (expr->variables().empty()) return p.error("expr", "names no property");
    for (const auto& v : expr->variables()) {
      if (v == output) return p.error("output", "the expression reads its own output '" + v + "'");
    }
    return std::make_unique<ExpressionOp>(std::move(output), std::move(*expr));
  }
  ExpressionOp(std::string output, Expression expr) : output_(std::move(output)), expr_(std::move(expr)) {
    for (size_t i = 0; i < expr_.variables().size(); ++i) slot_[expr_.variables()[i]] = i;
  }
  std::string_view type() const override { return "expression"; }

  void process(const Sample& in, std::vector<Sample>& out) override {
    out.push_back(in);
    auto it = slot_.find(in.property);
    if (it == slot_.end()) return;
    TwinState& st = twins_[in.twin];
    if (st.values.empty()) {
      st.values.assign(slot_.size(), 0.0);
      st.seen.assign(slot_.size(), false);
    }
    if (!st.seen[it->second]) {
      st.seen[it->second] = true;
      ++st.known;
    }
    st.values[it->second] = in.value;
    if (st.known < slot_.size()) return;
    const double v = expr_.evaluate(st.values);
    if (std::isfinite(v)) out.push_back(Sample{in.twin, output_, in.ts_ns, v});
  }

 private:
  struct TwinState {
    std::vector<double> values;
    std::vector<bool> seen;
    size_t known = 0;
  };
  std::string output_;
  Expression expr_;
  std::unordered_map<std::string, size_t> slot_;
  std::unordered_map<std::string, TwinState> twins_;
};

// threshold: an alert with hysteresis. With `high` the alert rises when the value goes above
// `high` and clears only when it falls below `clear` (<= high; default high). With `low`, the
// mirror image (rises below `low`, clears above `clear`). On every change of state it emits
// <property><suffix> (default "_alert") = 1 (raised) or 0 (cleared); inputs pass through.
class Threshold final : public SelectiveOperator {
 public:
  static Result<std::unique_ptr<Threshold>> create(const Params& p) {
    IOT_TRY(p.check_known({"type", "properties", "high", "low", "clear", "suffix"}));
    IOT_ASSIGN(Selector sel, Selector::from(p));
    if (p.has("high") == p.has("low")) return p.error("high", "give exactly one of high and low");
    const bool upper = p.has("high");
    IOT_ASSIGN(double limit, p.number(upper ? "high" : "low"));
    IOT_ASSIGN(double clear, p.number("clear", limit));
    if (upper ? clear > limit : clear < limit) {
      return p.error("clear", upper ? "must not exceed high" : "must not be below low");
    }
    IOT_ASSIGN(std::string suffix, p.string("suffix", "_alert"));
    if (suffix.empty()) return p.error("suffix", "must not be empty");
    return std::make_unique<Threshold>(std::move(sel), upper, limit, clear, std::move(suffix));
  }
  Threshold(Selector s, bool upper, double limit, double clear, std::string suffix)
      : SelectiveOperator(std::move(s)), upper_(upper), limit_(limit), clear_(clear),
        suffix_(std::move(suffix)) {}
  std::string_view type() const override { return "threshold"; }

 private:
  void handle(const Sample& in, std::vector<Sample>& out) override {
    out.push_back(in);
    bool& raised = state_.at(in);
    const double v = in.value;
    const bool rise = upper_ ? v > limit_ : v < limit_;
    const bool fall = upper_ ? v < clear_ : v > clear_;
    if (!raised && rise) {
      raised = true;
      out.push_back(Sample{in.twin, in.property + suffix_, in.ts_ns, 1.0});
    } else if (raised && fall) {
      raised = false;
      out.push_back(Sample{in.twin, in.property + suffix_, in.ts_ns, 0.0});
    }
  }
  bool upper_;
  double limit_, clear_;
  std::string suffix_;
  PerSeries<bool> state_;
};

}  // namespace

void register_derivations(OperatorRegistry& r) {
  (void)r.add("unit", factory<Unit>());
  (void)r.add("expression", factory<ExpressionOp>());
  (void)r.add("threshold", factory<Threshold>());
}

}  // namespace iotwins::analytics::ops
