// iotwins events [--type T] [--twin ID] [--from -1h] [--limit N]: the server's event log
// (anomalies from the chain's detector, alerts, lifecycle), oldest first, from GET /api/v1/events.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/table.h"

namespace iotwins::cli {

int run_events(std::span<const std::string> args) {
  ConfigSpec spec("events",
                  "Lists events from the server's log, oldest first: anomalies (from a chain's detector),\n"
                  "anomaly_cleared, KPI thresholds, lifecycle. With --type/--twin only those; --after ID pages on\n"
                  "(the table ends with the id to pass when more remain).");
  add_client_flags(spec);
  spec.add({.name = "type", .help = "only events of this type, e.g. anomaly"});
  spec.add({.name = "twin", .help = "only events of this twin"});
  spec.add({.name = "from", .default_value = "-1h", .help = "since when (RFC 3339, ms since epoch or -DURATION)"});
  spec.add({.name = "after", .type = ConfigType::integer, .default_value = "0", .help = "only events after this id",
            .min = 0});
  spec.add({.name = "limit", .type = ConfigType::integer, .default_value = "100", .help = "at most this many",
            .min = 1, .max = 1000});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  std::string path = "/api/v1/events?from=" + api::percent_encode(c.str("from")) +
                     "&limit=" + std::to_string(c.integer("limit"));
  if (c.integer("after") > 0) path += "&after=" + std::to_string(c.integer("after"));
  for (const char* key : {"type", "twin"}) {
    if (!c.str(key).empty()) path += std::string("&") + key + "=" + api::percent_encode(c.str(key));
  }
  auto client = make_client(c);
  if (!client) return report("events", client.error());
  auto r = call(**client, api::Method::GET, path);
  if (!r) return report("events", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  Table t({"ID", "TIME", "TYPE", "TWIN", "DATA"});
  for (const auto& e : (*r)["items"]) {
    std::string data = json_cell(e.value("data", nlohmann::json()));
    if (data.size() > 100) data = data.substr(0, 97) + "...";
    t.add({json_cell(e["id"]), e.value("ts", ""), e.value("type", ""), e.value("twin", ""), data});
  }
  std::printf("%s", t.render().c_str());
  if (r->contains("next")) std::printf("more: --after %s\n", json_cell((*r)["next"]).c_str());
  return 0;
}

}  // namespace iotwins::cli
