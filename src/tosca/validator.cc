#include <algorithm>
#include "tosca/validator.h"

namespace iotwins::tosca {

Validator::Validator(const LoadedTemplate& loaded, Diagnostics& diag, const Value& inputs)
    : loaded_(loaded), main_(*loaded.main), reg_(loaded.registry), diag_(diag), given_inputs_(inputs) {}

Resolved Validator::run() {
  // Types of every user file (built-ins are checked once by the tests, not on every run).
  std::vector<const ServiceFile*> seen;
  for (const auto& f : loaded_.files) {
    if (std::find(seen.begin(), seen.end(), f.get()) != seen.end()) continue;
    seen.push_back(f.get());
    bool builtin = !f->types.empty() && f->types.front().builtin;
    if (!builtin) check_type_definitions(*f);
  }
  for (const auto& [name, repo] : main_.repositories)
    if (repo.url.empty()) error(Code::missing_field, repo.mark, child_path("repositories", name), "repository `" + name + "` needs a `url`");
  check_inputs();
  check_node_templates();
  check_relationship_templates();
  match_requirements();
  check_groups();
  check_policies();
  check_all_functions();
  check_outputs();
  check_substitution();
  check_workflows();
  check_dependency_cycles();
  check_iotwins_rules();
  return std::move(r_);
}

}  // namespace iotwins::tosca
