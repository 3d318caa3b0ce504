// The public entry point: one pass over every problem, places and paths, inputs, JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "tosca/validate.h"

namespace iotwins::tosca {
namespace {

std::vector<std::string> codes(const ValidationReport& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.emplace_back(code_name(d.code));
  return out;
}

TEST(BuiltinProfiles, HaveNoProblems) {
  auto problems = check_builtin_profiles();
  std::string text;
  for (const auto& d : problems) text += d.to_string() + "\n";
  EXPECT_TRUE(problems.empty()) << text;
}

TEST(Validate, ReportsEveryProblemInOnePassWithPlaceAndPath) {
  auto report = validate(Source::from_text(R"yaml(tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
      capabilities:
        host: {properties: {num_cpus: 0}}
    filter:
      type: tosca.nodes.SoftwareComponent
      properties: {colour: red}
      requirements:
        - host: nowhere
    db:
      type: tosca.nodes.Databse
)yaml", "chain.yaml"));
  ASSERT_EQ(report.diagnostics.size(), 4u) << report.to_text();
  std::sort(report.diagnostics.begin(), report.diagnostics.end(),
            [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
  const auto& d0 = report.diagnostics[0];
  EXPECT_EQ(d0.code, Code::constraint_violation);
  EXPECT_EQ(d0.file, "chain.yaml");
  EXPECT_EQ(d0.line, 7);
  EXPECT_EQ(d0.column, 39);
  EXPECT_EQ(d0.path, "topology_template.node_templates.server.capabilities.host.properties.num_cpus");
  EXPECT_EQ(report.diagnostics[1].code, Code::unknown_property);
  EXPECT_EQ(report.diagnostics[2].code, Code::unknown_node_template);
  EXPECT_EQ(report.diagnostics[2].path, "topology_template.node_templates.filter.requirements[0].host.node");
  EXPECT_EQ(report.diagnostics[2].line, 12);
  EXPECT_EQ(report.diagnostics[3].code, Code::unknown_type);
  EXPECT_NE(report.diagnostics[3].message.find("tosca.nodes.Databse"), std::string::npos);
  EXPECT_EQ(report.instance, nullptr);
}

constexpr const char* kWithInputs = R"yaml(tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    port: {type: integer, constraints: [{in_range: [1024, 65535]}]}
    size: {type: scalar-unit.size, default: 1 GB, constraints: [{less_or_equal: 4 GiB}]}
  node_templates:
    server: {type: tosca.nodes.Compute}
)yaml";

TEST(Validate, InputsAreTypedAndConstrained) {
  auto ok = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port=8080"}));
  EXPECT_TRUE(ok.ok()) << ok.to_text();
  EXPECT_EQ(ok.instance->inputs.find("port")->as_int(), 8080);
  EXPECT_EQ(ok.instance->inputs.find("size")->as_string(), "1 GB");

  auto low = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port=80"}));
  EXPECT_EQ(codes(low), (std::vector<std::string>{"constraint_violation"})) << low.to_text();
  EXPECT_EQ(low.diagnostics[0].path, "inputs.port");

  auto text = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port='8080'"}));
  EXPECT_EQ(codes(text), (std::vector<std::string>{"type_mismatch"})) << text.to_text();

  auto big = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port=8080", "size=5 GiB"}));
  EXPECT_EQ(codes(big), (std::vector<std::string>{"constraint_violation"})) << big.to_text();

  auto missing = validate(Source::from_text(kWithInputs));
  EXPECT_EQ(codes(missing), (std::vector<std::string>{"missing_input"}));

  auto unknown = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port=8080", "colour=red"}));
  EXPECT_EQ(codes(unknown), (std::vector<std::string>{"unknown_input"}));

  EXPECT_FALSE(parse_input_assignments({"novalue"}));
}

TEST(Validate, JsonReportIsMachineReadable) {
  auto report = validate(Source::from_text("tosca_definitions_version: tosca_simple_yaml_9_9\n", "x.yaml"));
  auto j = nlohmann::json::parse(report.to_json());
  EXPECT_FALSE(j["valid"].get<bool>());
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_EQ(j["errors"][0]["code"], "unsupported_version");
  EXPECT_EQ(j["errors"][0]["file"], "x.yaml");
  EXPECT_EQ(j["errors"][0]["line"], 1);
  EXPECT_EQ(j["errors"][0]["path"], "tosca_definitions_version");
  auto good = validate(Source::from_text(kWithInputs), *parse_input_assignments({"port=8080"}));
  auto g = nlohmann::json::parse(good.to_json());
  EXPECT_TRUE(g["valid"].get<bool>());
  EXPECT_EQ(g["summary"]["node_templates"], 1);
  EXPECT_EQ(g["summary"]["node_types"]["tosca.nodes.Compute"], 1);
  EXPECT_EQ(g["summary"]["layers"][0][0], "server");
}

TEST(Validate, UnreadableFileIsOneClearError) {
  auto report = validate(Source::file("/nonexistent/dir/template.yaml"));
  ASSERT_EQ(report.diagnostics.size(), 1u);
  EXPECT_EQ(report.diagnostics[0].code, Code::cannot_read);
  EXPECT_EQ(report.diagnostics[0].file, "/nonexistent/dir/template.yaml");
}

TEST(Validate, RemoteImportsAreMappedOrRefused) {
  std::string dir = testing::TempDir() + "/tosca_remote";
  std::filesystem::create_directories(dir + "/types");
  std::ofstream(dir + "/types/custom.yaml") << "tosca_definitions_version: tosca_simple_yaml_1_0\n"
                                               "node_types:\n  my.nodes.App:\n    derived_from: tosca.nodes.SoftwareComponent\n";
  const char* text = R"yaml(tosca_definitions_version: tosca_simple_yaml_1_0
imports:
  - custom: https://raw.example.com/repo/types/custom.yaml
topology_template:
  node_templates:
    app: {type: my.nodes.App, requirements: [{host: vm}]}
    vm: {type: tosca.nodes.Compute}
)yaml";
  auto refused = validate(Source::from_text(text));
  EXPECT_EQ(codes(refused), (std::vector<std::string>{"import_not_found", "unknown_type"})) << refused.to_text();
  ValidateOptions options;
  options.load.import_map["https://raw.example.com/repo/"] = dir;
  auto mapped = validate(Source::from_text(text), Value::map(), options);
  EXPECT_TRUE(mapped.ok()) << mapped.to_text();
  EXPECT_EQ(mapped.summary.files.back(), "<input>");
}

TEST(Validate, StopsListingAtTheErrorLimit) {
  std::string text = "tosca_definitions_version: tosca_simple_yaml_1_3\ntopology_template:\n  node_templates:\n";
  for (int i = 0; i < 10; ++i)
    text += "    n" + std::to_string(i) + ": {type: tosca.nodes.Compute, properties: {colour: red}}\n";
  ValidateOptions options;
  options.max_errors = 3;
  auto report = validate(Source::from_text(text), Value::map(), options);
  ASSERT_EQ(report.diagnostics.size(), 4u) << report.to_text();
  EXPECT_EQ(report.diagnostics.back().code, Code::too_many_errors);
  EXPECT_EQ(report.diagnostics[0].code, Code::unknown_property);
}

TEST(Examples, EveryExampleTemplateValidates) {
  std::string dir = std::string(IOTWINS_SOURCE_DIR) + "/examples/tosca";
  ValidateOptions options;
  options.load.import_map["https://example.org/tosca-types/"] = dir + "/indigo";
  for (const char* name : {"press_line_maintenance.yaml", "wordpress_1_0.yaml", "indigo/slurm_cluster.yaml"}) {
    auto report = validate(Source::file(dir + "/" + name), Value::map(), options);
    EXPECT_TRUE(report.ok()) << name << "\n" << report.to_text();
  }
}

}  // namespace
}  // namespace iotwins::tosca
