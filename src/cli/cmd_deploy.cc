// iotwins deploy FILE [--input k=v]... [--wait [--timeout 5m]]: sends a TOSCA template to the
// server, which validates, places and hands every task to its node's agent.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/deployments.h"
#include "core/fs.h"
#include "iam/model.h"
#include "tosca/validate.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

bool in_progress(const std::string& status) { return status.ends_with("_IN_PROGRESS"); }

std::string instance_key(const json& n) {
  return n.value("name", "") + "[" + std::to_string(n.value("index", 0)) + "]";
}

void print_outputs(const json& d, const std::string& indent) {
  if (!d.contains("outputs") || d["outputs"].empty()) return;
  std::printf("%soutputs:\n", indent.c_str());
  for (auto it = d["outputs"].begin(); it != d["outputs"].end(); ++it) {
    std::printf("%s  %s = %s\n", indent.c_str(), it.key().c_str(),
                it.value().is_null() ? "(not known yet)" : it.value().dump().c_str());
  }
}

}  // namespace

std::string deployment_path(const std::string& id) { return "/api/v1/deployments/" + api::percent_encode(id); }

void print_deployment(const json& d) {
  std::printf("deployment %s  %s  (revision %lld, group %s)\n", d.value("id", "").c_str(), d.value("status", "").c_str(),
              static_cast<long long>(d.value("revision", int64_t{0})), d.value("group", "").c_str());
  if (!d.value("reason", "").empty()) std::printf("  reason: %s\n", d.value("reason", "").c_str());
  for (const auto& n : d.value("instances", json::array())) {
    std::string node = n.value("node", "");
    std::printf("  %-28s %-24s %-9s %s\n", instance_key(n).c_str(), node.empty() ? "-" : node.c_str(),
                n.value("state", "").c_str(), n.value("reason", "").c_str());
  }
  print_outputs(d, "  ");
}

int wait_for_deployment(api::HttpClient& client, const std::string& id, std::chrono::milliseconds timeout,
                        const std::string& command) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string status;
  std::map<std::string, std::string> states;  // instance → "node state"
  json d;
  for (;;) {
    auto r = call(client, api::Method::GET, deployment_path(id));
    if (!r) return report(command, r.error());
    d = std::move(*r);
    if (d.value("status", "") != status) {
      status = d.value("status", "");
      std::printf("%s: %s\n", id.c_str(), status.c_str());
    }
    for (const auto& n : d.value("instances", json::array())) {
      std::string now = n.value("node", "") + " " + n.value("state", "");
      std::string& before = states[instance_key(n)];
      if (now == before) continue;
      before = now;
      std::string reason = n.value("reason", "");
      std::printf("  %s on %s: %s%s\n", instance_key(n).c_str(), n.value("node", "").empty() ? "-" : n.value("node", "").c_str(),
                  n.value("state", "").c_str(), reason.empty() ? "" : (" (" + reason + ")").c_str());
    }
    std::fflush(stdout);
    if (!in_progress(status)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::fprintf(stderr, "iotwins %s: %s is still %s after %lld s (see 'iotwins deployments events %s')\n",
                   command.c_str(), id.c_str(), status.c_str(),
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()), id.c_str());
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a CLI poll, not a test wait
  }
  if (status.ends_with("_FAILED")) {
    std::fprintf(stderr, "iotwins %s: %s %s: %s\n", command.c_str(), id.c_str(), status.c_str(),
                 d.value("reason", "").c_str());
    return 1;
  }
  print_outputs(d, "");
  return 0;
}

int run_deploy(std::span<const std::string> args) {
  ConfigSpec spec("deploy",
                  "Deploys a TOSCA computing chain: the server validates the template (every problem is\n"
                  "printed with line and column), places each task on a node of the right level and hands\n"
                  "it to that node's agent. Prints the deployment id and where every instance went; with\n"
                  "--wait, follows it until CREATE_COMPLETE (exit 0) or CREATE_FAILED (exit 1, with the\n"
                  "reasons; exit 3 when --timeout passes first). Imports: built-in profiles only. An artifact\n"
                  "file given as a path relative to the template is uploaded to the artifact store first.\n"
                  "The deployment belongs to an IAM group (--group, default 'default'): only users with a\n"
                  "grant in that group see it or change it, and deploying needs write there.",
                  "FILE [--input name=value]... [--group G] [--wait [--timeout 5m]] [flags]");
  add_client_flags(spec);
  spec.add({.name = "input", .type = ConfigType::list, .help = "a template input, name=value (repeatable)"});
  spec.add({.name = "group", .default_value = "default",
            .help = "the IAM group the deployment belongs to (who may see and change it)"});
  spec.add({.name = "wait", .type = ConfigType::boolean, .default_value = "false",
            .help = "follow the deployment until it completes or fails"});
  spec.add({.name = "timeout", .type = ConfigType::duration, .default_value = "5m", .help = "how long --wait waits"});
  spec.positional("FILE", "the TOSCA template (YAML)");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  if (pos.size() != 1) {
    std::fprintf(stderr, "iotwins deploy: needs exactly one template file (see 'iotwins deploy --help')\n");
    return 2;
  }
  const Config& c = p.command.config;
  auto inputs = tosca::parse_input_assignments(c.list("input"));
  if (!inputs) {
    std::fprintf(stderr, "iotwins deploy: --input: %s\n", inputs.error().message().c_str());
    return 2;
  }
  if (auto st = iam::validate_name(c.str("group"), "--group"); !st) {
    std::fprintf(stderr, "iotwins deploy: %s\n", st.error().message().c_str());
    return 2;
  }
  auto text = PosixFileSystem::instance().read_file(pos[0]);
  if (!text) {
    std::fprintf(stderr, "iotwins deploy: %s\n", text.error().message().c_str());
    return 2;
  }
  auto client = make_client(c);
  if (!client) {
    std::fprintf(stderr, "iotwins deploy: %s\n", client.error().message().c_str());
    return 2;
  }
  std::string base_dir = std::filesystem::path(pos[0]).parent_path().string();
  auto shipped = upload_local_artifacts(**client, *text, base_dir.empty() ? "." : base_dir,
                                        [&](const std::string& path, const std::string& sha) {
                                          if (c.str("output") != "json") {
                                            std::printf("artifact %s → sha256:%s\n", path.c_str(), sha.c_str());
                                          }
                                        });
  if (!shipped) return report("deploy", shipped.error());
  json body{{"template", *shipped}, {"inputs", json::parse(tosca::value_to_json(*inputs))}, {"group", c.str("group")}};
  auto d = call(**client, api::Method::POST, "/api/v1/deployments", body.dump());
  if (!d) return report("deploy", d.error());
  if (c.str("output") == "json" && !c.boolean("wait")) {
    std::printf("%s\n", d->dump(2).c_str());
    return d->value("status", "").ends_with("_FAILED") ? 1 : 0;
  }
  print_deployment(*d);
  std::fflush(stdout);
  if (d->value("status", "").ends_with("_FAILED")) {
    std::fprintf(stderr, "iotwins deploy: %s\n", d->value("reason", "").c_str());
    return 1;
  }
  if (!c.boolean("wait")) return 0;
  return wait_for_deployment(**client, d->value("id", ""), c.duration("timeout"), "deploy");
}

}  // namespace iotwins::cli
