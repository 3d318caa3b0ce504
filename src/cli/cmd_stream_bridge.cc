// iotwins stream-bridge: connects an external task's stdin and stdout to its streams (issue #8,
// item 3). The agent's exec and sandbox drivers start a task that has streams as
//   iotwins stream-bridge --broker mqtt://127.0.0.1:P --in S1 --out S2 -- PROGRAM ARGS…
// Each record arriving on an input stream (topic iotwins-streams/<S> on the node's broker) is one
// line of JSON on the program's stdin; each line the program prints that is a JSON object is a
// record published (QoS 1) on every output stream; other lines go to the bridge's stdout, which is
// the task's log. The program's stderr is the task's. The bridge ends with the program (same exit
// code or signal); the program gets SIGKILL if the bridge dies first.
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "cli/command.h"
#include "mqtt/client.h"
#include "runtime/streams.h"

namespace iotwins::cli {
namespace {

constexpr size_t kMaxQueued = 10'000;  // input records waiting for the program to read them

struct BridgeArgs {
  std::string broker;
  std::vector<std::string> in, out, argv;
};

int usage(const char* why) {
  std::fprintf(stderr,
               "iotwins stream-bridge: %s\n"
               "Usage: iotwins stream-bridge --broker mqtt://HOST:PORT [--in STREAM]... [--out STREAM]... -- PROGRAM [ARGS]...\n"
               "Connects PROGRAM's stdin/stdout to the task's streams as JSON lines (the agent starts it).\n",
               why);
  return 2;
}

std::optional<BridgeArgs> parse(std::span<const std::string> args, const char*& why) {
  BridgeArgs b;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      b.argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (i + 1 >= args.size()) {
      why = "a flag without its value";
      return std::nullopt;
    }
    if (a == "--broker") b.broker = args[++i];
    else if (a == "--in") b.in.push_back(args[++i]);
    else if (a == "--out") b.out.push_back(args[++i]);
    else {
      why = "unknown flag (accepted: --broker, --in, --out, then -- and the program)";
      return std::nullopt;
    }
  }
  if (b.argv.empty()) why = "no program after --";
  else if (b.broker.empty()) why = "--broker is required";
  else return b;
  return std::nullopt;
}

// The program with pipes on stdin and stdout; signals unblocked (the CLI blocks them for sigwait).
pid_t spawn(const std::vector<std::string>& argv, int& to_child, int& from_child) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "iotwins stream-bridge: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_child = in[1];
  from_child = out[0];
  return pid;
}

}  // namespace

int run_stream_bridge(std::span<const std::string> args) {
  const char* why = "";
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    usage("help");
    return 0;
  }
  auto b = parse(args, why);
  if (!b) return usage(why);
  for (const auto& s : b->in) {
    if (auto a = runtime::parse_stream_address("mqtt:" + s); !a) return usage(a.error().message().c_str());
  }
  for (const auto& s : b->out) {
    if (auto a = runtime::parse_stream_address("mqtt:" + s); !a) return usage(a.error().message().c_str());
  }
  ::signal(SIGPIPE, SIG_IGN);
  int to_child = -1, from_child = -1;
  pid_t child = spawn(b->argv, to_child, from_child);
  if (child < 0) {
    std::fprintf(stderr, "iotwins stream-bridge: %s\n", std::strerror(errno));
    return 1;
  }

  // Inputs: broker thread → queue → writer thread → the program's stdin.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;
  bool done = false;
  uint64_t dropped = 0;
  std::unique_ptr<mqtt::MqttClient> in_client;
  if (!b->in.empty()) {
    mqtt::MqttClient::Subscription sub;
    for (const auto& s : b->in) sub.filters.push_back(runtime::stream_topic(s));
    sub.on_message = [&](std::string_view, std::string_view payload, int, bool) {
      auto j = nlohmann::json::parse(payload, nullptr, false);
      if (!j.is_object()) return;
      std::lock_guard lock(mu);
      if (queue.size() >= kMaxQueued) {
        queue.pop_front();
        ++dropped;
      }
      queue.push_back(j.dump() + "\n");
      cv.notify_one();
    };
    auto c = mqtt::MqttClient::connect(b->broker, "iotwins-bridge-" + std::to_string(::getpid()), std::move(sub));
    if (!c) std::fprintf(stderr, "iotwins stream-bridge: %s\n", c.error().message().c_str());
    else in_client = std::move(*c);
  }
  std::thread writer([&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return done || !queue.empty(); });
      if (done) break;
      std::string line = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      size_t off = 0;
      while (off < line.size()) {
        ssize_t n = ::write(to_child, line.data() + off, line.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      lock.lock();
    }
    ::close(to_child);
  });

  // Outputs: the program's stdout lines → records on every output stream, or the log.
  std::unique_ptr<mqtt::MqttClient> out_client;
  if (!b->out.empty()) {
    auto c = mqtt::MqttClient::connect(b->broker, "iotwins-bridge-out-" + std::to_string(::getpid()));
    if (!c) std::fprintf(stderr, "iotwins stream-bridge: %s\n", c.error().message().c_str());
    else out_client = std::move(*c);
  }
  std::FILE* from = ::fdopen(from_child, "r");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  while ((len = ::getline(&line, &cap, from)) > 0) {
    std::string_view text(line, static_cast<size_t>(len));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && out_client) {
      std::string record = j.dump();
      for (const auto& s : b->out) {
        if (auto st = out_client->publish(runtime::stream_topic(s), record, 1); !st) {
          std::fprintf(stderr, "iotwins stream-bridge: %s\n", st.error().message().c_str());
        }
      }
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  }
  std::free(line);
  std::fclose(from);
  int status = 0;
  ::waitpid(child, &status, 0);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  writer.join();
  in_client.reset();
  out_client.reset();  // disconnects after the queued QoS 1 messages went out
  if (dropped) std::fprintf(stderr, "iotwins stream-bridge: %llu input record(s) dropped (the program read too slowly)\n",
                            static_cast<unsigned long long>(dropped));
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, WTERMSIG(status));
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace iotwins::cli
