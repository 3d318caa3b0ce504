#include "twin/query_lexer.h"

namespace iotwins::twin::query_detail {
namespace {

bool word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool word_char(char c) { return word_start(c) || (c >= '0' && c <= '9') || c == '-'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                     text_[pos_] == '\n' || text_[pos_] == '\r')) {
        ++pos_;
      }
      Token t;
      t.column = pos_ + 1;
      if (pos_ == text_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      IOT_TRY(next(t));
      out.push_back(std::move(t));
    }
  }

 private:
  Status next(Token& t) {
    const char c = text_[pos_];
    auto two = [&](char second) { return pos_ + 1 < text_.size() && text_[pos_ + 1] == second; };
    switch (c) {
      case '(': t.kind = Tok::lparen; ++pos_; return ok();
      case ')': t.kind = Tok::rparen; ++pos_; return ok();
      case '[': t.kind = Tok::lbracket; ++pos_; return ok();
      case ']': t.kind = Tok::rbracket; ++pos_; return ok();
      case ',': t.kind = Tok::comma; ++pos_; return ok();
      case '=':
        if (!two('=')) return error_at(t.column, "'=' is not an operator; use '=='");
        t.kind = Tok::eq; pos_ += 2; return ok();
      case '!':
        if (!two('=')) return error_at(t.column, "'!' is not an operator; use 'not' or '!='");
        t.kind = Tok::ne; pos_ += 2; return ok();
      case '<':
        if (two('=')) { t.kind = Tok::le; pos_ += 2; } else { t.kind = Tok::lt; ++pos_; }
        return ok();
      case '>':
        if (two('=')) { t.kind = Tok::ge; pos_ += 2; } else { t.kind = Tok::gt; ++pos_; }
        return ok();
      case '"':
      case '\'':
        t.kind = Tok::string;
        return read_string(t.text);
      default: break;
    }
    if (digit(c) || c == '-' || c == '.') return read_number(t);
    if (word_start(c)) return read_word(t);
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return error_at(t.column, "unexpected byte 0x" + hex(static_cast<unsigned char>(c)));
    }
    return error_at(t.column, std::string("unexpected character '") + c + "'");
  }

  static std::string hex(unsigned char c) {
    const char* digits = "0123456789abcdef";
    return {digits[c >> 4], digits[c & 15]};
  }

  Status read_string(std::string& out) {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == quote) return ok();
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': case '\'': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'u': {
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = pos_ < text_.size() ? hex_value(text_[pos_]) : -1;
            if (h < 0) return error_at(pos_ + 1, "\\u needs four hex digits");
            cp = cp * 16 + static_cast<unsigned>(h);
            ++pos_;
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) {
            return error_at(pos_ - 5, "\\u" + std::string(text_.substr(pos_ - 4, 4)) +
                                          " is a surrogate, not a character");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return error_at(pos_ - 1, std::string("unknown escape '\\") + e + "' in string");
      }
    }
    return error_at(start + 1, "string is not closed");
  }

  Status read_number(Token& t) {
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    std::size_t digits = 0;
    while (pos_ < text_.size() && digit(text_[pos_])) { ++pos_; ++digits; }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && digit(text_[pos_])) { ++pos_; ++digits; }
    }
    if (digits == 0) return error_at(start + 1, "malformed number");
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      std::size_t exp_digits = 0;
      while (pos_ < text_.size() && digit(text_[pos_])) { ++pos_; ++exp_digits; }
      if (exp_digits == 0) return error_at(start + 1, "malformed number exponent");
    }
    if (pos_ < text_.size() && (word_char(text_[pos_]) || text_[pos_] == '.')) {
      return error_at(pos_ + 1, "malformed number");
    }
    t.kind = Tok::number;
    t.text = std::string(text_.substr(start, pos_ - start));
    return ok();
  }

  Status read_word(Token& t) {
    t.kind = Tok::word;
    std::string segment;
    while (pos_ < text_.size() && word_char(text_[pos_])) segment += text_[pos_++];
    t.text = segment;
    t.segments.push_back(std::move(segment));
    // Path segments follow a '.' with no space: a word, digits or a quoted string.
    while (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      std::string part;
      if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
        IOT_TRY(read_string(part));
        if (part.empty()) return error_at(pos_, "empty path segment");
      } else {
        while (pos_ < text_.size() && word_char(text_[pos_])) part += text_[pos_++];
        if (part.empty()) return error_at(pos_ + 1, "expected a path segment after '.'");
      }
      t.segments.push_back(std::move(part));
    }
    return ok();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::unexpected<Error> error_at(std::size_t column, std::string message) {
  return make_error(Errc::invalid_argument,
                    "column " + std::to_string(column) + ": " + std::move(message));
}

Result<std::vector<Token>> tokenize(std::string_view text) { return Lexer(text).run(); }

}  // namespace iotwins::twin::query_detail
