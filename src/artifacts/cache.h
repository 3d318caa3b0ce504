// ArtifactCache: the agent's local copy of the artifacts its tasks need. path_for(sha256) answers
// from the local store, else fetches the bytes through an injected function (the agent passes an
// HTTP GET of /api/v1/artifacts/{sha256}), checks their SHA-256 and only then renames them in: a
// mismatch or a failed fetch is an error and leaves nothing behind.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "artifacts/store.h"

namespace iotwins::artifacts {

// Takes the next piece of the artifact; false asks the fetch to stop (e.g. over the size limit).
using ArtifactSink = std::function<bool(std::string_view piece)>;
// Hands every byte of the artifact to the sink, in order. An error means the fetch failed.
using ArtifactFetch = std::function<Status(const std::string& sha256, const ArtifactSink& sink)>;

// Thread-safe; fetches are serialised (an agent starts few tasks at a time, and two tasks
// needing the same artifact then fetch it once).
class ArtifactCache {
 public:
  static Result<std::unique_ptr<ArtifactCache>> open(std::string dir, ArtifactFetch fetch, StoreOptions options = {},
                                                     FileSystem& fs = PosixFileSystem::instance());

  // The local path of the artifact, fetched first when missing. invalid_argument for a bad name,
  // corruption when the fetched bytes do not hash to sha256, too_large over max_bytes, or the
  // fetch's own error.
  Result<std::string> path_for(std::string_view sha256);
  bool contains(std::string_view sha256);
  Status evict(std::string_view sha256);
  ArtifactStore& store() { return *store_; }

 private:
  ArtifactCache(std::unique_ptr<ArtifactStore> store, ArtifactFetch fetch)
      : store_(std::move(store)), fetch_(std::move(fetch)) {}

  std::unique_ptr<ArtifactStore> store_;
  ArtifactFetch fetch_;
  std::mutex fetch_mu_;
};

}  // namespace iotwins::artifacts
