// iotwins deployments [ls] | show ID | events ID | logs ID, and iotwins undeploy ID [--wait].
#include <nlohmann/json.hpp>

#include <cstdio>

#include "api/series_params.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/deployments.h"
#include "cli/table.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

int list(api::HttpClient& client, const Config& c) {
  auto r = call(client, api::Method::GET, "/api/v1/deployments");
  if (!r) return report("deployments", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", (*r)["items"].dump(2).c_str());
    return 0;
  }
  Table t({"ID", "GROUP", "STATUS", "REVISION", "UPDATED", "REASON"});
  for (const auto& d : (*r)["items"]) {
    t.add({d.value("id", ""), d.value("group", ""), d.value("status", ""), std::to_string(d.value("revision", int64_t{0})),
           api::series::format_time(d.value("updated_ns", int64_t{0})), d.value("reason", "").empty() ? "-" : d.value("reason", "")});
  }
  std::fputs(t.render().c_str(), stdout);
  if ((*r)["items"].empty()) std::printf("(no deployments yet: 'iotwins deploy FILE')\n");
  return 0;
}

int show(api::HttpClient& client, const Config& c, const std::string& id) {
  auto r = call(client, api::Method::GET, deployment_path(id));
  if (!r) return report("deployments show", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  print_deployment(*r);
  return 0;
}

int events(api::HttpClient& client, const Config& c, const std::string& id) {
  auto r = call(client, api::Method::GET, deployment_path(id) + "/events");
  if (!r) return report("deployments events", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  Table t({"SEQ", "TIME", "KIND", "NODE", "MESSAGE"});
  for (const auto& e : *r) {
    t.add({std::to_string(e.value("seq", int64_t{0})), api::series::format_time(e.value("ts_ns", int64_t{0})), e.value("kind", ""),
           e.value("node", "").empty() ? "-" : e.value("node", ""), e.value("message", "")});
  }
  std::fputs(t.render().c_str(), stdout);
  return 0;
}

// Each task's log tail, read by the server from the agent that runs it.
int logs(api::HttpClient& client, const Config& c, const std::string& id) {
  std::string path = deployment_path(id) + "/logs?stream=" + c.str("stream") +
                     "&tail=" + std::to_string(c.size("tail"));
  if (!c.str("task").empty()) path += "&task=" + api::percent_encode(c.str("task"));
  auto r = call(client, api::Method::GET, path);
  if (!r) return report("deployments logs", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  int unreachable = 0;
  for (const auto& item : (*r)["items"]) {
    std::printf("==> %s on %s (%s) <==\n", item.value("task", "").c_str(), item.value("node", "").c_str(),
                item.value("stream", "").c_str());
    if (item.contains("error")) {
      std::printf("(%s)\n", item.value("error", "").c_str());
      ++unreachable;
      continue;
    }
    std::string text = item.value("log", "");
    std::fputs(text.c_str(), stdout);
    if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  }
  if ((*r)["items"].empty()) std::printf("(no task of deployment %s is placed yet)\n", id.c_str());
  return unreachable ? 1 : 0;
}

}  // namespace

int run_deployments(std::span<const std::string> args) {
  ConfigSpec spec("deployments",
                  "Lists the computing chains deployed on the platform, or shows one:\n"
                  "  iotwins deployments [ls]        every deployment you may read: its group, status and revision\n"
                  "  iotwins deployments show ID     status, reason, each node instance (node, state), outputs\n"
                  "  iotwins deployments events ID   its event log: status changes, placements, task events\n"
                  "  iotwins deployments logs ID     each task's stdout (or --stream stderr), read from its agent",
                  "[ls | show ID | events ID | logs ID [--task T] [--stream stderr] [--tail 64KiB]] [flags]");
  add_client_flags(spec).positional("VERB [ID]", "ls (default), show, events or logs (with a deployment id)");
  spec.add({.name = "task", .help = "logs: only this task (its id, or its node template's name)"});
  spec.add({.name = "stream", .type = ConfigType::choice, .default_value = "stdout", .help = "logs: which stream",
            .choices = {"stdout", "stderr"}});
  spec.add({.name = "tail", .type = ConfigType::size, .default_value = "64KiB", .help = "logs: the last bytes of each log"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb != "ls" && verb != "show" && verb != "events" && verb != "logs") {
    std::fprintf(stderr, "iotwins deployments: unknown verb '%s' (allowed: ls, show, events, logs)\n", verb.c_str());
    return 2;
  }
  if (verb == "ls" ? pos.size() > 1 : pos.size() != 2) {
    std::fprintf(stderr, "iotwins deployments %s: %s (see 'iotwins deployments --help')\n", verb.c_str(),
                 verb == "ls" ? "takes no arguments" : "needs exactly one deployment id");
    return 2;
  }
  auto client = make_client(p.command.config);
  if (!client) {
    std::fprintf(stderr, "iotwins deployments: %s\n", client.error().message().c_str());
    return 2;
  }
  if (verb == "ls") return list(**client, p.command.config);
  if (verb == "show") return show(**client, p.command.config, pos[1]);
  if (verb == "logs") return logs(**client, p.command.config, pos[1]);
  return events(**client, p.command.config, pos[1]);
}

int run_undeploy(std::span<const std::string> args) {
  ConfigSpec spec("undeploy",
                  "Undeploys a computing chain: every task leaves its node's desired set and the agents stop\n"
                  "them. With --wait, follows it until DELETE_COMPLETE (exit 0) or DELETE_FAILED (exit 1;\n"
                  "exit 3 when --timeout passes first).",
                  "ID [--wait [--timeout 5m]] [flags]");
  add_client_flags(spec);
  spec.add({.name = "wait", .type = ConfigType::boolean, .default_value = "false",
            .help = "follow the undeploy until every task is stopped"});
  spec.add({.name = "timeout", .type = ConfigType::duration, .default_value = "5m", .help = "how long --wait waits"});
  spec.positional("ID", "the deployment id (see 'iotwins deployments')");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  if (pos.size() != 1) {
    std::fprintf(stderr, "iotwins undeploy: needs exactly one deployment id (see 'iotwins undeploy --help')\n");
    return 2;
  }
  const Config& c = p.command.config;
  auto client = make_client(c);
  if (!client) {
    std::fprintf(stderr, "iotwins undeploy: %s\n", client.error().message().c_str());
    return 2;
  }
  auto d = call(**client, api::Method::DELETE, deployment_path(pos[0]));
  if (!d) return report("undeploy", d.error());
  if (c.str("output") == "json" && !c.boolean("wait")) {
    std::printf("%s\n", d->dump(2).c_str());
    return 0;
  }
  std::printf("deployment %s: %s\n", pos[0].c_str(), d->value("status", "").c_str());
  std::fflush(stdout);
  if (!c.boolean("wait")) return 0;
  return wait_for_deployment(**client, pos[0], c.duration("timeout"), "undeploy");
}

}  // namespace iotwins::cli
