#include "twins/topic_mapper.h"

#include <algorithm>
#include <set>

#include "twin/codec.h"
#include "twins/edge_cache.h"

namespace iotwins::twins {

void TopicMapper::set_models(std::vector<twin::TwinModel> models) {
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  auto next = std::make_shared<const std::vector<twin::TwinModel>>(std::move(models));
  std::lock_guard lock(mu_);
  models_ = std::move(next);
}

std::vector<std::string> TopicMapper::subscriptions() const {
  std::shared_ptr<const std::vector<twin::TwinModel>> models;
  {
    std::lock_guard lock(mu_);
    models = models_;
  }
  std::set<std::string> out;
  for (const auto& m : *models) {
    for (const auto& t : m.topics) out.insert(twin::subscription(t));
  }
  return {out.begin(), out.end()};
}

bool TopicMapper::empty() const {
  std::lock_guard lock(mu_);
  for (const auto& m : *models_) {
    if (!m.topics.empty()) return false;
  }
  return true;
}

bool TopicMapper::map(std::string_view topic, std::string_view payload, int64_t ts_ns,
                      std::vector<dataplane::Record>& samples, std::vector<dataplane::Record>& events,
                      std::string& error) const {
  std::shared_ptr<const std::vector<twin::TwinModel>> models;
  {
    std::lock_guard lock(mu_);
    models = models_;
  }
  const twin::TwinModel* model = nullptr;
  for (const auto& m : *models) {
    for (const auto& t : m.topics) {
      if (twin::match_topic(t, topic)) {
        model = &m;
        break;
      }
    }
    if (model) break;
  }
  if (!model) return false;
  auto value = twin::parse_json_text(payload);
  if (!value) {
    error = "model " + model->id + " maps this topic, but the payload is not JSON: " + value.error().message();
    return true;
  }
  auto mapped = twin::map_message(*model, topic, *value);
  if (!mapped) {
    error = mapped.error().message();
    return true;
  }
  nlohmann::json reported = nlohmann::json::object();
  for (const auto& v : mapped->values) {
    if (v.value.is_number()) {
      samples.push_back(dataplane::Sample{mapped->twin, v.property, ts_ns, v.value.get<double>()});
    } else if (v.value.is_boolean()) {
      samples.push_back(dataplane::Sample{mapped->twin, v.property, ts_ns, v.value.get<bool>() ? 1.0 : 0.0});
    } else {
      set_dotted(reported, v.property, v.value);
    }
  }
  if (!reported.empty()) events.push_back(dataplane::Event{mapped->twin, "reported", ts_ns, reported.dump()});
  for (const auto& p : mapped->problems) error += (error.empty() ? "" : "; ") + p;
  return true;
}

}  // namespace iotwins::twins
