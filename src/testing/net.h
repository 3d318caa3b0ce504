// A free TCP port on loopback for a test's server (bind to port 0, read it back, close): the
// same small race as any such helper, acceptable in tests.
#pragma once

namespace iotwins::testing {

int free_port();

}  // namespace iotwins::testing
