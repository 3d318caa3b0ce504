// Rules of the iotwins profile that TOSCA grammar cannot state: a Custom task needs an
// executable or image artifact; Placement `near` names a twin or data store; Scaling bounds
// are ordered; a Placement level agrees with the level of the machine a task is pinned to.
#include "tosca/validator.h"

namespace iotwins::tosca {

void Validator::check_iotwins_rules() {
  const auto& nodes = topology().node_templates;
  if (reg_.find(Family::node, "iotwins.nodes.Task") == nullptr) return;  // profile not imported
  for (size_t i = 0; i < nodes.size(); ++i) {
    const TypeDef* t = r_.node_types[i];
    if (t == nullptr || !reg_.is_a(t, "iotwins.nodes.Task.Custom")) continue;
    bool has = false;
    auto fits = [&](const ArtifactDef& a) {
      const TypeDef* at = reg_.find(Family::artifact, a.type);
      return reg_.is_a(at, "iotwins.artifacts.Executable") || reg_.is_a(at, "iotwins.artifacts.Image");
    };
    for (const auto& [an, a] : nodes[i].artifacts) has = has || fits(a);
    for (const auto& [an, a] : reg_.artifacts(t)) has = has || fits(a);
    if (!has)
      error(Code::missing_artifact, nodes[i].mark, child_path(nodes[i].path, "artifacts"),
            "task `" + nodes[i].name + "` is an iotwins.nodes.Task.Custom and needs an artifact of type "
            "iotwins.artifacts.Executable or iotwins.artifacts.Image to run");
  }
  auto level_of = [&](size_t idx) -> std::string {
    const Value* lv = nodes[idx].properties.find("level");
    if (lv != nullptr && function_kind(*lv) == FunctionKind::get_input && function_args(*lv).is_string())
      lv = r_.inputs.find(function_args(*lv).as_string());
    return lv != nullptr && lv->is_string() ? lv->as_string() : "";
  };
  for (const auto& p : topology().policies) {
    const TypeDef* pt = reg_.find(Family::policy, p.type);
    if (pt == nullptr) continue;
    if (reg_.is_a(pt, "iotwins.policies.Placement")) {
      if (const Value* near = p.properties.find("near"); near != nullptr && near->is_string()) {
        const NodeTemplate* n = node(near->as_string());
        const TypeDef* nt = n != nullptr ? node_type(*n) : nullptr;
        if (n == nullptr)
          error(Code::unknown_node_template, near->mark(), child_path(child_path(p.path, "properties"), "near"),
                "placement policy `" + p.name + "` is near `" + near->as_string() + "`, which is not a node template");
        else if (nt != nullptr && !reg_.is_a(nt, "iotwins.nodes.Twin") && !reg_.is_a(nt, "iotwins.nodes.Service.TimeSeriesStore"))
          error(Code::invalid_value, near->mark(), child_path(child_path(p.path, "properties"), "near"),
                "placement policy `" + p.name + "` is near `" + near->as_string() + "`, a " + nt->name +
                    "; `near` names an iotwins.nodes.Twin or iotwins.nodes.Service.TimeSeriesStore");
      }
      const Value* lv = p.properties.find("level");
      if (lv != nullptr && lv->is_string()) {
        for (const auto& target : p.targets) {
          auto it = r_.node_index.find(target.name);
          if (it == r_.node_index.end()) continue;
          for (const auto& l : r_.links[it->second]) {
            if (!reg_.is_a(l.relationship_type, "tosca.relationships.HostedOn") || l.implicit) continue;
            std::string host_level = level_of(l.target);
            if (!host_level.empty() && host_level != lv->as_string())
              error(Code::invalid_value, target.mark, target.path,
                    "placement policy `" + p.name + "` puts `" + target.name + "` at level " + lv->as_string() +
                        ", but it is hosted on `" + nodes[l.target].name + "` at level " + host_level);
          }
        }
      }
    }
    if (reg_.is_a(pt, "iotwins.policies.Scaling")) {
      auto get = [&](std::string_view k) -> std::optional<int64_t> {
        const Value* v = p.properties.find(k);
        if (v == nullptr) {
          auto d = reg_.properties(pt).find(std::string(k));
          if (d != reg_.properties(pt).end() && d->second.default_value) v = &*d->second.default_value;
        }
        return v != nullptr && v->is_int() ? std::optional<int64_t>(v->as_int()) : std::nullopt;
      };
      auto lo = get("min_instances"), hi = get("max_instances"), def = get("default_instances");
      if (lo && hi && *lo > *hi)
        error(Code::invalid_value, p.mark, child_path(p.path, "properties"),
              "scaling policy `" + p.name + "` has min_instances " + std::to_string(*lo) + " above max_instances " + std::to_string(*hi));
      if (def && ((lo && *def < *lo) || (hi && *def > *hi)))
        error(Code::invalid_value, p.mark, child_path(p.path, "properties"),
              "scaling policy `" + p.name + "` has default_instances " + std::to_string(*def) + " outside [min_instances, max_instances]");
    }
  }
}

}  // namespace iotwins::tosca
