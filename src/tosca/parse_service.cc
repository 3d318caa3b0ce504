// Grammar of a service template file's top level: version, metadata, imports,
// repositories, dsl_definitions, the type sections and the topology template.
#include "tosca/parser.h"

namespace iotwins::tosca {

namespace {

constexpr std::pair<std::string_view, ToscaVersion> kVersions[] = {
    {"tosca_simple_yaml_1_0", ToscaVersion::v1_0},
    {"tosca_simple_yaml_1_1", ToscaVersion::v1_1},
    {"tosca_simple_yaml_1_2", ToscaVersion::v1_2},
    {"tosca_simple_yaml_1_3", ToscaVersion::v1_3},
    // The profile spelling used by some 1.0-era tools.
    {"tosca_simple_profile_for_nfv_1_0_0", ToscaVersion::v1_0},
};

constexpr Family kFamilies[] = {Family::artifact, Family::data, Family::capability, Family::interface,
                                Family::relationship, Family::node, Family::group, Family::policy};

}  // namespace

ServiceFile Parser::parse_service(Value& root, const std::string& file) {
  ServiceFile s;
  s.file = file;
  if (!expect_map(root, "", "a service template")) return s;
  const Value* ver = root.find("tosca_definitions_version");
  if (ver == nullptr) {
    error(Code::missing_version, root.mark(), "tosca_definitions_version",
          "the file does not start with `tosca_definitions_version` (e.g. tosca_simple_yaml_1_3)");
  } else {
    std::string text = ver->is_string() ? ver->as_string() : ver->scalar_text();
    bool found = false;
    for (const auto& [name, v] : kVersions) {
      if (name == text) {
        s.version = v;
        found = true;
      }
    }
    if (!found)
      error(Code::unsupported_version, ver->mark(), "tosca_definitions_version",
            "`" + text + "` is not a supported version (tosca_simple_yaml_1_0, _1_1, _1_2 or _1_3)");
  }
  version_ = s.version;
  check_keys(root, {"tosca_definitions_version", "namespace", "metadata", "description", "dsl_definitions",
                    "repositories", "imports", "artifact_types", "data_types", "capability_types",
                    "interface_types", "relationship_types", "node_types", "group_types", "policy_types",
                    "topology_template", "template_name", "template_author", "template_version"},
             "", "a service template");
  s.namespace_uri = get_string(root, "namespace", "", "a service template");
  s.description = get_string(root, "description", "", "a service template");
  if (const Value* m = root.find("metadata"); m != nullptr && !m->is_null()) {
    if (expect_map(*m, "metadata", "metadata")) s.metadata = *m;
  }
  for (std::string_view key : {"template_name", "template_author", "template_version"}) {
    if (const Value* x = root.find(key)) s.metadata.set(std::string(key), *x);  // 1.0 header keys
  }
  if (const Value* dsl = root.find("dsl_definitions"); dsl != nullptr && !dsl->is_null()) {
    // Its content is only there to be referenced by YAML anchors; the reader already expanded them.
    expect_map(*dsl, "dsl_definitions", "dsl_definitions");
  }
  if (const Value* repos = root.find("repositories"); repos != nullptr && !repos->is_null()) {
    if (expect_map(*repos, "repositories", "repositories")) {
      for (const auto& [name, def] : repos->as_map()) {
        std::string p = child_path("repositories", name);
        RepositoryDef r;
        r.name = name;
        r.mark = def.mark();
        if (def.is_string()) {
          r.url = def.as_string();
        } else if (expect_map(def, p, "a repository definition")) {
          check_keys(def, {"description", "url", "credential"}, p, "a repository definition");
          r.description = get_string(def, "description", p, "a repository");
          r.url = get_string(def, "url", p, "repository `" + name + "`", true);
          if (const Value* c = def.find("credential")) r.credential = *c;
        }
        s.repositories.emplace(name, std::move(r));
      }
    }
  }
  if (const Value* imports = root.find("imports"); imports != nullptr && !imports->is_null()) {
    if (expect_list(*imports, "imports", "imports")) {
      size_t i = 0;
      for (const auto& item : imports->as_list()) {
        std::string p = index_path("imports", i++);
        ImportDef imp;
        imp.mark = item.mark();
        imp.path = p;
        const Value* body = &item;
        if (item.is_map() && item.as_map().size() == 1 && item.find("file") == nullptr &&
            item.find("profile") == nullptr) {
          body = &item.as_map().front().second;  // 1.0 named import: - name: file | {file: ...}
          p = child_path(p, item.as_map().front().first);
          imp.path = p;
        }
        if (body->is_string()) {
          imp.file = body->as_string();
        } else if (expect_map(*body, p, "an import definition")) {
          check_keys(*body, {"file", "profile", "repository", "namespace_prefix", "namespace_uri"}, p,
                     "an import definition");
          imp.file = get_string(*body, "file", p, "an import");
          if (imp.file.empty()) imp.file = get_string(*body, "profile", p, "an import");
          if (imp.file.empty()) error(Code::missing_field, body->mark(), p, "an import needs `file` (or `profile`)");
          imp.repository = get_string(*body, "repository", p, "an import");
          imp.namespace_prefix = get_string(*body, "namespace_prefix", p, "an import");
          imp.namespace_uri = get_string(*body, "namespace_uri", p, "an import");
        } else {
          continue;
        }
        if (!imp.file.empty()) s.imports.push_back(std::move(imp));
      }
    }
  }
  for (Family f : kFamilies) {
    std::string section(family_section(f));
    const Value* types = root.find(section);
    if (types == nullptr || types->is_null()) continue;
    if (!expect_map(*types, section, section)) continue;
    for (const auto& [name, def] : types->as_map()) s.types.push_back(parse_type(f, name, def, child_path(section, name)));
  }
  if (Value* topo = root.find("topology_template")) s.topology = parse_topology(*topo, "topology_template");
  return s;
}

}  // namespace iotwins::tosca
