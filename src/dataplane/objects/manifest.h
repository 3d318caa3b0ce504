// What a node knows about one object: its identity (id, name, size, sha256), which byte
// ranges it holds, and its state. Kept as a small JSON file beside the object's bytes, written
// atomically (core/fs.h write_file_atomic), so it is never torn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace iotwins::dataplane {

// Disjoint, sorted, merged half-open byte ranges [begin, end).
class RangeSet {
 public:
  void add(uint64_t begin, uint64_t end);
  uint64_t bytes() const;
  bool covers(uint64_t begin, uint64_t end) const;
  const std::vector<std::pair<uint64_t, uint64_t>>& ranges() const { return ranges_; }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;
};

enum class ObjectState { receiving, complete, failed };
std::string_view object_state_name(ObjectState state);

struct ObjectManifest {
  std::string id;
  std::string name;
  uint64_t size = 0;
  std::string sha256;
  std::string source;
  ObjectState state = ObjectState::receiving;
  std::string reason;  // why it failed
  RangeSet received;
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
  int64_t completed_ns = 0;

  bool all_received() const { return received.covers(0, size); }
};

std::string encode_manifest(const ObjectManifest& manifest);
// Strict; `where` names the file in errors.
Result<ObjectManifest> decode_manifest(std::string_view json, const std::string& where);

}  // namespace iotwins::dataplane
