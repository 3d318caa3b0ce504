// nlohmann-json form of TaskSpec, for the files of this module that embed specs in larger
// documents (the supervisor's state file). Not part of the module's interface.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/task_spec.h"

namespace iotwins::runtime {

nlohmann::json task_spec_to_json(const TaskSpec& spec);
// `where` prefixes errors ("tasks[2]").
Result<TaskSpec> task_spec_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace iotwins::runtime
