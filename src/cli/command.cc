#include "cli/command.h"

#include <thread>

#include <cstdio>
#include <iostream>

#include "agent/agent.h"
#include "cli/deployments.h"
#include "core/log.h"
#include "core/signals.h"
#include "server/server.h"

namespace iotwins::cli {

Parsed parse_or_exit(const ConfigSpec& spec, std::span<const std::string> args) {
  Parsed out;
  auto parsed = parse_command(spec, args, environment_from_process());
  if (!parsed) {
    std::fprintf(stderr, "iotwins %s: %s\n", spec.command().c_str(), parsed.error().message().c_str());
    out.exit_code = 2;
    return out;
  }
  if (parsed->help) {
    std::fputs(spec.help().c_str(), stdout);
    out.exit_code = 0;
    return out;
  }
  const Config& c = parsed->config;
  if (spec.find("log-level") != nullptr) {
    auto fmt = c.str("log-format") == "json" ? log::Format::json : log::Format::text;
    if (auto st = log::init(c.str("log-level"), fmt); !st) {
      std::fprintf(stderr, "iotwins %s: %s\n", spec.command().c_str(), st.error().message().c_str());
      out.exit_code = 2;
      return out;
    }
  }
  out.command = std::move(*parsed);
  return out;
}

ConfigSpec& add_client_flags(ConfigSpec& spec, std::vector<std::string> outputs) {
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470", .help = "URL of the iotwins server"});
  std::string fallback = outputs.front();
  spec.add({.name = "output", .type = ConfigType::choice, .default_value = fallback,
            .help = "output format", .choices = std::move(outputs), .short_flag = 'o'});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server"});
  return add_token_flag(spec);
}

ConfigSpec& add_token_flag(ConfigSpec& spec) {
  spec.add({.name = "token", .help = "bearer token to send (default: the one 'iotwins login' stored for --server)"});
  return spec;
}

int run_server(std::span<const std::string> args) {
  ConfigSpec spec = server::config_spec();
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  return server::run(p.command.config);
}

int run_agent(std::span<const std::string> args) {
  ConfigSpec spec = agent::config_spec();
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  return agent::run(p.command.config);
}

namespace {

const Command kCommands[] = {
    {"up", "start everything on this machine: server, agents, demo plant (what `make run` does)", run_up},
    {"server", "run the control plane (REST API, registry, …)", run_server},
    {"agent", "run a node agent (registers this machine, heartbeats, runs tasks)", run_agent},
    {"nodes", "list, show and drain the machines of the continuum", run_nodes},
    {"twins", "digital twins: list, get, tree, set desired state, watch changes, models", run_twins},
    {"series", "list time series and query their samples or aggregates", run_series},
    {"objects", "send files up the continuum and fetch them from the server (put, ls, get)", run_objects},
    {"validate", "check a TOSCA template and explain every problem", run_validate},
    {"deploy", "deploy a TOSCA computing chain onto the nodes (--wait follows it)", run_deploy},
    {"deployments", "list deployments, show one (instances, outputs) or its events", run_deployments},
    {"events", "the event log: anomalies, alerts, lifecycle (--type anomaly, --twin ID)", run_events},
    {"undeploy", "remove a deployment's tasks from every node", run_undeploy},
    {"models", "the model registry (ls, show, register, promote, rollback) and SKAB evaluation", run_models},
    {"artifacts", "store and fetch task executables and model files by sha256 (put, get, ls)", run_artifacts},
    {"simulate", "run the simulated plant as MQTT devices", run_simulate},
    {"login", "log in to a server and store the tokens (~/.config/iotwins, mode 0600)", run_login},
    {"logout", "revoke and forget the stored login for a server", run_logout},
    {"whoami", "who the stored credentials speak for: subject, groups, roles", run_whoami},
    {"users", "users: ls, add, passwd, disable, enable, rm (admins)", run_users},
    {"groups", "groups and their members: ls, add, rm, add-member, rm-member", run_groups},
    {"service-accounts", "identities of programs: ls, add, rm", run_service_accounts},
    {"tokens", "API tokens: ls, create (secret shown once), revoke", run_tokens},
    {"bindings", "role bindings (role, subject, group scope): ls, add, rm", run_bindings},
    {"audit", "the audit log of every change (admins)", run_audit},
    {"stream-bridge", "(started by agents) a task's stdin/stdout as its streams, JSON lines", run_stream_bridge},
    {"version", "print version and build information", run_version},
};

void print_help() {
  std::printf(
      "iotwins — digital twins of industrial assets across the IoT → Edge → Cloud continuum\n\n"
      "Usage: iotwins <command> [flags]\n\nCommands:\n");
  for (const auto& c : kCommands) std::printf("  %-16s %s\n", c.name, c.summary);
  std::printf("\nRun 'iotwins <command> --help' for a command's flags. Every flag can also be set\n"
              "as an environment variable IOTWINS_<FLAG> or in a YAML file given by --config.\n");
}

}  // namespace

std::span<const Command> commands() { return kCommands; }

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and signals reach sigwait.
  block_termination_signals();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") args[0] = "version";
  for (const auto& c : kCommands) {
    if (args[0] == c.name) return c.run(std::span<const std::string>(args).subspan(1));
  }
  std::fprintf(stderr, "iotwins: unknown command '%s' (see 'iotwins --help')\n", args[0].c_str());
  return 2;
}

void run_until_interrupted(const std::function<void(std::stop_token)>& work) {
  std::stop_source stop;
  std::thread runner([&] {
    work(stop.get_token());
    stop.request_stop();
  });
  while (!stop.stop_requested()) {
    if (wait_for_termination(std::chrono::milliseconds(200))) stop.request_stop();
  }
  runner.join();
}

}  // namespace iotwins::cli
