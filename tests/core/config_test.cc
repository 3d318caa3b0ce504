#include "core/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace iotwins {
namespace {

ConfigSpec make_spec() {
  ConfigSpec spec("server", "Runs the control plane.");
  spec.add_common();
  spec.add({.name = "listen", .default_value = "127.0.0.1:8470", .help = "address"});
  spec.add({.name = "workers", .type = ConfigType::integer, .default_value = "4", .min = 1, .max = 64});
  spec.add({.name = "heartbeat", .type = ConfigType::duration, .default_value = "5s"});
  spec.add({.name = "max-body", .type = ConfigType::size, .default_value = "1MiB"});
  spec.add({.name = "strict", .type = ConfigType::boolean, .default_value = "false"});
  spec.add({.name = "labels", .type = ConfigType::list});
  spec.add({.name = "output", .type = ConfigType::choice, .default_value = "table",
            .choices = {"table", "json"}, .short_flag = 'o'});
  return spec;
}

Result<ParsedCommand> parse(std::vector<std::string> args, Environment env = {}) {
  static ConfigSpec spec = make_spec();
  return parse_command(spec, args, env);
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsApplyWhenNothingIsGiven) {
  auto p = parse({});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->config.str("listen"), "127.0.0.1:8470");
  EXPECT_EQ(p->config.integer("workers"), 4);
  EXPECT_EQ(p->config.duration("heartbeat"), std::chrono::seconds(5));
  EXPECT_EQ(p->config.size("max-body"), 1024u * 1024u);
  EXPECT_FALSE(p->config.boolean("strict"));
  EXPECT_FALSE(p->config.is_set("listen"));
}

TEST(Config, PrecedenceIsFlagsThenEnvironmentThenFileThenDefaults) {
  std::string file = write_temp("prec.yaml", "listen: 0.0.0.0:1\nworkers: 8\nheartbeat: 2s\n");
  Environment env{{"IOTWINS_WORKERS", "16"}, {"IOTWINS_HEARTBEAT", "3s"}};
  auto p = parse({"--config", file, "--heartbeat=250ms"}, env);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->config.str("listen"), "0.0.0.0:1");  // file beats default
  EXPECT_EQ(p->config.source("listen"), ConfigSource::file);
  EXPECT_EQ(p->config.integer("workers"), 16);  // environment beats file
  EXPECT_EQ(p->config.source("workers"), ConfigSource::environment);
  EXPECT_EQ(p->config.duration("heartbeat"), std::chrono::milliseconds(250));  // flag beats all
  EXPECT_EQ(p->config.source("heartbeat"), ConfigSource::flag);
}

TEST(Config, ConfigFileMayComeFromTheEnvironment) {
  std::string file = write_temp("envfile.yaml", "workers: 7\n");
  auto p = parse({}, {{"IOTWINS_CONFIG", file}});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->config.integer("workers"), 7);
}

TEST(Config, UnknownFlagIsNamed) {
  auto p = parse({"--listn", "x"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), Errc::invalid_argument);
  EXPECT_NE(p.error().message().find("unknown flag --listn"), std::string::npos);
  EXPECT_NE(p.error().message().find("iotwins server --help"), std::string::npos);
}

TEST(Config, InvalidChoiceNamesKeyAndAllowedValues) {
  auto p = parse({"--log-level", "loud"});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("--log-level"), std::string::npos);
  EXPECT_NE(p.error().message().find("trace, debug, info, warn, error, off"), std::string::npos);
}

TEST(Config, IntegerRangeIsEnforcedForEverySource) {
  auto flag = parse({"--workers", "0"});
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.error().message().find("1 to 64"), std::string::npos);
  auto env = parse({}, {{"IOTWINS_WORKERS", "nope"}});
  ASSERT_FALSE(env);
  EXPECT_NE(env.error().message().find("IOTWINS_WORKERS"), std::string::npos);
  std::string file = write_temp("range.yaml", "workers: 100\n");
  auto f = parse({"--config", file});
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("key 'workers'"), std::string::npos);
}

TEST(Config, UnknownFileKeyAndBadYamlAreReportedWithLine) {
  std::string file = write_temp("unknown.yaml", "listen: a\nbogus: 1\n");
  auto p = parse({"--config", file});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find(":2: unknown key 'bogus'"), std::string::npos)
      << p.error().message();
  std::string bad = write_temp("bad.yaml", "listen: [a\n");
  auto q = parse({"--config", bad});
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("bad.yaml:"), std::string::npos);
  auto missing = parse({"--config", "/nonexistent/x.yaml"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("cannot be read"), std::string::npos);
}

TEST(Config, WrongShapesInTheFileAreErrorsNotCrashes) {
  // Found by fuzz_config_yaml: these used to throw out of parse_command.
  for (const char* text : {"labels: [{a: 1}]\n", "[a]: 1\n", "listen: {x: 1}\n"}) {
    std::string file = write_temp("shape.yaml", text);
    auto p = parse({"--config", file});
    ASSERT_FALSE(p) << text;
    EXPECT_EQ(p.error().code(), Errc::invalid_argument);
    EXPECT_NE(p.error().message().find("shape.yaml"), std::string::npos) << p.error().message();
  }
}

TEST(Config, BooleansListsShortFlagsAndPositionals) {
  auto p = parse({"--strict", "--labels", "a,b", "--labels=c", "-o", "json"});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_TRUE(p->config.boolean("strict"));
  EXPECT_EQ(p->config.list("labels"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(p->config.str("output"), "json");
  auto q = parse({"extra"});
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message().find("unexpected argument 'extra'"), std::string::npos);
  auto r = parse({"--listen"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("needs a value"), std::string::npos);
}

TEST(Config, HelpIsRequestedAndListsEveryFlag) {
  auto p = parse({"--workers", "3", "--help"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->help);
  std::string help = make_spec().help();
  for (const char* flag : {"--listen", "--workers", "--log-level", "--config", "-o, --output"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find("(default: 127.0.0.1:8470)"), std::string::npos);
}

TEST(Config, DurationAndSizeParsers) {
  EXPECT_EQ(*parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(*parse_duration("0"), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("5 parsecs"));
  EXPECT_EQ(*parse_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_size("10MB"), 10'000'000u);
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_EQ(env_name("log-level"), "IOTWINS_LOG_LEVEL");
}

}  // namespace
}  // namespace iotwins
