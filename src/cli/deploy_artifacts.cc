// `iotwins deploy` ships a template's local artifacts: an artifact whose file is a path relative to
// the template (an executable script next to it, as in examples/chains/custom-task/) is uploaded to
// the server's artifact store first, and the template goes out with `sha256:<hex>` in its place —
// what the agents fetch and verify. The template text is otherwise sent unchanged: only each such
// scalar is replaced, at the position the YAML parser reports for it.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "cli/deployments.h"
#include "cli/client.h"
#include "cli/models.h"
#include "core/fs.h"

namespace iotwins::cli {
namespace {

struct Local {
  size_t pos = 0, len = 0;  // of the scalar in the text (quotes included)
  std::string path;         // resolved
};

bool is_reference(const std::string& file) {
  if (file.empty() || file.starts_with("/") || file.starts_with("sha256:") || file.find("://") != std::string::npos) {
    return true;
  }
  return file.size() == 64 && std::all_of(file.begin(), file.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The scalar's extent in the text: plain, or quoted with ' or ".
std::optional<std::pair<size_t, size_t>> extent(const std::string& text, const YAML::Node& scalar) {
  size_t pos = static_cast<size_t>(scalar.Mark().pos);
  const std::string& value = scalar.Scalar();
  if (pos >= text.size()) return std::nullopt;
  if (text.compare(pos, value.size(), value) == 0) return std::pair{pos, value.size()};
  char q = text[pos];
  if ((q == '\'' || q == '"') && text.compare(pos + 1, value.size(), value) == 0 &&
      pos + 1 + value.size() < text.size() && text[pos + 1 + value.size()] == q) {
    return std::pair{pos, value.size() + 2};
  }
  return std::nullopt;
}

// A map's child, or an undefined node (yaml-cpp throws on most calls to a missing key's node).
YAML::Node child(const YAML::Node& n, const char* key) {
  if (!n.IsDefined() || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node c = n[key];
  return c.IsDefined() ? c : YAML::Node(YAML::NodeType::Undefined);
}

// Local artifact files: (node template, artifact, file scalar).
std::vector<std::tuple<std::string, std::string, YAML::Node>> local_files(const YAML::Node& doc) {
  std::vector<std::tuple<std::string, std::string, YAML::Node>> out;
  YAML::Node templates = child(child(doc, "topology_template"), "node_templates");
  if (!templates.IsDefined()) return out;
  for (const auto& nt : templates) {
    YAML::Node artifacts = child(nt.second, "artifacts");
    if (!artifacts.IsDefined()) continue;
    for (const auto& a : artifacts) {
      YAML::Node file = a.second.IsMap() ? child(a.second, "file") : a.second;
      if (!file.IsDefined() || !file.IsScalar() || is_reference(file.Scalar())) continue;
      out.emplace_back(nt.first.Scalar(), a.first.Scalar(), file);
    }
  }
  return out;
}

}  // namespace

Result<std::string> upload_local_artifacts(api::HttpClient& client, const std::string& text, const std::string& base_dir,
                                           const std::function<void(const std::string&, const std::string&)>& uploaded) {
  std::vector<std::tuple<std::string, std::string, YAML::Node>> files;
  try {
    files = local_files(YAML::Load(text));
  } catch (const YAML::Exception&) {
    return text;  // the server explains what is wrong with the template
  }
  std::vector<Local> found;
  for (const auto& [node_template, artifact, file] : files) {
    std::filesystem::path p = std::filesystem::path(base_dir) / file.Scalar();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      return make_error(Errc::invalid_argument, "artifact " + artifact + " of " + node_template + ": no file " +
                                                    p.string() + " (a relative path is a file next to the template)");
    }
    auto at = extent(text, file);
    if (!at) return text;  // cannot place it precisely: leave the template as written
    found.push_back({at->first, at->second, p.string()});
  }
  std::sort(found.begin(), found.end(), [](const Local& a, const Local& b) { return a.pos > b.pos; });
  std::string out = text;
  for (const auto& f : found) {  // from the end, so earlier positions stay valid
    IOT_ASSIGN(auto put, put_artifact(client, f.path));
    std::string sha = put["sha256"].get<std::string>();
    if (uploaded) uploaded(f.path, sha);
    out.replace(f.pos, f.len, "\"sha256:" + sha + "\"");
  }
  return out;
}

}  // namespace iotwins::cli
