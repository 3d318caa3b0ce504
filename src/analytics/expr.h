// Expression: a small, safe formula over named values, for derived properties and conditions,
// e.g. `Current * Voltage / 1000` or `abs(pressure - 2.5) > 0.3 and not (flow < 1)`.
//   numbers, names ([A-Za-z_][A-Za-z0-9_.]* or any text in backquotes: `Volume Flow`),
//   + - * / % ^ (power, right-associative), unary -, comparisons < <= > >= == !=,
//   and / or / not (also && || !), parentheses, functions abs min max sqrt exp log.
// Truth values are 1 and 0; a value is true when it is not 0. Parsing compiles to a postfix
// program evaluated on a fixed-size stack: no recursion, no allocation per evaluation.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::analytics {

class Expression {
 public:
  static constexpr size_t kMaxLength = 4096;
  static constexpr int kMaxDepth = 64;

  // Errors say what is wrong and at which 1-based column.
  static Result<Expression> parse(std::string_view text);

  // The names the expression reads, in first-use order; evaluate() takes values in this order.
  const std::vector<std::string>& variables() const { return variables_; }
  double evaluate(std::span<const double> values) const;
  const std::string& text() const { return text_; }

 private:
  enum class Op : uint8_t {
    constant, variable, neg, add, sub, mul, div, mod, pow, lt, le, gt, ge, eq, ne, land, lor,
    lnot, abs, sqrt, exp, log, min2, max2
  };
  struct Instr {
    Op op;
    double value = 0;  // constant
    int index = 0;     // variable
  };
  friend class ExpressionParser;

  std::string text_;
  std::vector<std::string> variables_;
  std::vector<Instr> program_;
  size_t max_stack_ = 0;
};

}  // namespace iotwins::analytics
