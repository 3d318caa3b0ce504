// Tokens of the twin query language. A field path is one token (`reported.a.0."odd key"`), so
// path segments may start with digits without clashing with numbers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::twin::query_detail {

enum class Tok {
  end,
  word,      // identifier or keyword, possibly a dotted path: segments holds the parts
  string,    // text holds the decoded value
  number,    // text holds the spelling
  lparen, rparen, lbracket, rbracket, comma,
  eq, ne, lt, le, gt, ge,
};

struct Token {
  Tok kind = Tok::end;
  std::string text;                   // word: first segment; string: decoded; number: spelling
  std::vector<std::string> segments;  // word: every segment, first included
  std::size_t column = 1;             // 1-based byte column of the first character
};

// Splits the whole query into tokens (ending with Tok::end) or says what is wrong and where.
Result<std::vector<Token>> tokenize(std::string_view text);

// "column 7: ..." errors.
std::unexpected<Error> error_at(std::size_t column, std::string message);

}  // namespace iotwins::twin::query_detail
