// Shared by the runtime tests: a temp dir per test, scripts stored as real artifacts, polling.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "artifacts/store.h"
#include "runtime/driver.h"

namespace iotwins::runtime::testing {

// Polls pred (every few ms) until it holds or the deadline passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline = std::chrono::seconds(20));

// A fresh directory under the gtest temp dir, named after the running test.
std::string fresh_dir(const std::string& tag);

bool pid_alive(pid_t pid);
std::string read_file(const std::string& path);

// An artifact store holding shell scripts, and a DriverConfig whose artifacts come from it.
class Workspace {
 public:
  explicit Workspace(const std::string& tag);
  // Stores "#!/bin/sh\n" + body as an artifact; returns its sha256.
  std::string script(const std::string& body);
  TaskSpec exec_task(const std::string& id, const std::string& body);
  const DriverConfig& config() const { return config_; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::unique_ptr<artifacts::ArtifactStore> store_;
  DriverConfig config_;
};

}  // namespace iotwins::runtime::testing
