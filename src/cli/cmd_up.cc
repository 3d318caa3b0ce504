// iotwins up: everything on one machine for a first run. Each component is its own process
// (the real binary in another role), its output in <data-dir>/logs/, restarted if it dies,
// stopped cleanly on Ctrl-C: the server, an edge, an IoT and a cloud agent (each with its broker),
// the simulated plant with its twins and hybrid twin, and the factory chain deployed on the agents.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli/client.h"
#include "cli/up.h"
#include "cli/command.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/process.h"
#include "core/signals.h"

namespace iotwins::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Component {
  std::string name;
  std::vector<std::string> args;
  std::string log_path;
  std::vector<std::string> env;  // "K=V" (a join token: never on the command line)
  Process process;
  int restarts = 0;
};

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string tail_of(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "    " + all[i] + "\n";
  return out;
}

Status start(Component& c) {
  ProcessOptions o;
  o.argv = {self_executable()};
  o.argv.insert(o.argv.end(), c.args.begin(), c.args.end());
  o.env = c.env;
  o.stdout_path = c.log_path;
  o.stderr_path = "stdout";
  IOT_ASSIGN(c.process, Process::spawn(o));
  return ok();
}

class Up {
 public:
  explicit Up(const Config& c) : config_(c), data_dir_(c.str("data-dir")) {}

  int run() {
    auto t0 = Clock::now();
    if (config_.boolean("fresh")) {
      std::error_code ec;
      std::filesystem::remove_all(data_dir_, ec);
      if (ec) return fail("cannot remove " + data_dir_ + ": " + ec.message());
      std::printf("  fresh start: removed %s\n", data_dir_.c_str());
    }
    auto chain_inputs = chain_inputs_for_plant(config_.str("plant"));
    if (!chain_inputs) return fail(chain_inputs.error().message());
    if (auto st = check_ports(); !st) return fail(st.error().message());
    auto& fs = PosixFileSystem::instance();
    if (auto st = fs.create_dirs(join_path(data_dir_, "logs")); !st) return fail(st.error().message());
    std::printf("iotwins up — starting the continuum on this machine (data in %s)\n", data_dir_.c_str());

    // 1. The server, with credentials required like any other; up logs in as its admin.
    std::string server_dir = join_path(data_dir_, "server");
    (void)fs.remove(join_path(server_dir, "server.url"));
    auto password_file = ensure_admin_password_file(fs, data_dir_);
    if (!password_file) return fail("the admin's password: " + password_file.error().message());
    password_file_ = *password_file;
    auto& server = add("server", {"server", "--listen", config_.str("listen"), "--data-dir", server_dir,
                                  "--admin-password-file", password_file_, "--log-level", config_.str("log-level")});
    auto step = Clock::now();
    if (auto st = start(server); !st) return fail(st.error().message());
    auto url = wait_for_server(server, server_dir);
    if (!url) return fail(url.error().message());
    url_ = *url;
    if (auto st = log_in(); !st) return fail(st.error().message());
    std::printf("  ✓ server          %-28s %5.1fs\n", url_.c_str(), since(step));

    // 2. The agents.
    step = Clock::now();
    auto& edge = add("agent-edge", {"agent", "--level", "edge", "--server", url_, "--data-dir",
                                    join_path(data_dir_, "agent-edge"), "--name", "edge-1",
                                    "--heartbeat-interval", "2s", "--mqtt-port", std::to_string(config_.integer("mqtt-port")),
                                    "--labels", "plant=" + chain_inputs->values["plant"].get<std::string>(),
                                    "--stop-tasks-on-exit", "--log-level", config_.str("log-level")});
    if (auto st = join_token_for(edge); !st) return fail(st.error().message());
    if (auto st = start(edge); !st) return fail(st.error().message());
    if (auto st = wait_for_nodes(1); !st) return fail(st.error().message());
    std::printf("  ✓ edge agent      registered and ready        %5.1fs\n", since(step));
    std::printf("  ✓ edge broker     mqtt://127.0.0.1:%-13lld durable spool before PUBACK\n",
                static_cast<long long>(config_.integer("mqtt-port")));

    // 3. An IoT agent under the edge agent (its data flows up through the edge) and a cloud agent,
    //    each with its own broker.
    step = Clock::now();
    const long long edge_port = config_.integer("mqtt-port");
    auto edge_url = wait_for_file(join_path(join_path(data_dir_, "agent-edge"), "agent.url"));
    if (!edge_url) return fail(edge_url.error().message());
    auto& iot = add("agent-iot", {"agent", "--level", "iot", "--server", url_, "--parent-url", *edge_url, "--data-dir",
                                  join_path(data_dir_, "agent-iot"), "--name", "iot-1", "--heartbeat-interval", "2s",
                                  "--mqtt-port", std::to_string(edge_port + 1), "--stop-tasks-on-exit", "--log-level",
                                  config_.str("log-level")});
    if (auto st = join_token_for(iot); !st) return fail(st.error().message());
    if (auto st = start(iot); !st) return fail(st.error().message());
    auto& cloud = add("agent-cloud", {"agent", "--level", "cloud", "--server", url_, "--data-dir",
                                      join_path(data_dir_, "agent-cloud"), "--name", "cloud-1", "--heartbeat-interval", "2s",
                                      "--mqtt-port", std::to_string(edge_port + 2), "--stop-tasks-on-exit",
                                      "--log-level", config_.str("log-level")});
    if (auto st = join_token_for(cloud); !st) return fail(st.error().message());
    if (auto st = start(cloud); !st) return fail(st.error().message());
    if (auto st = wait_for_nodes(3); !st) return fail(st.error().message());
    std::printf("  ✓ iot agent       mqtt://127.0.0.1:%-13lld forwards to the edge agent  %5.1fs\n", edge_port + 1, since(step));
    std::printf("  ✓ cloud agent     mqtt://127.0.0.1:%-13lld\n", edge_port + 2);

    // 4. The plant: its twin tree, its simulated devices on the IoT agent's broker, and the hybrid
    //    twin following them.
    step = Clock::now();
    auto client = server_client();
    if (!client) return fail(client.error().message());
    auto twins = put_plant_twins(**client, config_.str("plant"));
    if (!twins) return fail("the plant's twins: " + twins.error().message());
    const std::string iot_broker = "mqtt://127.0.0.1:" + std::to_string(edge_port + 1);
    auto& plant = add("plant", {"simulate", "--plant", config_.str("plant"), "--broker", iot_broker, "--log-level",
                                config_.str("log-level")});
    if (auto st = start(plant); !st) return fail(st.error().message());
    auto& hybrid = add("hybrid-twin", {"simulate", "hybrid", "--plant", config_.str("plant"), "--broker", iot_broker,
                                       "--log-level", config_.str("log-level")});
    if (auto st = start(hybrid); !st) return fail(st.error().message());
    std::printf("  ✓ plant           %zu twins, simulated devices on the iot broker   %5.1fs\n", *twins, since(step));

    // 5. The factory chain on the three agents, watching one of the plant's pumps.
    step = Clock::now();
    auto chain = ensure_chain(**client, config_.str("chain"), *chain_inputs, join_path(data_dir_, "chain.json"));
    if (!chain) return fail("the chain " + config_.str("chain") + ": " + chain.error().message());
    std::printf("  … chain           %s %s (watching %s), waiting for its tasks\n", chain->id.c_str(),
                chain->action.c_str(), chain_inputs->twin.c_str());
    std::fflush(stdout);
    auto deployed = wait_for_chain(**client, chain->id, std::chrono::seconds(120));
    if (!deployed) return fail(deployed.error().message());
    std::printf("  ✓ chain           %s %-24s %5.1fs\n", chain->id.c_str(), deployed->value("status", "").c_str(),
                since(step));
    chain_ = *deployed;
    chain_twin_ = chain_inputs->twin;

    summary(since(t0));
    int code = supervise();
    shutdown();
    return code;
  }

 private:
  // Logs in as admin and stores the login for the CLI (the commands the summary prints use it).
  Status log_in() {
    IOT_ASSIGN(auto client, api::HttpClient::create(url_));
    IOT_ASSIGN(auto creds, login_as_admin(PosixFileSystem::instance(), *client, password_file_));
    IOT_TRY(save_credentials(url_, creds));
    return ok();
  }

  // A client of the server with the stored login (refreshed when its access token expired).
  Result<std::unique_ptr<api::HttpClient>> server_client() {
    api::ClientOptions o;
    IOT_ASSIGN(o.bearer_token, bearer_token_for(url_, "", o));
    return api::HttpClient::create(url_, o);
  }

  // An agent that has not joined yet gets a one-time join token (a restarted or second `up`
  // reuses the identity in its data dir).
  Status join_token_for(Component& agent) {
    std::string data_dir;
    for (size_t i = 0; i + 1 < agent.args.size(); ++i) {
      if (agent.args[i] == "--data-dir") data_dir = agent.args[i + 1];
    }
    IOT_ASSIGN(bool joined, PosixFileSystem::instance().exists(join_path(data_dir, "identity/credentials.json")));
    if (joined) return ok();
    IOT_ASSIGN(auto client, server_client());
    IOT_ASSIGN(auto token, make_join_token(*client));
    agent.env = {"IOTWINS_JOIN_TOKEN=" + token};
    return ok();
  }

  Component& add(std::string name, std::vector<std::string> args) {
    components_.push_back(std::make_unique<Component>());
    Component& c = *components_.back();
    c.log_path = join_path(join_path(data_dir_, "logs"), name + ".log");
    c.name = std::move(name);
    c.args = std::move(args);
    return c;
  }

  int fail(const std::string& message) {
    std::fprintf(stderr, "iotwins up: %s\n", message.c_str());
    shutdown();
    return 1;
  }

  // The server's port and the three brokers' (edge, iot = edge + 1, cloud = edge + 2).
  Status check_ports() {
    std::string listen = config_.str("listen");
    size_t colon = listen.rfind(':');
    if (colon != std::string::npos) {
      IOT_TRY(check_port_free(listen.substr(0, colon), std::atoi(listen.c_str() + colon + 1), "the server",
                              "choose a free address with 'iotwins up --listen 127.0.0.1:8471'"));
    }
    const long long edge = config_.integer("mqtt-port");
    if (edge + 2 > 65535) return make_error(Errc::invalid_argument, "--mqtt-port: the brokers need it and the next two ports");
    const char* names[] = {"the edge agent's MQTT broker", "the IoT agent's MQTT broker", "the cloud agent's MQTT broker"};
    for (int i = 0; i < 3; ++i) {
      IOT_TRY(check_port_free("127.0.0.1", static_cast<int>(edge + i), names[i],
                              "move the three brokers with 'iotwins up --mqtt-port 1993' (it and the next two ports)"));
    }
    return ok();
  }

  Result<std::string> wait_for_server(Component& server, const std::string& dir) {
    auto& fs = PosixFileSystem::instance();
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      if (auto text = fs.read_file(join_path(dir, "server.url")); text && !text->empty()) {
        std::string url = text->substr(0, text->find('\n'));
        return url;
      }
      if (!server.process.running()) {
        std::string log = tail_of(server.log_path, 5);
        std::string hint;
        if (log.find("cannot listen") != std::string::npos) {
          hint = "\n  another process uses " + config_.str("listen") +
                 ": stop it (is another 'iotwins up' running?) or choose a free address with\n"
                 "  'iotwins up --listen 127.0.0.1:8471'";
        }
        return make_error(Errc::unavailable, "the server did not start (" +
                                                 server.process.exit_status()->to_string() + "):\n" + log + hint);
      }
      if (wait_for_termination(std::chrono::milliseconds(50))) {
        return make_error(Errc::cancelled, "interrupted");
      }
    }
    return make_error(Errc::timeout, "the server did not become ready within 30 s; see " + server.log_path);
  }

  // A file another component writes once it listens (its URL), first line.
  Result<std::string> wait_for_file(const std::string& path) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      if (auto text = PosixFileSystem::instance().read_file(path); text && !text->empty()) {
        return text->substr(0, text->find('\n'));
      }
      if (wait_for_termination(std::chrono::milliseconds(50))) return make_error(Errc::cancelled, "interrupted");
    }
    return make_error(Errc::timeout, path + " did not appear within 30 s; see " + data_dir_ + "/logs");
  }

  Status wait_for_nodes(size_t count) {
    auto client = server_client();
    if (!client) return std::unexpected(client.error());
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      auto r = call(**client, api::Method::GET, "/api/v1/nodes?state=ready");
      if (r && (*r)["items"].size() >= count) return ok();
      for (auto& c : components_) {
        if (!c->process.running()) {
          return make_error(Errc::unavailable, c->name + " stopped (" + c->process.exit_status()->to_string() +
                                                   "):\n" + tail_of(c->log_path, 5));
        }
      }
      if (wait_for_termination(std::chrono::milliseconds(100))) return make_error(Errc::cancelled, "interrupted");
    }
    return make_error(Errc::timeout, "the agents did not register within 30 s; see " + data_dir_ + "/logs");
  }

  void summary(double seconds) {
    std::printf("\nReady in %.1f s.\n\n", seconds);
    std::printf("  Running\n");
    std::printf("    server       %s   (REST API %s/api/v1, metrics %s/metrics)\n", url_.c_str(), url_.c_str(), url_.c_str());
    for (const auto& c : components_) {
      std::printf("    %-12s pid %-7d log %s\n", c->name.c_str(), c->process.pid(), c->log_path.c_str());
    }
    print_chain();
    std::printf("\n  Data         %s   (a second 'iotwins up' reuses it; --fresh starts over)\n", data_dir_.c_str());
    std::printf("  Login        done: the commands below use the admin's login stored in %s.\n"
                "               The admin's password is in %s;\n"
                "               'iotwins login --server %s --user admin' logs in again (docs/security.md).\n",
                credentials_path().c_str(), password_file_.c_str(), url_.c_str());
    std::printf("\n  Try next (in another terminal)\n");
    std::printf("    build/bin/iotwins nodes --server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins nodes show <ID> --server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins twins tree --server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins twins watch --server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins twins set-desired pump-101 speed_rpm=2400 --server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins series query --twin pump-101 --property flow_m3h --from -5m --step 30s --agg mean "
                "--server %s\n", url_.c_str());
    std::printf("    build/bin/iotwins deployments show %s --server %s\n", chain_.value("id", "").c_str(), url_.c_str());
    std::printf("    build/bin/iotwins events --server %s\n", url_.c_str());
    std::printf("\n  Inject a fault (the chain's model for %s is trained on the first minute of data; then:)\n",
                chain_twin_.c_str());
    std::printf("    build/bin/iotwins simulate inject valve_closure:%s,severity=0.9 --broker mqtt://127.0.0.1:%lld\n",
                fault_target().c_str(), static_cast<long long>(config_.integer("mqtt-port")) + 1);
    std::printf("    build/bin/iotwins events --type anomaly --server %s   (the detector's events, about a minute "
                "after the start)\n", url_.c_str());
    std::printf("    curl %s/metrics\n", url_.c_str());
    std::printf("    build/bin/iotwins --help\n");
    std::printf("\n  Ctrl-C stops everything.\n");
    std::fflush(stdout);
  }

  // Where each of the chain's tasks and services runs (node names, not ids).
  void print_chain() {
    std::map<std::string, std::string> names;  // node id → name
    if (auto client = server_client(); client) {
      if (auto r = call(**client, api::Method::GET, "/api/v1/nodes"); r) {
        for (const auto& n : (*r)["items"]) names[n.value("id", "")] = n.value("name", "");
      }
    }
    std::printf("\n  Chain        %s  %s  (%s, watching %s)\n", chain_.value("id", "").c_str(),
                config_.str("chain").c_str(), chain_.value("status", "").c_str(), chain_twin_.c_str());
    for (const auto& n : chain_.value("instances", nlohmann::json::array())) {
      std::string node = n.value("node", "");
      if (node.empty()) continue;  // logical nodes (the twin) run nowhere
      std::printf("    %-18s on %-10s %s\n", n.value("name", "").c_str(),
                  names.contains(node) ? names[node].c_str() : node.c_str(), n.value("state", "").c_str());
    }
  }

  // The valve of the watched pump's circuit (closing it starves the pump): the plant's naming.
  std::string fault_target() const {
    std::string t = chain_twin_;
    return t.starts_with("pump-") ? "valve-" + t.substr(5) : t;
  }

  // Waits for Ctrl-C/SIGTERM; restarts a component that dies, with a growing pause.
  int supervise() {
    for (;;) {
      if (auto sig = wait_for_termination(std::chrono::milliseconds(500))) {
        std::printf("\nstopping (signal %d)…\n", *sig);
        return 0;
      }
      for (auto& c : components_) {
        if (c->process.running()) continue;
        auto st = c->process.exit_status();
        int delay_s = std::min(30, 1 << std::min(c->restarts, 5));
        std::fprintf(stderr, "iotwins up: %s stopped (%s); restarting in %d s (see %s)\n", c->name.c_str(),
                     st ? st->to_string().c_str() : "?", delay_s, c->log_path.c_str());
        if (wait_for_termination(std::chrono::seconds(delay_s))) return 0;
        ++c->restarts;
        if (auto s = start(*c); !s) std::fprintf(stderr, "iotwins up: %s\n", s.error().message().c_str());
      }
    }
  }

  // Agents first (they report to the server), then the server.
  void shutdown() {
    for (auto it = components_.rbegin(); it != components_.rend(); ++it) {
      auto& c = **it;
      if (c.process.pid() <= 0 || !c.process.running()) continue;
      ExitStatus st = c.process.stop(std::chrono::seconds(10));
      std::printf("  stopped %-12s (%s)\n", c.name.c_str(), st.to_string().c_str());
    }
  }

  const Config& config_;
  std::string data_dir_;
  std::string url_;
  std::string password_file_;
  std::vector<std::unique_ptr<Component>> components_;
  nlohmann::json chain_ = nlohmann::json::object();
  std::string chain_twin_;
};

}  // namespace

int run_up(std::span<const std::string> args) {
  ConfigSpec spec("up", "Starts everything on this machine for a first run: the server, an edge, an IoT and "
                        "a cloud agent (each with its MQTT broker), the simulated plant with its twin tree, its "
                        "hybrid twin and the factory chain (filter on IoT, inference on the edge, training and "
                        "simulation in the cloud) — each its own process, restarted if it dies; Ctrl-C stops them all.");
  spec.add_common();
  spec.add({.name = "data-dir", .default_value = "./iotwins-data", .help = "where every component keeps its state and logs"});
  spec.add({.name = "listen", .default_value = "127.0.0.1:8470", .help = "the server's address"});
  spec.add({.name = "mqtt-port", .type = ConfigType::integer, .default_value = "1883",
            .help = "port of the edge agent's MQTT broker; the IoT agent's is the next one (the simulated plant "
                    "publishes there), the cloud agent's the one after", .min = 1, .max = 65535});
  spec.add({.name = "plant", .default_value = "examples/plant.yaml", .help = "the simulated plant (YAML)"});
  spec.add({.name = "chain", .default_value = "examples/chains/factory.yaml",
            .help = "the computing chain deployed on the agents (TOSCA; its inputs are set for the plant's first pump)"});
  spec.add({.name = "fresh", .type = ConfigType::boolean, .default_value = "false", .help = "delete the data dir first"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  return Up(p.command.config).run();
}

}  // namespace iotwins::cli
