// libFuzzer target: any bytes as a service template. The validator must never crash, hang or
// read files named by the input: imports go to a file system that has nothing in it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tosca/validate.h"

namespace {

using namespace iotwins;

// A file system with no files: every import of the fuzzed text resolves to "not found".
class EmptyFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode) override { return none(path); }
  Result<bool> exists(const std::string&) override { return false; }
  Status create_dirs(const std::string& path) override { return none(path); }
  Result<std::vector<std::string>> list(const std::string& dir) override { return none(dir); }
  Status remove(const std::string& path) override { return none(path); }
  Status rename(const std::string& from, const std::string&) override { return none(from); }
  Status sync_dir(const std::string& dir) override { return none(dir); }
  Result<uint64_t> file_size(const std::string& path) override { return none(path); }
  Result<uint64_t> free_bytes(const std::string& path) override { return none(path); }

 private:
  static std::unexpected<Error> none(const std::string& path) { return make_error(Errc::not_found, path + ": no such file"); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EmptyFileSystem fs;
  tosca::ValidateOptions options;
  options.load.fs = &fs;
  options.load.yaml.max_bytes = 1 << 20;
  options.load.yaml.max_nodes = 200'000;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto report = tosca::validate(tosca::Source::from_text(std::string(text), "fuzz.yaml"), tosca::Value::map(), options);
  if (report.ok() && report.instance != nullptr) (void)tosca::instance_to_json(*report.instance);
  (void)report.to_json();
  return 0;
}
