// The model registry verbs of `iotwins models` (the evaluate verb is in cmd_models.cc).
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/models.h"
#include "cli/table.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

std::string num_or_dash(const json& v) { return v.is_number() ? std::to_string(v.get<int64_t>()) : "-"; }

std::string metrics_cell(const json& m) {
  std::string out;
  for (const auto& [k, v] : m.items()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s=%.4g", k.c_str(), v.get<double>());
    out += (out.empty() ? "" : " ") + std::string(buf);
  }
  return out.empty() ? "-" : out;
}

bool as_json(const Config& c) { return c.str("output") == "json"; }

int list(api::HttpClient& client, const Config& c) {
  json all = json::array();
  std::string after;
  for (;;) {
    std::string path = "/api/v1/models?limit=1000";
    if (!after.empty()) path += "&after=" + api::percent_encode(after);
    auto r = call(client, api::Method::GET, path);
    if (!r) return report("models ls", r.error());
    for (auto& m : (*r)["items"]) all.push_back(std::move(m));
    if (!r->contains("next")) break;
    after = (*r)["next"].get<std::string>();
  }
  if (as_json(c)) {
    std::printf("%s\n", all.dump(2).c_str());
    return 0;
  }
  Table t({"NAME", "GROUP", "LATEST", "PROMOTED", "REVISION", "CREATED"});
  for (const auto& m : all) {
    t.add({m.value("name", ""), m.value("group", ""), num_or_dash(m["latest_version"]), num_or_dash(m["promoted_version"]),
           num_or_dash(m["revision"]), m.value("created", "")});
  }
  std::fputs(t.render().c_str(), stdout);
  if (all.empty()) std::printf("(no models yet: register one with 'iotwins models register NAME FILE')\n");
  return 0;
}

int show(api::HttpClient& client, const Config& c, const std::string& name) {
  const std::string base = "/api/v1/models/" + api::percent_encode(name);
  auto m = call(client, api::Method::GET, base);
  if (!m) return report("models show", m.error());
  json versions = json::array();
  int64_t after = 0;
  for (;;) {
    auto r = call(client, api::Method::GET, base + "/versions?limit=1000&after=" + std::to_string(after));
    if (!r) return report("models show", r.error());
    for (auto& v : (*r)["items"]) versions.push_back(std::move(v));
    if (!r->contains("next")) break;
    after = (*r)["next"].get<int64_t>();
  }
  auto h = call(client, api::Method::GET, base + "/history?limit=20");
  if (!h) return report("models show", h.error());
  if (as_json(c)) {
    json out = *m;
    out["versions"] = versions;
    out["history"] = (*h)["items"];
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model %s (group %s): latest version %s, promoted %s, revision %s (use it as --if-revision)\n",
              name.c_str(), m->value("group", "").c_str(), num_or_dash((*m)["latest_version"]).c_str(),
              num_or_dash((*m)["promoted_version"]).c_str(), num_or_dash((*m)["revision"]).c_str());
  Table t({"VERSION", "STAGE", "KIND", "SIZE", "METRICS", "CREATED", "BY", "SHA256"});
  for (const auto& v : versions) {
    t.add({num_or_dash(v["version"]), v.value("stage", ""), v.value("kind", ""),
           human_bytes(double(v.value("size", uint64_t{0}))), metrics_cell(v["metrics"]), v.value("created", ""),
           v["lineage"].value("created_by", "").empty() ? "-" : v["lineage"].value("created_by", ""),
           v.value("sha256", "").substr(0, 12)});
  }
  std::fputs(t.render().c_str(), stdout);
  if (!(*h)["items"].empty()) {
    std::printf("\nhistory (newest first):\n");
    Table ht({"AT", "ACTION", "FROM", "TO", "BY", "REVISION"});
    for (const auto& r : (*h)["items"]) {
      ht.add({r.value("at", ""), r.value("action", ""), num_or_dash(r["from_version"]), num_or_dash(r["to_version"]),
              r.value("by", ""), num_or_dash(r["revision"])});
    }
    std::fputs(ht.render().c_str(), stdout);
  }
  return 0;
}

// promote / rollback: POST with If-Match when --if-revision is given.
int change(api::HttpClient& client, const Config& c, const std::string& verb, const std::string& path) {
  json body = {{"by", c.str("by")}};
  api::Headers headers;
  if (c.is_set("if-revision")) headers.insert_or_assign("If-Match", "\"" + std::to_string(c.integer("if-revision")) + "\"");
  auto res = client.request(api::Method::POST, path, body.dump(), "application/json", headers);
  if (!res) return report("models " + verb, Error(res.error()).context("cannot reach the server at " + client.base_url()));
  if (!res->ok()) return report("models " + verb, api::error_from_response(*res, "POST " + path));
  json v = json::parse(res->body, nullptr, false);
  if (as_json(c)) {
    std::printf("%s\n", v.dump(2).c_str());
    return 0;
  }
  const std::string* etag = nullptr;
  if (auto it = res->headers.find("ETag"); it != res->headers.end()) etag = &it->second;
  std::printf("%s: version %s is promoted (model revision %s)\n", v.value("name", "").c_str(),
              num_or_dash(v["version"]).c_str(), etag ? etag->c_str() : "?");
  return 0;
}

Result<json> key_values(const Config& c, const char* flag, bool numbers) {
  json out = json::object();
  for (const auto& kv : c.list(flag)) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::invalid_argument, std::string("--") + flag + " '" + kv + "': expected NAME=VALUE");
    }
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (!numbers) {
      out[k] = v;
      continue;
    }
    try {
      size_t used = 0;
      double d = std::stod(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
      out[k] = d;
    } catch (const std::exception&) {
      return make_error(Errc::invalid_argument, std::string("--") + flag + " '" + kv + "': VALUE must be a number");
    }
  }
  return out;
}

int register_version(api::HttpClient& client, const Config& c, const std::string& name, const std::string& file) {
  auto metrics = key_values(c, "metric", true);
  if (!metrics) return report("models register", metrics.error());
  auto params = key_values(c, "param", false);
  if (!params) return report("models register", params.error());
  auto art = put_artifact(client, file);
  if (!art) return report("models register", art.error());
  json lineage = {{"series", c.list("series")}, {"parameters", *params}, {"created_by", c.str("by")}};
  if (c.is_set("data-from")) lineage["data_from"] = c.str("data-from");
  if (c.is_set("data-to")) lineage["data_to"] = c.str("data-to");
  json body = {{"artifact", (*art)["sha256"]}, {"metrics", *metrics}, {"lineage", lineage}};
  if (c.is_set("kind")) body["kind"] = c.str("kind");
  if (c.is_set("group")) body["group"] = c.str("group");  // unset: the model's, or "default" for a new one
  const std::string path = "/api/v1/models/" + api::percent_encode(name) + "/versions";
  auto v = call(client, api::Method::POST, path, body.dump());
  if (!v) return report("models register", v.error());
  if (as_json(c)) {
    std::printf("%s\n", v->dump(2).c_str());
    return 0;
  }
  std::printf("%s: version %s registered as a candidate (%s, sha256 %s); promote it with 'iotwins models promote "
              "%s %s'\n",
              name.c_str(), num_or_dash((*v)["version"]).c_str(), v->value("kind", "").c_str(),
              v->value("sha256", "").c_str(), name.c_str(), num_or_dash((*v)["version"]).c_str());
  return 0;
}

}  // namespace

int models_registry(const std::vector<std::string>& pos, const Config& c) {
  auto usage = [](const std::string& msg) {
    std::fprintf(stderr, "iotwins models: %s (see 'iotwins models --help')\n", msg.c_str());
    return 2;
  };
  const std::string& verb = pos[0];
  auto client = make_client(c);
  if (!client) return report("models", client.error());
  auto& cl = **client;
  if (verb == "ls") return pos.size() == 1 ? list(cl, c) : usage("usage: iotwins models ls");
  if (verb == "show") return pos.size() == 2 ? show(cl, c, pos[1]) : usage("usage: iotwins models show NAME");
  if (verb == "register") {
    return pos.size() == 3 ? register_version(cl, c, pos[1], pos[2]) : usage("usage: iotwins models register NAME FILE");
  }
  if (verb == "promote") {
    if (pos.size() != 3) return usage("usage: iotwins models promote NAME VERSION");
    return change(cl, c, verb, "/api/v1/models/" + api::percent_encode(pos[1]) + "/versions/" +
                                   api::percent_encode(pos[2]) + "/promote");
  }
  if (verb == "rollback") {
    if (pos.size() != 2) return usage("usage: iotwins models rollback NAME");
    return change(cl, c, verb, "/api/v1/models/" + api::percent_encode(pos[1]) + "/rollback");
  }
  return usage("unknown verb '" + verb + "': evaluate, ls, show, register, promote or rollback");
}

}  // namespace iotwins::cli
