// DeviceAuth: who may connect to the agent's broker and which topics each may use, from the
// credentials file the agent writes (<data-dir>/broker/credentials) and the plugin re-reads
// when it changes (the MOSQ_EVT_BASIC_AUTH and MOSQ_EVT_ACL_CHECK callbacks ask it).
//
// File format, one user a line ('#' starts a comment):
//   internal <username> <sha256 hex of the password>   the agent and its tasks: every topic
//   device   <twin id>  <sha256 hex of the password>   iotwins/<twin>/… only (publish and subscribe)
// Passwords are high-entropy secrets made by the server (devices) or the agent (internal), so
// one SHA-256 is enough; the comparison is constant-time.
// Threading: Mosquitto runs plugin callbacks on its one main thread; no locking here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::dataplane::broker {

enum class Access { read, write, subscribe };

struct BrokerUser {
  bool internal = false;       // false: a device, limited to its twin's topics
  std::string password_sha256;  // lower-case hex
};

using BrokerUsers = std::map<std::string, BrokerUser, std::less<>>;

// Errors name the file and line; an unknown role, a malformed digest or a duplicate user is one.
Result<BrokerUsers> parse_broker_users(std::string_view text, std::string_view origin);
// The file's text for these users (what the agent writes).
std::string format_broker_users(const BrokerUsers& users);

// A device of twin `twin` may use `topic` (a topic or, for subscribe, a filter) when it is
// iotwins/<twin> or below it; '+' or '#' in the twin's level never matches.
bool device_topic_allowed(std::string_view twin, std::string_view topic);

std::string sha256_hex_of(std::string_view data);

class DeviceAuth {
 public:
  explicit DeviceAuth(std::string path) : path_(std::move(path)) {}

  // Reads the file when its size or modification time changed since the last read. A file
  // that does not parse leaves the previous users in force (the error says why); a missing
  // file means no users (nobody may connect).
  Status reload_if_changed();

  bool authenticate(std::string_view username, std::string_view password) const;
  bool allowed(std::string_view username, std::string_view topic, Access access) const;
  size_t size() const { return users_.size(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  BrokerUsers users_;
  int64_t seen_mtime_ns_ = -1;
  int64_t seen_size_ = -1;
  uint64_t seen_inode_ = 0;
};

}  // namespace iotwins::dataplane::broker
