#include "dataplane/objects/intake.h"

#include <optional>

namespace iotwins::dataplane {

Result<std::unique_ptr<ObjectIntake>> ObjectIntake::open(FileSystem& fs, std::string dir, Stream& objects,
                                                         std::function<std::string()> source,
                                                         const Clock& clock) {
  IOT_TRY(fs.create_dirs(dir));
  return std::unique_ptr<ObjectIntake>(new ObjectIntake(fs, std::move(dir), objects, std::move(source), clock));
}

Result<std::optional<ObjectManifest>> ObjectIntake::load(std::string_view id) {
  std::string path = join_path(dir_, std::string(id) + ".json");
  IOT_ASSIGN(bool exists, fs_.exists(path));
  if (!exists) return std::optional<ObjectManifest>();
  IOT_ASSIGN(auto text, fs_.read_file(path));
  IOT_ASSIGN(auto m, decode_manifest(text, path));
  return std::optional<ObjectManifest>(std::move(m));
}

Result<ObjectManifest> ObjectIntake::put(const ObjectChunk& chunk) {
  IOT_TRY(validate_chunk(chunk));
  std::lock_guard lock(mu_);
  IOT_ASSIGN(auto existing, load(chunk.object));
  int64_t now = clock_.now_ns();
  ObjectManifest m;
  if (existing) {
    m = std::move(*existing);
    if (m.size != chunk.size || m.sha256 != chunk.sha256) {
      return make_error(Errc::conflict, "object " + chunk.object + " is already being sent with size " +
                                            std::to_string(m.size) + " and sha256 " + m.sha256 +
                                            "; choose another id");
    }
  } else {
    m.id = chunk.object;
    m.name = chunk.name;
    m.size = chunk.size;
    m.sha256 = chunk.sha256;
    m.created_ns = now;
  }
  m.source = source_ ? source_() : "";
  uint64_t end = chunk.offset + chunk.data.size();
  if (!m.received.covers(chunk.offset, end) || (chunk.size == 0 && !existing)) {
    std::vector<Record> pieces;
    ObjectChunk piece = chunk;
    piece.name = m.name;
    piece.source = m.source;
    size_t at = 0;
    do {
      size_t n = std::min(kMaxPieceBytes, chunk.data.size() - at);
      piece.offset = chunk.offset + at;
      piece.data = chunk.data.substr(at, n);
      pieces.push_back(encode_chunk_event(piece, now));
      at += n;
    } while (at < chunk.data.size());
    IOT_TRY(objects_.append_records(pieces));
    m.received.add(chunk.offset, end);
  }
  m.updated_ns = now;
  if (m.all_received() && m.state == ObjectState::receiving) {
    m.state = ObjectState::complete;
    m.completed_ns = now;
  }
  IOT_TRY(fs_.write_file_atomic(join_path(dir_, m.id + ".json"), encode_manifest(m)));
  return m;
}

Result<ObjectManifest> ObjectIntake::status(std::string_view id) {
  IOT_TRY(validate_object_id(id));
  std::lock_guard lock(mu_);
  IOT_ASSIGN(auto m, load(id));
  if (!m) return make_error(Errc::not_found, "object " + std::string(id) + " is unknown here");
  return std::move(*m);
}

}  // namespace iotwins::dataplane
