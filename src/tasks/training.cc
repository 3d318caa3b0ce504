#include "tasks/training.h"

#include <map>

#include <nlohmann/json.hpp>

#include "tasks/http.h"

#include "analytics/skab.h"
#include "analytics/windowed.h"

namespace iotwins::tasks {

using nlohmann::json;

Result<analytics::Params> detector_params(const std::string& detector) {
  if (!detector.empty() && detector.front() == '{') return analytics::Params::from_json(detector, "--detector");
  std::string known;
  for (const auto& d : analytics::skab::default_detectors()) {
    if (d.id == detector) return d.params;
    known += (known.empty() ? "" : ", ") + d.id;
  }
  return make_error(Errc::invalid_argument, "unknown detector '" + detector + "' (presets: " + known +
                                                "; or a JSON object of options)");
}

Result<TrainingResult> train(api::HttpClient& server, const TrainingSpec& spec,
                             const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  if (spec.model.empty() || spec.twin.empty() || spec.properties.empty()) {
    return make_error(Errc::invalid_argument, "training needs a model name, a twin and at least one property");
  }
  IOT_ASSIGN(analytics::Params params, detector_params(spec.detector));
  // One column per property: the mean of each step bucket, measured series only (not scenarios).
  std::map<int64_t, std::vector<double>> rows;
  // Relative times ("-1h", "now") are resolved once, by the first answer, so every column's
  // buckets share the same edges.
  std::string from = spec.from, to = spec.to;
  for (size_t c = 0; c < spec.properties.size(); ++c) {
    std::string path = "/api/v1/series/query?twin=" + api::percent_encode(spec.twin) +
                       "&property=" + api::percent_encode(spec.properties[c]) + "&from=" + api::percent_encode(from) +
                       "&to=" + api::percent_encode(to) + "&step=" + api::percent_encode(spec.step) + "&agg=mean";
    IOT_ASSIGN(json r, get_json(server, path));
    if (c == 0 && r["from"].is_string() && r["to"].is_string()) {
      from = r["from"].get<std::string>();
      to = r["to"].get<std::string>();
    }
    size_t found = 0;
    for (const auto& g : r["groups"]) {
      if (!g["group"]["labels"].empty()) continue;
      for (const auto& b : g["buckets"]) {
        if (!b["mean"].is_number()) continue;
        auto& row = rows[b["ts"].get<int64_t>()];
        row.resize(spec.properties.size(), std::numeric_limits<double>::quiet_NaN());
        row[c] = b["mean"].get<double>();
        ++found;
      }
    }
    if (found == 0) {
      return make_error(Errc::not_found, "no samples of " + spec.twin + "/" + spec.properties[c] + " between " +
                                             spec.from + " and " + spec.to);
    }
  }
  std::vector<std::pair<int64_t, std::vector<double>>> complete;
  for (auto& [ts, row] : rows) {
    bool ok_row = row.size() == spec.properties.size();
    for (double v : row) ok_row = ok_row && std::isfinite(v);
    if (ok_row) complete.emplace_back(ts, std::move(row));
  }
  if (complete.size() < spec.min_rows) {
    return make_error(Errc::invalid_argument, "only " + std::to_string(complete.size()) + " time buckets have every property (" +
                                                  std::to_string(spec.min_rows) + " needed): widen --from/--to or --step");
  }
  Eigen::MatrixXd train(static_cast<Eigen::Index>(complete.size()), static_cast<Eigen::Index>(spec.properties.size()));
  for (size_t i = 0; i < complete.size(); ++i) {
    for (size_t c = 0; c < spec.properties.size(); ++c) train(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = complete[i].second[c];
  }
  say("fitting " + spec.detector + " on " + std::to_string(complete.size()) + " rows x " +
      std::to_string(spec.properties.size()) + " properties of " + spec.twin);
  IOT_ASSIGN(auto detector, analytics::SeriesDetector::create(params));
  IOT_TRY(detector->fit(train));
  IOT_ASSIGN(auto flags, detector->predict_series(train, 0));
  size_t alarms = 0;
  for (auto f : flags) alarms += f;
  TrainingResult out;
  out.rows = complete.size();
  out.threshold = detector->threshold();
  out.training_alarm_rate = static_cast<double>(alarms) / static_cast<double>(flags.size());
  std::string bytes = detector->serialize();

  IOT_ASSIGN(json art, request_json(server, api::Method::PUT, "/api/v1/artifacts", bytes, "application/octet-stream"));
  out.sha256 = art.value("sha256", "");
  json series = json::array();
  for (const auto& p : spec.properties) series.push_back(spec.twin + "/" + p);
  json body = {{"artifact", out.sha256},
               {"metrics", {{"training_rows", static_cast<double>(out.rows)},
                            {"threshold", out.threshold},
                            {"training_alarm_rate", out.training_alarm_rate}}},
               {"lineage", {{"series", series},
                            {"data_from", std::to_string(complete.front().first) + "ns"},
                            {"data_to", std::to_string(complete.back().first) + "ns"},
                            {"parameters", {{"detector", spec.detector}, {"step", spec.step}}},
                            {"created_by", spec.created_by}}}};
  const std::string base = "/api/v1/models/" + api::percent_encode(spec.model);
  IOT_ASSIGN(json version, request_json(server, api::Method::POST, base + "/versions", body.dump()));
  out.version = version.value("version", int64_t{0});
  say("registered " + spec.model + " version " + std::to_string(out.version) + " (limit " + std::to_string(out.threshold) +
      ", " + std::to_string(alarms) + " of " + std::to_string(flags.size()) + " training rows above it)");
  if (spec.promote) {
    IOT_TRY(request_json(server, api::Method::POST, base + "/versions/" + std::to_string(out.version) + "/promote",
                      json{{"by", spec.created_by}}.dump()));
    out.promoted = true;
    say("promoted " + spec.model + " version " + std::to_string(out.version));
  }
  return out;
}

}  // namespace iotwins::tasks
