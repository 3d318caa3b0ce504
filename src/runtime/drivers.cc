#include "runtime/builtin.h"
#include "runtime/exec_drivers.h"

namespace iotwins::runtime {
namespace {

template <class D>
DriverRegistry::Factory factory() {
  return [](const DriverConfig& config) -> Result<std::unique_ptr<Driver>> { return std::make_unique<D>(config); };
}

}  // namespace

DriverRegistry& standard_drivers() {
  static DriverRegistry* registry = [] {
    auto* r = new DriverRegistry();
    (void)r->add("exec", factory<ExecDriver>());
    (void)r->add("sandbox", factory<SandboxDriver>());
    (void)r->add("oci", factory<OciDriver>());
    (void)r->add("builtin", [](const DriverConfig& config) -> Result<std::unique_ptr<Driver>> {
      return std::make_unique<BuiltinDriver>(config, builtin_tasks());
    });
    return r;
  }();
  return *registry;
}

Result<std::map<std::string, std::unique_ptr<Driver>>> create_drivers(const DriverConfig& config,
                                                                      const DriverRegistry& registry) {
  if (config.tasks_dir.empty()) return make_error(Errc::invalid_argument, "task drivers: empty tasks dir");
  std::map<std::string, std::unique_ptr<Driver>> out;
  for (const auto& name : registry.names()) {
    IOT_ASSIGN(auto driver, registry.create(name, config));
    out.emplace(name, std::move(driver));
  }
  return out;
}

}  // namespace iotwins::runtime
