// Topology inputs: their definitions, and the values supplied for them (type and
// constraints enforced, unknown and missing inputs reported).
#include "tosca/validator.h"

namespace iotwins::tosca {

void Validator::check_inputs() {
  const auto& defs = main_.topology.inputs;
  for (const auto& [name, def] : defs) {
    check_schema(def.schema, def.mark, def.path);
    if (def.default_value && !def.schema.type.empty())
      check_value(*def.default_value, def.schema, child_path(def.path, "default"), "the default of input `" + name + "`");
    if (def.value)
      error(Code::unknown_field, def.mark, child_path(def.path, "value"),
            "input `" + name + "` is a parameter supplied at deployment; it cannot carry a fixed `value`");
  }
  if (given_inputs_.is_map()) {
    for (const auto& [name, v] : given_inputs_.as_map()) {
      std::string path = child_path("inputs", name);
      auto def = defs.find(name);
      if (def == defs.end()) {
        std::string known;
        for (const auto& [n, d] : defs) known += (known.empty() ? "" : ", ") + n;
        error(Code::unknown_input, v.mark(), path,
              "input `" + name + "` is not declared by the template" +
                  (known.empty() ? " (it declares no inputs)" : " (it declares: " + known + ")"));
        continue;
      }
      if (!def->second.schema.type.empty()) check_value(v, def->second.schema, path, "input `" + name + "`");
      r_.inputs.set(name, v);
    }
  }
  for (const auto& [name, def] : defs) {
    if (r_.inputs.find(name) != nullptr) continue;
    if (def.default_value) {
      r_.inputs.set(name, *def.default_value);
    } else if (def.required) {
      error(Code::missing_input, def.mark, def.path,
            "input `" + name + "` is required and has no default; supply it (e.g. --input " + name + "=...)");
    }
  }
}

}  // namespace iotwins::tosca
