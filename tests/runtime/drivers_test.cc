#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "runtime/exec_drivers.h"
#include "runtime/probe.h"

namespace iotwins::runtime {
namespace {

using testing::eventually;
using testing::pid_alive;
using testing::read_file;
using testing::Workspace;

// Polls until the task ends; fails the test when it does not within the deadline.
TaskExit wait_exit(Driver& driver, const std::string& id) {
  std::optional<TaskExit> exit;
  EXPECT_TRUE(eventually([&] { return (exit = driver.poll(id)).has_value(); })) << id << " did not end";
  return exit.value_or(TaskExit{});
}

pid_t read_pid(const std::string& path) {
  pid_t pid = 0;
  EXPECT_TRUE(eventually([&] { return (pid = static_cast<pid_t>(std::atoi(read_file(path).c_str()))) > 0; }));
  return pid;
}

TEST(ExecDriver, RunsTheArtifactWithArgsEnvAndWorkdirAndKeepsItsOutput) {
  Workspace ws("w");
  ExecDriver driver(ws.config());
  TaskSpec spec = ws.exec_task("t1", R"sh(echo "args=$1,$2 mode=$MODE task=$IOTWINS_TASK_ID in=$IOTWINS_INPUTS cwd=$(pwd)"
echo oops >&2
exit 3)sh");
  spec.args = {"a b", "c"};
  spec.env = {{"MODE", "fast"}};
  spec.workdir = "work";
  spec.inputs = {"s1", "s2"};
  auto handle = driver.start(spec);
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_GT(handle->pid, 0);
  TaskExit exit = wait_exit(driver, "t1");
  EXPECT_EQ(exit.code, 3);
  EXPECT_FALSE(exit.success());
  auto out = read_task_log(ws.config(), "t1", "stdout", 1 << 20);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_EQ(*out, "args=a b,c mode=fast task=t1 in=s1,s2 cwd=" + ws.config().tasks_dir + "/t1/work\n");
  EXPECT_EQ(*read_task_log(ws.config(), "t1", "stderr", 100), "oops\n");
  EXPECT_EQ(read_task_log(ws.config(), "t1", "console", 100).error().code(), Errc::invalid_argument);
  EXPECT_EQ(read_task_log(ws.config(), "../t1", "stdout", 100).error().code(), Errc::invalid_argument);
  EXPECT_EQ(read_task_log(ws.config(), "never-ran", "stdout", 100).error().code(), Errc::not_found);
}

TEST(ExecDriver, AMissingArtifactFailsTheStart) {
  Workspace ws("w");
  ExecDriver driver(ws.config());
  TaskSpec spec{.id = "t", .driver = "exec", .artifact_sha256 = std::string(64, 'c')};
  auto handle = driver.start(spec);
  ASSERT_FALSE(handle);
  EXPECT_EQ(handle.error().code(), Errc::not_found);
}

TEST(ExecDriver, StopKillsTheWholeGroupAfterTheGrace) {
  Workspace ws("w");
  ExecDriver driver(ws.config());
  // Ignores SIGTERM, and leaves a child behind in its group.
  TaskSpec spec = ws.exec_task("stubborn", R"(trap '' TERM
sleep 1000 &
echo $! > child.pid
echo $$ > self.pid
while true; do sleep 1; done)");
  ASSERT_TRUE(driver.start(spec));
  std::string dir = ws.config().tasks_dir + "/stubborn/";
  pid_t child = read_pid(dir + "child.pid");
  pid_t self = read_pid(dir + "self.pid");
  EXPECT_FALSE(driver.poll("stubborn").has_value());
  auto exit = driver.stop("stubborn", std::chrono::milliseconds(200));
  ASSERT_TRUE(exit) << exit.error().to_string();
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !pid_alive(child) && !pid_alive(self); }));
  EXPECT_EQ(driver.stop("stubborn", std::chrono::milliseconds(10)).error().code(), Errc::not_found);
}

TEST(ExecDriver, AGracefulTaskEndsOnSigterm) {
  Workspace ws("w");
  ExecDriver driver(ws.config());
  ASSERT_TRUE(driver.start(ws.exec_task("polite", "trap 'exit 0' TERM\ntouch trapped\nwhile true; do sleep 0.05; done")));
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(ws.config().tasks_dir + "/polite/trapped"); }));
  auto exit = driver.stop("polite", std::chrono::seconds(20));
  ASSERT_TRUE(exit) << exit.error().to_string();
  EXPECT_TRUE(exit->success()) << exit->to_string();
}

TEST(ExecDriver, RecoverReattachesByPidAndStartTimeOnly) {
  Workspace ws("w");
  TaskSpec spec = ws.exec_task("long", "exec sleep 1000");
  TaskHandle handle;
  {
    ExecDriver first(ws.config());
    auto h = first.start(spec);
    ASSERT_TRUE(h) << h.error().to_string();
    handle = *h;
    EXPECT_GT(handle.start_time, 0u);
    first.release("long");
  }  // the driver is gone, the task is not
  ASSERT_TRUE(pid_alive(handle.pid));

  ExecDriver second(ws.config());
  TaskHandle reused = handle;
  reused.start_time += 1;  // same pid, another process
  auto wrong = second.recover(reused);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::not_found);
  EXPECT_NE(wrong.error().message().find("another process"), std::string::npos);

  ASSERT_TRUE(second.recover(handle));
  EXPECT_FALSE(second.poll("long").has_value());
  auto stats = second.stats("long");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_GT(stats->rss_bytes, 0u);
  auto exit = second.stop("long", std::chrono::seconds(5));
  ASSERT_TRUE(exit) << exit.error().to_string();
  EXPECT_FALSE(pid_alive(handle.pid));
  EXPECT_EQ(second.recover(handle).error().code(), Errc::not_found);  // gone now
}

TEST(ExecDriver, LogsAreRotatedAtTheCap) {
  Workspace ws("w");
  DriverConfig config = ws.config();
  config.log_max_bytes = 1000;
  ExecDriver driver(config);
  // 300 lines of 10 bytes, then waits to be told to finish, so a poll sees the big log.
  ASSERT_TRUE(driver.start(ws.exec_task("chatty", R"sh(i=0
while [ $i -lt 300 ]; do echo "line $(printf %04d $i)"; i=$((i+1)); done
while [ ! -e done ]; do sleep 0.01; done
echo last)sh")));
  std::string dir = config.tasks_dir + "/chatty";
  ASSERT_TRUE(eventually([&] { return read_file(dir + "/logs/stdout.log").size() == 3000; }));
  EXPECT_FALSE(driver.poll("chatty").has_value());  // rotates
  EXPECT_EQ(read_file(dir + "/logs/stdout.log.1").size(), 3000u);
  EXPECT_EQ(read_file(dir + "/logs/stdout.log").size(), 0u);
  std::ofstream(dir + "/done") << "";
  EXPECT_TRUE(wait_exit(driver, "chatty").success());
  auto tail = read_task_log(config, "chatty", "stdout", 25);
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, "line 0298\nline 0299\nlast\n");
}

TEST(SandboxDriver, RunsPrivateWithoutNetworkAndWithLimits) {
  Workspace ws("w");
  SandboxDriver driver(ws.config());
  Fingerprint fp = driver.fingerprint();
  ASSERT_TRUE(fp.available) << fp.reason;  // FIELD-NOTES: bwrap works on this machine kind
  std::string secret = ws.root() + "/artifacts";
  std::string host_tmp = "/tmp/iotwins-sandbox-" + std::to_string(::getpid());
  std::filesystem::remove(host_tmp);
  TaskSpec spec = ws.exec_task("boxed", "echo nofile=$(ulimit -n) as=$(ulimit -v) cpu=$(ulimit -t)\n"
                                        "echo ifaces=$(tail -n +3 /proc/net/dev | wc -l)\n"
                                        "test -e " + secret + " && echo sees-store || echo no-store\n"
                                        "touch " + host_tmp + " && echo tmp-writable\n"
                                        "echo pid=$$\n"
                                        "touch $IOTWINS_TASK_DIR/written");
  spec.driver = "sandbox";
  spec.resources = {.memory_bytes = 512 << 20, .cpu_seconds = 100, .open_files = 64};
  ASSERT_TRUE(driver.start(spec));
  TaskExit exit = wait_exit(driver, "boxed");
  std::string out = read_task_log(ws.config(), "boxed", "stdout", 4096).value_or("");
  EXPECT_TRUE(exit.success()) << exit.to_string() << "\n" << out
                              << read_task_log(ws.config(), "boxed", "stderr", 4096).value_or("");
  EXPECT_NE(out.find("nofile=64 as=524288 cpu=100\n"), std::string::npos) << out;
  EXPECT_NE(out.find("ifaces=1\n"), std::string::npos) << out;  // loopback only
  EXPECT_NE(out.find("no-store\n"), std::string::npos) << out;
  EXPECT_NE(out.find("tmp-writable\n"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(host_tmp));  // its /tmp was private
  EXPECT_EQ(out.find("pid=1\n") != std::string::npos || out.find("pid=2\n") != std::string::npos, true) << out;
  EXPECT_TRUE(std::filesystem::exists(ws.config().tasks_dir + "/boxed/written"));  // its task dir is writable
}

TEST(SandboxDriver, NetworkIsThereWhenAsked) {
  Workspace ws("w");
  SandboxDriver driver(ws.config());
  ASSERT_TRUE(driver.fingerprint().available);
  TaskSpec spec = ws.exec_task("net", "tail -n +3 /proc/net/dev | wc -l");
  spec.driver = "sandbox";
  spec.network = true;
  ASSERT_TRUE(driver.start(spec));
  EXPECT_TRUE(wait_exit(driver, "net").success());
  std::string host = read_file("/proc/net/dev");
  size_t host_ifaces = std::count(host.begin(), host.end(), '\n') - 2;
  EXPECT_EQ(read_task_log(ws.config(), "net", "stdout", 100).value_or(""), std::to_string(host_ifaces) + "\n");
}

TEST(SandboxDriver, ArgvKeepsSystemDirsReadOnlyAndTheTaskDirWritable) {
  TaskSpec spec{.id = "t", .driver = "sandbox", .command = "/bin/true", .resources = {.memory_bytes = 1 << 20}};
  ProcessOptions inner{.argv = {"/bin/true", "x"}, .env = {"A=1"}, .working_dir = "/tasks/t"};
  auto argv = sandbox_argv("/usr/bin/bwrap", "/usr/bin/prlimit", spec, "/tasks/t", inner);
  auto has = [&](std::vector<std::string> seq) {
    return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
  };
  EXPECT_TRUE(has({"--ro-bind", "/usr", "/usr"}));
  EXPECT_TRUE(has({"--bind", "/tasks/t", "/tasks/t"}));
  EXPECT_TRUE(has({"--tmpfs", "/tmp"}));
  EXPECT_TRUE(has({"--unshare-net"}));
  EXPECT_TRUE(has({"--die-with-parent"}));
  EXPECT_TRUE(has({"--setenv", "A", "1"}));
  EXPECT_TRUE(has({"--", "/usr/bin/prlimit", "--as=1048576", "--", "/bin/true", "x"}));
  EXPECT_FALSE(has({"--ro-bind", "/", "/"}));
}

TEST(OciDriver, FingerprintSaysWhyContainersCannotRunHere) {
  Workspace ws("w");
  OciDriver driver(ws.config());
  Fingerprint fp = driver.fingerprint();
  // FIELD-NOTES: podman/crun cannot start a container on this machine kind (or podman is absent).
  ASSERT_FALSE(fp.available);
  EXPECT_NE(fp.reason.find("podman"), std::string::npos) << fp.reason;
  TaskSpec spec{.id = "c", .driver = "oci", .image = "docker.io/library/alpine:3"};
  auto started = driver.start(spec);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::unsupported);
  EXPECT_NE(started.error().message().find(fp.reason), std::string::npos) << started.error().message();
}

TEST(OciDriver, NoPodmanInPathIsTheReason) {
  Workspace ws("w");
  DriverConfig config = ws.config();
  config.path = ws.root();  // an empty directory
  OciDriver driver(config);
  EXPECT_EQ(driver.fingerprint().reason, "podman not found in PATH");
  SandboxDriver sandbox(config);
  EXPECT_FALSE(sandbox.fingerprint().available);
  EXPECT_NE(sandbox.fingerprint().reason.find("bwrap"), std::string::npos);
}

TEST(Probe, ReportsHowAFailedProbeEndedWithItsLastLine) {
  auto st = run_probe({"/bin/sh", "-c", "echo first; echo 'crun: setrlimit: Operation not permitted' >&2; exit 126"});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::unsupported);
  EXPECT_NE(st.error().message().find("exited with code 126: crun: setrlimit: Operation not permitted"),
            std::string::npos)
      << st.error().message();
  EXPECT_TRUE(run_probe({"/bin/true"}));
}

TEST(StandardDrivers, AreRegisteredByName) {
  Workspace ws("w");
  auto drivers = create_drivers(ws.config());
  ASSERT_TRUE(drivers) << drivers.error().to_string();
  std::vector<std::string> names;
  for (const auto& [name, d] : *drivers) {
    names.push_back(name);
    EXPECT_EQ(d->name(), name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"builtin", "exec", "oci", "sandbox"}));
}

}  // namespace
}  // namespace iotwins::runtime
