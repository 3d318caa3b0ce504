// `iotwins validate` and POST /api/v1/templates/validate on real templates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/http_client.h"
#include "harness.h"

namespace iotwins::e2e {
namespace {

std::string source(const std::string& rel) { return std::string(IOTWINS_SOURCE_DIR) + "/" + rel; }


TEST(Validate, ExampleTemplateIsValidAndSummarised) {
  auto r = run_cli({"validate", source("examples/tosca/press_line_maintenance.yaml")});
  EXPECT_EQ(r.code, 0) << r.out;
  auto j = run_cli({"validate", source("examples/tosca/press_line_maintenance.yaml"), "-o", "json"});
  ASSERT_EQ(j.code, 0) << j.out;
  auto report = nlohmann::json::parse(j.out);
  EXPECT_TRUE(report["valid"].get<bool>());
  EXPECT_GT(report["summary"]["node_templates"].get<int>(), 0);
}

TEST(Validate, InvalidTemplateExits1WithCodeAndPosition) {
  std::string file = source("tests/tosca/invalid/constraint_violation.yaml");
  auto r = run_cli({"validate", file});
  EXPECT_EQ(r.code, 1) << r.out;
  std::string expected = read_text(source("tests/tosca/invalid/constraint_violation.expect"));
  std::string code = expected.substr(0, expected.find_first_of(" \n@:"));
  EXPECT_NE(r.out.find(code), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("constraint_violation.yaml:"), std::string::npos) << r.out;
  auto usage = run_cli({"validate"});
  EXPECT_EQ(usage.code, 2);
}

TEST(Validate, RestRouteReportsErrorsAndReadsNoServerFiles) {
  std::string dir = temp_dir("validate");
  ServerDaemon server(dir);
  server.start();
  auto c = api::HttpClient::create(server.url(), client_options(server.url()));
  ASSERT_TRUE(c);
  std::string good = read_text(source("examples/tosca/press_line_maintenance.yaml"));
  auto ok = (*c)->request(api::Method::POST, "/api/v1/templates/validate", good, "application/yaml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(nlohmann::json::parse(ok->body)["valid"].get<bool>()) << ok->body;

  std::string traversal =
      "tosca_definitions_version: tosca_simple_yaml_1_3\nimports:\n  - ../../../../etc/passwd\n"
      "topology_template:\n  node_templates: {}\n";
  auto bad = (*c)->request(api::Method::POST, "/api/v1/templates/validate", traversal, "application/yaml");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 200);
  auto report = nlohmann::json::parse(bad->body);
  EXPECT_FALSE(report["valid"].get<bool>());
  EXPECT_EQ(bad->body.find("root:"), std::string::npos) << "the server read a file from its disk";
  EXPECT_NE(bad->body.find("cannot import files"), std::string::npos) << bad->body;

  nlohmann::json wrapped = {{"template", good}, {"inputs", nlohmann::json::object()}};
  auto js = (*c)->request(api::Method::POST, "/api/v1/templates/validate", wrapped.dump());
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200) << js->body;
  auto empty = (*c)->request(api::Method::POST, "/api/v1/templates/validate", "", "application/yaml");
  EXPECT_EQ(empty->status, 400);
}

}  // namespace
}  // namespace iotwins::e2e
