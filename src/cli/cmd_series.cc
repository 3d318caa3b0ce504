// iotwins series [ls] | query | last — over GET /api/v1/series[/query|/last].
// json, csv and ndjson output is the server's stream copied to stdout as it arrives (bounded
// memory for any result size); table output reads NDJSON and aligns the rows.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/table.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;


std::string labels_cell(const json& labels) {
  std::string out;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    out += (out.empty() ? "" : ",") + it.key() + "=" + json_cell(it.value());
  }
  return out.empty() ? "-" : out;
}

// Query string from the selection flags (twin, property, label) plus `extra` pairs.
Result<std::string> query_string(const Config& c, std::vector<std::pair<std::string, std::string>> extra) {
  std::vector<std::pair<std::string, std::string>> params = {{"twin", c.str("twin")}, {"property", c.str("property")}};
  for (const auto& l : c.list("label")) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::invalid_argument, "--label '" + l + "' is not NAME=VALUE");
    }
    params.emplace_back("label." + l.substr(0, eq), l.substr(eq + 1));
  }
  for (auto& e : extra) {
    if (!e.second.empty()) params.push_back(std::move(e));
  }
  std::string q;
  for (const auto& [k, v] : params) q += (q.empty() ? "?" : "&") + api::percent_encode(k) + "=" + api::percent_encode(v);
  return q;
}

// A server 400 means the flags were wrong: a usage error (exit 2), like a bad flag.
int fail(const std::string& cmd, const Error& e) {
  report(cmd, e);
  return e.code() == Errc::invalid_argument ? 2 : 1;
}

int list(api::HttpClient& client, const Config& c) {
  auto base = query_string(c, {});
  if (!base) return fail("series ls", base.error());
  json all = json::array();
  std::string cursor;
  do {
    auto r = call(client, api::Method::GET, "/api/v1/series" + *base + "&limit=1000" +
                                                (cursor.empty() ? "" : "&cursor=" + cursor));
    if (!r) return fail("series ls", r.error());
    for (auto& item : (*r)["items"]) all.push_back(std::move(item));
    cursor = (*r)["next_cursor"].is_string() ? (*r)["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  if (c.str("output") == "json") {
    std::printf("%s\n", all.dump(2).c_str());
    return 0;
  }
  Table t({"TWIN", "PROPERTY", "LABELS", "FIRST", "LAST", "SAMPLES"});
  for (const auto& s : all) {
    t.add({json_cell(s["twin"]), json_cell(s["property"]), labels_cell(s["labels"]), json_cell(s["first_time"]),
           json_cell(s["last_time"]), json_cell(s["count"])});
  }
  std::fputs(t.render().c_str(), stdout);
  if (all.empty()) std::printf("(no series match: data arrives through agents' telemetry)\n");
  return 0;
}

int query(api::HttpClient& client, const Config& c) {
  const std::string out = c.str("output");
  const bool table = out == "table";
  auto q = query_string(c, {{"from", c.str("from")},
                            {"to", c.str("to")},
                            {"step", c.str("step")},
                            {"agg", c.str("agg")},
                            {"group_by", c.str("group-by")},
                            {"limit", c.integer("limit") > 0 ? std::to_string(c.integer("limit")) : ""},
                            {"format", table ? "ndjson" : out}});
  if (!q) return fail("series query", q.error());
  const bool aggregates = !c.str("agg").empty();
  std::vector<std::string> header = {"TWIN", "PROPERTY", "LABELS", "TIME", "VALUE"};
  if (aggregates) {
    header = {"GROUP", "TIME"};
    for (const auto& a : c.list("agg")) header.push_back(a);
  }
  Table t(header);
  std::string partial;
  bool truncated = false;
  auto add_line = [&](const std::string& line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    if (j.contains("truncated")) {
      truncated = true;
      return;
    }
    if (!aggregates) {
      t.add({json_cell(j["twin"]), json_cell(j["property"]), labels_cell(j["labels"]), json_cell(j["time"]), json_cell(j["value"])});
      return;
    }
    const json& g = j["group"];
    std::string group;
    if (g.contains("twin") && g.contains("labels")) {
      group = json_cell(g["twin"]) + "/" + json_cell(g["property"]) + (g["labels"].empty() ? "" : "{" + labels_cell(g["labels"]) + "}");
    } else {
      for (auto it = g.begin(); it != g.end(); ++it) group += (group.empty() ? "" : ",") + it.key() + "=" + json_cell(it.value());
    }
    std::vector<std::string> row = {group.empty() ? "(all)" : group, json_cell(j["time"])};
    for (const auto& a : c.list("agg")) row.push_back(json_cell(j[a]));
    t.add(std::move(row));
  };
  auto r = client.request_streaming(api::Method::GET, "/api/v1/series/query" + *q, [&](std::string_view piece) {
    if (!table) return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size();
    partial.append(piece);
    for (size_t nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      add_line(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    return true;
  });
  if (!r) {
    return fail("series query", std::move(r.error()).context("cannot reach the server at " + client.base_url() +
                                                             " (is it running? set --server or IOTWINS_SERVER)"));
  }
  if (!r->ok()) return fail("series query", api::error_from_response(*r, "GET /api/v1/series/query"));
  if (!table) return std::fflush(stdout) == 0 ? 0 : 1;
  std::fputs(t.render().c_str(), stdout);
  if (truncated) std::printf("(cut at --limit %lld)\n", static_cast<long long>(c.integer("limit")));
  return 0;
}

int last(api::HttpClient& client, const Config& c) {
  auto q = query_string(c, {});
  if (!q) return fail("series last", q.error());
  auto r = call(client, api::Method::GET, "/api/v1/series/last" + *q);
  if (!r) return fail("series last", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  const json& s = (*r)["sample"];
  if (s.is_null()) {
    std::printf("(no samples)\n");
  } else {
    std::printf("%s  %s\n", json_cell(s["time"]).c_str(), json_cell(s["value"]).c_str());
  }
  return 0;
}

}  // namespace

int run_series(std::span<const std::string> args) {
  ConfigSpec spec("series",
                  "Lists time series and reads their history from the server:\n"
                  "  iotwins series [ls]       series with first/last sample time and count\n"
                  "  iotwins series query      raw samples, or aggregates per --step with --agg\n"
                  "  iotwins series last       the newest sample of one series (exact names)\n"
                  "Times: RFC 3339 (2026-11-24T01:00:00Z), now, now-15m, -1h, or epoch ms (1764000000000;\n"
                  "suffix s/ms/us/ns for another unit). Durations: 10s, 1m, 1h30m.\n"
                  "Example: iotwins series query --twin 'press-*' --property temp --from -6h --step 5m --agg mean,max",
                  "[ls | query | last] [flags]");
  add_client_flags(spec, {"table", "json", "csv", "ndjson"})
      .positional("VERB", "ls (default), query or last");
  spec.add({.name = "twin", .default_value = "*", .help = "twin name or glob (* and ? match)"});
  spec.add({.name = "property", .default_value = "*", .help = "property name or glob"});
  spec.add({.name = "label", .type = ConfigType::list, .help = "NAME=VALUE a series must carry (repeatable)"});
  spec.add({.name = "from", .help = "start of the range, inclusive (default: to - 1h)"});
  spec.add({.name = "to", .help = "end of the range, exclusive (default: now)"});
  spec.add({.name = "agg", .type = ConfigType::list,
            .help = "aggregates: min, max, mean, sum, count, first, last, stddev, p50, p95, p99"});
  spec.add({.name = "step", .help = "bucket width for --agg (default: one bucket over the range)"});
  spec.add({.name = "group-by", .help = "with --agg: twin, property, label:NAME (comma-separated) or all"});
  spec.add({.name = "limit", .type = ConfigType::integer, .default_value = "0",
            .help = "at most this many samples or rows (0: no limit)", .min = 0, .max = 4294967295});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb != "ls" && verb != "query" && verb != "last") {
    std::fprintf(stderr, "iotwins series: unknown verb '%s' (allowed: ls, query, last)\n", verb.c_str());
    return 2;
  }
  if (pos.size() > 1) {
    std::fprintf(stderr, "iotwins series %s: takes no arguments, only flags (see 'iotwins series --help')\n",
                 verb.c_str());
    return 2;
  }
  const Config& c = p.command.config;
  if (verb != "query" && (c.is_set("from") || c.is_set("to") || c.is_set("agg") || c.is_set("step") ||
                          c.is_set("group-by") || c.is_set("limit"))) {
    std::fprintf(stderr, "iotwins series %s: --from, --to, --agg, --step, --group-by and --limit belong to 'query'\n",
                 verb.c_str());
    return 2;
  }
  if (verb != "query" && (c.str("output") == "csv" || c.str("output") == "ndjson")) {
    std::fprintf(stderr, "iotwins series %s: --output must be table or json\n", verb.c_str());
    return 2;
  }
  auto client = make_client(c);
  if (!client) {
    std::fprintf(stderr, "iotwins series: %s\n", client.error().message().c_str());
    return 2;
  }
  if (verb == "ls") return list(**client, c);
  if (verb == "last") return last(**client, c);
  return query(**client, c);
}

}  // namespace iotwins::cli
