#include "testing/fault_fs.h"

#include <optional>
#include <utility>

namespace iotwins {

struct FaultInjectingFileSystem::State {
  State(FileSystem& b, bool forward) : base(b), forward_syncs(forward) {}

  FileSystem& base;
  const bool forward_syncs;
  mutable std::mutex mu;
  uint64_t next_node = 1;
  std::map<uint64_t, Node> nodes;
  std::map<std::string, uint64_t> live;     // what the directory tree shows now
  std::map<std::string, uint64_t> durable;  // what it would show after a power cut
  // Durable content of nodes that lost their live name (removed, or replaced by a rename)
  // while a durable entry still names them.
  std::map<uint64_t, std::string> saved;
  uint64_t generation = 0;
  bool down = false;
  int failing_syncs = 0;
  std::optional<uint64_t> disk_budget;
  std::optional<size_t> tear;
  std::optional<uint64_t> crash_at;
  uint64_t ops = 0;
  uint64_t syncs = 0;

  Status check_up(std::string_view what) const {
    if (down) {
      return make_error(Errc::io_error,
                        "injected crash: file system is down until simulate_crash() (" +
                            std::string(what) + ")");
    }
    return ok();
  }

  // Counts a mutating operation and fires the crash switch when its index is reached.
  Status begin_mutation(std::string_view what) {
    IOT_TRY(check_up(what));
    uint64_t index = ops++;
    if (crash_at && *crash_at == index) {
      crash_at.reset();
      down = true;
      return make_error(Errc::io_error, "injected crash at mutating operation " +
                                            std::to_string(index) + " (" + std::string(what) +
                                            ")");
    }
    return ok();
  }

  // Starts tracking a file that existed before we saw it: it is durable as it is.
  Status adopt(const std::string& path) {
    if (live.contains(path)) return ok();
    IOT_ASSIGN(bool present, base.exists(path));
    if (!present) return ok();
    IOT_ASSIGN(uint64_t size, base.file_size(path));
    uint64_t id = next_node++;
    nodes[id] = Node{.durable_len = size, .low_water = size};
    live[path] = id;
    durable[path] = id;
    return ok();
  }

  uint64_t create_node(const std::string& path) {
    uint64_t id = next_node++;
    nodes[id] = Node{};
    live[path] = id;
    return id;
  }

  bool durably_named(uint64_t id) const {
    for (const auto& [path, node] : durable) {
      if (node == id) return true;
    }
    return false;
  }

  Result<std::string> durable_prefix(const std::string& path, uint64_t id) {
    const Node& n = nodes[id];
    uint64_t len = std::min(n.durable_len, n.low_water);
    IOT_ASSIGN(auto file, base.open(path, OpenMode::read));
    return file->read_at(0, len);
  }

  // Before a node loses its live name, keeps what a crash would bring back.
  Status save_if_durable(const std::string& path, uint64_t id) {
    if (saved.contains(id) || !durably_named(id)) return ok();
    IOT_ASSIGN(std::string content, durable_prefix(path, id));
    saved[id] = std::move(content);
    return ok();
  }
};

class FaultFile final : public File {
 public:
  using State = FaultInjectingFileSystem::State;
  FaultFile(State& state, uint64_t node, std::string path, std::unique_ptr<File> base)
      : state_(state),
        node_(node),
        generation_(state.generation),
        path_(std::move(path)),
        base_(std::move(base)) {}

  Status append(std::string_view data) override {
    std::lock_guard lock(state_.mu);
    IOT_TRY(check_handle());
    IOT_TRY(state_.begin_mutation("append " + path_));
    if (state_.tear) {
      size_t keep = std::min(*state_.tear, data.size());
      state_.tear.reset();
      IOT_TRY(base_->append(data.substr(0, keep)));
      IOT_ASSIGN(uint64_t size, base_->size());
      // The torn prefix and everything before it reached the platter; then the power went.
      auto& n = state_.nodes[node_];
      n.durable_len = size;
      n.low_water = size;
      state_.down = true;
      return make_error(Errc::io_error, "injected torn write on " + path_ + ": " +
                                            std::to_string(keep) + " of " +
                                            std::to_string(data.size()) + " bytes landed");
    }
    if (state_.disk_budget) {
      if (data.size() > *state_.disk_budget) {
        size_t fits = static_cast<size_t>(*state_.disk_budget);
        *state_.disk_budget = 0;
        IOT_TRY(base_->append(data.substr(0, fits)));
        return make_error(Errc::resource_exhausted,
                          "write " + path_ + ": No space left on device (injected)");
      }
      *state_.disk_budget -= data.size();
    }
    return base_->append(data);
  }

  Result<std::string> read_at(uint64_t offset, size_t n) const override {
    std::lock_guard lock(state_.mu);
    IOT_TRY(check_handle());
    IOT_TRY(state_.check_up("read " + path_));
    return base_->read_at(offset, n);
  }

  Status sync() override {
    std::lock_guard lock(state_.mu);
    IOT_TRY(check_handle());
    IOT_TRY(state_.begin_mutation("sync " + path_));
    ++state_.syncs;
    if (state_.failing_syncs > 0) {
      --state_.failing_syncs;
      return make_error(Errc::io_error, "fsync " + path_ + ": Input/output error (injected)");
    }
    if (state_.forward_syncs) IOT_TRY(base_->sync());
    IOT_ASSIGN(uint64_t size, base_->size());
    auto& n = state_.nodes[node_];
    n.durable_len = size;
    n.low_water = size;
    return ok();
  }

  Status truncate(uint64_t size) override {
    std::lock_guard lock(state_.mu);
    IOT_TRY(check_handle());
    IOT_TRY(state_.begin_mutation("truncate " + path_));
    IOT_TRY(base_->truncate(size));
    auto& n = state_.nodes[node_];
    n.low_water = std::min(n.low_water, size);
    return ok();
  }

  Result<uint64_t> size() const override {
    std::lock_guard lock(state_.mu);
    IOT_TRY(check_handle());
    IOT_TRY(state_.check_up("stat " + path_));
    return base_->size();
  }

  Status close() override { return base_->close(); }

 private:
  Status check_handle() const {
    if (generation_ != state_.generation) {
      return make_error(Errc::io_error,
                        "file handle for " + path_ + " was opened before a simulated crash");
    }
    return ok();
  }

  State& state_;
  uint64_t node_;
  uint64_t generation_;
  std::string path_;
  std::unique_ptr<File> base_;
};

FaultInjectingFileSystem::FaultInjectingFileSystem(FileSystem& base, bool forward_syncs)
    : state_(std::make_unique<State>(base, forward_syncs)) {}

FaultInjectingFileSystem::~FaultInjectingFileSystem() = default;

Result<std::unique_ptr<File>> FaultInjectingFileSystem::open(const std::string& path,
                                                             OpenMode mode) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  if (mode == OpenMode::read) {
    IOT_TRY(s.check_up("open " + path));
  } else {
    IOT_TRY(s.begin_mutation("open " + path));
  }
  IOT_TRY(s.adopt(path));
  IOT_ASSIGN(auto file, s.base.open(path, mode));
  auto it = s.live.find(path);
  uint64_t id = it == s.live.end() ? s.create_node(path) : it->second;
  if (mode == OpenMode::truncate_write) s.nodes[id].low_water = 0;
  return std::unique_ptr<File>(std::make_unique<FaultFile>(s, id, path, std::move(file)));
}

Result<bool> FaultInjectingFileSystem::exists(const std::string& path) {
  std::lock_guard lock(state_->mu);
  IOT_TRY(state_->check_up("stat " + path));
  return state_->base.exists(path);
}

Status FaultInjectingFileSystem::create_dirs(const std::string& path) {
  std::lock_guard lock(state_->mu);
  IOT_TRY(state_->begin_mutation("create directory " + path));
  return state_->base.create_dirs(path);
}

Result<std::vector<std::string>> FaultInjectingFileSystem::list(const std::string& dir) {
  std::lock_guard lock(state_->mu);
  IOT_TRY(state_->check_up("list " + dir));
  return state_->base.list(dir);
}

Status FaultInjectingFileSystem::remove(const std::string& path) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  IOT_TRY(s.begin_mutation("remove " + path));
  IOT_TRY(s.adopt(path));
  auto it = s.live.find(path);
  if (it != s.live.end()) IOT_TRY(s.save_if_durable(path, it->second));
  IOT_TRY(s.base.remove(path));
  s.live.erase(path);
  return ok();
}

Status FaultInjectingFileSystem::rename(const std::string& from, const std::string& to) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  IOT_TRY(s.begin_mutation("rename " + from + " to " + to));
  IOT_TRY(s.adopt(from));
  IOT_TRY(s.adopt(to));
  auto target = s.live.find(to);
  if (target != s.live.end()) IOT_TRY(s.save_if_durable(to, target->second));
  IOT_TRY(s.base.rename(from, to));
  auto source = s.live.find(from);
  if (source != s.live.end()) {
    uint64_t id = source->second;
    s.live.erase(source);
    s.live[to] = id;
  }
  return ok();
}

Status FaultInjectingFileSystem::sync_dir(const std::string& dir) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  IOT_TRY(s.begin_mutation("sync directory " + dir));
  ++s.syncs;
  if (s.failing_syncs > 0) {
    --s.failing_syncs;
    return make_error(Errc::io_error, "fsync directory " + dir + ": Input/output error (injected)");
  }
  if (s.forward_syncs) IOT_TRY(s.base.sync_dir(dir));
  std::erase_if(s.durable, [&](const auto& e) { return dirname(e.first) == dir; });
  for (const auto& [path, id] : s.live) {
    if (dirname(path) == dir) s.durable[path] = id;
  }
  std::erase_if(s.saved, [&](const auto& e) { return !s.durably_named(e.first); });
  return ok();
}

Result<uint64_t> FaultInjectingFileSystem::file_size(const std::string& path) {
  std::lock_guard lock(state_->mu);
  IOT_TRY(state_->check_up("stat " + path));
  return state_->base.file_size(path);
}

Result<uint64_t> FaultInjectingFileSystem::free_bytes(const std::string& path) {
  std::lock_guard lock(state_->mu);
  IOT_TRY(state_->check_up("statvfs " + path));
  if (state_->disk_budget) return *state_->disk_budget;
  return state_->base.free_bytes(path);
}

void FaultInjectingFileSystem::fail_next_syncs(int n) {
  std::lock_guard lock(state_->mu);
  state_->failing_syncs = n;
}

void FaultInjectingFileSystem::fill_disk_after(uint64_t bytes) {
  std::lock_guard lock(state_->mu);
  state_->disk_budget = bytes;
}

void FaultInjectingFileSystem::clear_disk_full() {
  std::lock_guard lock(state_->mu);
  state_->disk_budget.reset();
}

void FaultInjectingFileSystem::tear_next_append(size_t keep) {
  std::lock_guard lock(state_->mu);
  state_->tear = keep;
}

void FaultInjectingFileSystem::crash_at_op(uint64_t index) {
  std::lock_guard lock(state_->mu);
  state_->crash_at = index;
}

uint64_t FaultInjectingFileSystem::mutating_ops() const {
  std::lock_guard lock(state_->mu);
  return state_->ops;
}

bool FaultInjectingFileSystem::is_down() const {
  std::lock_guard lock(state_->mu);
  return state_->down;
}

uint64_t FaultInjectingFileSystem::sync_count() const {
  std::lock_guard lock(state_->mu);
  return state_->syncs;
}

Status FaultInjectingFileSystem::simulate_crash() {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  std::map<uint64_t, std::string> live_path_of;
  for (const auto& [path, id] : s.live) live_path_of[id] = path;

  std::map<std::string, std::string> survivors;
  for (const auto& [path, id] : s.durable) {
    if (auto it = s.saved.find(id); it != s.saved.end()) {
      survivors[path] = it->second;
    } else if (auto lp = live_path_of.find(id); lp != live_path_of.end()) {
      IOT_ASSIGN(survivors[path], s.durable_prefix(lp->second, id));
    } else {
      return make_error(Errc::internal, "fault fs lost track of durable file " + path);
    }
  }
  for (const auto& [path, id] : s.live) {
    if (auto removed = s.base.remove(path); !removed) {
      return std::unexpected(std::move(removed.error()).context("simulate crash"));
    }
  }
  s.live.clear();
  s.durable.clear();
  s.nodes.clear();
  s.saved.clear();
  for (const auto& [path, content] : survivors) {
    IOT_TRY(s.base.create_dirs(dirname(path)));
    IOT_ASSIGN(auto file, s.base.open(path, OpenMode::truncate_write));
    IOT_TRY(file->append(content));
    IOT_TRY(file->close());
    uint64_t id = s.next_node++;
    s.nodes[id] = Node{.durable_len = content.size(), .low_water = content.size()};
    s.live[path] = id;
    s.durable[path] = id;
  }
  ++s.generation;
  s.down = false;
  s.failing_syncs = 0;
  s.tear.reset();
  s.crash_at.reset();
  return ok();
}

}  // namespace iotwins
