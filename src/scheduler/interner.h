// String interning: the hot loop compares 32-bit ids instead of strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace iotwins::scheduler::detail {

using Id = uint32_t;
inline constexpr Id kNoId = 0xffffffffu;

class Interner {
 public:
  Id intern(std::string_view s) {
    if (auto it = ids_.find(s); it != ids_.end()) return it->second;
    Id id = static_cast<Id>(names_.size());
    names_.emplace_back(s);
    ids_.emplace(names_.back(), id);
    return id;
  }
  // kNoId when never interned: such a value matches nothing in the snapshot.
  Id find(std::string_view s) const {
    auto it = ids_.find(s);
    return it == ids_.end() ? kNoId : it->second;
  }
  const std::string& name(Id id) const { return names_[id]; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, Id, Hash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
};

// FNV-1a: a hash that is the same on every platform and run, for deterministic tie-breaks.
inline uint64_t stable_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// splitmix64 finaliser: spreads a combined key over all 64 bits.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace iotwins::scheduler::detail
