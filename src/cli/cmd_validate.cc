// iotwins validate FILE [--input k=v]...: checks a TOSCA template (1.0–1.3 and the iotwins
// profile) and prints every problem with file:line:column, or a summary of the topology.
#include <cstdio>

#include "cli/command.h"
#include "tosca/validate.h"

namespace iotwins::cli {

int run_validate(std::span<const std::string> args) {
  ConfigSpec spec("validate",
                  "Validates a TOSCA Simple Profile YAML template (1.0–1.3, the iotwins profile built in):\n"
                  "prints every problem (file:line:column, path in the template, code, message) and exits 1,\n"
                  "or a summary of the topology and its deployment order and exits 0.",
                  "FILE [--input name=value]... [flags]");
  spec.add_common();
  spec.add({.name = "input", .type = ConfigType::list, .help = "a template input, name=value (repeatable)"});
  spec.add({.name = "import-map", .type = ConfigType::list,
            .help = "URL_PREFIX=DIR: read imports under URL_PREFIX from local DIR (repeatable)"});
  spec.add({.name = "output", .type = ConfigType::choice, .default_value = "text", .help = "report format",
            .choices = {"text", "json"}, .short_flag = 'o'});
  spec.positional("FILE", "the template");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  if (pos.size() != 1) {
    std::fprintf(stderr, "iotwins validate: needs exactly one template file (see 'iotwins validate --help')\n");
    return 2;
  }
  const Config& c = p.command.config;
  auto inputs = tosca::parse_input_assignments(c.list("input"));
  if (!inputs) {
    std::fprintf(stderr, "iotwins validate: --input: %s\n", inputs.error().message().c_str());
    return 2;
  }
  tosca::ValidateOptions options;
  for (const auto& m : c.list("import-map")) {
    size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
      std::fprintf(stderr, "iotwins validate: --import-map '%s' must be URL_PREFIX=DIR\n", m.c_str());
      return 2;
    }
    options.load.import_map[m.substr(0, eq)] = m.substr(eq + 1);
  }
  tosca::ValidationReport report = tosca::validate(tosca::Source::file(pos[0]), *inputs, options);
  std::fputs((c.str("output") == "json" ? report.to_json() + "\n" : report.to_text()).c_str(), stdout);
  return report.ok() ? 0 : 1;
}

}  // namespace iotwins::cli
