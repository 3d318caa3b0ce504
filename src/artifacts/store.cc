#include "artifacts/store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "core/log.h"
#include "dataplane/objects/chunk.h"

namespace iotwins::artifacts {
namespace {

constexpr std::string_view kTempDir = "tmp";
constexpr size_t kReadPiece = 1 << 20;

auto& logger() {
  static auto& log = log::get("artifacts");
  return log;
}

bool is_shard(std::string_view name) {
  return name.size() == 2 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string temp_name() {
  static std::atomic<uint64_t> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + ".part";
}

}  // namespace

Status validate_sha256(std::string_view sha256) {
  auto st = dataplane::validate_sha256_hex(sha256);
  if (!st) {
    std::string shown(sha256.substr(0, 80));
    return make_error(Errc::invalid_argument, "artifact name '" + shown + "': " + st.error().message());
  }
  return ok();
}

struct ArtifactWriter::Hasher {
  dataplane::Sha256 sha;
};

ArtifactWriter::ArtifactWriter(ArtifactStore& store, std::string temp_path, std::unique_ptr<File> file)
    : store_(&store), temp_path_(std::move(temp_path)), file_(std::move(file)),
      hasher_(std::make_unique<Hasher>()) {}

ArtifactWriter::ArtifactWriter(ArtifactWriter&& other) noexcept
    : store_(other.store_), temp_path_(std::move(other.temp_path_)), file_(std::move(other.file_)),
      hasher_(std::move(other.hasher_)), size_(other.size_), spent_(other.spent_) {
  other.spent_ = true;
  other.temp_path_.clear();
}

ArtifactWriter::~ArtifactWriter() { discard(); }

void ArtifactWriter::discard() {
  if (spent_ && temp_path_.empty()) return;
  spent_ = true;
  if (file_) {
    (void)file_->close();
    file_.reset();
  }
  if (!temp_path_.empty()) {
    if (auto st = store_->fs_.remove(temp_path_); !st) {
      logger().warn("artifact temp file {} left behind: {}", temp_path_, st.error().to_string());
    }
    temp_path_.clear();
  }
}

Status ArtifactWriter::write(std::string_view bytes) {
  if (spent_) return make_error(Errc::internal, "artifact writer used after an error or commit");
  if (bytes.size() > store_->options_.max_bytes - size_) {
    discard();
    return make_error(Errc::too_large, "artifact is over the limit of " +
                                           std::to_string(store_->options_.max_bytes) + " bytes");
  }
  if (auto st = file_->append(bytes); !st) {
    discard();
    return std::unexpected(std::move(st).error().context("write artifact"));
  }
  hasher_->sha.update(bytes);
  size_ += bytes.size();
  return ok();
}

Result<ArtifactInfo> ArtifactWriter::commit(std::string_view expected_sha256) {
  if (spent_) return make_error(Errc::internal, "artifact writer used after an error or commit");
  std::string sha = hasher_->sha.hex();
  if (!expected_sha256.empty() && sha != expected_sha256) {
    discard();
    return make_error(Errc::corruption, "artifact content has sha256 " + sha + ", expected " +
                                            std::string(expected_sha256));
  }
  Status st = file_->sync();
  if (st) st = file_->close();
  file_.reset();
  if (!st) {
    discard();
    return std::unexpected(std::move(st).error().context("write artifact"));
  }
  auto info = store_->install(temp_path_, sha, size_);
  if (!info) {
    discard();
    return info;
  }
  spent_ = true;
  temp_path_.clear();
  return info;
}

Result<std::unique_ptr<ArtifactStore>> ArtifactStore::open(std::string dir, StoreOptions options, FileSystem& fs) {
  if (dir.empty()) return make_error(Errc::invalid_argument, "artifact store: empty directory");
  if (options.max_bytes == 0) return make_error(Errc::invalid_argument, "artifact store: max_bytes must be > 0");
  std::string temp_dir = join_path(dir, kTempDir);
  IOT_TRY(fs.create_dirs(temp_dir));
  // A put interrupted by a crash left its temp file; nothing refers to it.
  IOT_ASSIGN(auto leftovers, fs.list(temp_dir));
  for (const auto& name : leftovers) IOT_TRY(fs.remove(join_path(temp_dir, name)));
  return std::unique_ptr<ArtifactStore>(new ArtifactStore(std::move(dir), options, fs));
}

std::string ArtifactStore::final_path(std::string_view sha256) const {
  return join_path(join_path(dir_, sha256.substr(0, 2)), sha256);
}

Result<ArtifactWriter> ArtifactStore::begin_put() {
  std::string path = join_path(join_path(dir_, kTempDir), temp_name());
  IOT_ASSIGN(auto file, fs_.open(path, OpenMode::truncate_write));
  return ArtifactWriter(*this, std::move(path), std::move(file));
}

Result<ArtifactInfo> ArtifactStore::install(const std::string& temp_path, const std::string& sha256, uint64_t size) {
  std::string final = final_path(sha256);
  IOT_ASSIGN(bool present, fs_.exists(final));
  if (present) {
    // Same name, same bytes (content addressing): keep the file that is already there.
    IOT_TRY(fs_.remove(temp_path));
    return ArtifactInfo{sha256, size};
  }
  std::string shard = dirname(final);
  IOT_TRY(fs_.create_dirs(shard));
  IOT_TRY(fs_.rename(temp_path, final));
  IOT_TRY(fs_.sync_dir(shard));
  logger().debug("artifact {} stored ({} bytes)", sha256, size);
  return ArtifactInfo{sha256, size};
}

Result<ArtifactInfo> ArtifactStore::put(const ByteReader& read) {
  IOT_ASSIGN(auto writer, begin_put());
  for (;;) {
    IOT_ASSIGN(std::string piece, read());
    if (piece.empty()) break;
    IOT_TRY(writer.write(piece));
  }
  return writer.commit();
}

Result<ArtifactInfo> ArtifactStore::put(std::string_view bytes) {
  IOT_ASSIGN(auto writer, begin_put());
  IOT_TRY(writer.write(bytes));
  return writer.commit();
}

Result<ArtifactInfo> ArtifactStore::stat(std::string_view sha256) {
  IOT_TRY(validate_sha256(sha256));
  IOT_ASSIGN(bool present, fs_.exists(final_path(sha256)));
  if (!present) return make_error(Errc::not_found, "artifact " + std::string(sha256) + " is not stored");
  IOT_ASSIGN(uint64_t size, fs_.file_size(final_path(sha256)));
  return ArtifactInfo{std::string(sha256), size};
}

Result<std::unique_ptr<File>> ArtifactStore::open_artifact(std::string_view sha256) {
  IOT_TRY(stat(sha256));
  return fs_.open(final_path(sha256), OpenMode::read);
}

Result<std::string> ArtifactStore::read(std::string_view sha256) {
  IOT_TRY(stat(sha256));
  return fs_.read_file(final_path(sha256));
}

Result<std::string> ArtifactStore::path_of(std::string_view sha256) {
  IOT_TRY(stat(sha256));
  return final_path(sha256);
}

Status ArtifactStore::verify(std::string_view sha256) {
  IOT_ASSIGN(auto file, open_artifact(sha256));
  IOT_ASSIGN(uint64_t size, file->size());
  dataplane::Sha256 h;
  for (uint64_t at = 0; at < size;) {
    IOT_ASSIGN(auto piece, file->read_at(at, static_cast<size_t>(std::min<uint64_t>(kReadPiece, size - at))));
    if (piece.empty()) return make_error(Errc::io_error, "read artifact " + std::string(sha256) + ": unexpected end");
    h.update(piece);
    at += piece.size();
  }
  std::string actual = h.hex();
  if (actual != sha256) {
    return make_error(Errc::corruption, "artifact " + std::string(sha256) + " now hashes to " + actual +
                                            " (file " + final_path(sha256) + " is damaged; remove it and put it again)");
  }
  return ok();
}

Status ArtifactStore::remove(std::string_view sha256) {
  IOT_TRY(stat(sha256));
  std::string path = final_path(sha256);
  IOT_TRY(fs_.remove(path));
  return fs_.sync_dir(dirname(path));
}

Result<ArtifactPage> ArtifactStore::list(std::string_view after, size_t limit) {
  if (!after.empty()) IOT_TRY(validate_sha256(after));
  if (limit == 0 || limit > 10000) {
    return make_error(Errc::invalid_argument, "artifact list: limit must be 1..10000, got " + std::to_string(limit));
  }
  ArtifactPage page;
  IOT_ASSIGN(auto shards, fs_.list(dir_));
  for (const auto& shard : shards) {
    if (!is_shard(shard) || (!after.empty() && shard < after.substr(0, 2))) continue;
    IOT_ASSIGN(auto names, fs_.list(join_path(dir_, shard)));
    for (const auto& name : names) {
      if (!validate_sha256(name) || name.compare(0, 2, shard) != 0) continue;
      if (!after.empty() && name <= after) continue;
      if (page.items.size() == limit) {
        page.next_after = page.items.back().sha256;
        return page;
      }
      IOT_ASSIGN(uint64_t size, fs_.file_size(join_path(join_path(dir_, shard), name)));
      page.items.push_back({name, size});
    }
  }
  return page;
}

}  // namespace iotwins::artifacts
