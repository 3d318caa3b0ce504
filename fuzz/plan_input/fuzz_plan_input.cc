// libFuzzer target: the dry-run plan file (`iotwins nodes plan FILE`, YAML or JSON). Whatever
// the loader accepts is handed to the scheduler, which must then either place or refuse it
// with an error: the loader's validation and the scheduler's must agree on what is well formed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scheduler/loader.h"
#include "scheduler/scheduler.h"

using namespace iotwins;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto input = scheduler::parse_plan_input(text, "fuzz.yaml");
  if (!input) return 0;
  auto plan = scheduler::plan(input->nodes, input->requests, input->config);
  if (plan) (void)scheduler::describe(*plan);
  return 0;
}
