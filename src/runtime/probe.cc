#include "runtime/probe.h"

#include <stdlib.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/process.h"
#include "sysinfo/runtime.h"

namespace iotwins::runtime {

std::optional<std::string> find_program(const std::string& name, const std::string& path) {
  if (!path.empty()) return sysinfo::find_in_path(name, path);
  const char* env = ::getenv("PATH");
  return sysinfo::find_in_path(name, env ? env : "/usr/local/bin:/usr/bin:/bin");
}

Status run_probe(const std::vector<std::string>& argv) {
  char out_path[] = "/tmp/iotwins-probe-XXXXXX";
  int fd = ::mkstemp(out_path);
  if (fd < 0) return errno_error("probe output file", errno);
  ::close(fd);
  auto child = Process::spawn({.argv = argv, .stdout_path = out_path, .stderr_path = "stdout"});
  if (!child) {
    ::unlink(out_path);
    return std::unexpected(child.error());
  }
  auto status = child->wait_for(std::chrono::seconds(30));
  if (!status) status = child->stop(std::chrono::seconds(1));
  std::string output = PosixFileSystem::instance().read_file(out_path).value_or("");
  ::unlink(out_path);
  if (status->exited() && status->code == 0) return ok();
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  size_t nl = output.rfind('\n');
  std::string last = nl == std::string::npos ? output : output.substr(nl + 1);
  if (last.size() > 300) last.resize(300);
  return make_error(Errc::unsupported, argv[0] + " " + status->to_string() + (last.empty() ? "" : ": " + last));
}

}  // namespace iotwins::runtime
