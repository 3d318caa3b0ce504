// What a full buffer does with new data — the same choice for the broker's spool and for a
// node's streams.
#pragma once

#include <string_view>

#include "core/result.h"

namespace iotwins::dataplane {

enum class FullPolicy {
  reject,       // refuse the new data; the sender keeps it and retries (a device resends)
  drop_oldest,  // delete the oldest records to make room, counting them
};

// "reject" or "drop_oldest" ("drop-oldest" accepted too).
Result<FullPolicy> parse_full_policy(std::string_view name);
std::string_view full_policy_name(FullPolicy policy);

}  // namespace iotwins::dataplane
