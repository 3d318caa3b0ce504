// libFuzzer target: the simulated plant's YAML description (`iotwins simulate --plant FILE`,
// also accepted through the API). A plant that loads is stepped a few times: values that pass
// the loader's range checks must not make the physics misbehave (UBSan catches float-to-int
// overflows, ASan out-of-range port and property indices).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "simulation/plant.h"

using namespace iotwins::simulation;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plant = Plant::parse(text, "fuzz.yaml", IOTWINS_EXAMPLES_DIR, {.noise = true});
  if (!plant) return 0;
  for (int i = 0; i < 3; ++i) (void)plant->step();
  return 0;
}
