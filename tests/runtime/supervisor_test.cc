#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "runtime/health.h"
#include "supervisor_harness.h"
#include "testing/net.h"

namespace iotwins::runtime {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::pid_alive;
using testing::SupervisorHarness;
using testing::Workspace;
using K = TaskEventKind;

RestartPolicy quick(RestartMode mode, int max_restarts = 5) {
  return {.mode = mode, .max_restarts = max_restarts, .window_ms = 600'000, .initial_backoff_ms = 1'000,
          .max_backoff_ms = 4'000, .jitter = 0};
}

class SupervisorTest : public ::testing::Test {
 protected:
  // An exec task running `body` under an on-failure policy, made the only desired task.
  TaskSpec desire(Supervisor& sup, const std::string& id, const std::string& body) {
    TaskSpec spec = ws.exec_task(id, body);
    spec.restart = quick(RestartMode::on_failure);
    EXPECT_TRUE(sup.set_desired({spec}));
    return spec;
  }

  Workspace ws{"w"};
  SupervisorHarness h{ws};
};

TEST_F(SupervisorTest, StartsTheDesiredTasksAndPersistsTheSet) {
  auto sup = h.open();
  ASSERT_TRUE(sup->set_desired({ws.exec_task("long", "exec sleep 1000")}));
  sup->tick();
  EXPECT_EQ(h.count("long", K::started), 1);
  auto st = SupervisorHarness::status_of(*sup, "long");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, TaskState::running);
  EXPECT_TRUE(pid_alive(st->handle.pid));
  std::string state = testing::read_file(ws.root() + "/agent/tasks.json");
  EXPECT_NE(state.find("\"long\""), std::string::npos);
  EXPECT_NE(state.find(std::to_string(st->handle.pid)), std::string::npos);
  sup->tick();
  EXPECT_EQ(h.count("long", K::started), 1);  // level-triggered: no duplicate
  sup->shutdown(true);
  EXPECT_FALSE(pid_alive(st->handle.pid));
}

TEST_F(SupervisorTest, ACrashedTaskRestartsAfterItsBackoffOnTheInjectedClock) {
  auto sup = h.open();
  desire(*sup, "crashy", "exit 7");
  ASSERT_TRUE(h.tick_until(*sup, "crashy", K::restarting));
  EXPECT_EQ(h.last("crashy", K::exited)->exit.code, 7);
  auto restarting = h.last("crashy", K::restarting);
  EXPECT_EQ(restarting->delay_ms, 1'000);
  EXPECT_NE(restarting->message.find("restarting in 1.0 s"), std::string::npos) << restarting->message;
  for (int i = 0; i < 5; ++i) sup->tick();  // the clock did not move: still waiting
  EXPECT_EQ(h.count("crashy", K::started), 1);
  EXPECT_EQ(SupervisorHarness::status_of(*sup, "crashy")->state, TaskState::backoff);
  h.clock.advance(999ms);
  sup->tick();
  EXPECT_EQ(h.count("crashy", K::started), 1);
  h.clock.advance(1ms);
  sup->tick();
  EXPECT_EQ(h.count("crashy", K::started), 2);
  ASSERT_TRUE(h.tick_until(*sup, "crashy", K::restarting, 2));
  EXPECT_EQ(h.last("crashy", K::restarting)->delay_ms, 2'000);  // doubled
}

TEST_F(SupervisorTest, ARestartStormStopsTheTaskWithAnEvent) {
  auto sup = h.open();
  TaskSpec spec = ws.exec_task("storm", "exit 1");
  spec.restart = quick(RestartMode::always, 2);
  spec.restart.initial_backoff_ms = 0;
  spec.restart.max_backoff_ms = 0;
  ASSERT_TRUE(sup->set_desired({spec}));
  ASSERT_TRUE(h.tick_until(*sup, "storm", K::restart_storm));
  EXPECT_EQ(h.count("storm", K::started), 3);  // the first run and two restarts
  auto st = SupervisorHarness::status_of(*sup, "storm");
  EXPECT_EQ(st->state, TaskState::failed);
  EXPECT_NE(st->last_error.find("restart storm: 2 restarts"), std::string::npos) << st->last_error;
  for (int i = 0; i < 5; ++i) sup->tick();
  EXPECT_EQ(h.count("storm", K::started), 3);
}

TEST_F(SupervisorTest, ASuccessfulExitFinishesUnderOnFailure) {
  auto sup = h.open();
  desire(*sup, "once", "exit 0");
  ASSERT_TRUE(h.tick_until(*sup, "once", K::exited));
  EXPECT_EQ(SupervisorHarness::status_of(*sup, "once")->state, TaskState::finished);
  EXPECT_EQ(h.count("once", K::restarting), 0);
}

TEST_F(SupervisorTest, RemovedTasksStopAndChangedTasksRestart) {
  auto sup = h.open();
  TaskSpec a = ws.exec_task("a", "exec sleep 1000");
  TaskSpec b = ws.exec_task("b", "exec sleep 1000");
  ASSERT_TRUE(sup->set_desired({a, b}));
  sup->tick();
  pid_t a_pid = SupervisorHarness::status_of(*sup, "a")->handle.pid;
  pid_t b_pid = SupervisorHarness::status_of(*sup, "b")->handle.pid;
  a.args = {"changed"};
  ASSERT_TRUE(sup->set_desired({a}));
  sup->tick();
  EXPECT_EQ(h.count("b", K::stopped), 1);
  EXPECT_FALSE(SupervisorHarness::status_of(*sup, "b"));
  EXPECT_FALSE(pid_alive(b_pid));
  EXPECT_EQ(h.count("a", K::stopped), 1);
  EXPECT_EQ(h.count("a", K::started), 2);
  EXPECT_FALSE(pid_alive(a_pid));
  auto now = SupervisorHarness::status_of(*sup, "a");
  EXPECT_EQ(now->spec.args, std::vector<std::string>{"changed"});
  EXPECT_TRUE(pid_alive(now->handle.pid));
  sup->shutdown(true);
}

TEST_F(SupervisorTest, ABadDesiredSetChangesNothing) {
  auto sup = h.open();
  ASSERT_TRUE(sup->set_desired({ws.exec_task("keep", "exec sleep 1000")}));
  TaskSpec vm{.id = "vm", .driver = "exec", .command = "/bin/true"};
  vm.driver = "firecracker";
  auto st = sup->set_desired({ws.exec_task("other", "exit 0"), vm});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::invalid_argument);
  TaskSpec dup = ws.exec_task("keep", "exit 0");
  EXPECT_EQ(sup->set_desired({dup, dup}).error().code(), Errc::invalid_argument);
  sup->tick();
  auto all = sup->status();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].spec.id, "keep");
  sup->shutdown(true);
}

TEST_F(SupervisorTest, AnUnavailableDriverFailsTheTaskWithTheReason) {
  auto sup = h.open();
  EXPECT_FALSE(sup->fingerprints().at("oci").available);
  ASSERT_TRUE(sup->set_desired({TaskSpec{.id = "c", .driver = "oci", .image = "alpine:3"}}));
  sup->tick();
  auto failed = h.last("c", K::start_failed);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message.find("podman"), std::string::npos) << failed->message;
  EXPECT_EQ(SupervisorHarness::status_of(*sup, "c")->state, TaskState::failed);
  EXPECT_EQ(h.count("c", K::restarting), 0);
}

TEST_F(SupervisorTest, AnUnhealthyTaskIsStoppedAndRestarted) {
  auto sup = h.open();
  TaskSpec spec = ws.exec_task("deaf", "exec sleep 1000");
  spec.restart = quick(RestartMode::on_failure);
  spec.health = {.kind = HealthKind::tcp, .port = iotwins::testing::free_port(), .interval_ms = 1'000,
                 .timeout_ms = 1'000, .failure_threshold = 2};
  ASSERT_TRUE(sup->set_desired({spec}));
  sup->tick();
  pid_t pid = SupervisorHarness::status_of(*sup, "deaf")->handle.pid;
  sup->tick();  // not due yet
  h.clock.advance(1s);
  sup->tick();  // first failure
  EXPECT_EQ(h.count("deaf", K::unhealthy), 0);
  h.clock.advance(1s);
  sup->tick();  // second: unhealthy
  auto unhealthy = h.last("deaf", K::unhealthy);
  ASSERT_TRUE(unhealthy);
  EXPECT_NE(unhealthy->message.find("2 failed tcp checks"), std::string::npos) << unhealthy->message;
  EXPECT_EQ(h.count("deaf", K::restarting), 1);
  EXPECT_FALSE(pid_alive(pid));
}

TEST_F(SupervisorTest, AHealthyTaskStaysUpAndACommandCheckRunsInTheTaskDir) {
  auto sup = h.open();
  TaskSpec spec = ws.exec_task("ready", "touch ready\nexec sleep 1000");
  spec.health = {.kind = HealthKind::command, .command = {"/bin/sh", "-c", "test -f ready"}, .interval_ms = 1'000,
                 .timeout_ms = 5'000, .failure_threshold = 2};
  ASSERT_TRUE(sup->set_desired({spec}));
  sup->tick();
  std::string ready = ws.config().tasks_dir + "/ready/ready";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(ready); }));
  for (int i = 0; i < 3; ++i) {
    h.clock.advance(1s);
    sup->tick();
  }
  EXPECT_EQ(h.count("ready", K::unhealthy), 0);
  std::filesystem::remove(ready);
  for (int i = 0; i < 2; ++i) {
    h.clock.advance(1s);
    sup->tick();
  }
  EXPECT_EQ(h.count("ready", K::unhealthy), 1);
  sup->shutdown(true);
}

// One-connection HTTP server answering with `status`, for the http check.
class OneShotHttp {
 public:
  explicit OneShotHttp(int status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 1);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, status] {
      int c = ::accept(fd_, nullptr, nullptr);
      char buf[1024];
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      request_.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
      std::string answer = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
      (void)!::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotHttp() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST(HealthCheck, HttpWantsA2xxOr3xxAnswer) {
  HealthCheck check{.kind = HealthKind::http, .path = "/healthz", .timeout_ms = 10'000};
  {
    OneShotHttp server(204);
    check.port = server.port();
    EXPECT_TRUE(run_health_check(check, "/"));
  }
  {
    OneShotHttp server(503);
    check.port = server.port();
    auto st = run_health_check(check, "/");
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("status 503"), std::string::npos) << st.error().message();
  }
  check.port = iotwins::testing::free_port();
  EXPECT_FALSE(run_health_check(check, "/"));
}

}  // namespace
}  // namespace iotwins::runtime
