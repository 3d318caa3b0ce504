// Sorting and cursor pagination of query results. The order is total: the sort key, then the
// twin id, so a cursor (the last key and id of a page) resumes exactly where the page ended even
// while twins are added or removed.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "twin/document.h"
#include "twin/query.h"

namespace iotwins::twin {

namespace query_detail {
struct FieldRef;
}

struct SortSpec {
  std::string text = "id";  // as given, normalised: "reported.temperature" or "-updated"
  bool descending = false;
  std::shared_ptr<const query_detail::FieldRef> field;
};

// "id" (the default when empty), "reported.temperature", "-updated" (descending) or
// "reported.temperature desc" / "asc". Fields as in queries.
Result<SortSpec> parse_sort(std::string_view text);

inline constexpr std::size_t kMaxPageSize = 1000;

struct PageRequest {
  const Query* filter = nullptr;  // nullptr matches all
  SortSpec sort;                  // default: by id
  std::size_t limit = 100;        // 1..kMaxPageSize
  std::string cursor;             // next_cursor of the previous page, or empty
  UnderFn under;                  // for under() in the filter
};

struct Page {
  std::vector<const TwinDocument*> items;
  std::string next_cursor;  // empty on the last page
};

// Feeds documents one at a time (from whatever store holds them) and keeps only the best
// limit + 1, so a page costs O(n log limit) time and O(limit) memory. Documents offered must
// outlive finish().
class PageCollector {
 public:
  static Result<PageCollector> create(PageRequest request);
  ~PageCollector();
  PageCollector(PageCollector&&) noexcept;
  PageCollector& operator=(PageCollector&&) noexcept;

  void offer(const TwinDocument& doc);
  Page finish();

 private:
  struct State;
  explicit PageCollector(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

Result<Page> select_page(std::span<const TwinDocument* const> docs, PageRequest request);

}  // namespace iotwins::twin
