// The binary's command line: help, version, bad flags and bad values.
#include <gtest/gtest.h>

#include "harness.h"

namespace iotwins::e2e {
namespace {

TEST(Cli, HelpListsEveryCommandWithASummary) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"up", "server", "agent", "nodes", "version"}) {
    EXPECT_NE(r.out.find(std::string("  ") + cmd + " "), std::string::npos) << cmd << "\n" << r.out;
  }
  auto none = run_cli({});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("Usage: iotwins <command>"), std::string::npos);
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* cmd : {"up", "server", "agent", "nodes", "version"}) {
    auto r = run_cli({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find(std::string("Usage: iotwins ") + cmd), std::string::npos) << r.out;
  }
  auto server = run_cli({"server", "--help"});
  EXPECT_NE(server.out.find("--listen"), std::string::npos);
  EXPECT_NE(server.out.find("IOTWINS_<FLAG>"), std::string::npos);
}

TEST(Cli, VersionPrintsBuildInfo) {
  auto r = run_cli({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("iotwins 0.", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("commit"), std::string::npos);
}

TEST(Cli, UnknownCommandAndFlagExitWith2AndOneLine) {
  auto cmd = run_cli({"frobnicate"});
  EXPECT_EQ(cmd.code, 2);
  EXPECT_NE(cmd.out.find("unknown command 'frobnicate'"), std::string::npos);
  auto flag = run_cli({"server", "--lisen", "x"});
  EXPECT_EQ(flag.code, 2);
  EXPECT_EQ(flag.out, "iotwins server: unknown flag --lisen (see 'iotwins server --help')\n");
}

TEST(Cli, InvalidValuesNameTheKeyAndTheAllowedValues) {
  auto level = run_cli({"agent", "--level", "fog"});
  EXPECT_EQ(level.code, 2);
  EXPECT_NE(level.out.find("--level"), std::string::npos);
  EXPECT_NE(level.out.find("allowed: iot, edge, cloud"), std::string::npos) << level.out;
  auto workers = run_cli({"server", "--workers", "0"});
  EXPECT_EQ(workers.code, 2);
  EXPECT_NE(workers.out.find("--workers"), std::string::npos);
  std::string dir = temp_dir("badconf");
  std::string conf = dir + "/server.yaml";
  FILE* f = fopen(conf.c_str(), "w");
  fputs("listen: 127.0.0.1:0\nlog-level: chatty\n", f);
  fclose(f);
  auto file = run_cli({"server", "--config", conf});
  EXPECT_EQ(file.code, 2);
  EXPECT_NE(file.out.find("key 'log-level'"), std::string::npos) << file.out;
  auto env = run_cli({"nodes", "--output", "yaml"});
  EXPECT_EQ(env.code, 2);
  EXPECT_NE(env.out.find("allowed: table, json"), std::string::npos);
}

TEST(Cli, NodesAgainstNoServerSaysSoClearly) {
  auto r = run_cli({"nodes", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("cannot reach the server at http://127.0.0.1:1"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace iotwins::e2e
