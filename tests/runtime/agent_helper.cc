// A stand-in for an agent process, for supervisor_restart_test: opens a Supervisor on
// DATA_DIR, makes the task set in SPECS_JSON desired, ticks once (starting the tasks), writes
// DATA_DIR/ready and dies by SIGKILL — an agent killed without any chance to clean up.
//   runtime_agent_helper DATA_DIR TASKS_DIR SPECS_JSON
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "runtime/supervisor.h"

using namespace iotwins;
using namespace iotwins::runtime;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: runtime_agent_helper DATA_DIR TASKS_DIR SPECS_JSON\n");
    return 2;
  }
  auto specs = decode_task_specs(argv[3]);
  auto drivers = create_drivers(DriverConfig{.tasks_dir = argv[2]});
  if (!specs || !drivers) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }
  auto sup = Supervisor::open({.data_dir = argv[1], .tasks_dir = argv[2]}, std::move(*drivers));
  if (!sup || !(*sup)->set_desired(*specs)) return 1;
  (*sup)->tick();
  std::ofstream(std::string(argv[1]) + "/ready") << "ready\n";
  ::raise(SIGKILL);
  return 1;
}
