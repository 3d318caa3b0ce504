// JSON renderings (the only file using nlohmann-json): the validation report and the
// instance model.
#include <nlohmann/json.hpp>

#include "tosca/validate.h"

namespace iotwins::tosca {

namespace {

using nlohmann::json;

json to_json_value(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::null: return nullptr;
    case Value::Kind::boolean: return v.as_bool();
    case Value::Kind::integer: return v.as_int();
    case Value::Kind::floating: return v.as_number();
    case Value::Kind::string: return v.as_string();
    case Value::Kind::list: {
      json out = json::array();
      for (const auto& e : v.as_list()) out.push_back(to_json_value(e));
      return out;
    }
    case Value::Kind::map: {
      json out = json::object();
      for (const auto& [k, e] : v.as_map()) out[k] = to_json_value(e);
      return out;
    }
  }
  return nullptr;
}

json operations_json(const std::vector<OperationInstance>& ops) {
  json out = json::array();
  for (const auto& op : ops) {
    json o{{"interface", op.interface}, {"interface_type", op.interface_type}, {"name", op.name},
           {"implementation", op.implementation}, {"dependencies", op.dependencies},
           {"inputs", to_json_value(op.inputs)}, {"notification", op.notification}};
    if (!op.implementation_type.empty()) o["implementation_type"] = op.implementation_type;
    if (op.timeout) o["timeout"] = *op.timeout;
    if (!op.operation_host.empty()) o["operation_host"] = op.operation_host;
    if (op.outputs.is_map() && !op.outputs.as_map().empty()) o["outputs"] = to_json_value(op.outputs);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::string ValidationReport::to_json() const {
  json errors = json::array();
  for (const auto& d : diagnostics)
    errors.push_back({{"code", std::string(code_name(d.code))}, {"file", d.file}, {"line", d.line},
                      {"column", d.column}, {"path", d.path}, {"message", d.message}});
  json s{{"version", summary.version},
         {"description", summary.description},
         {"files", summary.files},
         {"types_defined", summary.types_defined},
         {"node_templates", summary.node_templates},
         {"relationship_templates", summary.relationship_templates},
         {"groups", summary.groups},
         {"policies", summary.policies},
         {"inputs", summary.inputs},
         {"outputs", summary.outputs},
         {"workflows", summary.workflows},
         {"relationships", summary.relationships},
         {"node_types", summary.node_types},
         {"layers", summary.layers}};
  json out{{"valid", ok()}, {"errors", std::move(errors)}, {"summary", std::move(s)}};
  return out.dump();
}

std::string value_to_json(const Value& value) { return to_json_value(value).dump(); }

std::string instance_to_json(const InstanceModel& m) {
  json nodes = json::array();
  for (const auto& n : m.nodes) {
    json reqs = json::array();
    for (const auto& r : n.requirements)
      reqs.push_back({{"requirement", r.requirement}, {"target", r.target}, {"capability", r.capability},
                      {"type", r.type}, {"type_chain", r.type_chain}, {"template", r.template_name},
                      {"properties", to_json_value(r.properties)}, {"operations", operations_json(r.operations)},
                      {"implicit", r.implicit}});
    json arts = json::array();
    for (const auto& a : n.artifacts)
      arts.push_back({{"name", a.name}, {"type", a.type}, {"type_chain", a.type_chain}, {"file", a.file},
                      {"repository", a.repository}, {"repository_url", a.repository_url},
                      {"deploy_path", a.deploy_path}, {"checksum", a.checksum},
                      {"checksum_algorithm", a.checksum_algorithm}, {"properties", to_json_value(a.properties)}});
    json node{{"name", n.name}, {"type", n.type}, {"type_chain", n.type_chain}, {"layer", n.layer},
              {"properties", to_json_value(n.properties)}, {"attributes", to_json_value(n.attributes)},
              {"capabilities", to_json_value(n.capabilities)}, {"requirements", std::move(reqs)},
              {"operations", operations_json(n.operations)}, {"artifacts", std::move(arts)},
              {"deferred", n.deferred}, {"directives", n.directives}};
    if (n.host) node["host"] = m.nodes[*n.host].name;
    nodes.push_back(std::move(node));
  }
  json layers = json::array();
  for (const auto& l : m.layers) {
    json names = json::array();
    for (size_t i : l) names.push_back(m.nodes[i].name);
    layers.push_back(std::move(names));
  }
  json groups = json::array();
  for (const auto& g : m.groups)
    groups.push_back({{"name", g.name}, {"type", g.type}, {"type_chain", g.type_chain}, {"members", g.members},
                      {"properties", to_json_value(g.properties)}});
  json policies = json::array();
  for (const auto& p : m.policies)
    policies.push_back({{"name", p.name}, {"type", p.type}, {"type_chain", p.type_chain}, {"targets", p.targets},
                        {"properties", to_json_value(p.properties)}, {"triggers", to_json_value(p.triggers)}});
  json out{{"version", m.version}, {"description", m.description}, {"metadata", to_json_value(m.metadata)},
           {"inputs", to_json_value(m.inputs)}, {"outputs", to_json_value(m.outputs)}, {"nodes", std::move(nodes)},
           {"layers", std::move(layers)}, {"groups", std::move(groups)}, {"policies", std::move(policies)},
           {"workflows", m.workflows}};
  return out.dump();
}

}  // namespace iotwins::tosca
