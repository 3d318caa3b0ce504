#include "agent/task_runtime.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "agent/backoff.h"
#include "agent/data_plane.h"
#include "agent/streams.h"
#include "artifacts/cache.h"
#include "core/fs.h"
#include "core/log.h"
#include "dataplane/codec/records.h"
#include "runtime/process_driver.h"
#include "runtime/supervisor.h"
#include "runtime/task_report.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("tasks");
  return log;
}

constexpr size_t kMaxQueuedEvents = 10'000;
constexpr size_t kEventsPerReport = 500;

constexpr std::chrono::milliseconds kRetryCap{10'000};

std::chrono::milliseconds jittered(int attempt) { return backoff(attempt, kRetryCap); }

}  // namespace

struct TaskRuntime::Impl {
  TaskRuntimeOptions o;
  PosixFileSystem& fs = PosixFileSystem::instance();
  std::unique_ptr<artifacts::ArtifactCache> cache;
  std::unique_ptr<AgentStreams> streams;
  runtime::DriverConfig driver_config;
  std::unique_ptr<runtime::Supervisor> sup;

  std::mutex mu;
  std::condition_variable cv;       // tick, watch and report threads wait on it
  bool stopping = false;
  bool tick_now = false, report_now = false;
  std::string node_id;
  int64_t revision = 0;             // of the desired set the supervisor holds
  std::deque<runtime::TaskEvent> events;
  uint64_t events_dropped = 0;
  std::map<std::string, std::map<std::string, std::string>> attributes;
  std::unique_ptr<api::WebSocketClient> ws;
  bool ws_open = false;
  std::map<std::string, std::unique_ptr<runtime::StreamSubscription>> relays;  // guarded by relay_mu
  std::mutex relay_mu;
  std::thread tick_thread, watch_thread, report_thread;

  std::string revision_file() const { return join_path(o.data_dir, "desired.json"); }

  // <data-dir>/desired.json: {"node", "revision"} of the set tasks.json holds.
  void load_revision() {
    auto text = fs.read_file(revision_file());
    if (!text) return;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object() || !j["revision"].is_number_integer() || !j["node"].is_string()) return;
    if (j["node"].get<std::string>() == node_id) revision = j["revision"].get<int64_t>();
  }
  void save_revision(const std::string& node, int64_t rev) {
    auto st = fs.write_file_atomic(revision_file(), nlohmann::json{{"node", node}, {"revision", rev}}.dump() + "\n");
    if (!st) logger().warn("{}", st.error().message());
  }

  // External tasks speak only to the node's broker (the stream bridge). Their dataplane streams are
  // relayed by the agent: broker topic → data plane for outputs, data plane → broker for inputs.
  void update_relays(const std::vector<runtime::TaskSpec>& specs) {
    std::map<std::string, std::pair<std::string, std::string>> want;  // key → (from, to)
    for (const auto& spec : specs) {
      if (spec.driver == "builtin") continue;
      for (const auto& address : spec.outputs) {
        auto a = runtime::parse_stream_address(address);
        if (a && a->transport == "dataplane") want["out:" + a->stream] = {"mqtt:" + a->stream, address};
      }
      for (const auto& address : spec.inputs) {
        auto a = runtime::parse_stream_address(address);
        if (a && a->transport == "dataplane") want["in:" + a->stream] = {address, "mqtt:" + a->stream};
      }
    }
    std::lock_guard lock(relay_mu);
    std::erase_if(relays, [&](const auto& r) { return !want.contains(r.first); });
    for (const auto& [key, route] : want) {
      if (relays.contains(key)) continue;
      AgentStreams* hub = streams.get();
      auto sub = hub->subscribe(route.first, [hub, to = route.second](std::string_view record) {
        if (auto st = hub->publish(to, record); !st) logger().warn("stream relay to {}: {}", to, st.error().message());
      });
      if (!sub) {
        logger().warn("stream relay {}: {}", key, sub.error().message());
        continue;
      }
      relays[key] = std::move(*sub);
    }
  }

  void on_event(const runtime::TaskEvent& e) {
    std::lock_guard lock(mu);
    if (events.size() >= kMaxQueuedEvents) {
      events.pop_front();
      ++events_dropped;
    }
    events.push_back(e);
    report_now = true;
    cv.notify_all();
  }

  void tick_loop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, o.tick, [&] { return stopping || tick_now; });
      if (stopping) break;
      tick_now = false;
      lock.unlock();
      sup->tick();
      lock.lock();
    }
  }

  // One desired set from the watch: {"node", "revision", "tasks"} (or {"error"}).
  void on_watch_message(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return logger().warn("node watch: not JSON");
    if (j.contains("error")) return logger().error("node watch: {}", j["error"].dump());
    if (!j["revision"].is_number_integer() || !j["tasks"].is_array() || !j["node"].is_string()) {
      return logger().warn("node watch: a message without node, revision and tasks");
    }
    int64_t rev = j["revision"].get<int64_t>();
    std::string node = j["node"].get<std::string>();
    {
      std::lock_guard lock(mu);
      if (node != node_id || rev <= revision) return;
    }
    auto specs = runtime::decode_task_specs(j["tasks"].dump());
    if (!specs) return logger().error("desired set revision {} refused: {}", rev, specs.error().message());
    size_t n = specs->size();
    update_relays(*specs);
    if (auto st = sup->set_desired(std::move(*specs)); !st) {
      return logger().error("desired set revision {} refused: {}", rev, st.error().message());
    }
    save_revision(node, rev);
    logger().info("desired set revision {}: {} task(s)", rev, n);
    std::lock_guard lock(mu);
    revision = rev;
    tick_now = report_now = true;
    cv.notify_all();
  }

  void watch_loop() {
    int attempt = 0;
    std::unique_lock lock(mu);
    while (!stopping) {
      if (node_id.empty()) {
        cv.wait(lock, [&] { return stopping || !node_id.empty(); });
        continue;
      }
      std::string path = "/api/v1/nodes/" + node_id + "/watch?revision=" + std::to_string(revision);
      lock.unlock();
      auto ws_client = api::WebSocketClient::connect(
          o.server_url, path, o.client, [this](std::string m) { on_watch_message(m); },
          [this](std::string reason) {
            std::lock_guard g(mu);
            if (!stopping) logger().debug("node watch closed: {} (reconnecting)", reason);
            ws_open = false;
            cv.notify_all();
          });
      lock.lock();
      if (!ws_client) {
        if (attempt % 10 == 0) logger().warn("node watch: {} (retrying)", ws_client.error().message());
        cv.wait_for(lock, jittered(attempt++), [&] { return stopping; });
        continue;
      }
      attempt = 0;
      ws = std::move(*ws_client);
      ws_open = true;
      std::string watching = node_id;
      cv.wait(lock, [&] { return stopping || !ws_open || node_id != watching; });
      auto closing = std::move(ws);
      lock.unlock();
      if (closing) closing->close();
      closing.reset();
      lock.lock();
      if (!stopping) cv.wait_for(lock, jittered(0), [&] { return stopping; });
    }
  }

  // Sends queued events, the task list and attributes; keeps the events when it fails.
  void report_loop() {
    std::unique_ptr<api::HttpClient> client;
    int failures = 0;
    std::unique_lock lock(mu);
    while (!stopping) {
      cv.wait_for(lock, failures ? jittered(failures) : o.report_every, [&] { return stopping || report_now; });
      if (stopping) break;
      report_now = false;
      if (node_id.empty()) continue;
      runtime::TaskReport r;
      size_t n = std::min(events.size(), kEventsPerReport);
      r.events.assign(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(n));
      std::string node = node_id;
      auto attrs = attributes;
      lock.unlock();
      r.tasks = sup->status();
      for (const auto& st : *r.tasks) {
        if (auto it = attrs.find(st.spec.id); it != attrs.end()) r.attributes[st.spec.id] = it->second;
        // The TOSCA attribute `pid` of iotwins.nodes.Task (0 for in-process tasks: the agent's thread).
        if (st.state == runtime::TaskState::running && st.handle.pid > 0 && st.spec.driver != "builtin") {
          r.attributes[st.spec.id]["pid"] = std::to_string(st.handle.pid);
        }
      }
      Status st = ok();
      if (!client) {
        auto c = api::HttpClient::create(o.server_url, o.client);
        if (c) client = std::move(*c);
        else st = std::unexpected(c.error());
      }
      if (client) {
        auto res = client->request(api::Method::POST, "/api/v1/nodes/" + node + "/tasks", runtime::encode_task_report(r));
        if (!res) st = std::unexpected(res.error());
        else if (!res->ok()) st = std::unexpected(api::error_from_response(*res, "task report"));
      }
      lock.lock();
      if (st) {
        // Events queued meanwhile stay; the sent ones are the oldest n (nothing else pops).
        events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(std::min(n, events.size())));
        if (failures > 0) logger().info("task reports reach the server again");
        failures = 0;
        if (!events.empty()) report_now = true;
      } else {
        if (failures++ % 10 == 0) logger().warn("task report: {} ({} event(s) kept)", st.error().message(), events.size());
      }
    }
  }
};

Result<std::unique_ptr<TaskRuntime>> TaskRuntime::open(TaskRuntimeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->o = std::move(options);
  impl->node_id = impl->o.node_id;
  Impl* raw = impl.get();
  std::string server = impl->o.server_url;
  api::ClientOptions copts = impl->o.client;
  copts.request_timeout = std::chrono::seconds(60);
  IOT_ASSIGN(impl->cache, artifacts::ArtifactCache::open(
                              join_path(impl->o.data_dir, "artifacts"),
                              [server, copts](const std::string& sha, const artifacts::ArtifactSink& sink) -> Status {
                                IOT_ASSIGN(auto client, api::HttpClient::create(server, copts));
                                IOT_ASSIGN(auto res, client->request_streaming(api::Method::GET,
                                                                               "/api/v1/artifacts/" + sha, sink));
                                if (!res.ok()) return std::unexpected(api::error_from_response(res, "artifact " + sha));
                                return ok();
                              }));
  impl->streams = std::make_unique<AgentStreams>(AgentStreamsOptions{
      .broker_url = impl->o.data_plane ? impl->o.data_plane->mqtt_url() : "",
      .data_plane = impl->o.data_plane,
      .server_url = server,
      .client = impl->o.client});
  if (!impl->node_id.empty()) impl->streams->set_node_id(impl->node_id);

  runtime::DriverConfig& dc = impl->driver_config;
  dc.tasks_dir = join_path(impl->o.data_dir, "tasks");
  artifacts::ArtifactCache* cache = impl->cache.get();
  dc.resolve_artifact = [cache](const std::string& sha) { return cache->path_for(sha); };
  dc.streams = impl->streams.get();
  dc.node = {.node_id = impl->node_id, .server_url = server, .ca_file = impl->o.client.ca_file,
             .bearer_token = impl->o.client.bearer_token,
             .broker_url = impl->o.data_plane ? impl->o.data_plane->mqtt_url() : ""};
  if (!dc.node.broker_url.empty()) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) dc.stream_bridge = {self.string(), "stream-bridge", "--broker", dc.node.broker_url};
  }
  dc.on_attribute = [raw](const std::string& task, const std::string& name, const std::string& value) {
    std::lock_guard lock(raw->mu);
    auto& slot = raw->attributes[task][name];
    if (slot == value) return;
    slot = value;
    raw->report_now = true;
    raw->cv.notify_all();
  };
  IOT_ASSIGN(auto drivers, runtime::create_drivers(dc));
  runtime::SupervisorOptions so;
  so.data_dir = impl->o.data_dir;
  so.tasks_dir = dc.tasks_dir;
  so.stop_grace = impl->o.stop_grace;
  so.on_event = [raw](const runtime::TaskEvent& e) { raw->on_event(e); };
  IOT_ASSIGN(impl->sup, runtime::Supervisor::open(std::move(so), std::move(drivers)));
  impl->load_revision();
  {
    std::vector<runtime::TaskSpec> held;
    for (auto& st : impl->sup->status()) held.push_back(std::move(st.spec));
    impl->update_relays(held);
  }
  for (const auto& [name, fp] : impl->sup->fingerprints()) {
    if (!fp.available) logger().info("task driver {} unavailable here: {}", name, fp.reason);
  }
  if (impl->o.data_plane) {
    AgentStreams* streams = impl->streams.get();
    impl->o.data_plane->tap_events([streams](std::span<const dataplane::Event> evs) { streams->on_events(evs); });
    runtime::DriverConfig log_config = dc;
    impl->o.data_plane->set_task_log([log_config](const std::string& task, const std::string& stream, size_t n) {
      return runtime::read_task_log(log_config, task, stream, n);
    });
  }
  impl->tick_thread = std::thread([raw] { raw->tick_loop(); });
  impl->watch_thread = std::thread([raw] { raw->watch_loop(); });
  impl->report_thread = std::thread([raw] { raw->report_loop(); });
  {
    std::lock_guard lock(raw->mu);
    raw->tick_now = true;
    raw->cv.notify_all();
  }
  return std::unique_ptr<TaskRuntime>(new TaskRuntime(std::move(impl)));
}

TaskRuntime::TaskRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TaskRuntime::~TaskRuntime() { stop(); }

void TaskRuntime::set_node_id(const std::string& node_id) {
  impl_->streams->set_node_id(node_id);
  std::lock_guard lock(impl_->mu);
  if (impl_->node_id == node_id) return;
  if (!impl_->node_id.empty()) impl_->revision = 0;  // another registration: its revisions start anew
  impl_->node_id = node_id;
  impl_->report_now = true;
  impl_->cv.notify_all();
}

runtime::StreamHub& TaskRuntime::streams() { return *impl_->streams; }

std::vector<model::TaskKpis> TaskRuntime::task_kpis() {
  std::vector<model::TaskKpis> out;
  for (const auto& st : impl_->sup->status()) {
    model::TaskKpis k{.id = st.spec.id, .state = std::string(runtime::task_state_name(st.state)),
                      .restarts = st.restarts};
    if (st.state == runtime::TaskState::running) {
      if (auto stats = impl_->sup->stats(st.spec.id)) {
        k.cpu_percent = stats->cpu_percent;
        k.rss_bytes = stats->rss_bytes;
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

void TaskRuntime::stop() {
  if (!impl_) return;
  std::unique_ptr<api::WebSocketClient> ws;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    ws = std::move(impl_->ws);
    impl_->cv.notify_all();
  }
  if (ws) ws->close();
  for (auto* t : {&impl_->tick_thread, &impl_->watch_thread, &impl_->report_thread}) {
    if (t->joinable()) t->join();
  }
  {
    std::lock_guard lock(impl_->relay_mu);
    impl_->relays.clear();
  }
  impl_->sup->shutdown(impl_->o.stop_tasks_on_exit);
  impl_->streams->stop();
}

}  // namespace iotwins::agent
