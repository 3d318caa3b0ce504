#include "core/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

namespace iotwins {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Process, RunsCapturesOutputAndExitCode) {
  std::string out = testing::TempDir() + "proc_out.txt";
  std::remove(out.c_str());
  auto p = Process::spawn({.argv = {"sh", "-c", "echo hi $FOO; echo err >&2; exit 3"},
                           .env = {"FOO=bar"}, .stdout_path = out, .stderr_path = "stdout"});
  ASSERT_TRUE(p) << p.error().to_string();
  ExitStatus st = p->wait();
  EXPECT_TRUE(st.exited());
  EXPECT_EQ(st.code, 3);
  EXPECT_EQ(slurp(out), "hi bar\nerr\n");
}

TEST(Process, ReadsStdinFromAFileAndReleaseLeavesTheChildRunning) {
  std::string in = testing::TempDir() + "proc_in.txt";
  std::string out = testing::TempDir() + "proc_cat.txt";
  std::remove(out.c_str());
  std::ofstream(in) << "from a file\n";
  auto p = Process::spawn({.argv = {"cat"}, .stdout_path = out, .stdin_path = in});
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->wait().code, 0);
  EXPECT_EQ(slurp(out), "from a file\n");

  auto sleeper = Process::spawn({.argv = {"sleep", "1000"}, .die_with_parent = false});
  ASSERT_TRUE(sleeper);
  pid_t pid = sleeper->release();
  sleeper = Process();  // destroying a released Process does not kill the child
  EXPECT_EQ(::kill(pid, 0), 0);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(Process, MissingProgramIsAnErrorNotAChild) {
  auto p = Process::spawn({.argv = {"/nonexistent/program"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code(), Errc::not_found);
}

TEST(Process, StopEscalatesToKill) {
  // The shell ignores SIGTERM, so stop() must fall back to SIGKILL after the grace period.
  std::string out = testing::TempDir() + "proc_trap.txt";
  std::remove(out.c_str());
  auto p = Process::spawn({.argv = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"},
                           .stdout_path = out});
  ASSERT_TRUE(p);
  // Wait until the trap is installed (the child says so), else SIGTERM could win the race.
  while (slurp(out) != "ready\n") ASSERT_TRUE(p->running());
  EXPECT_TRUE(p->running());
  ExitStatus st = p->stop(std::chrono::milliseconds(200));
  EXPECT_EQ(st.signal, SIGKILL);
  EXPECT_FALSE(p->running());
}

TEST(Process, TerminatesOnSigterm) {
  auto p = Process::spawn({.argv = {"sleep", "30"}});
  ASSERT_TRUE(p);
  ExitStatus st = p->stop();
  EXPECT_EQ(st.signal, SIGTERM);
  EXPECT_EQ(st.to_string(), "killed by signal Terminated");
}

}  // namespace
}  // namespace iotwins
