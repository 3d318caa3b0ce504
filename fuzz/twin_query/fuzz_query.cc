// libFuzzer target: the twin query parser and evaluator, and the sort/cursor parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "twin/query.h"
#include "twin/query_page.h"

namespace {

iotwins::twin::TwinDocument sample() {
  iotwins::twin::TwinDocument d;
  d.id = "pump-1";
  d.model = "Pump";
  d.parent = "line-2";
  d.attributes = {{"tags", {"a", "b"}}, {"vendor", "Acme"}};
  d.reported = {{"temperature", 81.5}, {"pump", {{"speed", 1500}}}, {"list", {1, "x", nullptr}}};
  d.desired = {{"speed", 1600}};
  d.delta = {{"speed", 1600}};
  d.version = 3;
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const iotwins::twin::TwinDocument doc = sample();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto query = iotwins::twin::Query::compile(text);
  if (query) {
    (void)query->matches(doc, [](std::string_view, std::string_view a) { return a == "line-2"; });
  }
  auto sort = iotwins::twin::parse_sort(text);
  const iotwins::twin::TwinDocument* docs[] = {&doc};
  (void)iotwins::twin::select_page(docs, {.limit = 1, .cursor = std::string(text)});
  (void)sort;
  return 0;
}
