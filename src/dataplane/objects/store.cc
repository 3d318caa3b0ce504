#include "dataplane/objects/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "core/metrics.h"

namespace iotwins::dataplane {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("dataplane");
  return log;
}

// Exported under /metrics: pieces in, bytes in, and objects by state.
void export_metrics(const ObjectStoreStats& s, uint64_t receiving, uint64_t applied_bytes) {
  auto& reg = metrics::Registry::global();
  reg.counter("iotwins_objects_bytes_applied_total", "bytes of object pieces written to the file store")
      .inc(applied_bytes);
  reg.gauge("iotwins_objects_pieces_rejected", "object pieces skipped: undecodable or conflicting")
      .set(static_cast<double>(s.pieces_rejected));
  const std::pair<const char*, uint64_t> states[] = {
      {"receiving", receiving}, {"complete", s.objects_complete}, {"failed", s.objects_failed}};
  for (const auto& [state, n] : states) {
    reg.gauge("iotwins_objects", "objects in the file store by state", {{"state", state}})
        .set(static_cast<double>(n));
  }
}

Status errno_error(const std::string& what) {
  return make_error(Errc::io_error, what + ": " + std::strerror(errno));
}

// Positional writes into a .part file. POSIX directly: core::FileSystem's File is append-only,
// and a piece must land at its offset whatever order pieces arrive in.
class PartFile {
 public:
  static Result<std::unique_ptr<PartFile>> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return std::unexpected(errno_error("open " + path).error());
    return std::unique_ptr<PartFile>(new PartFile(fd, path));
  }
  ~PartFile() { ::close(fd_); }
  Status write_at(uint64_t offset, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return errno_error("write " + path_ + " at " + std::to_string(offset));
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return ok();
  }
  Status sync() {
    if (::fdatasync(fd_) != 0) return errno_error("fsync " + path_);
    return ok();
  }

 private:
  PartFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> ObjectStore::open(FileSystem& fs, std::string dir, const Clock& clock) {
  IOT_TRY(fs.create_dirs(dir));
  std::unique_ptr<ObjectStore> s(new ObjectStore(fs, std::move(dir), clock));
  IOT_TRY(s->load());
  return s;
}

Status ObjectStore::load() {
  IOT_ASSIGN(auto names, fs_.list(dir_));
  for (const auto& name : names) {
    if (name.size() <= 5 || !name.ends_with(".json")) continue;
    std::string path = join_path(dir_, name);
    IOT_ASSIGN(auto text, fs_.read_file(path));
    IOT_ASSIGN(auto m, decode_manifest(text, path));
    IOT_TRY(recover_renamed(m));
    if (m.state == ObjectState::complete) ++stats_.objects_complete;
    if (m.state == ObjectState::failed) ++stats_.objects_failed;
    objects_.emplace(m.id, std::move(m));
  }
  export_metrics(stats_, objects_.size() - stats_.objects_complete - stats_.objects_failed, 0);
  return ok();
}

// A crash (or an I/O error) after the rename but before the manifest said so: the final file
// is there and the .part is gone. Without this a replayed piece would start a new, empty .part.
Status ObjectStore::recover_renamed(ObjectManifest& m) {
  if (m.state != ObjectState::receiving) return ok();
  IOT_ASSIGN(bool final_exists, fs_.exists(final_path(m.id)));
  IOT_ASSIGN(bool part_exists, fs_.exists(part_path(m.id)));
  if (!final_exists || part_exists) return ok();
  IOT_ASSIGN(auto sha, file_sha256(final_path(m.id)));
  if (sha != m.sha256) return ok();
  m.received.add(0, m.size);
  m.state = ObjectState::complete;
  m.completed_ns = m.updated_ns;
  return fs_.write_file_atomic(manifest_path(m.id), encode_manifest(m));
}

Result<std::string> ObjectStore::file_sha256(const std::string& path) const {
  IOT_ASSIGN(auto f, fs_.open(path, OpenMode::read));
  IOT_ASSIGN(uint64_t size, f->size());
  Sha256 h;
  for (uint64_t at = 0; at < size;) {
    IOT_ASSIGN(auto piece, f->read_at(at, static_cast<size_t>(std::min<uint64_t>(1u << 20, size - at))));
    if (piece.empty()) return make_error(Errc::io_error, "read " + path + ": unexpected end");
    h.update(piece);
    at += piece.size();
  }
  return h.hex();
}

void ObjectStore::reject(const std::string& why) {
  std::lock_guard lock(mu_);
  ++stats_.pieces_rejected;
  stats_.last_rejection = why;
  logger().warn("object piece skipped: {}", why);
}

Status ObjectStore::finish(ObjectManifest& m) {
  std::string part = part_path(m.id);
  IOT_ASSIGN(auto sha, file_sha256(part));
  IOT_ASSIGN(uint64_t size, fs_.file_size(part));
  int64_t now = clock_.now_ns();
  if (sha != m.sha256 || size != m.size) {
    m.state = ObjectState::failed;
    m.reason = size != m.size ? "size mismatch: expected " + std::to_string(m.size) + " bytes, assembled " +
                                    std::to_string(size)
                              : "sha256 mismatch: expected " + m.sha256 + ", assembled " + sha;
    IOT_TRY(fs_.remove(part));
    logger().error("object {} failed: {}", m.id, m.reason);
  } else {
    IOT_TRY(fs_.rename(part, final_path(m.id)));
    IOT_TRY(fs_.sync_dir(dir_));
    m.state = ObjectState::complete;
    m.completed_ns = now;
    logger().info("object {} ({}, {} bytes) complete", m.id, m.name, m.size);
  }
  return ok();
}

Status ObjectStore::apply(std::span<const Event> events) {
  // Work on copies of the touched manifests; publish them once durable.
  std::map<std::string, ObjectManifest, std::less<>> touched;
  std::map<std::string, std::unique_ptr<PartFile>, std::less<>> files;
  uint64_t applied = 0, applied_bytes = 0;
  for (const auto& e : events) {
    auto chunk = decode_chunk_event(e);
    if (!chunk) {
      reject(chunk.error().message());
      continue;
    }
    auto it = touched.find(chunk->object);
    if (it == touched.end()) {
      std::optional<ObjectManifest> known;
      {
        std::lock_guard lock(mu_);
        if (auto k = objects_.find(chunk->object); k != objects_.end()) known = k->second;
      }
      if (!known) {
        known.emplace();
        known->id = chunk->object;
        known->name = chunk->name;
        known->size = chunk->size;
        known->sha256 = chunk->sha256;
        known->source = chunk->source;
        known->created_ns = clock_.now_ns();
      }
      IOT_TRY(recover_renamed(*known));
      it = touched.emplace(chunk->object, std::move(*known)).first;
    }
    ObjectManifest& m = it->second;
    if (m.size != chunk->size || m.sha256 != chunk->sha256) {
      reject("object " + m.id + ": a piece says size " + std::to_string(chunk->size) + " sha256 " +
             chunk->sha256 + ", the object has size " + std::to_string(m.size) + " sha256 " + m.sha256);
      continue;
    }
    if (m.state != ObjectState::receiving) continue;  // a duplicate of a finished object
    auto f = files.find(m.id);
    if (f == files.end()) {
      IOT_ASSIGN(auto pf, PartFile::open(part_path(m.id)));
      f = files.emplace(m.id, std::move(pf)).first;
    }
    IOT_TRY(f->second->write_at(chunk->offset, chunk->data));
    m.received.add(chunk->offset, chunk->offset + chunk->data.size());
    m.updated_ns = clock_.now_ns();
    ++applied;
    applied_bytes += chunk->data.size();
  }
  for (auto& [id, f] : files) IOT_TRY(f->sync());
  files.clear();
  if (!touched.empty()) IOT_TRY(fs_.sync_dir(dir_));  // new .part files
  for (auto& [id, m] : touched) {
    if (m.state == ObjectState::receiving && m.all_received()) IOT_TRY(finish(m));
    IOT_TRY(fs_.write_file_atomic(manifest_path(id), encode_manifest(m)));
  }
  std::lock_guard lock(mu_);
  stats_.pieces_applied += applied;
  for (auto& [id, m] : touched) {
    auto& slot = objects_[id];
    if (slot.state == ObjectState::receiving && m.state == ObjectState::complete) ++stats_.objects_complete;
    if (slot.state == ObjectState::receiving && m.state == ObjectState::failed) ++stats_.objects_failed;
    slot = std::move(m);
  }
  export_metrics(stats_, objects_.size() - stats_.objects_complete - stats_.objects_failed, applied_bytes);
  return ok();
}

Result<ObjectManifest> ObjectStore::get(std::string_view id) const {
  IOT_TRY(validate_object_id(id));
  std::lock_guard lock(mu_);
  auto it = objects_.find(id);
  if (it == objects_.end()) return make_error(Errc::not_found, "no object " + std::string(id));
  return it->second;
}

std::vector<ObjectManifest> ObjectStore::list(std::string_view after, size_t limit) const {
  std::vector<ObjectManifest> out;
  std::lock_guard lock(mu_);
  for (auto it = objects_.upper_bound(after); it != objects_.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<std::string> ObjectStore::content_path(std::string_view id) const {
  IOT_ASSIGN(auto m, get(id));
  if (m.state == ObjectState::failed) {
    return make_error(Errc::conflict, "object " + m.id + " failed: " + m.reason);
  }
  if (m.state != ObjectState::complete) {
    return make_error(Errc::conflict, "object " + m.id + " is still arriving: " +
                                          std::to_string(m.received.bytes()) + " of " + std::to_string(m.size) +
                                          " bytes");
  }
  return final_path(m.id);
}

ObjectStoreStats ObjectStore::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

RunSink object_store_sink(ObjectStore& store) {
  return [&store](uint64_t, std::span<const Record> records) -> Status {
    std::vector<Event> events;
    for (const auto& r : records) {
      if (is_chunk_event(r)) events.push_back(std::get<Event>(r));
    }
    return store.apply(events);
  };
}

}  // namespace iotwins::dataplane
