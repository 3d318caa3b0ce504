// The instance model an orchestrator consumes: graph, layers, evaluated and deferred
// functions, operations, groups and policies.
#include <gtest/gtest.h>

#include "tosca/validate.h"

namespace iotwins::tosca {
namespace {

constexpr const char* kChain = R"yaml(
tosca_definitions_version: tosca_simple_yaml_1_3
imports: [iotwins]
topology_template:
  inputs:
    site: {type: string, default: plant1}
    filter_cpu: {type: float, default: 0.5}
  node_templates:
    gateway:
      type: iotwins.nodes.Compute
      properties: {level: edge, labels: {site: {get_input: site}}}
      capabilities:
        host: {properties: {cpu: 4, memory: 8 GiB, arch: aarch64}}
    cloud:
      type: iotwins.nodes.Compute
      properties: {level: cloud}
    broker:
      type: iotwins.nodes.Service.MQTTBroker
      requirements: [{host: gateway}]
    filter:
      type: iotwins.nodes.Task.DataFilter
      properties:
        expression: "temp > 80"
        resources: {cpu: {get_input: filter_cpu}}
        env:
          SITE: {concat: [{get_property: [HOST, labels, site]}, "-", {get_property: [SELF, expression]}]}
          ARCH: {get_property: [HOST, host, arch]}
          BROKER: {get_attribute: [broker, tosca_id]}
          FIRST: {token: ["a,b;c", ",;", 2]}
          JOINED: {join: [[x, y, z], "/"]}
      requirements:
        - host: gateway
        - broker: broker
        - output: detector
      interfaces:
        Standard:
          create:
            implementation: {primary: filter_bin, timeout: 30}
            inputs: {port: {get_property: [broker, port]}}
      artifacts:
        filter_bin: {type: iotwins.artifacts.Executable, file: bin/filter}
    detector:
      type: iotwins.nodes.Task.Inference
      properties: {model: anomaly}
      requirements: [{host: cloud}]
  groups:
    tasks: {type: tosca.groups.Root, members: [filter, detector]}
  policies:
    - restart: {type: iotwins.policies.QoS, targets: [tasks], properties: {restart: always}}
  outputs:
    broker_port: {type: integer, value: {get_property: [broker, port]}}
    broker_id: {value: {get_attribute: [broker, tosca_id]}}
)yaml";

class InstanceTest : public testing::Test {
 protected:
  void SetUp() override {
    report_ = validate(Source::from_text(kChain));
    ASSERT_TRUE(report_.ok()) << report_.to_text();
    ASSERT_NE(report_.instance, nullptr);
    model_ = report_.instance.get();
  }
  const NodeInstance& node(std::string_view name) {
    const NodeInstance* n = model_->find(name);
    EXPECT_NE(n, nullptr) << name;
    return *n;
  }
  ValidationReport report_;
  const InstanceModel* model_ = nullptr;
};

TEST_F(InstanceTest, LayersFollowHostedOnAndStreams) {
  // gateway, cloud host everything; detector receives the stream so it starts before filter.
  EXPECT_EQ(node("gateway").layer, 0u);
  EXPECT_EQ(node("cloud").layer, 0u);
  EXPECT_EQ(node("broker").layer, 1u);
  EXPECT_EQ(node("detector").layer, 1u);
  EXPECT_EQ(node("filter").layer, 2u);
  ASSERT_EQ(model_->layers.size(), 3u);
  EXPECT_EQ(model_->layers[2].size(), 1u);
  EXPECT_EQ(model_->nodes[model_->layers[2][0]].name, "filter");
}

TEST_F(InstanceTest, RequirementsBoundWithRelationshipTypes) {
  const auto& f = node("filter");
  ASSERT_EQ(f.requirements.size(), 3u);
  EXPECT_EQ(f.requirements[0].target, "gateway");
  EXPECT_EQ(f.requirements[0].type, "tosca.relationships.HostedOn");
  EXPECT_EQ(f.requirements[0].capability, "host");
  EXPECT_EQ(f.requirements[2].target, "detector");
  EXPECT_EQ(f.requirements[2].type, "iotwins.relationships.StreamsTo");
  EXPECT_EQ(f.requirements[2].capability, "input");
  EXPECT_EQ(model_->nodes[*f.host].name, "gateway");
  EXPECT_TRUE(f.is_a("iotwins.nodes.Task"));
  EXPECT_EQ(f.type_chain.back(), "tosca.nodes.Root");
  // Defaults of the relationship type are applied.
  EXPECT_EQ(f.requirements[2].properties.find("qos")->as_int(), 1);
}

TEST_F(InstanceTest, StaticFunctionsAreEvaluated) {
  const auto& f = node("filter");
  const Value* env = f.properties.find("env");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->find("SITE")->as_string(), "plant1-temp > 80");
  EXPECT_EQ(env->find("ARCH")->as_string(), "aarch64");
  EXPECT_EQ(env->find("FIRST")->as_string(), "c");
  EXPECT_EQ(env->find("JOINED")->as_string(), "x/y/z");
  EXPECT_DOUBLE_EQ(f.properties.find("resources")->find("cpu")->as_number(), 0.5);
  // The input's default reached the gateway's labels.
  EXPECT_EQ(node("gateway").properties.find("labels")->find("site")->as_string(), "plant1");
  // Property defaults are filled in: replicas defaults to 1.
  EXPECT_EQ(f.properties.find("replicas")->as_int(), 1);
  EXPECT_EQ(model_->outputs.find("broker_port")->as_int(), 1883);
}

TEST_F(InstanceTest, GetAttributeIsDeferredThenEvaluatedWithLookup) {
  const auto& f = node("filter");
  const Value* broker = f.properties.find("env")->find("BROKER");
  ASSERT_TRUE(broker->is_map());
  ASSERT_NE(broker->find("get_attribute"), nullptr);
  ASSERT_EQ(f.deferred.size(), 1u);
  EXPECT_EQ(f.deferred[0], "properties.env.BROKER");
  RuntimeLookup lookup = [](const RuntimeRef& ref) -> std::optional<Value> {
    if (ref.kind == RuntimeRef::Kind::attribute && ref.node == "broker" && ref.name == "tosca_id")
      return Value("broker-7f3a");
    return std::nullopt;
  };
  auto v = model_->evaluate(*broker, EvalScope{"filter"}, lookup);
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->as_string(), "broker-7f3a");
  auto out = model_->evaluate(*model_->outputs.find("broker_id"), EvalScope{}, lookup);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->as_string(), "broker-7f3a");
  // Nothing reported and no initial value: a clear error, not a guess.
  RuntimeLookup empty = [](const RuntimeRef&) -> std::optional<Value> { return std::nullopt; };
  auto missing = model_->evaluate(*broker, EvalScope{"filter"}, empty);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("tosca_id"), std::string::npos);
}

TEST_F(InstanceTest, OperationsCarryImplementationAndEvaluatedInputs) {
  const auto& f = node("filter");
  ASSERT_EQ(f.operations.size(), 1u);
  const auto& op = f.operations[0];
  EXPECT_EQ(op.interface, "Standard");
  EXPECT_EQ(op.interface_type, "tosca.interfaces.node.lifecycle.Standard");
  EXPECT_EQ(op.name, "create");
  EXPECT_EQ(op.implementation, "filter_bin");
  EXPECT_EQ(op.implementation_type, "iotwins.artifacts.Executable");
  EXPECT_EQ(*op.timeout, 30);
  EXPECT_EQ(op.inputs.find("port")->as_int(), 1883);
  ASSERT_EQ(f.artifacts.size(), 1u);
  EXPECT_EQ(f.artifacts[0].file, "bin/filter");
}

TEST_F(InstanceTest, PoliciesTargetNodesThroughGroups) {
  ASSERT_EQ(model_->policies.size(), 1u);
  const auto& p = model_->policies[0];
  EXPECT_EQ(p.type, "iotwins.policies.QoS");
  EXPECT_EQ(p.targets, (std::vector<std::string>{"filter", "detector"}));
  EXPECT_EQ(p.properties.find("restart")->as_string(), "always");
  ASSERT_EQ(model_->groups.size(), 1u);
  EXPECT_EQ(model_->groups[0].members.size(), 2u);
}

TEST_F(InstanceTest, JsonRenderingHasTheGraph) {
  std::string json = instance_to_json(*model_);
  EXPECT_NE(json.find("\"name\":\"filter\""), std::string::npos);
  EXPECT_NE(json.find("\"iotwins.relationships.StreamsTo\""), std::string::npos);
  EXPECT_NE(json.find("\"deferred\":[\"properties.env.BROKER\"]"), std::string::npos);
}

TEST(InstanceImplicit, RequiredRequirementIsMatchedByType) {
  auto report = validate(Source::from_text(R"yaml(
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    app:
      type: tosca.nodes.SoftwareComponent
    server:
      type: tosca.nodes.Compute
)yaml"));
  ASSERT_TRUE(report.ok()) << report.to_text();
  const NodeInstance* app = report.instance->find("app");
  ASSERT_EQ(app->requirements.size(), 1u);
  EXPECT_TRUE(app->requirements[0].implicit);
  EXPECT_EQ(app->requirements[0].target, "server");
  EXPECT_EQ(app->layer, 1u);
}

TEST(InstanceRuntime, OperationOutputsArtifactsAndHostAttributes) {
  auto report = validate(Source::from_text(R"yaml(
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      attributes: {private_address: 10.0.0.5}
    app:
      type: tosca.nodes.SoftwareComponent
      requirements: [{host: vm}]
      artifacts:
        pkg: {type: tosca.artifacts.File, file: dist/app.tar.gz}
      interfaces:
        Standard:
          create: install.sh
          configure:
            implementation: configure.sh
            inputs:
              pid: {get_operation_output: [SELF, Standard, create, pid]}
              archive: {get_artifact: [SELF, pkg]}
              address: {get_attribute: [HOST, private_address]}
              url: {concat: ["http://", {get_attribute: [HOST, private_address]}, ":8080"]}
)yaml"));
  ASSERT_TRUE(report.ok()) << report.to_text();
  const NodeInstance* app = report.instance->find("app");
  ASSERT_NE(app, nullptr);
  const OperationInstance* configure = nullptr;
  for (const auto& op : app->operations)
    if (op.name == "configure") configure = &op;
  ASSERT_NE(configure, nullptr);
  EXPECT_EQ(app->deferred.size(), 4u);
  RuntimeLookup lookup = [](const RuntimeRef& ref) -> std::optional<Value> {
    if (ref.kind == RuntimeRef::Kind::operation_output && ref.node == "app" && ref.interface == "Standard" &&
        ref.operation == "create" && ref.name == "pid")
      return Value(int64_t{4242});
    return std::nullopt;
  };
  auto eval = [&](std::string_view input) {
    return report.instance->evaluate(*configure->inputs.find(input), EvalScope{"app"}, lookup);
  };
  ASSERT_TRUE(eval("pid"));
  EXPECT_EQ(eval("pid")->as_int(), 4242);
  // Nothing reported for the artifact: its file as written in the template.
  EXPECT_EQ(eval("archive")->as_string(), "dist/app.tar.gz");
  // Not reported by the run time: the host's initial value from the template.
  EXPECT_EQ(eval("address")->as_string(), "10.0.0.5");
  EXPECT_EQ(eval("url")->as_string(), "http://10.0.0.5:8080");
  RuntimeLookup nothing = [](const RuntimeRef&) -> std::optional<Value> { return std::nullopt; };
  auto missing = report.instance->evaluate(*configure->inputs.find("pid"), EvalScope{"app"}, nothing);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("pid"), std::string::npos);
  auto bad_scope = report.instance->evaluate(*configure->inputs.find("pid"), EvalScope{"ghost"}, lookup);
  EXPECT_FALSE(bad_scope);
}

}  // namespace
}  // namespace iotwins::tosca
