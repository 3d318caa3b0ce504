#include "helpers.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace iotwins::runtime::testing {

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string fresh_dir(const std::string& tag) {
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              ("runtime-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
                               info->name() + "-" + tag);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

bool pid_alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Workspace::Workspace(const std::string& tag) : root_(fresh_dir(tag)) {
  auto store = artifacts::ArtifactStore::open(root_ + "/artifacts");
  EXPECT_TRUE(store) << store.error().to_string();
  store_ = std::move(*store);
  config_.tasks_dir = root_ + "/tasks";
  config_.resolve_artifact = [this](const std::string& sha) { return store_->path_of(sha); };
}

std::string Workspace::script(const std::string& body) {
  auto info = store_->put("#!/bin/sh\n" + body + "\n");
  EXPECT_TRUE(info) << info.error().to_string();
  return info->sha256;
}

TaskSpec Workspace::exec_task(const std::string& id, const std::string& body) {
  return TaskSpec{.id = id, .deployment = "d1", .driver = "exec", .artifact_sha256 = script(body)};
}

}  // namespace iotwins::runtime::testing
