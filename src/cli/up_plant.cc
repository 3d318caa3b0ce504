// `iotwins up`: the demo plant's twin hierarchy (site → lines → assets), put on the server before the
// simulated devices start publishing, so `iotwins twins tree` shows the plant as it is built.
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/up.h"
#include "simulation/plant.h"

namespace iotwins::cli {

Result<size_t> put_plant_twins(api::HttpClient& server, const std::string& plant_path) {
  IOT_ASSIGN(auto plant, simulation::Plant::load(plant_path));
  auto put = [&](const std::string& id, nlohmann::json body) -> Status {
    IOT_TRY(call(server, api::Method::PUT, "/api/v1/twins/" + api::percent_encode(id), body.dump()));
    return ok();
  };
  size_t n = 0;
  IOT_TRY(put(plant.site(), {{"level", "cloud"}, {"attributes", {{"kind", "site"}}}}));
  ++n;
  for (const auto& line : plant.lines()) {
    IOT_TRY(put(line, {{"level", "edge"}, {"parent", plant.site()}, {"attributes", {{"kind", "line"}}}}));
    ++n;
  }
  for (size_t i = 0; i < plant.twin_count(); ++i) {
    const auto& t = plant.twin(i);
    nlohmann::json body = {{"level", "iot"}, {"attributes", {{"kind", t.kind}}}};
    if (!t.line.empty()) body["parent"] = t.line;
    IOT_TRY(put(t.id, body));
    ++n;
  }
  return n;
}

}  // namespace iotwins::cli
