// Bulk objects (files) on the data plane: what travels in the "objects" stream.
//
// A file moves up the continuum as pieces of at most kMaxPieceBytes, each one Event of type
// "$object-chunk" in the node's objects stream, forwarded and deduplicated like every other
// record (batch frames, exactly once per (source, stream, seq)). The event's JSON is
//   {"object": id, "name": ..., "size": total bytes, "sha256": hex of the whole file,
//    "offset": n, "data": base64 of the piece, "source": node id of the node it entered at}
// A piece is idempotent: writing it twice at its offset is harmless, so pieces may arrive
// duplicated or out of order and the file still assembles.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "dataplane/codec/records.h"

namespace iotwins::dataplane {

inline constexpr std::string_view kObjectsStream = "objects";
inline constexpr std::string_view kObjectChunkType = "$object-chunk";
// The twin id chunk events carry (they belong to no twin).
inline constexpr std::string_view kObjectsTwin = "objects";
// base64 of 45 KiB plus the metadata stays under the batch codec's 64 KiB event limit.
inline constexpr size_t kMaxPieceBytes = 45u << 10;
inline constexpr size_t kMaxObjectIdLength = 128;
inline constexpr size_t kMaxObjectNameLength = 255;
inline constexpr uint64_t kMaxObjectBytes = 1ull << 40;

struct ObjectChunk {
  std::string object;  // id
  std::string name;    // the file's name, informational
  uint64_t size = 0;   // of the whole object
  std::string sha256;  // lowercase hex of the whole object
  uint64_t offset = 0;
  std::string data;    // the piece's bytes
  std::string source;  // node the object entered the data plane at ("" if unknown)
};

// Ids: 1..128 of [A-Za-z0-9._-], not "." or ".." (they name files).
Status validate_object_id(std::string_view id);
// Names: 1..255 printable characters, no '/', '\\' or control characters, not "." or "..".
Status validate_object_name(std::string_view name);
// 64 lowercase hex digits.
Status validate_sha256_hex(std::string_view hex);
// All of the above plus size and offset + data within the object.
Status validate_chunk(const ObjectChunk& chunk);

Event encode_chunk_event(const ObjectChunk& chunk, int64_t ts_ns);
bool is_chunk_event(const Record& record);
// Strict: every field present with its type, data valid base64, validate_chunk.
Result<ObjectChunk> decode_chunk_event(const Event& event);

std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

// Incremental SHA-256 (OpenSSL), lowercase hex.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  std::string hex();  // finishes; call once
 private:
  void* ctx_;
};
std::string sha256_hex(std::string_view bytes);

}  // namespace iotwins::dataplane
