// ObjectStore: the cloud's file store for objects moved up the data plane. The server's
// applier for the objects stream hands it the "$object-chunk" pieces (apply()); it writes each
// at its offset into <dir>/<id>.part and records the ranges received in <dir>/<id>.json. When
// every byte is there it verifies the sha256 and renames the file to <dir>/<id> (atomic); a
// mismatch marks the object failed, with the reason, and its bytes are never served.
//
// Idempotent: a piece applied twice writes the same bytes again, so replaying the stream
// after a crash (the applier commits its offset only after apply() returned) is harmless.
// Durable when apply() returns: pieces are fsynced before the manifests are written.
// Bad pieces (undecodable, or conflicting with the object's size/sha256) are counted and
// skipped, never stall the stream.
//
// Thread-safe: apply() runs on the applier thread, reads on HTTP workers.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "dataplane/buffer/consumer.h"
#include "dataplane/objects/chunk.h"
#include "dataplane/objects/manifest.h"

namespace iotwins::dataplane {

struct ObjectStoreStats {
  uint64_t pieces_applied = 0;
  uint64_t pieces_rejected = 0;  // undecodable or conflicting
  uint64_t objects_complete = 0;
  uint64_t objects_failed = 0;
  std::string last_rejection;
};

class ObjectStore {
 public:
  // Loads every manifest; finishes an object a crash left between rename and manifest write.
  static Result<std::unique_ptr<ObjectStore>> open(FileSystem& fs, std::string dir,
                                                   const Clock& clock = SystemClock::instance());

  Status apply(std::span<const Event> events);

  Result<ObjectManifest> get(std::string_view id) const;
  // Ordered by id, after the id `after` ("" from the start), at most `limit`.
  std::vector<ObjectManifest> list(std::string_view after, size_t limit) const;
  // Path of a complete object's bytes; not_found, or conflict while receiving / failed.
  Result<std::string> content_path(std::string_view id) const;
  ObjectStoreStats stats() const;

 private:
  ObjectStore(FileSystem& fs, std::string dir, const Clock& clock)
      : fs_(fs), dir_(std::move(dir)), clock_(clock) {}
  Status load();
  std::string part_path(std::string_view id) const { return join_path(dir_, std::string(id) + ".part"); }
  std::string final_path(std::string_view id) const { return join_path(dir_, std::string(id)); }
  std::string manifest_path(std::string_view id) const { return join_path(dir_, std::string(id) + ".json"); }
  Result<std::string> file_sha256(const std::string& path) const;
  Status recover_renamed(ObjectManifest& m);
  // Verifies and renames (or fails) an object whose bytes are all there.
  Status finish(ObjectManifest& m);
  void reject(const std::string& why);

  FileSystem& fs_;
  std::string dir_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, ObjectManifest, std::less<>> objects_;
  ObjectStoreStats stats_;
};

// The RunSink of the objects stream on the server: pieces to the store (other records are
// not expected in that stream and are skipped).
RunSink object_store_sink(ObjectStore& store);

}  // namespace iotwins::dataplane
