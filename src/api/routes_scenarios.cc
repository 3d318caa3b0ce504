// POST /api/v1/scenarios/{name}/samples: results of a simulation run (what-if, sweep) written to
// the time-series store as a named scenario — series (twin, property) carrying the label
// scenario=<name>, so they are queried and compared beside the measured history
// (`/api/v1/series/query?twin=…&property=…&label.scenario=<name>`). A run's results come in
// several requests of bounded size; a sample written twice overwrites itself.
#include <nlohmann/json.hpp>

#include <cctype>

#include "api/problem.h"
#include "api/routes.h"
#include "dataplane/codec/records.h"
#include "tsdb/store.h"

namespace iotwins::api {
namespace {

constexpr size_t kMaxBody = 32u << 20;

Status valid_scenario_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return make_error(Errc::invalid_argument, "a scenario name is 1..200 characters");
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':' ||
              c == '=' || c == ',';
    if (!ok) {
      return make_error(Errc::invalid_argument, "scenario name '" + std::string(name) +
                                                    "': allowed are letters, digits and - _ . : = ,");
    }
  }
  return ok();
}

Response post_samples(tsdb::TimeSeriesStore& store, const Request& req) {
  const std::string& name = req.param("name");
  if (auto st = valid_scenario_name(name); !st) return problem(st.error());
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("series") || !body["series"].is_array()) {
    return problem(Error(Errc::invalid_argument,
                         "expected {\"series\":[{\"twin\",\"property\",\"ts_ns\":[…],\"values\":[…]}]}"));
  }
  // Everything is checked before anything is written.
  std::vector<std::vector<tsdb::Sample>> samples;
  std::vector<tsdb::SeriesWrite> batch;
  size_t total = 0;
  const auto& series = body["series"];
  samples.reserve(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    std::string where = "series[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("twin") || !s["twin"].is_string() || !s.contains("property") ||
        !s["property"].is_string() || !s.contains("ts_ns") || !s["ts_ns"].is_array() || !s.contains("values") ||
        !s["values"].is_array()) {
      return problem(Error(Errc::invalid_argument, where + ": needs twin, property, ts_ns[] and values[]"));
    }
    std::string twin = s["twin"], property = s["property"];
    if (auto st = dataplane::validate_twin_id(twin); !st) return problem(Error(Errc::invalid_argument, where + ": " + st.error().message()));
    if (auto st = dataplane::validate_property_name(property); !st) {
      return problem(Error(Errc::invalid_argument, where + ": " + st.error().message()));
    }
    const auto& ts = s["ts_ns"];
    const auto& vs = s["values"];
    if (ts.size() != vs.size()) return problem(Error(Errc::invalid_argument, where + ": ts_ns and values differ in length"));
    std::vector<tsdb::Sample> out;
    out.reserve(ts.size());
    for (size_t k = 0; k < ts.size(); ++k) {
      if (!ts[k].is_number_integer() || !vs[k].is_number()) {
        return problem(Error(Errc::invalid_argument, where + " sample " + std::to_string(k) +
                                                         ": ts_ns must be an integer and the value a number"));
      }
      out.push_back({ts[k].get<int64_t>(), vs[k].get<double>()});
    }
    total += out.size();
    samples.push_back(std::move(out));
    batch.push_back({{twin, property, {{"scenario", name}}}, {}});
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].samples = samples[i];
  if (auto st = store.write(batch); !st) return problem(st.error());
  return json_response(200, {{"scenario", name}, {"series", batch.size()}, {"samples", total}});
}

}  // namespace

void add_scenario_routes(Router& router, const Services& s) {
  if (s.series == nullptr) return;
  tsdb::TimeSeriesStore& store = *s.series;
  router.add(Method::POST, "/api/v1/scenarios/{name}/samples", [&store](Request& req) { return post_samples(store, req); },
             {.max_body = kMaxBody,
              .summary = "add simulated series to a named scenario {\"series\":[{twin, property, ts_ns[], values[]}]} "
                         "(stored with the label scenario=<name>; compare with ?label.scenario= on the series routes)",
              .kind = iam::ResourceKind::series, .verb = iam::Verb::write});
}

}  // namespace iotwins::api
