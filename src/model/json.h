// JSON codecs of the model types (nlohmann-json). Decoders are strict: a wrong type or an
// invalid value is an Error naming the field ("facts.cores: expected an integer").
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"
#include "model/node.h"

namespace iotwins::model {

nlohmann::json to_json(const NodeFacts& facts);
nlohmann::json to_json(const NodeKpis& kpis);
nlohmann::json to_json(const NodeRegistration& reg);
nlohmann::json to_json(const Node& node);
nlohmann::json to_json(const Heartbeat& hb);

Result<NodeRegistration> registration_from_json(const nlohmann::json& j);
Result<Node> node_from_json(const nlohmann::json& j);
Result<Heartbeat> heartbeat_from_json(const nlohmann::json& j);
Result<NodeKpis> kpis_from_json(const nlohmann::json& j);

}  // namespace iotwins::model
