// `iotwins agent`: the node agent. It fingerprints the machine, registers with the server
// (keeping its node id in its data dir across restarts) and heartbeats KPIs. Later issues add
// the data plane, the task runtime and the edge twin cache to the same process.
#pragma once

#include "core/config.h"

namespace iotwins::agent {

ConfigSpec config_spec();
int run(const Config& config);

}  // namespace iotwins::agent
