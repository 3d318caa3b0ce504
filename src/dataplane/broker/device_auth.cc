#include "dataplane/broker/device_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace iotwins::dataplane::broker {
namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string sha256_hex_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

Result<BrokerUsers> parse_broker_users(std::string_view text, std::string_view origin) {
  BrokerUsers users;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto where = [&] { return std::string(origin) + ":" + std::to_string(n) + ": "; };
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string role, name, digest, extra;
    if (!(fields >> role)) continue;  // blank
    if (!(fields >> name >> digest) || (fields >> extra)) {
      return make_error(Errc::invalid_argument, where() + "expected '<internal|device> <username> <sha256 hex>'");
    }
    if (role != "internal" && role != "device") {
      return make_error(Errc::invalid_argument, where() + "unknown role '" + role + "' (internal, device)");
    }
    if (!is_hex64(digest)) return make_error(Errc::invalid_argument, where() + "the digest is not 64 lower-case hex digits");
    if (name.size() > 128) return make_error(Errc::invalid_argument, where() + "user name over 128 bytes");
    if (!users.emplace(name, BrokerUser{role == "internal", digest}).second) {
      return make_error(Errc::invalid_argument, where() + "user '" + name + "' appears twice");
    }
  }
  return users;
}

std::string format_broker_users(const BrokerUsers& users) {
  std::string out = "# iotwins broker credentials, written by the agent: <internal|device> <username> <sha256 hex>\n";
  for (const auto& [name, user] : users) {
    out += (user.internal ? "internal " : "device ") + name + " " + user.password_sha256 + "\n";
  }
  return out;
}

bool device_topic_allowed(std::string_view twin, std::string_view topic) {
  if (twin.empty() || twin.find_first_of("+#/") != std::string_view::npos) return false;
  constexpr std::string_view kRoot = "iotwins/";
  if (!topic.starts_with(kRoot)) return false;
  std::string_view rest = topic.substr(kRoot.size());
  if (!rest.starts_with(twin)) return false;
  rest = rest.substr(twin.size());
  return rest.empty() || rest.front() == '/';
}

Status DeviceAuth::reload_if_changed() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    users_.clear();
    seen_mtime_ns_ = seen_size_ = -1;
    seen_inode_ = 0;
    return ok();
  }
  // The agent replaces the file by a rename (a new inode), so a change within the clock's
  // granularity that keeps the size (a device's new secret) is still seen.
  int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime == seen_mtime_ns_ && static_cast<int64_t>(st.st_size) == seen_size_ && st.st_ino == seen_inode_) return ok();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot read " + path_);
  std::stringstream text;
  text << in.rdbuf();
  seen_mtime_ns_ = mtime;
  seen_size_ = static_cast<int64_t>(st.st_size);
  seen_inode_ = static_cast<uint64_t>(st.st_ino);
  IOT_ASSIGN(users_, parse_broker_users(text.str(), path_));
  return ok();
}

bool DeviceAuth::authenticate(std::string_view username, std::string_view password) const {
  auto it = users_.find(username);
  // A digest is computed even for unknown users, so both cost the same.
  std::string digest = sha256_hex_of(password);
  if (it == users_.end()) return false;
  return CRYPTO_memcmp(digest.data(), it->second.password_sha256.data(), digest.size()) == 0;
}

bool DeviceAuth::allowed(std::string_view username, std::string_view topic, Access) const {
  auto it = users_.find(username);
  if (it == users_.end()) return false;
  if (it->second.internal) return true;
  return device_topic_allowed(username, topic);
}

}  // namespace iotwins::dataplane::broker
