#include "analytics/expr.h"

#include <charconv>
#include <cmath>

namespace iotwins::analytics {

// Recursive descent with a depth limit; emits postfix instructions as it goes.
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) : s_(text) {}

  Result<Expression> run() {
    out_.text_ = std::string(s_);
    IOT_TRY(parse_or(0));
    skip_space();
    if (pos_ < s_.size()) return fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    // Stack depth of the program, computed once so evaluate() can use a fixed array.
    long depth = 0, max_depth = 0;
    for (const auto& i : out_.program_) {
      depth += effect(i.op);
      max_depth = std::max(max_depth, depth);
    }
    out_.max_stack_ = static_cast<size_t>(max_depth);
    return std::move(out_);
  }

 private:
  using Op = Expression::Op;

  static int effect(Op op) {
    switch (op) {
      case Op::constant: case Op::variable: return 1;
      case Op::neg: case Op::lnot: case Op::abs: case Op::sqrt: case Op::exp: case Op::log: return 0;
      default: return -1;
    }
  }

  std::unexpected<Error> fail(const std::string& what) const {
    return make_error(Errc::invalid_argument,
                      "expression: column " + std::to_string(pos_ + 1) + ": " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool eat(std::string_view tok) {
    skip_space();
    if (s_.substr(pos_, tok.size()) != tok) return false;
    // A word operator must not be the start of a longer name ("order" is not "or").
    if (std::isalpha(static_cast<unsigned char>(tok[0])) && pos_ + tok.size() < s_.size()) {
      char next = s_[pos_ + tok.size()];
      if (std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == '.') return false;
    }
    pos_ += tok.size();
    return true;
  }
  void emit(Op op) { out_.program_.push_back({op}); }

  Status enter(int depth) {
    if (depth > Expression::kMaxDepth) return fail("expression nests too deeply");
    return ok();
  }

  Status parse_or(int depth) {
    IOT_TRY(enter(depth));
    IOT_TRY(parse_and(depth + 1));
    while (eat("or") || eat("||")) {
      IOT_TRY(parse_and(depth + 1));
      emit(Op::lor);
    }
    return ok();
  }
  Status parse_and(int depth) {
    IOT_TRY(parse_not(depth + 1));
    while (eat("and") || eat("&&")) {
      IOT_TRY(parse_not(depth + 1));
      emit(Op::land);
    }
    return ok();
  }
  Status parse_not(int depth) {
    IOT_TRY(enter(depth));
    skip_space();
    if (eat("not") || (pos_ < s_.size() && s_[pos_] == '!' && s_.substr(pos_, 2) != "!=" && eat("!"))) {
      IOT_TRY(parse_not(depth + 1));
      emit(Op::lnot);
      return ok();
    }
    return parse_cmp(depth + 1);
  }
  Status parse_cmp(int depth) {
    IOT_TRY(parse_add(depth + 1));
    static const std::pair<std::string_view, Op> kOps[] = {{"<=", Op::le}, {">=", Op::ge},
                                                           {"==", Op::eq}, {"!=", Op::ne},
                                                           {"<", Op::lt},  {">", Op::gt}};
    for (const auto& [tok, op] : kOps) {
      if (eat(tok)) {
        IOT_TRY(parse_add(depth + 1));
        emit(op);
        skip_space();
        if (pos_ < s_.size() && (s_[pos_] == '<' || s_[pos_] == '>' || s_.substr(pos_, 2) == "==" ||
                                 s_.substr(pos_, 2) == "!=")) {
          return fail("comparisons do not chain; use 'and'");
        }
        break;
      }
    }
    return ok();
  }
  Status parse_add(int depth) {
    IOT_TRY(parse_mul(depth + 1));
    while (true) {
      if (eat("+")) {
        IOT_TRY(parse_mul(depth + 1));
        emit(Op::add);
      } else if (eat("-")) {
        IOT_TRY(parse_mul(depth + 1));
        emit(Op::sub);
      } else {
        return ok();
      }
    }
  }
  Status parse_mul(int depth) {
    IOT_TRY(parse_unary(depth + 1));
    while (true) {
      Op op;
      if (eat("*")) op = Op::mul;
      else if (eat("/")) op = Op::div;
      else if (eat("%")) op = Op::mod;
      else return ok();
      IOT_TRY(parse_unary(depth + 1));
      emit(op);
    }
  }
  Status parse_unary(int depth) {
    IOT_TRY(enter(depth));
    if (eat("-")) {
      IOT_TRY(parse_unary(depth + 1));
      emit(Op::neg);
      return ok();
    }
    if (eat("+")) return parse_unary(depth + 1);
    IOT_TRY(parse_primary(depth + 1));
    if (eat("^")) {
      IOT_TRY(parse_unary(depth + 1));  // right-associative: 2^3^2 = 2^(3^2)
      emit(Op::pow);
    }
    return ok();
  }
  Status parse_primary(int depth) {
    IOT_TRY(enter(depth));
    skip_space();
    if (pos_ >= s_.size()) return fail("expected a value, found the end");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      IOT_TRY(parse_or(depth + 1));
      if (!eat(")")) return fail("expected ')'");
      return ok();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      double v = 0;
      auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
      if (ec != std::errc()) return fail("malformed number");
      pos_ = static_cast<size_t>(p - s_.data());
      out_.program_.push_back({Op::constant, v});
      return ok();
    }
    std::string name;
    if (c == '`') {
      size_t end = s_.find('`', pos_ + 1);
      if (end == std::string_view::npos) return fail("unterminated `name`");
      name = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
      if (name.empty()) return fail("empty `name`");
      pos_ = end + 1;
      return variable(name);
    }
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_')) {
      return fail("unexpected '" + std::string(1, c) + "'");
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '_' || s_[pos_] == '.')) {
      ++pos_;
    }
    name = std::string(s_.substr(start, pos_ - start));
    if (name == "and" || name == "or" || name == "not") {
      pos_ = start;
      return fail("expected a value, found '" + name + "'");
    }
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '(') return call(name, start, depth);
    return variable(name);
  }
  Status variable(const std::string& name) {
    auto& vars = out_.variables_;
    int index = 0;
    while (index < static_cast<int>(vars.size()) && vars[index] != name) ++index;
    if (index == static_cast<int>(vars.size())) vars.push_back(name);
    out_.program_.push_back({Op::variable, 0, index});
    return ok();
  }
  Status call(const std::string& name, size_t start, int depth) {
    ++pos_;  // '('
    int args = 0;
    skip_space();
    if (!eat(")")) {
      do {
        IOT_TRY(parse_or(depth + 1));
        ++args;
      } while (eat(","));
      if (!eat(")")) return fail("expected ',' or ')' in the call of " + name);
    }
    auto arity = [&](int want) -> Status {
      if (args != want) {
        pos_ = start;
        return fail(name + " takes " + std::to_string(want) + " argument" + (want == 1 ? "" : "s") +
                    ", got " + std::to_string(args));
      }
      return ok();
    };
    static const std::pair<std::string_view, Op> kUnary[] = {
        {"abs", Op::abs}, {"sqrt", Op::sqrt}, {"exp", Op::exp}, {"log", Op::log}};
    for (const auto& [fn, op] : kUnary) {
      if (name == fn) {
        IOT_TRY(arity(1));
        emit(op);
        return ok();
      }
    }
    if (name == "min" || name == "max") {
      if (args < 2) {
        pos_ = start;
        return fail(name + " takes at least 2 arguments, got " + std::to_string(args));
      }
      for (int i = 1; i < args; ++i) emit(name == "min" ? Op::min2 : Op::max2);
      return ok();
    }
    pos_ = start;
    return fail("unknown function '" + name + "' (known: abs, min, max, sqrt, exp, log)");
  }

  std::string_view s_;
  size_t pos_ = 0;
  Expression out_;
};

Result<Expression> Expression::parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return make_error(Errc::too_large, "expression: longer than " + std::to_string(kMaxLength) +
                                           " characters");
  }
  return ExpressionParser(text).run();
}

double Expression::evaluate(std::span<const double> values) const {
  constexpr size_t kInline = 64;
  double inline_stack[kInline];
  std::vector<double> heap;
  double* st = inline_stack;
  if (max_stack_ > kInline) {
    heap.resize(max_stack_);
    st = heap.data();
  }
  size_t sp = 0;
  for (const Instr& i : program_) {
    switch (i.op) {
      case Op::constant: st[sp++] = i.value; break;
      case Op::variable:
        st[sp++] = static_cast<size_t>(i.index) < values.size() ? values[i.index] : std::nan("");
        break;
      case Op::neg: st[sp - 1] = -st[sp - 1]; break;
      case Op::lnot: st[sp - 1] = st[sp - 1] == 0 ? 1 : 0; break;
      case Op::abs: st[sp - 1] = std::abs(st[sp - 1]); break;
      case Op::sqrt: st[sp - 1] = std::sqrt(st[sp - 1]); break;
      case Op::exp: st[sp - 1] = std::exp(st[sp - 1]); break;
      case Op::log: st[sp - 1] = std::log(st[sp - 1]); break;
      default: {
        const double b = st[--sp];
        double& a = st[sp - 1];
        switch (i.op) {
          case Op::add: a = a + b; break;
          case Op::sub: a = a - b; break;
          case Op::mul: a = a * b; break;
          case Op::div: a = a / b; break;
          case Op::mod: a = std::fmod(a, b); break;
          case Op::pow: a = std::pow(a, b); break;
          case Op::lt: a = a < b; break;
          case Op::le: a = a <= b; break;
          case Op::gt: a = a > b; break;
          case Op::ge: a = a >= b; break;
          case Op::eq: a = a == b; break;
          case Op::ne: a = a != b; break;
          case Op::land: a = (a != 0) && (b != 0); break;
          case Op::lor: a = (a != 0) || (b != 0); break;
          case Op::min2: a = std::min(a, b); break;
          case Op::max2: a = std::max(a, b); break;
          default: break;
        }
      }
    }
  }
  return sp == 1 ? st[0] : std::nan("");
}

}  // namespace iotwins::analytics
