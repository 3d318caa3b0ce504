// Builds the InstanceModel from a validated template and its resolved topology.
#pragma once

#include <memory>

#include "tosca/instance.h"
#include "tosca/validator.h"

namespace iotwins::tosca {

// Problems found only while evaluating (e.g. a token index out of range) go to `diag`.
// Node templates' property and attribute values are moved out of `loaded.main_owned`.
std::shared_ptr<InstanceModel> build_instance(LoadedTemplate& loaded, const Resolved& resolved, Diagnostics& diag);

}  // namespace iotwins::tosca
