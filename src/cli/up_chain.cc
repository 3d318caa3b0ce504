// `iotwins up`: the factory chain deployed on the three agents, fitted to the demo plant through
// its inputs. Its id and a digest of what was sent are kept in <data-dir>/chain.json, so a second
// `up` finds it again: the same template and inputs → reused as it is; changed → updated (PUT,
// only changed instances restart); gone from the server → deployed anew.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <regex>

#include "cli/client.h"
#include "cli/up.h"
#include "core/fs.h"
#include "core/signals.h"
#include "cli/deployments.h"
#include "dataplane/objects/chunk.h"
#include "simulation/plant.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// The chain's CPU requests are written for real machines (the cloud Compute asks for 4 cores);
// here the three agents share one machine and each offers all of its cores, so every request is
// capped at a quarter core. Only `cpu:` values change; the placement rules (levels, labels,
// brokers) stay the template's.
std::string fit_cpu_requests(const std::string& text) {
  static const std::regex cpu(R"(cpu: ([0-9]+(\.[0-9]+)?))");
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), cpu);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out.append(text, last, static_cast<size_t>(it->position()) - last);
    out += std::stod((*it)[1].str()) > 0.25 ? "cpu: 0.25" : it->str();
    last = static_cast<size_t>(it->position() + it->length());
  }
  out.append(text, last);
  return out;
}

Result<std::string> request(api::HttpClient& server, api::Method method, const std::string& path, const json& body,
                            const std::string& if_match = "") {
  api::Headers headers;
  if (!if_match.empty()) headers["If-Match"] = if_match;
  IOT_ASSIGN(auto r, server.request(method, path, body.dump(), "application/json", headers));
  if (r.status / 100 != 2) {
    std::string detail = r.body;
    try {
      detail = json::parse(r.body).value("detail", r.body);
    } catch (const json::exception&) {
    }
    return make_error(r.status == 404 ? Errc::not_found : Errc::invalid_argument,
                      std::string(api::to_string(method)) + " " + path + ": " + std::to_string(r.status) + " " + detail);
  }
  return r.body;
}

}  // namespace

Result<ChainInputs> chain_inputs_for_plant(const std::string& plant_path) {
  IOT_ASSIGN(auto plant, simulation::Plant::load(plant_path));
  for (size_t i = 0; i < plant.twin_count(); ++i) {
    const auto& t = plant.twin(i);
    if (t.kind != "pump") continue;
    ChainInputs in;
    in.twin = t.id;
    json published = json::array();  // what its telemetry carries: the model learns and scores these
    for (size_t p : t.published) published.push_back(t.properties[p]);
    in.values = {{"plant", plant.site()},
                 {"twin", t.id},
                 {"asset_model", "pump-circuit"},
                 // Plausible readings only: a vibration sensor never reads below zero, a motor
                 // winding above 180 °C is a broken sensor (its insulation class limit).
                 {"filter", "vibration_mm_s >= 0 and motor_temp_c < 180"},
                 // 10 min of history trains on 1 s rows: a first model once a minute of data is stored.
                 {"history", "10 m"},
                 {"properties", published}};
    return in;
  }
  return make_error(Errc::invalid_argument, plant_path + ": the plant has no pump for the chain to watch");
}

Result<ChainDeployment> ensure_chain(api::HttpClient& server, const std::string& template_path,
                                     const ChainInputs& inputs, const std::string& state_path) {
  auto& fs = PosixFileSystem::instance();
  IOT_ASSIGN(auto text, fs.read_file(template_path));
  json body{{"template", fit_cpu_requests(text)}, {"inputs", inputs.values}};
  const std::string digest = dataplane::sha256_hex(body.dump());

  ChainDeployment out;
  if (auto saved = fs.read_file(state_path); saved) {
    json state = json::parse(*saved, nullptr, false);
    std::string id = state.is_object() ? state.value("id", "") : "";
    if (!id.empty()) {
      auto current = request(server, api::Method::GET, deployment_path(id), json());
      if (current) {
        json d = json::parse(*current);
        std::string status = d.value("status", "");
        if (!status.starts_with("DELETE")) {
          out.id = id;
          if (state.value("digest", "") == digest) {
            out.action = "reused";
          } else {
            IOT_TRY(request(server, api::Method::PUT, deployment_path(id), body,
                            "\"" + std::to_string(d.value("revision", int64_t{0})) + "\""));
            out.action = "updated";
          }
        }
      } else if (current.error().code() != Errc::not_found) {
        return std::unexpected(current.error());
      }
    }
  }
  if (out.id.empty()) {
    IOT_ASSIGN(auto created, request(server, api::Method::POST, "/api/v1/deployments", body));
    out.id = json::parse(created).value("id", "");
    out.action = "deployed";
  }
  IOT_TRY(fs.write_file_atomic(state_path, json{{"id", out.id}, {"digest", digest}}.dump() + "\n"));
  return out;
}

Result<nlohmann::json> wait_for_chain(api::HttpClient& server, const std::string& id, std::chrono::seconds timeout) {
  const auto t0 = SteadyClock::now();
  std::map<std::string, std::string> shown;  // instance → state printed
  for (;;) {
    IOT_ASSIGN(auto d, call(server, api::Method::GET, deployment_path(id)));
    for (const auto& n : d.value("instances", json::array())) {
      std::string key = n.value("name", "") + (n.value("index", 0) ? "[" + std::to_string(n.value("index", 0)) + "]" : "");
      std::string state = n.value("state", "");
      if (n.value("node", "").empty() || shown[key] == state) continue;
      shown[key] = state;
      std::printf("      %-18s %-10s %-22s %5.1fs\n", key.c_str(), state.c_str(), n.value("node", "").c_str(),
                  std::chrono::duration<double>(SteadyClock::now() - t0).count());
    }
    std::fflush(stdout);
    std::string status = d.value("status", "");
    if (status.ends_with("_FAILED")) {
      return make_error(Errc::unavailable, "the chain " + id + " is " + status + ": " + d.value("reason", "") +
                                               " (iotwins deployments show " + id + ")");
    }
    if (status.ends_with("_COMPLETE")) return d;
    if (SteadyClock::now() - t0 > timeout) {
      return make_error(Errc::timeout, "the chain " + id + " is still " + status + " after " +
                                           std::to_string(timeout.count()) + " s (iotwins deployments show " + id + ")");
    }
    if (wait_for_termination(std::chrono::milliseconds(200))) return make_error(Errc::cancelled, "interrupted");
  }
}

}  // namespace iotwins::cli
