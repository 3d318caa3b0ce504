// Deterministic random numbers for sensor noise. We own the generator (xoshiro256**, seeded
// through splitmix64) and the Gaussian transform, because std::normal_distribution's output
// differs between standard libraries and a simulation must replay bit for bit from its seed.
#pragma once

#include <cstdint>
#include <string_view>

namespace iotwins::simulation {

// splitmix64: expands one 64-bit seed into well-mixed words (used to seed xoshiro).
uint64_t splitmix64(uint64_t& state);

// FNV-1a over the bytes of a name: a stable per-asset salt for the seed (std::hash is not
// guaranteed stable across implementations).
uint64_t stable_hash(std::string_view text);

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  // The seed of stream `name` under the plant seed: each asset draws from its own stream, so
  // adding an asset never changes another asset's noise.
  static Rng for_stream(uint64_t seed, std::string_view name);

  uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Standard normal (Marsaglia polar method; the spare value is kept for the next call).
  double normal();

 private:
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace iotwins::simulation
