// libFuzzer target: request targets ("/api/v1/series/query?twin=p%201&from=…") as every HTTP
// request brings them, through parse_target and percent_decode, and `--listen host:port` through
// split_host_port. A decoded path and query must survive percent_encode -> percent_decode.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/http.h"
#include "api/http_server.h"

using namespace iotwins::api;

namespace {

void check_reencodes(const std::string& decoded) {
  bool ok = false;
  if (percent_decode(percent_encode(decoded), false, &ok) != decoded || !ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto target = parse_target(text)) {
    check_reencodes(target->first);
    for (const auto& [key, value] : target->second) {
      check_reencodes(key);
      check_reencodes(value);
    }
  }
  bool ok = false;
  (void)percent_decode(text, true, &ok);
  (void)parse_method(text);
  (void)split_host_port(text);
  return 0;
}
