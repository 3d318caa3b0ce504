// libFuzzer target: object pieces as they arrive in the server's objects stream (the JSON of a
// "$object-chunk" event, from any agent) and object manifests read back from disk. A piece
// that decodes is valid (id, name, sha256, range) and re-encodes to the same piece; base64
// round-trips; a manifest that decodes re-encodes to one that decodes equal.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/objects/chunk.h"
#include "dataplane/objects/manifest.h"

using namespace iotwins;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dataplane::Event e{"objects", std::string(dataplane::kObjectChunkType), 0, std::string(text)};
  if (auto c = dataplane::decode_chunk_event(e)) {
    if (!dataplane::validate_chunk(*c)) std::abort();
    auto again = dataplane::decode_chunk_event(dataplane::encode_chunk_event(*c, 0));
    if (!again || again->data != c->data || again->offset != c->offset || again->object != c->object) std::abort();
  }
  auto b = dataplane::base64_decode(text);
  if (b && dataplane::base64_encode(*b).size() != text.size()) std::abort();
  if (auto m = dataplane::decode_manifest(text, "fuzz")) {
    auto again = dataplane::decode_manifest(dataplane::encode_manifest(*m), "fuzz");
    if (!again || again->received.ranges() != m->received.ranges() || again->id != m->id) std::abort();
  }
  return 0;
}
