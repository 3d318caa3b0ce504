// Edge autonomy: the agent restarts (possibly while the server is unreachable) and carries on
// with the task set it persisted, re-attaching to what still runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "core/process.h"
#include "supervisor_harness.h"

namespace iotwins::runtime {
namespace {

using namespace std::chrono_literals;
using testing::pid_alive;
using testing::SupervisorHarness;
using testing::Workspace;
using K = TaskEventKind;

class SupervisorRestartTest : public ::testing::Test {
 protected:
  Workspace ws{"w"};
  SupervisorHarness h{ws};
};

TEST_F(SupervisorRestartTest, ARestartedAgentReattachesInsteadOfStartingADuplicate) {
  pid_t pid = 0;
  {
    auto first = h.open();
    ASSERT_TRUE(first->set_desired({ws.exec_task("long", "exec sleep 1000")}));
    first->tick();
    pid = SupervisorHarness::status_of(*first, "long")->handle.pid;
  }  // destroyed without stopping its tasks, as an agent that exits or is killed
  ASSERT_TRUE(pid_alive(pid));

  auto second = h.open();
  EXPECT_EQ(h.count("long", K::recovered), 1);
  second->tick();
  second->tick();
  EXPECT_EQ(h.count("long", K::started), 1);  // only the first agent's start
  auto st = SupervisorHarness::status_of(*second, "long");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, TaskState::running);
  EXPECT_EQ(st->handle.pid, pid);
  auto stats = second->stats("long");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_GT(stats->rss_bytes, 0u);

  ASSERT_TRUE(second->set_desired({}));
  second->tick();
  EXPECT_EQ(h.count("long", K::stopped), 1);
  EXPECT_FALSE(pid_alive(pid));
}

TEST_F(SupervisorRestartTest, ATaskThatDiedWhileTheAgentWasDownRunsAgain) {
  pid_t pid = 0;
  {
    auto first = h.open();
    TaskSpec spec = ws.exec_task("edge", "exec sleep 1000");
    spec.restart.jitter = 0;
    ASSERT_TRUE(first->set_desired({spec}));
    first->tick();
    pid = SupervisorHarness::status_of(*first, "edge")->handle.pid;
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);  // this test process was its parent: reap it, as init would

  auto second = h.open();
  auto exited = h.last("edge", K::exited);
  ASSERT_TRUE(exited);
  EXPECT_NE(exited->message.find("ended while the agent was down"), std::string::npos) << exited->message;
  EXPECT_EQ(h.count("edge", K::restarting), 1);
  h.clock.advance(1s);
  second->tick();
  EXPECT_EQ(h.count("edge", K::started), 2);
  auto st = SupervisorHarness::status_of(*second, "edge");
  EXPECT_NE(st->handle.pid, pid);
  EXPECT_TRUE(pid_alive(st->handle.pid));
  second->shutdown(true);
}

TEST_F(SupervisorRestartTest, TheDesiredSetSurvivesAStopOfEveryTask) {
  {
    auto first = h.open();
    ASSERT_TRUE(first->set_desired({ws.exec_task("kept", "exec sleep 1000")}));
    first->tick();
    first->shutdown(true);
  }
  EXPECT_EQ(h.count("kept", K::stopped), 1);
  auto second = h.open();  // no server needed: the set came from disk
  second->tick();
  EXPECT_EQ(h.count("kept", K::started), 2);
  EXPECT_EQ(SupervisorHarness::status_of(*second, "kept")->state, TaskState::running);
  second->shutdown(true);
}

TEST_F(SupervisorRestartTest, TasksOutliveAKilledAgentProcessAndAreReattached) {
  TaskSpec spec{.id = "survivor", .driver = "exec", .command = "/bin/sleep", .args = {"1000"}};
  std::string data_dir = ws.root() + "/agent";
  auto agent = Process::spawn({.argv = {IOTWINS_BINARY_DIR "/bin/runtime_agent_helper", data_dir,
                                        ws.config().tasks_dir, encode_task_specs({spec})},
                               .stdout_path = ws.root() + "/helper.log", .stderr_path = "stdout"});
  ASSERT_TRUE(agent) << agent.error().to_string();
  ExitStatus died = agent->wait();
  ASSERT_EQ(died.signal, SIGKILL) << died.to_string() << "\n" << testing::read_file(ws.root() + "/helper.log");
  ASSERT_TRUE(std::filesystem::exists(data_dir + "/ready"));

  auto next = h.open();  // the agent comes back
  EXPECT_EQ(h.count("survivor", K::recovered), 1);
  auto st = SupervisorHarness::status_of(*next, "survivor");
  ASSERT_TRUE(st);
  ASSERT_EQ(st->state, TaskState::running);
  EXPECT_TRUE(pid_alive(st->handle.pid));  // no PR_SET_PDEATHSIG took it down with the agent
  next->tick();
  EXPECT_EQ(h.count("survivor", K::started), 0);  // re-attached, not started twice
  next->shutdown(true);
  auto stopped = h.last("survivor", K::stopped);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->exit.signal, 0);
  EXPECT_EQ(stopped->exit.code, -1);  // not our child: the status is unknown
  EXPECT_TRUE(testing::eventually([&] { return !pid_alive(st->handle.pid); }));
}

TEST_F(SupervisorRestartTest, ACorruptStateFileIsRefusedWithItsPath) {
  std::filesystem::create_directories(ws.root() + "/agent");
  std::ofstream(ws.root() + "/agent/tasks.json") << "{\"version\":1,\"desired\":[{\"id\":3,\"driver\":\"exec\"}]}";
  auto drivers = create_drivers(ws.config());
  ASSERT_TRUE(drivers);
  auto sup = Supervisor::open({.data_dir = ws.root() + "/agent", .tasks_dir = ws.config().tasks_dir},
                              std::move(*drivers));
  ASSERT_FALSE(sup);
  EXPECT_EQ(sup.error().code(), Errc::corruption);
  EXPECT_NE(sup.error().message().find("tasks.json"), std::string::npos) << sup.error().message();
  EXPECT_NE(sup.error().message().find("desired[0].id"), std::string::npos) << sup.error().message();

  std::ofstream(ws.root() + "/agent/tasks.json", std::ios::trunc)
      << R"({"version":1,"desired":[],"tasks":[{"id":"t","state":"running","handle":{"driver":"exec","pid":"x"}}]})";
  auto drivers2 = create_drivers(ws.config());
  auto typed = Supervisor::open({.data_dir = ws.root() + "/agent", .tasks_dir = ws.config().tasks_dir},
                                std::move(*drivers2));
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().code(), Errc::corruption);
  EXPECT_NE(typed.error().message().find("wrong type"), std::string::npos) << typed.error().message();
}

}  // namespace
}  // namespace iotwins::runtime
