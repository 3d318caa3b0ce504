// bench/run orchestrator: deployments end to end with the real binaries — a server and four
// agents (iot, two edge, cloud) on localhost, each its own process with its managed broker.
//   factory: POST examples/chains/factory.yaml (resources scaled to this machine) → every node
//     instance started (CREATE_COMPLETE), polled every 5 ms; anchor: a one-task deployment in the
//     same run; and INDIGO/IM, which provision in minutes (60 s taken as their floor)
//   parallel: N deployments of a three-task chain (one task per level) posted from 8 threads →
//     all CREATE_COMPLETE; then all undeployed → all DELETE_COMPLETE
//   heal_crash: a task's process killed → running again (new pid) as the server sees it
//   heal_node_down: an edge agent and its task killed → the task started on the other edge node;
//     anchor: the server's --down-timeout (the time a node must be silent before its tasks move)
// Prints one JSON object last.
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "e2e_cluster.h"

namespace {

using namespace std::chrono_literals;
using namespace iotwins;
using namespace iotwins::bench;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kDownTimeout = "3s";
constexpr double kDownTimeoutS = 3.0;
constexpr double kIndigoFloorS = 60.0;  // "INDIGO and IM provision in minutes" (issue #8)

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class Api {
 public:
  Api(std::string url, std::string token) : url_(std::move(url)), token_(std::move(token)) {}
  json call(api::Method m, const std::string& path, const std::string& body = "") const {
    api::ClientOptions o;
    o.bearer_token = token_;
    auto c = api::HttpClient::create(url_, o);
    if (!c) return nullptr;
    auto r = (*c)->request(m, path, body);
    if (!r) return nullptr;
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) j = json::object();
    if (j.is_object()) j["_status"] = r->status;
    return j;
  }
  const std::string& url() const { return url_; }

 private:
  std::string url_, token_;
};

std::string scaled_factory() {
  std::string text = slurp(std::string(IOTWINS_SOURCE_DIR) + "/examples/chains/factory.yaml");
  for (auto [from, to] : {std::pair{"{cpu: 4, memory: 8 GiB}", "{cpu: 1, memory: 1 GiB}"},
                          std::pair{"resources: {cpu: 2, memory: 2 GiB}", "resources: {cpu: 0.25, memory: 256 MiB}"},
                          std::pair{"resources: {cpu: 1, memory: 1 GiB}", "resources: {cpu: 0.25, memory: 256 MiB}"}}) {
    size_t at = text.find(from);
    if (at != std::string::npos) text.replace(at, std::string(from).size(), to);
  }
  return text;
}

std::string task(const std::string& name, const std::string& host) {
  return "    " + name + ":\n      type: iotwins.nodes.Task\n      properties:\n        command: [/bin/sleep, \"100000\"]\n"
         "        resources: {cpu: 0.01, memory: 1 MiB}\n" +
         (host.empty() ? "" : "      requirements: [{host: " + host + "}]\n");
}

const std::string kHeader = "tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [iotwins]\ntopology_template:\n"
                            "  node_templates:\n";
const std::string kOneTask = kHeader + "    box: {type: iotwins.nodes.Compute, properties: {level: edge}}\n" + task("t", "box");
const std::string kThreeLevels = kHeader + "    a: {type: iotwins.nodes.Compute, properties: {level: iot}}\n" +
                                 "    b: {type: iotwins.nodes.Compute, properties: {level: edge}}\n" +
                                 "    c: {type: iotwins.nodes.Compute, properties: {level: cloud}}\n" + task("ta", "a") +
                                 task("tb", "b") + task("tc", "c");
// Host-less (bound to `box` by the validator, placed on its own), so it may move to any edge node.
const std::string kMovable = kHeader + "    box: {type: iotwins.nodes.Compute, properties: {level: edge}}\n" + task("roamer", "") +
                             "  policies:\n    - edge_only:\n        type: iotwins.policies.Placement\n"
                             "        properties: {level: edge}\n        targets: [roamer]\n";

struct Cluster {
  std::string dir, binary;
  std::unique_ptr<Daemon> server;
  std::map<std::string, std::unique_ptr<Daemon>> agents;
  std::unique_ptr<Api> api;
};

Status start_cluster(Cluster& c) {
  std::filesystem::remove_all(c.dir);
  std::filesystem::create_directories(c.dir);
  std::ofstream(c.dir + "/admin.password") << "bench-admin-password\n";
  IOT_ASSIGN(c.server, Daemon::start(c.binary, "server",
                                     {"server", "--listen", "127.0.0.1:0", "--data-dir", c.dir + "/server",
                                      "--admin-password-file", c.dir + "/admin.password", "--reconcile-interval",
                                      "200ms", "--heartbeat-timeout", "1s", "--down-timeout", kDownTimeout},
                                     c.dir));
  std::string url;
  if (!poll_until([&] {
        url = slurp(c.dir + "/server/server.url");
        return !url.empty();
      }, 30s)) {
    return make_error(Errc::timeout, "server did not start: " + c.server->log_tail());
  }
  url = url.substr(0, url.find('\n'));
  Api anonymous(url, "");
  if (!poll_until([&] { return anonymous.call(api::Method::GET, "/readyz")["_status"] == 200; }, 30s)) {
    return make_error(Errc::timeout, "server not ready");
  }
  json login = anonymous.call(api::Method::POST, "/api/v1/auth/token",
                              json{{"grant_type", "password"}, {"username", "admin"}, {"password", "bench-admin-password"}}.dump());
  std::string token = login.is_object() && login["access_token"].is_string() ? login["access_token"].get<std::string>() : "";
  c.api = std::make_unique<Api>(url, token);
  bool enforcing = anonymous.call(api::Method::GET, "/api/v1/nodes")["_status"] == 401;
  for (auto [name, level] : {std::pair{"iot-1", "iot"}, std::pair{"edge-a", "edge"}, std::pair{"edge-b", "edge"},
                             std::pair{"cloud-1", "cloud"}}) {
    std::vector<std::string> args = {"agent", "--server", url, "--level", level, "--data-dir", c.dir + "/" + name,
                                     "--name", name, "--heartbeat-interval", "500ms", "--mqtt-port", "0",
                                     "--labels", "plant=plant-1", "--stop-tasks-on-exit", "--log-level", "warn"};
    if (enforcing) {
      json t = c.api->call(api::Method::POST, "/api/v1/join-tokens", R"({"ttl":"1h"})");
      if (!t["token"].is_string()) return make_error(Errc::unavailable, "no join token: " + t.dump());
      args.insert(args.end(), {"--join-token", t["token"].get<std::string>()});
    }
    IOT_ASSIGN(c.agents[name], Daemon::start(c.binary, name, args, c.dir));
  }
  if (!poll_until([&] {
        json nodes = c.api->call(api::Method::GET, "/api/v1/nodes");
        size_t ready = 0;
        if (nodes.is_object()) {
          for (const auto& n : nodes["items"]) ready += n["state"] == "ready";
        }
        return ready == 4;
      }, 60s)) {
    return make_error(Errc::timeout, "agents did not register: " + c.agents["edge-a"]->log_tail());
  }
  return ok();
}

std::string create(const Api& a, const std::string& yaml) {
  json d = a.call(api::Method::POST, "/api/v1/deployments", json{{"template", yaml}}.dump());
  return d.is_object() && d["id"].is_string() ? d["id"].get<std::string>() : "";
}

bool wait_status(const Api& a, const std::string& id, const std::string& status, std::chrono::milliseconds deadline) {
  return poll_until([&] { return a.call(api::Method::GET, "/api/v1/deployments/" + id)["status"] == status; }, deadline,
                    5ms);
}

// Seconds from POST to CREATE_COMPLETE (then undeployed); -1 on failure.
double deploy_time(const Api& a, const std::string& yaml) {
  auto t0 = Clock::now();
  std::string id = create(a, yaml);
  if (id.empty() || !wait_status(a, id, "CREATE_COMPLETE", 60s)) return -1;
  double s = since(t0);
  a.call(api::Method::DELETE, "/api/v1/deployments/" + id);
  wait_status(a, id, "DELETE_COMPLETE", 60s);
  return s;
}

json instance(const Api& a, const std::string& id, const std::string& name) {
  json d = a.call(api::Method::GET, "/api/v1/deployments/" + id);
  if (!d.is_object()) return nullptr;
  for (const auto& n : d["instances"]) {
    if (n["name"] == name) return n;
  }
  return nullptr;
}

int64_t pid_of(const json& n) {
  if (!n.is_object() || n["state"] != "started" || !n["attributes"]["pid"].is_string()) return 0;
  return std::stoll(n["attributes"]["pid"].get<std::string>());
}

// A crashed task running again, as the server sees it.
double heal_crash(const Api& a) {
  std::string id = create(a, kOneTask);
  if (id.empty() || !wait_status(a, id, "CREATE_COMPLETE", 60s)) return -1;
  int64_t pid = 0;
  poll_until([&] { return (pid = pid_of(instance(a, id, "t"))) != 0; }, 10s);
  auto t0 = Clock::now();
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  bool healed = poll_until([&] {
    int64_t now = pid_of(instance(a, id, "t"));
    return now != 0 && now != pid;
  }, 30s, 5ms);
  double s = healed ? since(t0) : -1;
  a.call(api::Method::DELETE, "/api/v1/deployments/" + id);
  wait_status(a, id, "DELETE_COMPLETE", 30s);
  return s;
}

// The node hosting a movable task is lost: seconds until the task runs on the other edge node.
double heal_node_down(Cluster& c, std::string& detail) {
  const Api& a = *c.api;
  std::string id = create(a, kMovable);
  if (id.empty() || !wait_status(a, id, "CREATE_COMPLETE", 60s)) {
    detail = "not deployed: " + (id.empty() ? std::string("refused") : a.call(api::Method::GET, "/api/v1/deployments/" + id).dump());
    return -1;
  }
  json n = instance(a, id, "roamer");
  std::string node = n["node"];
  int64_t pid = pid_of(n);
  json nodes = a.call(api::Method::GET, "/api/v1/nodes");
  std::string victim;
  for (const auto& x : nodes["items"]) {
    if (x["id"] == node) victim = x["name"];
  }
  if (!c.agents.contains(victim)) {
    detail = "placed on " + node + ", no such agent";
    return -1;
  }
  auto t0 = Clock::now();
  ::kill(c.agents[victim]->pid(), SIGKILL);
  if (pid) ::kill(static_cast<pid_t>(pid), SIGKILL);
  bool moved = poll_until([&] {
    json now = instance(a, id, "roamer");
    return now.is_object() && now["node"] != node && pid_of(now) != 0;
  }, 60s, 5ms);
  detail = victim + " lost";
  return moved ? since(t0) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: orchestrator_bench IOTWINS_BINARY TMP_DIR [--quick]\n");
    return 2;
  }
  bool quick = argc > 3 && std::string(argv[3]) == "--quick";
  const int reps = quick ? 1 : 3;
  const int parallel = quick ? 20 : 100;
  Cluster c{.dir = argv[2], .binary = argv[1]};
  json out = {{"benchmark", "orchestrator"}, {"quick", quick}, {"ok", false}};
  if (auto st = start_cluster(c); !st) {
    std::fprintf(stderr, "%s\n", st.error().message().c_str());
    std::printf("%s\n", out.dump().c_str());
    return 1;
  }
  const Api& a = *c.api;

  std::vector<double> factory, minimal, crash;
  const std::string factory_yaml = scaled_factory();
  for (int i = 0; i < reps; ++i) {
    minimal.push_back(deploy_time(a, kOneTask));
    factory.push_back(deploy_time(a, factory_yaml));
    std::fprintf(stderr, "factory %.3f s, one task %.3f s\n", factory.back(), minimal.back());
  }
  for (int i = 0; i < reps; ++i) {
    crash.push_back(heal_crash(a));
    std::fprintf(stderr, "healed a crash in %.3f s\n", crash.back());
  }

  // N deployments from 8 threads, all at once.
  std::vector<std::string> ids(static_cast<size_t>(parallel));
  auto t0 = Clock::now();
  {
    std::vector<std::jthread> posters;
    std::atomic<int> next{0};
    for (int t = 0; t < 8; ++t) {
      posters.emplace_back([&] {
        for (int i = next++; i < parallel; i = next++) ids[static_cast<size_t>(i)] = create(a, kThreeLevels);
      });
    }
  }
  double posted = since(t0);
  std::set<std::string> batch(ids.begin(), ids.end());
  auto count = [&](const std::string& status) {  // among this batch's deployments
    json list = a.call(api::Method::GET, "/api/v1/deployments");
    int n = 0;
    if (list.is_object()) {
      for (const auto& d : list["items"]) n += batch.contains(d["id"].get<std::string>()) && d["status"] == status;
    }
    return n;
  };
  bool all_up = poll_until([&] { return count("CREATE_COMPLETE") == parallel; }, 300s, 50ms);
  double parallel_up = all_up ? since(t0) : -1;
  std::fprintf(stderr, "%d deployments posted in %.2f s, all complete after %.2f s\n", parallel, posted, parallel_up);
  auto t1 = Clock::now();
  for (const auto& id : ids) a.call(api::Method::DELETE, "/api/v1/deployments/" + id);
  bool all_down = poll_until([&] { return count("DELETE_COMPLETE") == parallel; }, 300s, 50ms);
  double parallel_down = all_down ? since(t1) : -1;
  std::fprintf(stderr, "all undeployed after %.2f s\n", parallel_down);

  std::string detail;
  double node_down = heal_node_down(c, detail);
  std::fprintf(stderr, "healed a lost node (%s) in %.2f s\n", detail.c_str(), node_down);

  double f = median(factory), m = median(minimal), h = median(crash);
  out["ok"] = f > 0 && m > 0 && h > 0 && all_up && all_down && node_down > 0;
  out["factory_deploy_s"] = f;
  out["factory_deploy_runs_s"] = factory;
  out["one_task_deploy_s"] = m;
  out["parallel_deployments"] = parallel;
  out["parallel_tasks"] = parallel * 3;
  out["parallel_all_complete_s"] = parallel_up;
  out["parallel_deployments_per_s"] = parallel_up > 0 ? parallel / parallel_up : 0;
  out["parallel_all_deleted_s"] = parallel_down;
  out["heal_task_crash_s"] = h;
  out["heal_node_down_s"] = node_down;
  out["anchors"] = {{"one_task_deploy_s", m}, {"indigo_im_provisioning_floor_s_published", kIndigoFloorS},
                    {"down_timeout_s", kDownTimeoutS}, {"restart_initial_backoff_s", 1.0}};
  out["ratios"] = {{"factory_vs_one_task", m > 0 ? f / m : 0},
                   {"indigo_floor_vs_factory", f > 0 ? kIndigoFloorS / f : 0},
                   {"node_down_heal_vs_down_timeout", node_down > 0 ? node_down / kDownTimeoutS : 0}};
  out["goal_factory_under_3s"] = f > 0 && f < 3.0;
  std::printf("%s\n", out.dump().c_str());
  return out["ok"] ? 0 : 1;
}
