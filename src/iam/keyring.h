// KeyRing: the server's token signing keys. One current key signs; the previous ones still
// verify, so tokens issued just before a rotation stay valid until they expire. Each key is a
// PKCS#8 PEM file "<sequence>.pem" (10 digits) in a private directory (0700, files 0600),
// written atomically; the highest sequence is the current key.
// Thread-safe: a mutex guards the ring; accessors return copies (keys share their OpenSSL handle).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/result.h"
#include "iam/keys.h"

namespace iotwins::iam {

struct KeyRingOptions {
  size_t keep_previous = 2;  // previous keys kept for verification after a rotation
};

class KeyRing {
 public:
  // Loads the keys in `dir`, creating the directory and a first key when there is none.
  static Result<std::unique_ptr<KeyRing>> open(FileSystem& fs, std::string dir, KeyRingOptions options = {});

  SigningKey current() const;
  // Current and previous keys: what verifies tokens and what /.well-known/jwks.json publishes.
  KeySet verification_keys() const;
  // Makes a new current key, persists it, and deletes keys beyond keep_previous.
  Result<SigningKey> rotate();

 private:
  KeyRing(FileSystem& fs, std::string dir, KeyRingOptions options)
      : fs_(fs), dir_(std::move(dir)), options_(options) {}
  struct Entry {
    uint64_t sequence;
    SigningKey key;
  };
  Status load();
  Result<SigningKey> add_key_locked();
  Status prune_locked();

  FileSystem& fs_;
  std::string dir_;
  KeyRingOptions options_;
  mutable std::mutex mu_;
  std::vector<Entry> keys_;  // ascending sequence; back() is current
};

}  // namespace iotwins::iam
