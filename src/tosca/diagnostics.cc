#include "tosca/diagnostics.h"

#include <algorithm>
#include <array>

namespace iotwins::tosca {

namespace {
constexpr std::array kCodeNames = {
    "yaml_syntax",          "too_large",            "missing_version",
    "unsupported_version",  "unknown_field",        "missing_field",
    "wrong_kind",           "duplicate_name",       "import_not_found",
    "import_cycle",         "unknown_namespace",    "unknown_repository",
    "unknown_type",         "wrong_type_family",    "derivation_cycle",
    "invalid_override",     "unknown_property",     "missing_property",
    "type_mismatch",        "constraint_violation", "invalid_constraint",
    "invalid_scalar_unit",  "invalid_timestamp",    "invalid_version",
    "invalid_range",        "unknown_input",        "missing_input",
    "unknown_node_template","unknown_requirement",  "unknown_capability",
    "unknown_interface",    "unknown_operation",    "unknown_artifact",
    "unknown_attribute",    "invalid_occurrences",  "occurrences_violation",
    "unsatisfied_requirement", "capability_mismatch", "node_filter_mismatch",
    "invalid_relationship", "invalid_function",     "dependency_cycle",
    "invalid_target",       "invalid_substitution", "invalid_workflow",
    "invalid_trigger",      "missing_artifact",     "invalid_value",
    "cannot_read",          "too_many_errors",
};
static_assert(kCodeNames.size() == static_cast<size_t>(Code::too_many_errors) + 1);
}  // namespace

std::string_view code_name(Code code) { return kCodeNames[static_cast<size_t>(code)]; }

std::string Diagnostic::to_string() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": error[";
  out += code_name(code);
  out += "]";
  if (!path.empty()) out += " at " + path;
  out += ": " + message;
  return out;
}

void Diagnostics::add(Code code, const Mark& mark, std::string path, std::string message) {
  if (overflowed_) return;
  // The same problem reached twice (e.g. through two imports of one file) is reported once.
  for (const auto& d : items_) {
    if (d.code == code && d.line == mark.line && d.column == mark.column && d.path == path &&
        d.file == mark.file_name() && d.message == message)
      return;
  }
  if (items_.size() >= limit_) {
    overflowed_ = true;
    items_.push_back({Code::too_many_errors, std::string(mark.file_name()), mark.line, mark.column,
                      path, "more than " + std::to_string(limit_) + " errors; stopped listing"});
    return;
  }
  items_.push_back({code, std::string(mark.file_name()), mark.line, mark.column, std::move(path),
                    std::move(message)});
}

bool Diagnostics::has(Code code) const {
  return std::any_of(items_.begin(), items_.end(), [&](const Diagnostic& d) { return d.code == code; });
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.code == Code::too_many_errors || b.code == Code::too_many_errors)
      return b.code == Code::too_many_errors && a.code != Code::too_many_errors;
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
}

}  // namespace iotwins::tosca
