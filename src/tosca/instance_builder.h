// Builds the InstanceModel from a validated template and its resolved topology.
#pragma once

#include <memory>

#include "tosca/instance.h"
#include "tosca/validator.h"

namespace iotwins::tosca {

// Problems found only while evaluating (e.g. a token index out of range) go to `diag`.
std::shared_ptr<InstanceModel> build_instance(const LoadedTemplate& loaded, const Resolved& resolved, Diagnostics& diag);

}  // namespace iotwins::tosca
