// iotwins twins watch and iotwins twins models.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/table.h"
#include "cli/twins.h"
#include "core/fs.h"
#include "core/signals.h"

namespace iotwins::cli {

using nlohmann::json;

// Runs until the server ends the stream or the user presses Ctrl-C. Termination signals are blocked
// in the CLI and taken synchronously: the feed's keepalive (every 2 s) gives the loop a chance to look.
int watch_twins(api::HttpClient& client, const Config& c) {
  std::string path = "/api/v1/twins/events?cursor=" + api::percent_encode(c.str("cursor").empty() ? "now" : c.str("cursor"));
  if (!c.str("filter").empty()) path += "&filter=" + api::percent_encode(c.str("filter"));
  if (!c.str("node").empty()) path += "&node=" + api::percent_encode(c.str("node"));
  path += "&keepalive=2";
  const bool as_json = c.str("output") == "json";
  std::string pending;
  bool interrupted = false;
  auto r = client.request_streaming(api::Method::GET, path, [&](std::string_view piece) {
    if (wait_for_termination(std::chrono::milliseconds(0))) {
      interrupted = true;
      return false;
    }
    pending.append(piece);
    for (size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
      std::string block = pending.substr(0, end);
      pending.erase(0, end + 2);
      size_t d = block.find("data: ");
      if (d == std::string::npos) continue;
      json e = json::parse(block.substr(d + 6), nullptr, false);
      if (e.is_discarded()) continue;
      if (as_json) {
        std::printf("%s\n", e.dump().c_str());
      } else if (e.value("kind", "") == "deleted") {
        std::printf("%-8lld %-24s deleted\n", static_cast<long long>(e.value("seq", int64_t{0})), e.value("id", "").c_str());
      } else {
        const json& t = e["twin"];
        std::string changed;
        for (const auto& p : e.value("changed", json::array())) changed += (changed.empty() ? "" : ",") + p.get<std::string>();
        std::printf("%-8lld %-24s v%-6lld %s  delta=%s\n", static_cast<long long>(e.value("seq", int64_t{0})),
                    e.value("id", "").c_str(), static_cast<long long>(t.value("version", int64_t{0})),
                    changed.empty() ? "(caught up)" : changed.c_str(), t["state"]["delta"].dump().c_str());
      }
      std::fflush(stdout);
    }
    return true;
  });
  if (interrupted) return 0;
  if (!r) return report("twins watch", std::move(r.error()).context("cannot follow " + client.base_url()));
  if (!r->ok()) return report("twins watch", api::error_from_response(*r, "GET /api/v1/twins/events"));
  return 0;
}

int twin_models(api::HttpClient& client, const Config& c, std::span<const std::string> args) {
  std::string verb = args.empty() ? "ls" : args[0];
  if (verb == "ls" && args.size() <= 1) {
    auto r = call(client, api::Method::GET, "/api/v1/twin-models");
    if (!r) return report("twins models ls", r.error());
    if (c.str("output") == "json") {
      std::printf("%s\n", (*r)["items"].dump(2).c_str());
      return 0;
    }
    Table t({"ID", "TELEMETRY", "DESIRED", "ATTRIBUTES", "TOPIC MAPPINGS"});
    for (const auto& m : (*r)["items"]) {
      t.add({m["id"].get<std::string>(), std::to_string(m["telemetry"].size()), std::to_string(m["desired"].size()),
             std::to_string(m["attributes"].size()), std::to_string(m["topics"].size())});
    }
    std::fputs(t.render().c_str(), stdout);
    if ((*r)["items"].empty()) std::printf("(no models: add one with 'iotwins twins models put FILE')\n");
    return 0;
  }
  if (verb == "get" && args.size() == 2) {
    auto r = call(client, api::Method::GET, "/api/v1/twin-models/" + api::percent_encode(args[1]));
    if (!r) return report("twins models get", r.error());
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  if (verb == "put" && args.size() == 2) {
    auto text = PosixFileSystem::instance().read_file(args[1]);
    if (!text) return report("twins models put", text.error());
    // The id is read from the file itself, so the path needs no second spelling of it.
    std::string id;
    json j = json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) {
      id = j["id"];
    } else {
      for (size_t pos = 0; pos < text->size();) {
        size_t nl = text->find('\n', pos);
        std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text->size() : nl + 1;
        if (line.starts_with("id:")) {
          id = line.substr(3);
          id.erase(0, id.find_first_not_of(" \t\"'"));
          id.erase(id.find_last_not_of(" \t\"'\r") + 1);
          break;
        }
      }
    }
    if (id.empty()) {
      std::fprintf(stderr, "iotwins twins models put: %s has no top-level id\n", args[1].c_str());
      return 2;
    }
    auto r = call(client, api::Method::PUT, "/api/v1/twin-models/" + api::percent_encode(id), *text);
    if (!r) return report("twins models put", r.error());
    std::printf("model %s stored\n", id.c_str());
    return 0;
  }
  if (verb == "delete" && args.size() == 2) {
    auto r = client.request(api::Method::DELETE, "/api/v1/twin-models/" + api::percent_encode(args[1]));
    if (!r) return report("twins models delete", r.error());
    if (!r->ok()) return report("twins models delete", api::error_from_response(*r, "DELETE"));
    std::printf("deleted model %s\n", args[1].c_str());
    return 0;
  }
  std::fprintf(stderr, "iotwins twins models: usage: iotwins twins models [ls | get ID | put FILE | delete ID]\n");
  return 2;
}

}  // namespace iotwins::cli
