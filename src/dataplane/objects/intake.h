// ObjectIntake: where a file enters the data plane on an agent. A client (iotwins objects put)
// hands it chunks of a file; each chunk is split into pieces (chunk.h), appended to the node's
// objects stream in ONE durable append, and only then recorded in the object's manifest and
// acknowledged. The forwarder moves the pieces upstream like any other record.
//
//   <dir>/<id>.json   the manifest: which byte ranges this node has taken in (for resuming)
//
// A crash between the append and the manifest write loses nothing: the client does not see
// the chunk acknowledged, sends it again, and the duplicate piece is harmless upstream.
// Thread-safe (calls are serialized).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/fs.h"
#include "dataplane/buffer/stream.h"
#include "dataplane/objects/chunk.h"
#include "dataplane/objects/manifest.h"

namespace iotwins::dataplane {

class ObjectIntake {
 public:
  // `source`: this node's id for the pieces ("" while unknown).
  static Result<std::unique_ptr<ObjectIntake>> open(FileSystem& fs, std::string dir, Stream& objects,
                                                    std::function<std::string()> source,
                                                    const Clock& clock = SystemClock::instance());

  // Takes in chunk.data at chunk.offset (any length within the object). Errors: invalid_argument
  // (bad id, name, range), conflict (the id is taken by an object of another size or sha256),
  // resource_exhausted (the objects stream is full: retry later). Returns the manifest after it.
  Result<ObjectManifest> put(const ObjectChunk& chunk);
  // not_found if the id was never seen here.
  Result<ObjectManifest> status(std::string_view id);

 private:
  ObjectIntake(FileSystem& fs, std::string dir, Stream& objects, std::function<std::string()> source,
               const Clock& clock)
      : fs_(fs), dir_(std::move(dir)), objects_(objects), source_(std::move(source)), clock_(clock) {}
  Result<std::optional<ObjectManifest>> load(std::string_view id);

  FileSystem& fs_;
  std::string dir_;
  Stream& objects_;
  std::function<std::string()> source_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace iotwins::dataplane
