// libFuzzer target: task specs and desired task sets as an agent receives them from the server
// (runtime::decode_task_spec / decode_task_specs). Whatever decodes passes validate_task_spec and
// encodes to JSON that decodes to the same spec.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/task_spec.h"

using namespace iotwins::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto spec = decode_task_spec(text)) {
    if (!validate_task_spec(*spec)) std::abort();
    auto again = decode_task_spec(encode_task_spec(*spec));
    if (!again || !(*again == *spec)) std::abort();
  }
  if (auto set = decode_task_specs(text)) {
    auto again = decode_task_specs(encode_task_specs(*set));
    if (!again || !(*again == *set)) std::abort();
  }
  return 0;
}
