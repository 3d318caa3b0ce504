// Recursive-descent parser of the twin query language. Precedence, loosest first:
// or < and < not < comparison. Nesting is bounded (kMaxQueryNesting) so hostile input cannot
// exhaust the stack, here or in the evaluator.
#include <charconv>

#include "twin/query.h"
#include "twin/query_ast.h"
#include "twin/query_lexer.h"

namespace iotwins::twin {
namespace query_detail {
namespace {

struct RootName {
  std::string_view name;
  Root root;
  bool has_path;  // an object root takes sub-fields
};

constexpr RootName kRoots[] = {
    {"id", Root::id, false},           {"model", Root::model, false},
    {"level", Root::level, false},     {"parent", Root::parent, false},
    {"version", Root::version, false}, {"updated", Root::updated, false},
    {"attributes", Root::attributes, true}, {"desired", Root::desired, true},
    {"reported", Root::reported, true},     {"delta", Root::delta, true},
};

bool is_keyword(std::string_view w) {
  return w == "and" || w == "or" || w == "not" || w == "in" || w == "contains" ||
         w == "exists" || w == "under" || w == "true" || w == "false" || w == "null";
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::end: return "end of query";
    case Tok::word: return "'" + t.text + "'";
    case Tok::string: return "a string";
    case Tok::number: return "number " + t.text;
    case Tok::lparen: return "'('";
    case Tok::rparen: return "')'";
    case Tok::lbracket: return "'['";
    case Tok::rbracket: return "']'";
    case Tok::comma: return "','";
    default: return "an operator";
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Program> run() {
    if (peek().kind != Tok::end) {
      IOT_ASSIGN(program_.root, parse_or());
      if (peek().kind != Tok::end) {
        return error_at(peek().column, "expected 'and', 'or' or the end, found " +
                                           describe(peek()));
      }
    }
    return std::move(program_);
  }

  // The whole input is one field token.
  Result<FieldRef> run_field() { return parse_field(tokens_[0]); }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& take() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool at_word(std::string_view w, std::size_t ahead = 0) const {
    return peek(ahead).kind == Tok::word && peek(ahead).segments.size() == 1 &&
           peek(ahead).text == w;
  }
  Status expect(Tok kind, const char* what) {
    if (peek().kind != kind) {
      return error_at(peek().column,
                      std::string("expected ") + what + ", found " + describe(peek()));
    }
    take();
    return ok();
  }
  int add(Node node) {
    program_.nodes.push_back(std::move(node));
    return static_cast<int>(program_.nodes.size() - 1);
  }

  Status enter() {
    if (++depth_ > kMaxQueryNesting) {
      return error_at(peek().column,
                      "nested deeper than " + std::to_string(kMaxQueryNesting) + " levels");
    }
    return ok();
  }

  Result<int> parse_or() {
    IOT_TRY(enter());
    IOT_ASSIGN(int lhs, parse_and());
    while (at_word("or")) {
      take();
      IOT_ASSIGN(int rhs, parse_and());
      lhs = add(Node{.kind = NodeKind::or_, .lhs = lhs, .rhs = rhs});
    }
    --depth_;
    return lhs;
  }

  Result<int> parse_and() {
    IOT_ASSIGN(int lhs, parse_not());
    while (at_word("and")) {
      take();
      IOT_ASSIGN(int rhs, parse_not());
      lhs = add(Node{.kind = NodeKind::and_, .lhs = lhs, .rhs = rhs});
    }
    return lhs;
  }

  Result<int> parse_not() {
    if (!at_word("not")) return parse_predicate();
    take();
    IOT_TRY(enter());
    IOT_ASSIGN(int inner, parse_not());
    --depth_;
    return add(Node{.kind = NodeKind::not_, .lhs = inner});
  }

  Result<int> parse_predicate() {
    const Token& t = peek();
    if (t.kind == Tok::lparen) {
      take();
      IOT_ASSIGN(int inner, parse_or());
      IOT_TRY(expect(Tok::rparen, "')'"));
      return inner;
    }
    if (at_word("exists") && peek(1).kind == Tok::lparen) {
      take();
      take();
      if (peek().kind != Tok::word || is_keyword(peek().text)) {
        return error_at(peek().column, "exists() takes a field, found " + describe(peek()));
      }
      Node node{.kind = NodeKind::exists};
      IOT_ASSIGN(node.a, parse_operand());
      IOT_TRY(expect(Tok::rparen, "')'"));
      return add(std::move(node));
    }
    if (at_word("under") && peek(1).kind == Tok::lparen) {
      take();
      take();
      if (peek().kind != Tok::string) {
        return error_at(peek().column, "under() takes a twin id string, found " + describe(peek()));
      }
      Node node{.kind = NodeKind::under, .under_id = take().text};
      IOT_TRY(expect(Tok::rparen, "')'"));
      return add(std::move(node));
    }
    if ((at_word("true") || at_word("false")) && !is_operator_next(1)) {
      return add(Node{.kind = NodeKind::constant, .constant = take().text == "true"});
    }
    const std::size_t column = t.column;
    IOT_ASSIGN(Operand a, parse_operand());
    bool negate = false;
    if (at_word("not") && (at_word("in", 1) || at_word("contains", 1))) {
      take();
      negate = true;
    }
    if (at_word("in")) {
      take();
      Node node{.kind = NodeKind::in, .a = std::move(a), .negate = negate};
      IOT_TRY(expect(Tok::lbracket, "'[' after 'in'"));
      if (peek().kind != Tok::rbracket) {
        while (true) {
          IOT_ASSIGN(Literal lit, parse_literal());
          node.list.push_back(std::move(lit));
          if (peek().kind != Tok::comma) break;
          take();
        }
      }
      IOT_TRY(expect(Tok::rbracket, "',' or ']'"));
      return add(std::move(node));
    }
    if (at_word("contains")) {
      take();
      Node node{.kind = NodeKind::contains, .a = std::move(a), .negate = negate};
      IOT_ASSIGN(node.b, parse_operand());
      return add(std::move(node));
    }
    if (const auto op = comparison(peek().kind)) {
      take();
      Node node{.kind = NodeKind::compare, .op = *op, .a = std::move(a)};
      IOT_ASSIGN(node.b, parse_operand());
      return add(std::move(node));
    }
    if (!a.is_field) {
      return error_at(column, "a literal alone is not a condition; compare it with a field");
    }
    return add(Node{.kind = NodeKind::truthy, .a = std::move(a)});
  }

  bool is_operator_next(std::size_t ahead) const {
    return comparison(peek(ahead).kind).has_value() || at_word("in", ahead) ||
           at_word("contains", ahead);
  }

  static std::optional<CmpOp> comparison(Tok kind) {
    switch (kind) {
      case Tok::eq: return CmpOp::eq;
      case Tok::ne: return CmpOp::ne;
      case Tok::lt: return CmpOp::lt;
      case Tok::le: return CmpOp::le;
      case Tok::gt: return CmpOp::gt;
      case Tok::ge: return CmpOp::ge;
      default: return std::nullopt;
    }
  }

  Result<Operand> parse_operand() {
    const Token& t = peek();
    const bool single = t.kind == Tok::word && t.segments.size() == 1;
    if (t.kind == Tok::string || t.kind == Tok::number ||
        (single && (t.text == "true" || t.text == "false" || t.text == "null"))) {
      IOT_ASSIGN(Literal lit, parse_literal());
      return Operand{.literal = std::move(lit)};
    }
    if (t.kind == Tok::word && !(single && is_keyword(t.text))) {
      IOT_ASSIGN(FieldRef field, parse_field(take()));
      return Operand{.is_field = true, .field = std::move(field)};
    }
    return error_at(t.column, "expected a field or a value, found " + describe(t));
  }

  Result<FieldRef> parse_field(const Token& t) {
    std::size_t first = 0;
    // state.reported.x is accepted as reported.x, matching the document's JSON form.
    if (t.segments[0] == "state" && t.segments.size() > 1 &&
        (t.segments[1] == "desired" || t.segments[1] == "reported" || t.segments[1] == "delta")) {
      first = 1;
    }
    for (const auto& r : kRoots) {
      if (r.name != t.segments[first]) continue;
      FieldRef f{.root = r.root};
      for (std::size_t i = 0; i < t.segments.size(); ++i) {
        if (i > 0) f.text += '.';
        f.text += t.segments[i];
      }
      if (!r.has_path && t.segments.size() > first + 1) {
        return error_at(t.column, "field '" + std::string(r.name) + "' has no sub-fields");
      }
      f.path.assign(t.segments.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                    t.segments.end());
      return f;
    }
    return error_at(t.column, "unknown field '" + t.segments[0] +
                                  "' (fields: id, model, level, parent, version, updated, "
                                  "attributes.*, desired.*, reported.*, delta.*)");
  }

  Result<Literal> parse_literal() {
    const Token& t = take();
    Literal lit;
    if (t.kind == Tok::string) {
      lit.kind = Literal::Kind::string;
      lit.string = t.text;
      return lit;
    }
    if (t.kind == Tok::number) {
      const char* begin = t.text.data();
      const char* end = begin + t.text.size();
      if (t.text.find_first_of(".eE") == std::string::npos) {
        auto [p, ec] = std::from_chars(begin, end, lit.integer);
        if (ec == std::errc() && p == end) {
          lit.kind = Literal::Kind::integer;
          lit.number = static_cast<double>(lit.integer);
          return lit;
        }
      }
      auto [p, ec] = std::from_chars(begin, end, lit.number);
      if (ec != std::errc() || p != end) return error_at(t.column, "malformed number " + t.text);
      lit.kind = Literal::Kind::number;
      return lit;
    }
    if (t.kind == Tok::word && t.segments.size() == 1) {
      if (t.text == "true" || t.text == "false") {
        lit.kind = Literal::Kind::boolean;
        lit.boolean = t.text == "true";
        return lit;
      }
      if (t.text == "null") return lit;
    }
    return error_at(t.column, "expected a string, number, true, false or null, found " +
                                  describe(t));
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  Program program_;
};

}  // namespace

Result<FieldRef> compile_field(std::string_view text) {
  IOT_ASSIGN(auto tokens, tokenize(text));
  if (tokens.size() != 2 || tokens[0].kind != Tok::word || is_keyword(tokens[0].text)) {
    return make_error(Errc::invalid_argument, "'" + std::string(text) + "' is not a field");
  }
  return Parser(std::move(tokens)).run_field();
}

}  // namespace query_detail

Query::Query(std::string text, std::shared_ptr<const query_detail::Program> program)
    : text_(std::move(text)), program_(std::move(program)) {}

Result<Query> Query::compile(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return make_error(Errc::too_large, "query is " + std::to_string(text.size()) +
                                           " bytes, limit " + std::to_string(kMaxQueryBytes));
  }
  IOT_ASSIGN(auto tokens, query_detail::tokenize(text));
  IOT_ASSIGN(auto program, query_detail::Parser(std::move(tokens)).run());
  return Query(std::string(text),
               std::make_shared<const query_detail::Program>(std::move(program)));
}

}  // namespace iotwins::twin
