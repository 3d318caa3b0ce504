// The twin filter language: `model == "Pump" and reported.temperature > 80 and under("line-2")`.
// Compiled once (lexer + recursive-descent parser, errors with the column), then evaluated fast
// against many documents. Grammar and semantics: docs/twins.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "twin/document.h"

namespace iotwins::twin {

namespace query_detail {
struct Program;
}

// under("x") asks this: is twin `id` a strict descendant of twin `ancestor`? Hierarchy::is_under
// fits; without one, under() is false.
using UnderFn = std::function<bool(std::string_view id, std::string_view ancestor)>;

inline constexpr std::size_t kMaxQueryBytes = 4096;
inline constexpr int kMaxQueryNesting = 32;

class Query {
 public:
  // Parses `text`; the empty text matches every twin. Errors are invalid_argument and start with
  // "column N:" (1-based byte column).
  static Result<Query> compile(std::string_view text);

  bool matches(const TwinDocument& doc, const UnderFn& under = {}) const;
  const std::string& text() const { return text_; }

 private:
  Query(std::string text, std::shared_ptr<const query_detail::Program> program);

  std::string text_;
  // Immutable once compiled, so copies share it and it may be evaluated from many threads.
  std::shared_ptr<const query_detail::Program> program_;
};

}  // namespace iotwins::twin
