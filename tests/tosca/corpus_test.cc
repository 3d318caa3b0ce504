// The declarative corpus: every tests/tosca/valid/*.yaml must validate (with
// <name>.inputs.yaml as inputs when present); every tests/tosca/invalid/*.yaml must fail with
// exactly the error codes listed in <name>.expect (one per line: `code` or `code line:col`).
// Adding a case needs no C++.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tosca/validate.h"

namespace iotwins::tosca {
namespace {

namespace fs = std::filesystem;

std::string corpus_dir(std::string_view kind) { return std::string(IOTWINS_SOURCE_DIR) + "/tests/tosca/" + std::string(kind); }

std::vector<std::string> cases(std::string_view kind) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(corpus_dir(kind), ec)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !name.ends_with(".yaml") || name.ends_with(".inputs.yaml")) continue;
    out.push_back(name.substr(0, name.size() - 5));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Value inputs_for(const std::string& base) {
  std::string path = base + ".inputs.yaml";
  if (!fs::exists(path)) return Value::map();
  auto v = parse_inputs_yaml(read(path), path);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().to_string());
  return v ? *v : Value::map();
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class ValidCorpus : public testing::TestWithParam<std::string> {};
class InvalidCorpus : public testing::TestWithParam<std::string> {};

TEST_P(ValidCorpus, Validates) {
  std::string base = corpus_dir("valid") + "/" + GetParam();
  ValidateOptions options;
  options.load.import_map["https://example.org/tosca-types/"] = corpus_dir("valid") + "/lib/remote";
  auto report = validate(Source::file(base + ".yaml"), inputs_for(base), options);
  EXPECT_TRUE(report.ok()) << report.to_text();
  EXPECT_NE(report.instance, nullptr);
}

TEST_P(InvalidCorpus, FailsWithExpectedCodes) {
  std::string base = corpus_dir("invalid") + "/" + GetParam();
  ASSERT_TRUE(fs::exists(base + ".expect")) << "missing " << base << ".expect";
  std::vector<std::string> expected_codes;
  std::vector<std::pair<std::string, std::string>> expected_places;  // code, "line:col"
  std::istringstream lines(read(base + ".expect"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string code, place;
    words >> code >> place;
    expected_codes.push_back(code);
    if (!place.empty()) expected_places.emplace_back(code, place);
  }
  ASSERT_FALSE(expected_codes.empty()) << base << ".expect lists no code";
  auto report = validate(Source::file(base + ".yaml"), inputs_for(base));
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.instance, nullptr);
  std::vector<std::string> got;
  for (const auto& d : report.diagnostics) got.push_back(std::string(code_name(d.code)));
  auto uniq = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  EXPECT_EQ(uniq(got), uniq(expected_codes)) << report.to_text();
  for (const auto& [code, place] : expected_places) {
    bool found = false;
    for (const auto& d : report.diagnostics)
      found = found || (code_name(d.code) == code && std::to_string(d.line) + ":" + std::to_string(d.column) == place);
    EXPECT_TRUE(found) << "expected " << code << " at " << place << "\n" << report.to_text();
  }
  for (const auto& d : report.diagnostics) {
    EXPECT_FALSE(d.message.empty());
    if (d.code != Code::missing_version && d.code != Code::yaml_syntax) {
      EXPECT_GT(d.line, 0) << d.to_string();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tosca, ValidCorpus, testing::ValuesIn(cases("valid")), test_name);
INSTANTIATE_TEST_SUITE_P(Tosca, InvalidCorpus, testing::ValuesIn(cases("invalid")), test_name);

}  // namespace
}  // namespace iotwins::tosca
