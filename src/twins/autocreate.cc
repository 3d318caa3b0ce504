#include "twins/autocreate.h"

#include <cctype>

#include "twin/document.h"

namespace iotwins::twins {

Result<AutoCreateRules> AutoCreateRules::parse(std::string_view text) {
  AutoCreateRules out;
  if (text.empty() || text == "strict") return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) {
      return make_error(Errc::invalid_argument,
                        "twin auto-create rules: empty rule at byte " + std::to_string(start) +
                            " (expected glob=model, e.g. \"pump-*=Pump,*=\")");
    }
    AutoCreateRule rule;
    size_t eq = item.find('=');
    rule.pattern = std::string(item.substr(0, eq));
    if (eq != std::string_view::npos) rule.model = std::string(item.substr(eq + 1));
    if (rule.pattern.empty()) {
      return make_error(Errc::invalid_argument, "twin auto-create rules: rule '" + std::string(item) +
                                                    "' has no id pattern before '='");
    }
    for (char c : rule.pattern) {
      bool okc = std::isalnum(static_cast<unsigned char>(c)) || c == '*' || c == '?' || c == '.' ||
                 c == '_' || c == ':' || c == '-';
      if (!okc) {
        return make_error(Errc::invalid_argument, "twin auto-create rules: pattern '" + rule.pattern +
                                                      "' may hold only twin-id characters, '*' and '?'");
      }
    }
    out.rules.push_back(std::move(rule));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

const AutoCreateRule* AutoCreateRules::match(std::string_view id) const {
  for (const auto& r : rules) {
    if (glob_match(r.pattern, id)) return &r;
  }
  return nullptr;
}

}  // namespace iotwins::twins
