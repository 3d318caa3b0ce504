// iotwins twins ls | get | tree | set-desired | put | delete | watch | models — over /api/v1/twins
// and /api/v1/twin-models. Pointed at an agent (--server <agent.url>) ls, get and set-desired work
// on that agent's twin cache, also while the cloud is unreachable.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/table.h"
#include "cli/twins.h"
#include "core/fs.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;


// key=value pairs → a nested desired object; values are JSON when they parse (1200, true, null,
// "x", {…}), strings otherwise; dotted keys nest (pump.speed=3).
Result<json> desired_from_pairs(std::span<const std::string> pairs) {
  json out = json::object();
  for (const auto& p : pairs) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::invalid_argument, "'" + p + "' is not KEY=VALUE (e.g. speed=1200 or mode=\\\"auto\\\")");
    }
    std::string key = p.substr(0, eq), text = p.substr(eq + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;
    json* node = &out;
    size_t start = 0;
    for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
      json& next = (*node)[key.substr(start, dot - start)];
      if (!next.is_object()) next = json::object();
      node = &next;
    }
    (*node)[key.substr(start)] = std::move(value);
  }
  return out;
}

int list(api::HttpClient& client, const Config& c) {
  json all = json::array();
  std::string cursor;
  size_t want = static_cast<size_t>(c.integer("limit"));
  do {
    std::string path = "/api/v1/twins?limit=" + std::to_string(std::min<size_t>(want - all.size(), 1000));
    if (!c.str("filter").empty()) path += "&filter=" + api::percent_encode(c.str("filter"));
    if (!c.str("sort").empty()) path += "&sort=" + api::percent_encode(c.str("sort"));
    if (!cursor.empty()) path += "&cursor=" + api::percent_encode(cursor);
    auto r = call(client, api::Method::GET, path);
    if (!r) return report("twins ls", r.error());
    for (auto& t : (*r)["items"]) all.push_back(std::move(t));
    cursor = r->contains("next") ? (*r)["next"].get<std::string>() : "";
  } while (!cursor.empty() && all.size() < want);
  if (c.str("output") == "json") {
    std::printf("%s\n", all.dump(2).c_str());
    return 0;
  }
  Table t({"ID", "MODEL", "LEVEL", "PARENT", "NODE", "VERSION", "DELTA", "REPORTED"});
  for (const auto& d : all) {
    std::string reported = d["state"]["reported"].dump();
    if (reported.size() > 60) reported = reported.substr(0, 57) + "...";
    t.add({json_cell(d["id"]), d["model"].get<std::string>().empty() ? "-" : json_cell(d["model"]), json_cell(d["level"]),
           json_cell(d["parent"]), json_cell(d.value("node", json())), json_cell(d["version"]),
           d["state"]["delta"].empty() ? "-" : d["state"]["delta"].dump(), reported});
  }
  std::fputs(t.render().c_str(), stdout);
  if (all.empty()) std::printf("(no twins match: devices publishing on iotwins/<twin>/telemetry create them)\n");
  if (!cursor.empty()) std::printf("(first %zu shown: raise --limit for more)\n", all.size());
  return 0;
}

int get(api::HttpClient& client, const std::string& id) {
  auto r = call(client, api::Method::GET, "/api/v1/twins/" + api::percent_encode(id));
  if (!r) return report("twins get", r.error());
  std::printf("%s\n", r->dump(2).c_str());
  return 0;
}

void print_tree(const json& node, const std::string& indent, bool last, bool root) {
  std::string line = root ? "" : indent + (last ? "└─ " : "├─ ");
  line += node["id"].get<std::string>();
  std::string model = node.value("model", "");
  std::string level = node["level"].is_string() ? node["level"].get<std::string>() : "";
  if (!model.empty() || !level.empty()) line += "  (" + model + (model.empty() || level.empty() ? "" : ", ") + level + ")";
  if (node.contains("more")) line += "  [+" + std::to_string(node["more"].get<int>()) + " below]";
  std::printf("%s\n", line.c_str());
  if (!node.contains("children")) return;
  std::string next = root ? "" : indent + (last ? "   " : "│  ");
  const json& kids = node["children"];
  for (size_t i = 0; i < kids.size(); ++i) print_tree(kids[i], next, i + 1 == kids.size(), false);
}

int tree(api::HttpClient& client, const Config& c, const std::string& root) {
  std::string path = root.empty() ? "/api/v1/twin-tree" : "/api/v1/twins/" + api::percent_encode(root) + "/tree";
  path += "?depth=" + std::to_string(c.integer("depth"));
  auto r = call(client, api::Method::GET, path);
  if (!r) return report("twins tree", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", (*r)["items"].dump(2).c_str());
    return 0;
  }
  for (const auto& t : (*r)["items"]) print_tree(t, "", true, true);
  if ((*r)["items"].empty()) std::printf("(no twins yet)\n");
  return 0;
}

int set_desired(api::HttpClient& client, const Config& c, const std::string& id, std::span<const std::string> pairs) {
  json desired;
  if (!c.str("json").empty()) {
    desired = json::parse(c.str("json"), nullptr, false);
    if (desired.is_discarded() || !desired.is_object()) {
      std::fprintf(stderr, "iotwins twins set-desired: --json must be a JSON object\n");
      return 2;
    }
    if (!pairs.empty()) {
      std::fprintf(stderr, "iotwins twins set-desired: give KEY=VALUE pairs or --json, not both\n");
      return 2;
    }
  } else {
    auto d = desired_from_pairs(pairs);
    if (!d) {
      std::fprintf(stderr, "iotwins twins set-desired: %s\n", d.error().message().c_str());
      return 2;
    }
    if (d->empty()) {
      std::fprintf(stderr, "iotwins twins set-desired: nothing to set (give KEY=VALUE pairs or --json)\n");
      return 2;
    }
    desired = std::move(*d);
  }
  json body = {{"state", {{"desired", desired}}}};
  if (c.integer("version") > 0) body["version"] = c.integer("version");
  auto r = call(client, api::Method::PATCH, "/api/v1/twins/" + api::percent_encode(id) + "/state", body.dump());
  if (!r) return report("twins set-desired", r.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  std::printf("%s at version %lld; delta now %s\n", id.c_str(), static_cast<long long>((*r)["version"].get<int64_t>()),
              (*r)["state"]["delta"].dump().c_str());
  return 0;
}

int put(api::HttpClient& client, const std::string& id, const std::string& file) {
  auto text = PosixFileSystem::instance().read_file(file);
  if (!text) return report("twins put", text.error());
  auto r = call(client, api::Method::PUT, "/api/v1/twins/" + api::percent_encode(id), *text);
  if (!r) return report("twins put", r.error());
  std::printf("%s at version %lld\n", id.c_str(), static_cast<long long>((*r)["version"].get<int64_t>()));
  return 0;
}

int remove(api::HttpClient& client, const std::string& id) {
  auto r = client.request(api::Method::DELETE, "/api/v1/twins/" + api::percent_encode(id));
  if (!r) return report("twins delete", r.error());
  if (!r->ok()) return report("twins delete", api::error_from_response(*r, "DELETE /api/v1/twins/" + id));
  std::printf("deleted %s\n", id.c_str());
  return 0;
}

}  // namespace

int run_twins(std::span<const std::string> args) {
  ConfigSpec spec("twins",
                  "Digital twins: their state, tree and changes.\n"
                  "  iotwins twins [ls]                     twins (--filter, --sort, --limit)\n"
                  "  iotwins twins get ID                   one twin: desired, reported, delta, metadata, version\n"
                  "  iotwins twins tree [ID]                the hierarchy (site → line → machine → component)\n"
                  "  iotwins twins set-desired ID K=V ...   change desired state (delivered to the device as a delta)\n"
                  "  iotwins twins put ID FILE              create a twin or replace its description (JSON)\n"
                  "  iotwins twins delete ID                delete a twin without children\n"
                  "  iotwins twins watch                    follow changes live (--filter, --cursor to resume)\n"
                  "  iotwins twins models [ls|get ID|put FILE|delete ID]   twin models (JSON or YAML)\n"
                  "Filters: model == \"Pump\" and reported.temperature > 80 and under(\"line-2\") (docs/twins.md).\n"
                  "With --server set to an agent's URL (its data dir's agent.url), ls, get and set-desired use that\n"
                  "agent's twin cache, which works while the cloud is unreachable.",
                  "[ls | get | tree | set-desired | put | delete | watch | models] [args] [flags]");
  add_client_flags(spec).positional("VERB", "ls (default), get, tree, set-desired, put, delete, watch or models");
  spec.add({.name = "filter", .help = "only twins matching this expression"});
  spec.add({.name = "sort", .help = "sort key: id (default), updated, reported.X; prefix - for descending"});
  spec.add({.name = "limit", .type = ConfigType::integer, .default_value = "1000", .help = "at most this many twins",
            .min = 1, .max = 10'000'000});
  spec.add({.name = "depth", .type = ConfigType::integer, .default_value = "8", .help = "tree depth shown", .min = 0,
            .max = 64});
  spec.add({.name = "json", .help = "set-desired: the desired object as JSON instead of KEY=VALUE pairs"});
  spec.add({.name = "version", .type = ConfigType::integer, .default_value = "0",
            .help = "set-desired: apply only at this twin version (409 otherwise)", .min = 0, .max = INT64_MAX});
  spec.add({.name = "cursor", .help = "watch: resume after this change (the last seq seen; 'now' for new changes only)"});
  spec.add({.name = "node", .help = "watch: only twins attached to this node"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  const Config& c = p.command.config;
  std::string verb = pos.empty() ? "ls" : pos[0];
  auto need = [&](size_t min, size_t max, const char* usage) {
    if (pos.size() < min || pos.size() > max) {
      std::fprintf(stderr, "iotwins twins %s: usage: iotwins twins %s\n", verb.c_str(), usage);
      return false;
    }
    return true;
  };
  auto client = make_client(c);
  if (!client) return report("twins", client.error());
  api::HttpClient& cl = **client;
  if (verb == "ls") return need(0, 1, "ls [--filter EXPR]") ? list(cl, c) : 2;
  if (verb == "get") return need(2, 2, "get ID") ? get(cl, pos[1]) : 2;
  if (verb == "tree") return need(1, 2, "tree [ID]") ? tree(cl, c, pos.size() > 1 ? pos[1] : "") : 2;
  if (verb == "set-desired") {
    if (!need(2, 1000, "set-desired ID KEY=VALUE... (or --json '{...}')")) return 2;
    return set_desired(cl, c, pos[1], std::span<const std::string>(pos).subspan(2));
  }
  if (verb == "put") return need(3, 3, "put ID FILE") ? put(cl, pos[1], pos[2]) : 2;
  if (verb == "delete") return need(2, 2, "delete ID") ? remove(cl, pos[1]) : 2;
  if (verb == "watch") return need(1, 1, "watch [--filter EXPR] [--cursor SEQ]") ? watch_twins(cl, c) : 2;
  if (verb == "models") return twin_models(cl, c, std::span<const std::string>(pos).subspan(1));
  std::fprintf(stderr, "iotwins twins: unknown verb '%s' (see 'iotwins twins --help')\n", verb.c_str());
  return 2;
}

}  // namespace iotwins::cli
