#include "artifacts/cache.h"

#include "core/log.h"

namespace iotwins::artifacts {

Result<std::unique_ptr<ArtifactCache>> ArtifactCache::open(std::string dir, ArtifactFetch fetch, StoreOptions options,
                                                           FileSystem& fs) {
  if (!fetch) return make_error(Errc::invalid_argument, "artifact cache: no fetch function");
  IOT_ASSIGN(auto store, ArtifactStore::open(std::move(dir), options, fs));
  return std::unique_ptr<ArtifactCache>(new ArtifactCache(std::move(store), std::move(fetch)));
}

bool ArtifactCache::contains(std::string_view sha256) { return store_->stat(sha256).has_value(); }

Status ArtifactCache::evict(std::string_view sha256) { return store_->remove(sha256); }

Result<std::string> ArtifactCache::path_for(std::string_view sha256) {
  static auto& log = log::get("artifacts");
  IOT_TRY(validate_sha256(sha256));
  std::lock_guard lock(fetch_mu_);
  if (auto path = store_->path_of(sha256)) return path;
  const std::string name(sha256);
  IOT_ASSIGN(auto writer, store_->begin_put());
  Status sink_error = ok();
  ArtifactSink sink = [&](std::string_view piece) {
    if (!sink_error) return false;
    sink_error = writer.write(piece);
    return sink_error.has_value();
  };
  Status fetched = fetch_(name, sink);
  // The sink's own error says more than the fetch's "stopped by the receiver".
  if (!sink_error) return std::unexpected(std::move(sink_error).error().context("fetch artifact " + name));
  if (!fetched) return std::unexpected(std::move(fetched).error().context("fetch artifact " + name));
  auto info = writer.commit(name);
  if (!info) return std::unexpected(std::move(info).error().context("fetch artifact " + name));
  log.info("artifact {} fetched ({} bytes)", name, info->size);
  return store_->path_of(name);
}

}  // namespace iotwins::artifacts
