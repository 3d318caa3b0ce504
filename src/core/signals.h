// Termination signals for long-running commands (server, agent, up): SIGINT and SIGTERM are
// blocked in every thread at start (call block_termination_signals() before creating threads)
// and taken synchronously by wait_for_termination(), so no async-signal-safety concerns leak
// into the rest of the code.
#pragma once

#include <chrono>
#include <optional>

namespace iotwins {

void block_termination_signals();
// Blocks until SIGINT or SIGTERM arrives (or the timeout passes: nullopt); returns the signal.
std::optional<int> wait_for_termination(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace iotwins
