#include "dataplane/full_policy.h"

#include <string>

namespace iotwins::dataplane {

Result<FullPolicy> parse_full_policy(std::string_view name) {
  if (name == "reject") return FullPolicy::reject;
  if (name == "drop_oldest" || name == "drop-oldest") return FullPolicy::drop_oldest;
  return make_error(Errc::invalid_argument,
                    "buffer policy '" + std::string(name) + "' is not one of: reject, drop_oldest");
}

std::string_view full_policy_name(FullPolicy policy) {
  return policy == FullPolicy::reject ? "reject" : "drop_oldest";
}

}  // namespace iotwins::dataplane
