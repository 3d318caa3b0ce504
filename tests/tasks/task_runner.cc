#include "task_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime/process_driver.h"
#include "tasks/builtins.h"

namespace iotwins::tasks::testing {

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval, not a wait for an event
  }
  return pred();
}

TaskRunner::TaskRunner(runtime::NodeContext node) {
  static std::atomic<int> n{0};
  dir_ = ::testing::TempDir() + "/tasks_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  runtime::DriverConfig config;
  config.tasks_dir = dir_;
  config.streams = &hub;
  config.node = std::move(node);
  config.on_attribute = [this](const std::string&, const std::string& k, const std::string& v) {
    std::lock_guard lock(mu_);
    attributes_[k] = v;
  };
  register_builtin_tasks();
  driver_ = std::make_unique<runtime::BuiltinDriver>(config, runtime::builtin_tasks());
}

TaskRunner::~TaskRunner() {
  if (running_) stop();
  subs_.clear();
}

Status TaskRunner::start(const std::string& type, const nlohmann::json& config, std::vector<std::string> inputs,
                         std::vector<std::string> outputs) {
  for (const auto& address : outputs) {
    IOT_ASSIGN(auto sub, hub.subscribe(address, [this](std::string_view record) {
      std::lock_guard lock(mu_);
      records_.push_back(nlohmann::json::parse(record));
    }));
    subs_.push_back(std::move(sub));
  }
  runtime::TaskSpec spec{.id = "t1", .driver = "builtin", .builtin = type, .config_json = config.dump()};
  spec.inputs = std::move(inputs);
  spec.outputs = std::move(outputs);
  IOT_TRY(driver_->start(spec));
  running_ = true;
  return ok();
}

std::vector<nlohmann::json> TaskRunner::records() {
  std::lock_guard lock(mu_);
  return records_;
}

std::string TaskRunner::attribute(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = attributes_.find(name);
  return it == attributes_.end() ? "" : it->second;
}

std::string TaskRunner::log() const {
  std::ifstream in(runtime::task_log_path(dir_ + "/t1", "stdout"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<runtime::TaskExit> TaskRunner::poll() {
  auto exit = driver_->poll("t1");
  if (exit) running_ = false;
  return exit;
}

runtime::TaskExit TaskRunner::stop() {
  running_ = false;
  auto exit = driver_->stop("t1", std::chrono::seconds(10));
  return exit ? *exit : runtime::TaskExit{.reason = exit.error().message()};
}

bool TaskRunner::subscribed(const std::string& stream) {
  return eventually([&] { return hub.subscribers(stream) > 0; });
}

}  // namespace iotwins::tasks::testing
