// iotwins simulate scenario | compare: what-if runs and parameter sweeps of a plant (the cloud's
// simulation task), their results stored on the server as a named scenario, and the comparison of
// a scenario's series with measured history.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

#include "api/http_client.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/simulate.h"
#include "cli/table.h"
#include "core/clock.h"
#include "simulation/scenario.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;
namespace sim = simulation;

constexpr size_t kSamplesPerRequest = 500'000;

// "twin.key=value" → (twin, key, value): the twin is everything before the first dot (plant twin
// ids have none), the key may hold dots of its own ("pump-101.pipe.length_m").
Result<std::tuple<std::string, std::string, std::string>> split_assignment(const std::string& text, const char* flag) {
  size_t eq = text.find('=');
  size_t dot = text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq) {
    return make_error(Errc::invalid_argument, std::string(flag) + " '" + text + "': expected TWIN.KEY=VALUE");
  }
  return std::make_tuple(text.substr(0, dot), text.substr(dot + 1, eq - dot - 1), text.substr(eq + 1));
}

Result<double> number(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return make_error(Errc::invalid_argument, what + ": '" + text + "' is not a number");
}

// --set TWIN.KEY=VALUE[@TIME]: a setpoint change (JSON value) at a simulated time (default 0).
Result<sim::SetpointChange> parse_set(const std::string& text) {
  IOT_ASSIGN(auto parts, split_assignment(text, "--set"));
  auto [twin, key, value] = parts;
  double at = 0;
  if (size_t at_pos = value.rfind('@'); at_pos != std::string::npos) {
    IOT_ASSIGN(auto d, parse_duration(value.substr(at_pos + 1)));
    at = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) / 1000.0;
    value = value.substr(0, at_pos);
  }
  json v = json::parse(value, nullptr, false);
  if (v.is_discarded()) v = value;
  return sim::SetpointChange{twin, json{{key, v}}, at};
}

Status upload(api::HttpClient& client, const sim::ScenarioResult& r) {
  json batch = {{"series", json::array()}};
  size_t in_batch = 0;
  auto flush = [&]() -> Status {
    if (in_batch == 0) return ok();
    IOT_TRY(call(client, api::Method::POST, "/api/v1/scenarios/" + api::percent_encode(r.scenario) + "/samples",
                 batch.dump()));
    batch["series"] = json::array();
    in_batch = 0;
    return ok();
  };
  for (const auto& s : r.series) {
    for (size_t from = 0; from < s.values.size(); from += kSamplesPerRequest) {
      size_t to = std::min(s.values.size(), from + kSamplesPerRequest);
      batch["series"].push_back({{"twin", s.twin},
                                 {"property", s.property},
                                 {"ts_ns", std::vector<int64_t>(s.ts_ns.begin() + from, s.ts_ns.begin() + to)},
                                 {"values", std::vector<double>(s.values.begin() + from, s.values.begin() + to)}});
      in_batch += to - from;
      if (in_batch >= kSamplesPerRequest) IOT_TRY(flush());
    }
  }
  return flush();
}

void print_summary(const sim::ScenarioResult& r) {
  std::printf("scenario %s: %zu series, %llu steps\n", r.scenario.c_str(), r.series.size(),
              static_cast<unsigned long long>(r.steps));
  Table t({"TWIN", "PROPERTY", "SAMPLES", "FIRST", "LAST", "MEAN"});
  for (const auto& s : r.series) {
    if (s.values.empty()) continue;
    double sum = 0;
    for (double v : s.values) sum += v;
    char first[32], last[32], mean[32];
    std::snprintf(first, sizeof first, "%.4g", s.values.front());
    std::snprintf(last, sizeof last, "%.4g", s.values.back());
    std::snprintf(mean, sizeof mean, "%.4g", sum / static_cast<double>(s.values.size()));
    t.add({s.twin, s.property, std::to_string(s.values.size()), first, last, mean});
  }
  std::fputs(t.render().c_str(), stdout);
}

}  // namespace

int run_simulate_scenario(std::span<const std::string> args) {
  ConfigSpec spec("simulate scenario",
                  "Runs the plant model ahead of time — a what-if (e.g. 24 h at a new setpoint) or a parameter\n"
                  "sweep spread over this machine's cores — and, with --server, stores the results as a named\n"
                  "scenario beside the measured history (series labelled scenario=<name>).\n"
                  "Examples:\n"
                  "  iotwins simulate scenario --name slow-101 --duration 24h --set pump-101.speed_rpm=2400\n"
                  "  iotwins simulate scenario --name pipe --duration 6h --sweep pump-101.pipe.length_m=100,150,200\n"
                  "Then: iotwins series query --twin pump-101 --property flow_m3h --label scenario=slow-101 --agg mean",
                  "[flags]");
  add_client_flags(spec);
  spec.add({.name = "plant", .default_value = "examples/plant.yaml", .help = "plant description (YAML)"});
  spec.add({.name = "name", .help = "scenario name (letters, digits, - _ . : = ,); required"});
  spec.add({.name = "duration", .type = ConfigType::duration, .default_value = "24h", .help = "simulated time"});
  spec.add({.name = "start", .default_value = "now", .help = "timestamp of simulated t=0: now, or epoch ms"});
  spec.add({.name = "sample-every", .type = ConfigType::duration, .default_value = "0s",
            .help = "record a sample this often (0s: the plant's sample period)"});
  spec.add({.name = "set", .type = ConfigType::list, .help = "setpoint TWIN.KEY=VALUE[@TIME] (repeatable)"});
  spec.add({.name = "param", .type = ConfigType::list, .help = "parameter TWIN.KEY=NUMBER, e.g. pump-101.pipe.length_m=200"});
  spec.add({.name = "fault", .type = ConfigType::list, .help = "fault kind:twin[:property][,at=1h][,ramp=..] (repeatable)"});
  spec.add({.name = "sweep", .help = "TWIN.KEY=V1,V2,...: one run per value (a parameter, or a setpoint with --sweep-setpoint)"});
  spec.add({.name = "sweep-setpoint", .type = ConfigType::boolean, .default_value = "false",
            .help = "--sweep changes a setpoint instead of a parameter"});
  spec.add({.name = "threads", .type = ConfigType::integer, .default_value = "0",
            .help = "sweep threads (0: every core of this machine)", .min = 0, .max = 256});
  spec.add({.name = "noise", .type = ConfigType::boolean, .default_value = "false",
            .help = "sensor noise (off: the model's expectation)"});
  spec.add({.name = "seed", .type = ConfigType::integer, .default_value = "-1", .help = "noise seed (-1: the plant's)",
            .min = -1, .max = INT64_MAX});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "iotwins simulate scenario: %s\n", m.c_str());
    return 2;
  };
  if (c.str("name").empty()) return usage("--name is required (the scenario's name in the store)");
  sim::ScenarioSpec s;
  s.name = c.str("name");
  s.duration_s = static_cast<double>(c.duration("duration").count()) / 1000.0;
  s.sample_every_s = static_cast<double>(c.duration("sample-every").count()) / 1000.0;
  s.noise = c.boolean("noise");
  if (c.integer("seed") >= 0) s.seed = static_cast<uint64_t>(c.integer("seed"));
  if (c.str("start") == "now") {
    s.start_ns = SystemClock::instance().now_ns();
  } else {
    auto ms = number(c.str("start"), "--start");
    if (!ms) return usage(ms.error().message());
    s.start_ns = static_cast<int64_t>(*ms) * 1'000'000;
  }
  for (const auto& text : c.list("set")) {
    auto sp = parse_set(text);
    if (!sp) return usage(sp.error().message());
    s.setpoints.push_back(*sp);
  }
  for (const auto& text : c.list("param")) {
    auto parts = split_assignment(text, "--param");
    if (!parts) return usage(parts.error().message());
    auto v = number(std::get<2>(*parts), "--param " + text);
    if (!v) return usage(v.error().message());
    s.parameters.push_back({std::get<0>(*parts), std::get<1>(*parts), *v});
  }
  for (const auto& text : c.list("fault")) {
    auto f = sim::parse_fault_text(text);
    if (!f) return usage("--fault " + text + ": " + f.error().message());
    s.faults.push_back(*f);
  }
  auto plant = sim::Plant::load(c.str("plant"));
  if (!plant) return report("simulate scenario", plant.error());

  std::unique_ptr<api::HttpClient> client;
  if (c.is_set("server")) {
    auto cl = make_client(c);
    if (!cl) return report("simulate scenario", cl.error());
    client = std::move(*cl);
  }
  auto started = std::chrono::steady_clock::now();
  std::vector<sim::ScenarioResult> results;
  if (!c.str("sweep").empty()) {
    auto parts = split_assignment(c.str("sweep"), "--sweep");
    if (!parts) return usage(parts.error().message());
    sim::SweepSpec sw;
    sw.base = s;
    sw.twin = std::get<0>(*parts);
    sw.key = std::get<1>(*parts);
    sw.target = c.boolean("sweep-setpoint") ? sim::SweepTarget::setpoint : sim::SweepTarget::parameter;
    std::string list = std::get<2>(*parts);
    for (size_t at = 0; at <= list.size();) {
      size_t comma = list.find(',', at);
      std::string item = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      auto v = number(item, "--sweep value");
      if (!v) return usage(v.error().message());
      sw.values.push_back(*v);
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    sw.threads = c.integer("threads") > 0 ? static_cast<size_t>(c.integer("threads"))
                                          : std::max(1u, std::thread::hardware_concurrency());
    std::printf("sweep %s.%s over %zu values on %zu threads, %s simulated each...\n", sw.twin.c_str(), sw.key.c_str(),
                sw.values.size(), std::min(sw.threads, sw.values.size()), c.str("duration").c_str());
    std::fflush(stdout);
    auto runs = sim::run_sweep(*plant, sw);
    if (!runs) return report("simulate scenario", runs.error());
    results = std::move(*runs);
    // Sweep run names are "<base>/<twin>.<key>=<value>"; a scenario name is one path segment.
    for (auto& r : results) std::replace(r.scenario.begin(), r.scenario.end(), '/', ':');
  } else {
    std::printf("scenario %s: %s simulated...\n", s.name.c_str(), c.str("duration").c_str());
    std::fflush(stdout);
    auto r = sim::run_scenario(*plant, s);
    if (!r) return report("simulate scenario", r.error());
    results.push_back(std::move(*r));
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("simulated in %.2f s wall (%.0fx real time per run)\n", wall,
              s.duration_s * static_cast<double>(results.size()) / std::max(wall, 1e-9));
  for (const auto& r : results) {
    if (c.str("output") != "json") print_summary(r);
    if (client) {
      if (auto st = upload(*client, r); !st) return report("simulate scenario", st.error());
      size_t n = 0;
      for (const auto& ser : r.series) n += ser.values.size();
      std::printf("stored %zu samples as scenario %s on %s\n", n, r.scenario.c_str(), client->base_url().c_str());
    }
  }
  return 0;
}

int run_simulate_compare(std::span<const std::string> args) {
  ConfigSpec spec("simulate compare",
                  "Compares a stored scenario's series with the measured history of the same property:\n"
                  "residual = measured − simulated, the measured values interpolated at the simulated times.\n"
                  "Example: iotwins simulate compare --name slow-101 --twin pump-101 --property flow_m3h",
                  "[flags]");
  add_client_flags(spec);
  spec.add({.name = "name", .help = "scenario name; required"});
  spec.add({.name = "twin", .help = "twin id; required"});
  spec.add({.name = "property", .help = "property; required"});
  spec.add({.name = "from", .default_value = "-24h", .help = "start of the range (series API times)"});
  spec.add({.name = "to", .default_value = "now+24h", .help = "end of the range"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  for (const char* k : {"name", "twin", "property"}) {
    if (c.str(k).empty()) {
      std::fprintf(stderr, "iotwins simulate compare: --%s is required\n", k);
      return 2;
    }
  }
  auto cl = make_client(c);
  if (!cl) return report("simulate compare", cl.error());
  auto fetch = [&](bool scenario) -> Result<sim::Series> {
    std::string path = "/api/v1/series/query?twin=" + api::percent_encode(c.str("twin")) +
                       "&property=" + api::percent_encode(c.str("property")) + "&from=" + api::percent_encode(c.str("from")) +
                       "&to=" + api::percent_encode(c.str("to"));
    if (scenario) path += "&label.scenario=" + api::percent_encode(c.str("name"));
    IOT_ASSIGN(json r, call(**cl, api::Method::GET, path));
    sim::Series out{c.str("twin"), c.str("property"), {}, {}};
    for (const auto& s : r["series"]) {
      bool labelled = s.contains("labels") && !s["labels"].empty();
      if (labelled != scenario) continue;  // measured history carries no labels
      for (const auto& x : s["samples"]) {
        out.ts_ns.push_back(x["ts"].get<int64_t>());
        out.values.push_back(x["value"].get<double>());
      }
    }
    if (out.values.empty()) {
      return make_error(Errc::not_found, std::string(scenario ? "scenario " + c.str("name") : "measured history") +
                                             " has no samples of " + c.str("twin") + "/" + c.str("property") + " in range");
    }
    return out;
  };
  auto simulated = fetch(true);
  if (!simulated) return report("simulate compare", simulated.error());
  auto measured = fetch(false);
  if (!measured) return report("simulate compare", measured.error());
  auto cmp = sim::compare_series(*simulated, *measured);
  if (!cmp) return report("simulate compare", cmp.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", json({{"points", cmp->points}, {"mean_residual", cmp->mean_residual}, {"rmse", cmp->rmse},
                              {"max_abs", cmp->max_abs}}).dump(2).c_str());
    return 0;
  }
  std::printf("%s/%s, scenario %s vs measured: %zu points, mean residual %.4g, RMSE %.4g, max |residual| %.4g\n",
              c.str("twin").c_str(), c.str("property").c_str(), c.str("name").c_str(), cmp->points, cmp->mean_residual,
              cmp->rmse, cmp->max_abs);
  return 0;
}

}  // namespace iotwins::cli
