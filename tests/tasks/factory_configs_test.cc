// The configs the orchestrator writes for examples/chains/factory.yaml (TOSCA properties as JSON,
// scalar-units as text, "twins" from the twin requirements) are the ones the builtin tasks accept.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "orchestrator/task_mapping.h"
#include "tasks/builtins.h"
#include "tosca/validate.h"

namespace iotwins::tasks {
namespace {

TEST(FactoryChain, EveryBuiltinTaskAcceptsTheConfigTheOrchestratorGivesIt) {
  std::ifstream in(std::string(IOTWINS_SOURCE_DIR) + "/examples/chains/factory.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto report = tosca::validate(tosca::Source::from_text(text.str(), "factory.yaml"));
  ASSERT_TRUE(report.ok()) << report.to_text();
  register_builtin_tasks();
  register_builtin_tasks();  // idempotent
  int builtins = 0;
  for (const auto& node : report.instance->nodes) {
    auto tmpl = orchestrator::task_template(*report.instance, node, "dep-1");
    ASSERT_TRUE(tmpl) << tmpl.error().to_string();
    if (!*tmpl || (*tmpl)->spec.driver != "builtin") continue;
    ++builtins;
    const auto& spec = (*tmpl)->spec;
    runtime::BuiltinContext ctx{.task_id = node.name, .config_json = spec.config_json,
                                .node = {.node_id = "n1", .server_url = "http://127.0.0.1:1", .broker_url = "mqtt://127.0.0.1:1"}};
    auto task = runtime::builtin_tasks().create(spec.builtin, ctx);
    EXPECT_TRUE(task) << node.name << " (" << spec.builtin << ") with " << spec.config_json << ": " << task.error().to_string();
  }
  EXPECT_EQ(builtins, 6);  // broker, history, vibration_filter, anomaly_detector, trainer, simulator
}

}  // namespace
}  // namespace iotwins::tasks
