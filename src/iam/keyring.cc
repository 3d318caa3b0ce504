#include "iam/keyring.h"

#include <algorithm>
#include <cstdio>

#include "core/log.h"
#include "iam/secret_file.h"

namespace iotwins::iam {
namespace {

constexpr size_t kSeqDigits = 10;

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

// "0000000042.pem" -> 42; anything else (temp files, stray files) is not a key.
bool parse_name(const std::string& name, uint64_t* seq) {
  if (name.size() != kSeqDigits + 4 || !name.ends_with(".pem")) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < kSeqDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *seq = v;
  return true;
}

std::string file_name(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%010llu.pem", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

Result<std::unique_ptr<KeyRing>> KeyRing::open(FileSystem& fs, std::string dir, KeyRingOptions options) {
  std::unique_ptr<KeyRing> ring(new KeyRing(fs, std::move(dir), options));
  IOT_TRY(make_private_dir(fs, ring->dir_));
  IOT_TRY(ring->load());
  if (ring->keys_.empty()) {
    std::lock_guard lock(ring->mu_);
    IOT_ASSIGN(SigningKey key, ring->add_key_locked());
    logger().info("created the first token signing key {} in {}", key.kid(), ring->dir_);
  }
  return ring;
}

Status KeyRing::load() {
  IOT_ASSIGN(auto names, fs_.list(dir_));
  std::lock_guard lock(mu_);
  for (const auto& name : names) {
    uint64_t seq = 0;
    if (!parse_name(name, &seq)) continue;
    std::string path = join_path(dir_, name);
    IOT_ASSIGN(std::string pem, fs_.read_file(path));
    auto key = SigningKey::from_pem(pem);
    if (!key) return make_error(Errc::corruption, "signing key " + path + ": " + key.error().message());
    keys_.push_back(Entry{seq, std::move(*key)});
  }
  std::sort(keys_.begin(), keys_.end(), [](const Entry& a, const Entry& b) { return a.sequence < b.sequence; });
  return ok();
}

Result<SigningKey> KeyRing::add_key_locked() {
  IOT_ASSIGN(SigningKey key, SigningKey::generate());
  IOT_ASSIGN(std::string pem, key.to_pem());
  uint64_t seq = keys_.empty() ? 1 : keys_.back().sequence + 1;
  IOT_TRY(write_secret_file(fs_, join_path(dir_, file_name(seq)), pem));
  keys_.push_back(Entry{seq, key});
  return key;
}

Status KeyRing::prune_locked() {
  while (keys_.size() > options_.keep_previous + 1) {
    IOT_TRY(fs_.remove(join_path(dir_, file_name(keys_.front().sequence))));
    keys_.erase(keys_.begin());
  }
  return fs_.sync_dir(dir_);
}

SigningKey KeyRing::current() const {
  std::lock_guard lock(mu_);
  return keys_.back().key;
}

KeySet KeyRing::verification_keys() const {
  std::lock_guard lock(mu_);
  KeySet set;
  size_t first = keys_.size() > options_.keep_previous + 1 ? keys_.size() - options_.keep_previous - 1 : 0;
  for (size_t i = first; i < keys_.size(); ++i) {
    (void)set.add(keys_[i].key.public_key());  // thumbprint kids of distinct keys never collide
  }
  return set;
}

Result<SigningKey> KeyRing::rotate() {
  std::lock_guard lock(mu_);
  IOT_ASSIGN(SigningKey key, add_key_locked());
  IOT_TRY(prune_locked());
  logger().info("token signing key rotated: {} is current", key.kid());
  return key;
}

}  // namespace iotwins::iam
