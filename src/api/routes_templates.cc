// POST /api/v1/templates/validate: the TOSCA validator over HTTP. The body is the template
// (YAML, any content type), or JSON {"template": "<yaml>", "inputs": {…}}. The answer is the
// report — {"valid", "errors": [{code, file, line, column, path, message}], "summary"} — with
// 200 whether or not the template is valid: the request itself succeeded.
#include <nlohmann/json.hpp>

#include "api/problem.h"
#include "api/routes.h"
#include "core/fs.h"
#include "tosca/validate.h"

namespace iotwins::api {
namespace {

// Templates posted over HTTP may import the built-in profiles only: every file access is
// refused, so "../../etc/passwd" as an import reads nothing from the server's disk.
class NoFiles final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode) override { return refuse(path); }
  Result<bool> exists(const std::string& path) override { return refuse(path); }
  Status create_dirs(const std::string& path) override { return refuse(path); }
  Result<std::vector<std::string>> list(const std::string& path) override { return refuse(path); }
  Status remove(const std::string& path) override { return refuse(path); }
  Status rename(const std::string& from, const std::string&) override { return refuse(from); }
  Status sync_dir(const std::string& path) override { return refuse(path); }
  Result<uint64_t> file_size(const std::string& path) override { return refuse(path); }
  Result<uint64_t> free_bytes(const std::string& path) override { return refuse(path); }

 private:
  static std::unexpected<Error> refuse(const std::string& path) {
    return make_error(Errc::permission_denied, "templates sent to the server cannot import files ('" + path +
                                                   "'); import built-in profiles, or validate locally with 'iotwins validate'");
  }
};

}  // namespace

FileSystem& refused_template_files() {
  static NoFiles no_files;
  return no_files;
}

void add_template_routes(Router& router, const Services&) {
  router.add(Method::POST, "/api/v1/templates/validate", [](Request& req) {
    std::string text = req.body;
    tosca::Value inputs = tosca::Value::map();
    const std::string* type = req.header("Content-Type");
    if (type && type->starts_with("application/json")) {
      auto body = parse_json_body(req);
      if (!body) return problem(body.error());
      if (!body->is_object() || !body->contains("template") || !(*body)["template"].is_string()) {
        return problem(400, "invalid_argument", "Bad Request",
                       "template: a JSON body needs a string field 'template' holding the YAML");
      }
      text = (*body)["template"].get<std::string>();
      if (body->contains("inputs")) {
        if (!(*body)["inputs"].is_object()) {
          return problem(400, "invalid_argument", "Bad Request", "inputs: expected an object of input values");
        }
        // JSON is YAML: the inputs go through the same typed reader as an inputs file.
        auto parsed = tosca::parse_inputs_yaml((*body)["inputs"].dump(), "inputs");
        if (!parsed) return problem(parsed.error());
        inputs = std::move(*parsed);
      }
    }
    if (text.empty()) return problem(400, "invalid_argument", "Bad Request", "the request body is empty; send a TOSCA template");
    tosca::ValidateOptions options;
    options.build_instance = false;
    options.load.fs = &refused_template_files();
    auto report = tosca::validate(tosca::Source::from_text(std::move(text), "<request>", "."), inputs, options);
    Response r;
    r.body = report.to_json();
    return r;
  }, {.max_body = 8 * 1024 * 1024, .summary = "validate a TOSCA template; every problem with line, column and path",
      .kind = iam::ResourceKind::templates, .verb = iam::Verb::read});
}

}  // namespace iotwins::api
