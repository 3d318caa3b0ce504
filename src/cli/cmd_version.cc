#include <cstdio>

#include "api/routes.h"
#include "cli/command.h"

namespace iotwins::cli {

int run_version(std::span<const std::string> args) {
  ConfigSpec spec("version", "Prints the version and build information of this binary.");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  api::BuildInfo b = api::build_info();
  std::printf("iotwins %s (commit %s, %s build, %s)\n", b.version.c_str(), b.git_commit.c_str(),
              b.build_type.c_str(), b.compiler.c_str());
  return 0;
}

}  // namespace iotwins::cli
