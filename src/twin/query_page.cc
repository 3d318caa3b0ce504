#include "twin/query_page.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "twin/query_ast.h"
#include "twin/query_eval.h"

namespace iotwins::twin {
namespace {

using nlohmann::json;
using query_detail::Val;

constexpr std::size_t kMaxCursorBytes = 2048;

// Ranks of sort key kinds; missing (and null, and containers) sort last in both directions.
enum Rank { kNumber = 0, kString = 1, kBoolean = 2, kMissing = 3 };

struct SortKey {
  int rank = kMissing;
  double number = 0;
  bool boolean = false;
  std::string string;
  std::string id;
};

SortKey key_of(const Val& v, std::string_view id) {
  SortKey k;
  k.id = id;
  switch (v.kind) {
    case Val::Kind::integer:
    case Val::Kind::number:
      if (v.number == v.number) {  // NaN sorts with the missing
        k.rank = kNumber;
        k.number = v.number;
      }
      break;
    case Val::Kind::string: k.rank = kString; k.string = v.string; break;
    case Val::Kind::boolean: k.rank = kBoolean; k.boolean = v.boolean; break;
    default: break;
  }
  return k;
}

// <0 when a comes before b.
int compare_keys(const SortKey& a, const SortKey& b, bool descending) {
  int c = 0;
  if (a.rank != b.rank) {
    if (a.rank == kMissing || b.rank == kMissing) return a.rank == kMissing ? 1 : -1;
    c = a.rank < b.rank ? -1 : 1;
  } else if (a.rank == kNumber) {
    c = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  } else if (a.rank == kString) {
    c = a.string.compare(b.string);
    c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  } else if (a.rank == kBoolean) {
    c = a.boolean == b.boolean ? 0 : (a.boolean ? 1 : -1);
  }
  if (descending) c = -c;
  if (c != 0) return c;
  return a.id.compare(b.id);
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out += kB64[(bits >> nbits) & 63];
    }
  }
  if (nbits > 0) out += kB64[(bits << (6 - nbits)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::string out;
  unsigned bits = 0;
  int nbits = 0;
  for (char c : in) {
    const char* p = std::find(kB64, kB64 + 64, c);
    if (p == kB64 + 64) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(p - kB64);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFF);
    }
  }
  return out;
}

std::string encode_cursor(const SortSpec& sort, const SortKey& k) {
  json value = nullptr;
  if (k.rank == kNumber) value = k.number;
  if (k.rank == kString) value = k.string;
  if (k.rank == kBoolean) value = k.boolean;
  // replace: a key from a hand-built document may hold invalid UTF-8, which dump() would throw on.
  const json cursor = json::array({sort.text, k.rank, value, k.id});
  return base64url(cursor.dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<SortKey> decode_cursor(const SortSpec& sort, std::string_view cursor) {
  auto bad = [](std::string why) {
    return make_error(Errc::invalid_argument, "cursor: " + std::move(why));
  };
  if (cursor.size() > kMaxCursorBytes) return bad("too long");
  auto text = unbase64url(cursor);
  if (!text) return bad("not a cursor from this API");
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array() || j.size() != 4 || !j[0].is_string() || !j[1].is_number_integer() ||
      !j[3].is_string()) {
    return bad("not a cursor from this API");
  }
  if (j[0].get<std::string>() != sort.text) {
    return bad("made for sort '" + j[0].get<std::string>() + "', not '" + sort.text + "'");
  }
  SortKey k;
  k.rank = j[1].get<int>();
  k.id = j[3].get<std::string>();
  const json& v = j[2];
  if (k.rank == kNumber && v.is_number()) {
    k.number = v.get<double>();
  } else if (k.rank == kString && v.is_string()) {
    k.string = v.get<std::string>();
  } else if (k.rank == kBoolean && v.is_boolean()) {
    k.boolean = v.get<bool>();
  } else if (k.rank != kMissing || !v.is_null()) {
    return bad("not a cursor from this API");
  }
  return k;
}

}  // namespace

Result<SortSpec> parse_sort(std::string_view text) {
  SortSpec spec;
  std::string_view field = text;
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  if (field.empty()) field = "id";
  if (field.front() == '-') {
    spec.descending = true;
    field.remove_prefix(1);
  } else if (field.ends_with(" desc")) {
    spec.descending = true;
    field.remove_suffix(5);
  } else if (field.ends_with(" asc")) {
    field.remove_suffix(4);
  }
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  IOT_ASSIGN(query_detail::FieldRef ref, query_detail::compile_field(field));
  spec.text = (spec.descending ? "-" : "") + ref.text;
  spec.field = std::make_shared<const query_detail::FieldRef>(std::move(ref));
  return spec;
}

struct PageCollector::State {
  PageRequest request;
  std::optional<SortKey> after;
  // Max-heap on the order: the front is the last of the kept items.
  std::vector<std::pair<SortKey, const TwinDocument*>> heap;
  bool before(const SortKey& a, const SortKey& b) const {
    return compare_keys(a, b, request.sort.descending) < 0;
  }
};

PageCollector::PageCollector(std::unique_ptr<State> state) : state_(std::move(state)) {}
PageCollector::~PageCollector() = default;
PageCollector::PageCollector(PageCollector&&) noexcept = default;
PageCollector& PageCollector::operator=(PageCollector&&) noexcept = default;

Result<PageCollector> PageCollector::create(PageRequest request) {
  if (request.limit == 0 || request.limit > kMaxPageSize) {
    return make_error(Errc::invalid_argument, "limit: must be 1.." + std::to_string(kMaxPageSize) +
                                                  ", got " + std::to_string(request.limit));
  }
  if (!request.sort.field) {
    IOT_ASSIGN(request.sort, parse_sort(request.sort.text));
  }
  auto state = std::make_unique<State>();
  if (!request.cursor.empty()) {
    IOT_ASSIGN(state->after, decode_cursor(request.sort, request.cursor));
  }
  state->request = std::move(request);
  state->heap.reserve(state->request.limit + 1);
  return PageCollector(std::move(state));
}

void PageCollector::offer(const TwinDocument& doc) {
  State& s = *state_;
  if (s.request.filter != nullptr && !s.request.filter->matches(doc, s.request.under)) return;
  SortKey key = key_of(query_detail::resolve(*s.request.sort.field, doc), doc.id);
  if (s.after && !s.before(*s.after, key)) return;
  auto cmp = [&s](const auto& a, const auto& b) { return s.before(a.first, b.first); };
  const std::size_t keep = s.request.limit + 1;  // one more tells whether a next page exists
  if (s.heap.size() == keep) {
    if (!s.before(key, s.heap.front().first)) return;
    std::pop_heap(s.heap.begin(), s.heap.end(), cmp);
    s.heap.back() = {std::move(key), &doc};
  } else {
    s.heap.emplace_back(std::move(key), &doc);
  }
  std::push_heap(s.heap.begin(), s.heap.end(), cmp);
}

Page PageCollector::finish() {
  State& s = *state_;
  auto cmp = [&s](const auto& a, const auto& b) { return s.before(a.first, b.first); };
  std::sort_heap(s.heap.begin(), s.heap.end(), cmp);
  Page page;
  const bool more = s.heap.size() > s.request.limit;
  if (more) s.heap.pop_back();
  for (const auto& [key, doc] : s.heap) page.items.push_back(doc);
  if (more) page.next_cursor = encode_cursor(s.request.sort, s.heap.back().first);
  s.heap.clear();
  return page;
}

Result<Page> select_page(std::span<const TwinDocument* const> docs, PageRequest request) {
  IOT_ASSIGN(PageCollector collector, PageCollector::create(std::move(request)));
  for (const TwinDocument* doc : docs) collector.offer(*doc);
  return collector.finish();
}

}  // namespace iotwins::twin
