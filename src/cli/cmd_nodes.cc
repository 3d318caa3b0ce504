// iotwins nodes [ls] | show ID | drain ID | undrain ID | plan FILE | join-token | join-tokens | revoke ID
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/nodes.h"
#include "cli/table.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

std::string cpu_cell(const json& n) {
  if (!n.contains("kpis") || n["kpis"].is_null()) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", n["kpis"].value("cpu_percent", 0.0));
  return buf;
}

int list(api::HttpClient& client, const Config& c) {
  auto r = call(client, api::Method::GET, "/api/v1/nodes");
  if (!r) return report("nodes", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", (*r)["items"].dump(2).c_str());
    return 0;
  }
  Table t({"ID", "NAME", "GROUP", "LEVEL", "STATE", "LAST SEEN", "ARCH", "CORES", "MEMORY", "CPU", "PARENT"});
  for (const auto& n : (*r)["items"]) {
    const json& f = n["facts"];
    t.add({n.value("id", ""), n.value("name", ""), n.value("group", ""), n.value("level", ""), n.value("state", ""),
           human_age_ms(n.value("last_seen_age_ms", int64_t{0})) + " ago", f.value("arch", ""),
           std::to_string(f.value("cores", 0)), human_bytes(static_cast<double>(f.value("memory_bytes", uint64_t{0}))),
           cpu_cell(n), n.value("parent", "").empty() ? "-" : n.value("parent", "")});
  }
  std::fputs(t.render().c_str(), stdout);
  if ((*r)["items"].empty()) std::printf("(no nodes yet: start one with 'iotwins agent --server %s')\n",
                                         client.base_url().c_str());
  return 0;
}

// The data plane's figures from the heartbeat: the broker's ingest and each buffer stream.
void print_data_plane(const json& k) {
  if (k.contains("ingest")) {
    const json& i = k["ingest"];
    std::printf("  ingest     broker %s (%s, %llu restarts): %llu messages, %llu samples, %llu events, "
                "%llu invalid, %llu fields rejected\n",
                i.value("broker_url", "").c_str(), i.value("broker_running", false) ? "running" : "DOWN",
                static_cast<unsigned long long>(i.value("broker_restarts", uint64_t{0})),
                static_cast<unsigned long long>(i.value("messages", uint64_t{0})),
                static_cast<unsigned long long>(i.value("samples", uint64_t{0})),
                static_cast<unsigned long long>(i.value("events", uint64_t{0})),
                static_cast<unsigned long long>(i.value("invalid_messages", uint64_t{0})),
                static_cast<unsigned long long>(i.value("rejected_fields", uint64_t{0})));
  }
  if (k.contains("tasks")) {
    std::printf("  tasks      %-44s %-9s %7s %10s %8s\n", "ID", "STATE", "CPU", "RSS", "RESTARTS");
    for (const auto& t : k["tasks"]) {
      std::printf("             %-44s %-9s %6.1f%% %10s %8d\n", t.value("id", "").c_str(), t.value("state", "").c_str(),
                  t.value("cpu_percent", 0.0), human_bytes(t.value("rss_bytes", 0.0)).c_str(), t.value("restarts", 0));
    }
  }
  if (!k.contains("buffers")) return;
  std::printf("  buffers    %-10s %10s %10s %7s %11s %9s %9s %8s %8s\n", "STREAM", "BACKLOG", "BYTES", "FULL",
              "OLDEST", "IN/s", "OUT/s", "DROPPED", "REFUSED");
  for (const auto& b : k["buffers"]) {
    double max = b.value("max_bytes", 0.0);
    std::printf("             %-10s %10llu %10s %6.1f%% %11s %9.0f %9.0f %8llu %8llu\n",
                b.value("stream", "").c_str(),
                static_cast<unsigned long long>(b.value("backlog_records", uint64_t{0})),
                human_bytes(b.value("bytes", 0.0)).c_str(), max > 0 ? 100 * b.value("bytes", 0.0) / max : 0.0,
                human_age_ms(b.value("oldest_age_ms", int64_t{0})).c_str(), b.value("in_rate", 0.0),
                b.value("out_rate", 0.0), static_cast<unsigned long long>(b.value("dropped", uint64_t{0})),
                static_cast<unsigned long long>(b.value("rejected", uint64_t{0})));
    if (!b.value("last_error", "").empty()) {
      std::printf("             %s: forwarding fails: %s\n", b.value("stream", "").c_str(),
                  b.value("last_error", "").c_str());
    }
  }
}

int show(api::HttpClient& client, const Config& c, const std::string& id) {
  auto r = call(client, api::Method::GET, "/api/v1/nodes/" + api::percent_encode(id));
  if (!r) return report("nodes show", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  const json& n = *r;
  const json& f = n["facts"];
  std::printf("Node %s (%s)\n", n.value("id", "").c_str(), n.value("name", "").c_str());
  std::printf("  group      %s (its join token's)\n", n.value("group", "").c_str());
  std::printf("  level      %s\n  state      %s (last seen %s ago)\n", n.value("level", "").c_str(),
              n.value("state", "").c_str(), human_age_ms(n.value("last_seen_age_ms", int64_t{0})).c_str());
  std::printf("  parent     %s\n", n.value("parent", "").empty() ? "(server)" : n.value("parent", "").c_str());
  std::printf("  host       %s, %s, kernel %s\n", f.value("hostname", "").c_str(), f.value("os", "").c_str(),
              f.value("kernel", "").c_str());
  std::printf("  cpu        %d × %s (%s)\n", f.value("cores", 0), f.value("cpu_model", "").c_str(),
              f.value("arch", "").c_str());
  std::printf("  memory     %s\n  disk       %s\n",
              human_bytes(static_cast<double>(f.value("memory_bytes", uint64_t{0}))).c_str(),
              human_bytes(static_cast<double>(f.value("disk_bytes", uint64_t{0}))).c_str());
  for (const auto& g : f.value("gpus", json::array())) {
    std::printf("  gpu        %s %s\n", g.value("vendor", "").c_str(), g.value("model", "").c_str());
  }
  std::printf("  runtimes   containers: %s, sandbox (bubblewrap): %s\n",
              f.value("can_run_containers", false) ? "yes" : "no", f.value("has_bubblewrap", false) ? "yes" : "no");
  std::string labels;
  for (auto it = n["labels"].begin(); it != n["labels"].end(); ++it) {
    labels += (labels.empty() ? "" : ", ") + it.key() + "=" + it.value().get<std::string>();
  }
  std::printf("  labels     %s\n", labels.empty() ? "-" : labels.c_str());
  if (n.contains("allocated")) {
    const json& a = n["allocated"];
    const json& cap = n["capacity"];
    std::printf("  allocated  cpu %.2f of %.0f cores, memory %s of %s, %zu task(s)\n",
                a.value("cpu_millis", int64_t{0}) / 1000.0, cap.value("cpu_millis", int64_t{0}) / 1000.0,
                human_bytes(a.value("memory_bytes", 0.0)).c_str(), human_bytes(cap.value("memory_bytes", 0.0)).c_str(),
                a["tasks"].size());
  }
  for (const auto& sv : n.value("services", json::array())) {
    std::printf("  service    %s %s (%s)\n", sv.value("type", "").c_str(), sv.value("url", "").c_str(),
                sv.value("provided_by", "").c_str());
  }
  if (n.contains("twins")) {
    std::string ids;
    for (const auto& t : n["twins"]) ids += (ids.empty() ? "" : ", ") + t.get<std::string>();
    std::printf("  twins      %s\n", ids.empty() ? "(none attached)" : ids.c_str());
  }
  if (n.contains("kpis") && !n["kpis"].is_null()) {
    const json& k = n["kpis"];
    std::printf("  KPIs       cpu %.1f%%, load %.2f, memory used %s (available %s), disk used %s (free %s),\n"
                "             net rx %s/s tx %s/s\n",
                k.value("cpu_percent", 0.0), k.value("load1", 0.0),
                human_bytes(k.value("memory_used_bytes", 0.0)).c_str(),
                human_bytes(k.value("memory_available_bytes", 0.0)).c_str(),
                human_bytes(k.value("disk_used_bytes", 0.0)).c_str(),
                human_bytes(k.value("disk_free_bytes", 0.0)).c_str(),
                human_bytes(k.value("net_rx_rate", 0.0)).c_str(), human_bytes(k.value("net_tx_rate", 0.0)).c_str());
    print_data_plane(k);
  }
  if (n.contains("ingest_delay") && n["ingest_delay"].value("samples", uint64_t{0}) > 0) {
    const json& d = n["ingest_delay"];
    std::printf("  delay      device time → durable in the cloud: p50 %.1f ms, p99 %.1f ms (last %llu samples)\n",
                d.value("p50_ms", 0.0), d.value("p99_ms", 0.0),
                static_cast<unsigned long long>(d.value("samples", uint64_t{0})));
  }
  return 0;
}

int drain(api::HttpClient& client, const std::string& id, bool enable) {
  auto r = call(client, api::Method::POST,
                "/api/v1/nodes/" + api::percent_encode(id) + "/drain?enable=" + (enable ? "true" : "false"));
  if (!r) return report(enable ? "nodes drain" : "nodes undrain", r.error());
  std::printf("node %s is %s\n", id.c_str(), r->value("state", "").c_str());
  return 0;
}

}  // namespace

int run_nodes(std::span<const std::string> args) {
  ConfigSpec spec("nodes",
                  "Lists the machines of the continuum, or acts on one:\n"
                  "  iotwins nodes [ls]        every node you may read: group, level, state, last-seen age\n"
                  "  iotwins nodes show ID     one node with its group, facts and live KPIs\n"
                  "  iotwins nodes drain ID    place no new tasks there (undrain ID reverts)\n"
                  "  iotwins nodes plan FILE   dry-run the scheduler: where would these requests go, or\n"
                  "                            why not (FILE: requests, optionally nodes; else live nodes)\n"
                  "  iotwins nodes join-token  a one-time token for a new node (--group, --ttl); join-tokens lists them\n"
                  "  iotwins nodes revoke ID   refuse the node's certificates and API token from now on\n"
                  "A node belongs to the IAM group of the join token it joined with ('default' without one):\n"
                  "only users with a grant in that group see it or act on it.",
                  "[ls | show ID | drain ID | undrain ID | plan FILE | join-token | join-tokens | revoke ID] [flags]");
  add_client_flags(spec).positional("VERB [ARG]", "ls (default), show, drain, undrain, revoke (with a node id), plan (with a file), "
                                                  "join-token, join-tokens");
  spec.add({.name = "group", .default_value = "default", .help = "join-token: the IAM group the node will belong to"});
  spec.add({.name = "ttl", .type = ConfigType::duration, .default_value = "1h", .help = "join-token: how long it may be used (at most 7 days)"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  auto need_id = [&]() -> bool {
    if (pos.size() == 2) return true;
    std::fprintf(stderr, "iotwins nodes %s: needs exactly one %s (see 'iotwins nodes --help')\n", verb.c_str(),
                 verb == "plan" ? "file" : "node id");
    return false;
  };
  const bool no_arg = verb == "ls" || verb == "join-token" || verb == "join-tokens";
  if (!no_arg && verb != "show" && verb != "drain" && verb != "undrain" && verb != "plan" && verb != "revoke") {
    std::fprintf(stderr, "iotwins nodes: unknown verb '%s' (allowed: ls, show, drain, undrain, plan, join-token, "
                         "join-tokens, revoke)\n", verb.c_str());
    return 2;
  }
  if (no_arg && pos.size() > 1) {
    std::fprintf(stderr, "iotwins nodes %s: takes no arguments\n", verb.c_str());
    return 2;
  }
  if (!no_arg && !need_id()) return 2;
  if (verb == "plan") return run_nodes_plan(p.command.config, pos[1]);
  auto client = make_client(p.command.config);
  if (!client) {
    std::fprintf(stderr, "iotwins nodes: %s\n", client.error().message().c_str());
    return 2;
  }
  if (verb == "ls") return list(**client, p.command.config);
  if (verb == "show") return show(**client, p.command.config, pos[1]);
  if (verb == "join-token") return run_nodes_join_token(**client, p.command.config);
  if (verb == "join-tokens") return run_nodes_join_tokens(**client, p.command.config);
  if (verb == "revoke") return run_nodes_revoke(**client, pos[1]);
  return drain(**client, pos[1], verb == "drain");
}

}  // namespace iotwins::cli
