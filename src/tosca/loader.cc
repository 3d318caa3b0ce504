#include <algorithm>
#include "tosca/loader.h"

#include <filesystem>
#include <mutex>

#include "tosca/parser.h"
#include "tosca/profiles.h"

namespace iotwins::tosca {

std::string_view builtin_profile(std::string_view name) {
  if (name == "tosca-normative" || name == "tosca_simple_yaml_1_3") return normative_profile_yaml();
  if (name == "iotwins" || name == "iotwins/1.0" || name == "iotwins-1.0") return iotwins_profile_yaml();
  return {};
}

namespace {

struct Builtin {
  std::shared_ptr<const ServiceFile> file;
  std::vector<Diagnostic> problems;  // must stay empty: the built-in text is checked by tests
};

Builtin parse_builtin(std::string_view name) {
  Diagnostics diag;
  Mark mark;
  mark.file = std::make_shared<const std::string>("<builtin:" + std::string(name) + ">");
  auto root = read_yaml(builtin_profile(name), mark, diag);
  auto file = std::make_shared<ServiceFile>();
  if (root) {
    Parser parser(diag, ToscaVersion::v1_3);
    *file = parser.parse_service(*root, *mark.file);
    for (auto& t : file->types) t.builtin = true;
  }
  return {std::move(file), diag.items()};
}

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("ftp://");
}

class Loader {
 public:
  Loader(const LoadOptions& options, Diagnostics& diag, LoadedTemplate& out)
      : options_(options), diag_(diag), out_(out),
        fs_(options.fs != nullptr ? *options.fs : PosixFileSystem::instance()) {}

  // Loads one document and its imports; returns it (or null), after its imports in `files`.
  std::shared_ptr<ServiceFile> load(std::string_view text, const std::string& label, const std::string& dir,
                                    size_t depth) {
    Mark mark;
    mark.file = std::make_shared<const std::string>(label);
    auto root = read_yaml(text, mark, diag_, options_.yaml);
    if (!root) return nullptr;
    Parser parser(diag_, ToscaVersion::v1_3);
    auto file = std::make_shared<ServiceFile>(parser.parse_service(*root, label));
    stack_.push_back(label);
    for (const auto& imp : file->imports) import_one(*file, imp, dir, depth);
    stack_.pop_back();
    out_.files.push_back(file);
    loaded_.emplace(label, file);
    return file;
  }

 private:
  void import_one(const ServiceFile& from, const ImportDef& imp, const std::string& dir, size_t depth) {
    std::shared_ptr<const ServiceFile> target;
    std::string location = imp.file;
    if (imp.repository.empty() && !builtin_profile(imp.file).empty()) {
      target = builtin_service(imp.file, diag_);
      out_.files.push_back(target);
    } else {
      if (!imp.repository.empty()) {
        auto repo = from.repositories.find(imp.repository);
        if (repo == from.repositories.end()) {
          diag_.add(Code::unknown_repository, imp.mark, imp.path,
                    "import names repository `" + imp.repository + "`, which this file does not declare under `repositories`");
          return;
        }
        std::string url = repo->second.url;
        if (!url.empty() && url.back() != '/') url += '/';
        location = url + imp.file;
      }
      if (location.starts_with("file://")) location = location.substr(7);
      if (is_url(location)) {
        std::string mapped;
        for (const auto& [prefix, local] : options_.import_map)
          if (location.starts_with(prefix) && prefix.size() > 0) mapped = join_path(local, location.substr(prefix.size()));
        if (mapped.empty()) {
          diag_.add(Code::import_not_found, imp.mark, imp.path,
                    "`" + location + "` is a remote import; remote files are never fetched - map its URL to a local copy (import map)");
          return;
        }
        location = mapped;
      } else if (!location.empty() && location.front() != '/') {
        location = join_path(dir, location);
      }
      location = std::filesystem::path(location).lexically_normal().string();
      for (const auto& open : stack_) {
        if (open == location) {
          std::string cycle;
          bool on = false;
          for (const auto& s : stack_) {
            on = on || s == location;
            if (on) cycle += s + " -> ";
          }
          diag_.add(Code::import_cycle, imp.mark, imp.path, "import cycle: " + cycle + location);
          return;
        }
      }
      if (auto done = loaded_.find(location); done != loaded_.end()) {
        target = done->second;
      } else {
        if (depth + 1 > options_.max_import_depth || loaded_.size() + 1 > options_.max_files) {
          diag_.add(Code::too_large, imp.mark, imp.path, "imports nest deeper than " +
                    std::to_string(options_.max_import_depth) + " levels or load more than " +
                    std::to_string(options_.max_files) + " files");
          return;
        }
        auto text = fs_.read_file(location);
        if (!text) {
          diag_.add(Code::import_not_found, imp.mark, imp.path,
                    "cannot read imported file `" + location + "`: " + text.error().message());
          return;
        }
        target = load(*text, location, dirname(location), depth + 1);
      }
    }
    if (target == nullptr) return;
    if (!imp.namespace_prefix.empty()) prefixes_.push_back({imp.namespace_prefix, target});
    edges_[&from].push_back(target.get());
  }

 public:
  // Registers aliases `prefix:Name` for the types of a prefixed import and of its imports.
  void register_prefixes() {
    for (const auto& [prefix, file] : prefixes_) {
      std::vector<const ServiceFile*> todo{file.get()};
      std::vector<const ServiceFile*> seen;
      while (!todo.empty()) {
        const ServiceFile* f = todo.back();
        todo.pop_back();
        if (std::find(seen.begin(), seen.end(), f) != seen.end()) continue;
        seen.push_back(f);
        for (const auto& t : f->types) out_.registry.add_alias(t.family, prefix + ":" + t.name, t.name);
        if (auto e = edges_.find(f); e != edges_.end()) todo.insert(todo.end(), e->second.begin(), e->second.end());
      }
    }
  }

 private:
  const LoadOptions& options_;
  Diagnostics& diag_;
  LoadedTemplate& out_;
  FileSystem& fs_;
  std::vector<std::string> stack_;
  std::map<std::string, std::shared_ptr<const ServiceFile>> loaded_;
  std::vector<std::pair<std::string, std::shared_ptr<const ServiceFile>>> prefixes_;
  std::map<const ServiceFile*, std::vector<const ServiceFile*>> edges_;
};

}  // namespace

std::shared_ptr<const ServiceFile> builtin_service(std::string_view name, Diagnostics& diag) {
  static std::once_flag once;
  static Builtin normative, iotwins_profile;
  std::call_once(once, [] {
    normative = parse_builtin("tosca-normative");
    iotwins_profile = parse_builtin("iotwins");
  });
  const Builtin& b = builtin_profile(name) == normative_profile_yaml() ? normative : iotwins_profile;
  for (const auto& d : b.problems) {
    Mark m;
    m.file = std::make_shared<const std::string>(d.file);
    m.line = d.line;
    m.column = d.column;
    diag.add(d.code, m, d.path, d.message);
  }
  return b.file;
}

std::unique_ptr<LoadedTemplate> load_template(std::string_view text, const std::string& label,
                                              const std::string& dir, const LoadOptions& options,
                                              Diagnostics& diag) {
  auto out = std::make_unique<LoadedTemplate>();
  out->files.push_back(builtin_service("tosca-normative", diag));
  Loader loader(options, diag, *out);
  auto main = loader.load(text, label, dir, 0);
  // Register every distinct file once, in load order (a file imported twice is one file).
  std::vector<const ServiceFile*> seen;
  for (const auto& f : out->files) {
    if (std::find(seen.begin(), seen.end(), f.get()) != seen.end()) continue;
    seen.push_back(f.get());
    for (const auto& t : f->types) out->registry.add(t, diag);
  }
  loader.register_prefixes();
  out->main = main.get();
  out->main_owned = main.get();
  return out;
}

}  // namespace iotwins::tosca
