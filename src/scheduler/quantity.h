// Resource quantities as people write them: cpu "500m" or "1.5" (cores), memory "256Mi", "2G"
// or plain bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace iotwins::scheduler {

// "500m" -> 500, "2" -> 2000, "0.25" -> 250. Millicores must be whole.
Result<int64_t> parse_cpu_millis(std::string_view text);
// "1024" -> 1024, "1Ki" -> 1024, "1K" -> 1000, up to Ei/E. Bytes must be whole.
Result<int64_t> parse_bytes(std::string_view text);

}  // namespace iotwins::scheduler
