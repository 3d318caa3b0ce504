// Grammar of type definitions of every family and of the definitions they contain
// (capabilities, requirements, interfaces, operations, implementations, artifacts).
#include "tosca/parser.h"

namespace iotwins::tosca {

namespace {
constexpr std::string_view kOperationKeys[] = {"description", "implementation", "inputs", "outputs"};
bool is_interface_grammar_key(std::string_view k) {
  return k == "type" || k == "description" || k == "inputs" || k == "operations" || k == "notifications" ||
         k == "derived_from" || k == "version" || k == "metadata";
}
}  // namespace

TypeDef Parser::parse_type(Family family, const std::string& name, const Value& v, const std::string& path) {
  TypeDef t;
  t.family = family;
  t.name = name;
  t.mark = v.mark();
  t.path = path;
  std::string what = std::string(family_name(family)) + " `" + name + "`";
  if (v.is_null()) return t;  // `MyType:` with nothing: derives from nothing, defines nothing
  if (!expect_map(v, path, what)) return t;
  switch (family) {
    case Family::node:
      check_keys(v, {"derived_from", "version", "metadata", "description", "properties", "attributes",
                     "requirements", "capabilities", "interfaces", "artifacts"}, path, "a node type");
      break;
    case Family::capability:
      check_keys(v, {"derived_from", "version", "metadata", "description", "properties", "attributes",
                     "valid_source_types"}, path, "a capability type");
      break;
    case Family::relationship:
      check_keys(v, {"derived_from", "version", "metadata", "description", "properties", "attributes",
                     "interfaces", "valid_target_types"}, path, "a relationship type");
      break;
    case Family::interface: break;  // legacy grammar lists operations as keys; checked below
    case Family::data:
      check_keys(v, {"derived_from", "version", "metadata", "description", "constraints", "properties",
                     "key_schema", "entry_schema"}, path, "a data type");
      break;
    case Family::artifact:
      check_keys(v, {"derived_from", "version", "metadata", "description", "mime_type", "file_ext",
                     "properties"}, path, "an artifact type");
      break;
    case Family::policy:
      check_keys(v, {"derived_from", "version", "metadata", "description", "properties", "targets",
                     "triggers"}, path, "a policy type");
      break;
    case Family::group:
      check_keys(v, {"derived_from", "version", "metadata", "description", "properties", "attributes",
                     "members", "requirements", "capabilities", "interfaces"}, path, "a group type");
      break;
  }
  t.derived_from = get_string(v, "derived_from", path, what, false, &t.derived_mark);
  t.version = get_string(v, "version", path, what);
  t.description = get_string(v, "description", path, what);
  if (const Value* m = v.find("metadata")) {
    if (!m->is_null() && expect_map(*m, child_path(path, "metadata"), "metadata")) t.metadata = *m;
  }
  if (const Value* p = v.find("properties")) t.properties = parse_property_defs(*p, child_path(path, "properties"), DefKind::property);
  if (const Value* a = v.find("attributes")) t.attributes = parse_property_defs(*a, child_path(path, "attributes"), DefKind::attribute);
  if (const Value* caps = v.find("capabilities"); caps != nullptr && !caps->is_null()) {
    std::string cp = child_path(path, "capabilities");
    if (expect_map(*caps, cp, "capabilities"))
      for (const auto& [cname, cdef] : caps->as_map())
        t.capabilities.emplace(cname, parse_capability_def(cname, cdef, child_path(cp, cname)));
  }
  if (const Value* reqs = v.find("requirements")) {
    std::string rp = child_path(path, "requirements");
    for_each_single_key(*reqs, rp, "requirements", [&](const std::string& rname, const Value& rdef, const std::string& p, const Value&) {
      for (const auto& existing : t.requirements)
        if (existing.name == rname)
          error(Code::duplicate_name, rdef.mark(), p, "requirement `" + rname + "` is defined twice in " + what);
      t.requirements.push_back(parse_requirement_def(rname, rdef, p));
    });
  }
  if (const Value* ifs = v.find("interfaces")) t.interfaces = parse_interfaces(*ifs, child_path(path, "interfaces"), false);
  if (const Value* arts = v.find("artifacts")) t.artifacts = parse_artifacts(*arts, child_path(path, "artifacts"));
  if (const Value* c = v.find("constraints")) t.constraints = parse_constraints(*c, child_path(path, "constraints"));
  if (const Value* k = v.find("key_schema"))
    t.key_schema = std::make_shared<Schema>(parse_schema(*k, child_path(path, "key_schema")));
  if (const Value* e = v.find("entry_schema"))
    t.entry_schema = std::make_shared<Schema>(parse_schema(*e, child_path(path, "entry_schema")));
  t.valid_source_types = get_string_list(v, "valid_source_types", path);
  t.valid_target_types = get_string_list(v, "valid_target_types", path);
  t.mime_type = get_string(v, "mime_type", path, what);
  t.file_ext = get_string_list(v, "file_ext", path);
  t.members = get_string_list(v, "members", path);
  t.targets = get_string_list(v, "targets", path);
  if (const Value* tr = v.find("triggers")) t.triggers = *tr;

  if (family == Family::interface) {
    if (const Value* in = v.find("inputs")) t.inputs = parse_property_defs(*in, child_path(path, "inputs"), DefKind::parameter);
    auto parse_ops = [&](const Value& ops, const std::string& p, bool notification, auto& into) {
      if (ops.is_null() || !expect_map(ops, p, notification ? "notifications" : "operations")) return;
      for (const auto& [oname, odef] : ops.as_map())
        into.emplace(oname, parse_operation(oname, odef, child_path(p, oname), false, notification));
    };
    const Value* ops = v.find("operations");
    if (ops != nullptr) parse_ops(*ops, child_path(path, "operations"), false, t.operations);
    if (const Value* n = v.find("notifications")) parse_ops(*n, child_path(path, "notifications"), true, t.notifications);
    for (const auto& [key, value] : v.as_map()) {
      if (is_interface_grammar_key(key)) continue;
      if (ops != nullptr) {
        error(Code::unknown_field, value.mark(), child_path(path, key),
              "`" + key + "` is not a keyname of an interface type; operations go under `operations`");
        continue;
      }
      t.operations.emplace(key, parse_operation(key, value, child_path(path, key), false, false));
    }
  }
  return t;
}

CapabilityDef Parser::parse_capability_def(const std::string& name, const Value& v, const std::string& path) {
  CapabilityDef c;
  c.name = name;
  c.mark = v.mark();
  c.path = path;
  if (v.is_string()) {  // short form: name: type
    c.type = v.as_string();
    c.type_mark = v.mark();
    return c;
  }
  if (!expect_map(v, path, "a capability definition")) return c;
  check_keys(v, {"type", "description", "properties", "attributes", "valid_source_types", "occurrences"}, path,
             "a capability definition");
  c.type = get_string(v, "type", path, "capability definition `" + name + "`", true, &c.type_mark);
  c.description = get_string(v, "description", path, "a capability definition");
  if (const Value* p = v.find("properties")) c.properties = parse_property_defs(*p, child_path(path, "properties"), DefKind::property);
  if (const Value* a = v.find("attributes")) c.attributes = parse_property_defs(*a, child_path(path, "attributes"), DefKind::attribute);
  c.valid_source_types = get_string_list(v, "valid_source_types", path);
  if (const Value* o = v.find("occurrences")) c.occurrences = parse_occurrences(*o, child_path(path, "occurrences"), c.occurrences);
  return c;
}

RequirementDef Parser::parse_requirement_def(const std::string& name, const Value& v, const std::string& path) {
  RequirementDef r;
  r.name = name;
  r.mark = v.mark();
  r.path = path;
  if (v.is_string()) {  // short form: name: capability_type
    r.capability = v.as_string();
    r.capability_mark = v.mark();
    return r;
  }
  if (!expect_map(v, path, "a requirement definition")) return r;
  check_keys(v, {"capability", "node", "relationship", "occurrences", "node_filter", "description"}, path,
             "a requirement definition");
  r.capability = get_string(v, "capability", path, "requirement definition `" + name + "`", true, &r.capability_mark);
  r.node = get_string(v, "node", path, "a requirement definition", false, &r.node_mark);
  if (const Value* rel = v.find("relationship")) {
    std::string rp = child_path(path, "relationship");
    r.relationship_mark = rel->mark();
    if (rel->is_map()) {
      check_keys(*rel, {"type", "interfaces", "description"}, rp, "a requirement's relationship");
      r.relationship = get_string(*rel, "type", rp, "a requirement's relationship", true, &r.relationship_mark);
      if (const Value* ifs = rel->find("interfaces"))
        r.relationship_interfaces = parse_interfaces(*ifs, child_path(rp, "interfaces"), false);
    } else {
      r.relationship = as_text(*rel, rp, "`relationship`");
    }
  }
  if (const Value* o = v.find("occurrences")) r.occurrences = parse_occurrences(*o, child_path(path, "occurrences"), r.occurrences);
  if (const Value* nf = v.find("node_filter")) r.node_filter = *nf;
  return r;
}

InterfaceDefs Parser::parse_interfaces(const Value& v, const std::string& path, bool in_template) {
  InterfaceDefs out;
  if (v.is_null() || !expect_map(v, path, "interfaces")) return out;
  for (const auto& [name, def] : v.as_map())
    out.emplace(name, parse_interface(name, def, child_path(path, name), in_template));
  return out;
}

InterfaceDef Parser::parse_interface(const std::string& name, const Value& v, const std::string& path, bool in_template) {
  InterfaceDef i;
  i.name = name;
  i.mark = v.mark();
  i.path = path;
  if (v.is_null()) return i;
  if (!in_template && v.is_string()) {  // 1.0 short form: Standard: tosca.interfaces.node.lifecycle.Standard
    i.type = v.as_string();
    i.type_mark = v.mark();
    return i;
  }
  if (!expect_map(v, path, "an interface definition")) return i;
  const Value* ops = v.find("operations");
  for (const auto& [key, value] : v.as_map()) {
    std::string kp = child_path(path, key);
    if (key == "type") {
      if (in_template) error(Code::unknown_field, value.mark(), kp, "an interface assignment takes its type from the node type; `type` is not allowed here");
      i.type = as_text(value, kp, "`type`");
      i.type_mark = value.mark();
    } else if (key == "description") {
    } else if (key == "inputs") {
      if (in_template) {
        if (!value.is_null() && expect_map(value, kp, "inputs")) i.inputs = value;
      } else {
        i.input_defs = parse_property_defs(value, kp, DefKind::parameter);
        for (auto it = i.input_defs.begin(); it != i.input_defs.end(); ++it)
          if (it->second.value && it->second.schema.type.empty()) i.inputs.set(it->first, *it->second.value);
      }
    } else if (key == "operations" || key == "notifications") {
      bool notification = key == "notifications";
      if (value.is_null() || !expect_map(value, kp, key)) continue;
      for (const auto& [oname, odef] : value.as_map())
        (notification ? i.notifications : i.operations)
            .emplace(oname, parse_operation(oname, odef, child_path(kp, oname), in_template, notification));
    } else if (ops != nullptr) {
      error(Code::unknown_field, value.mark(), kp,
            "`" + key + "` is not a keyname of an interface; operations go under `operations`");
    } else {
      i.operations.emplace(key, parse_operation(key, value, kp, in_template, false));  // legacy grammar
    }
  }
  return i;
}

OperationDef Parser::parse_operation(const std::string& name, const Value& v, const std::string& path,
                                     bool in_template, bool notification) {
  OperationDef op;
  op.name = name;
  op.mark = v.mark();
  op.path = path;
  if (v.is_null()) return op;
  if (v.is_string()) {  // short form: the implementation artifact
    op.implementation.primary = v.as_string();
    op.implementation.given = true;
    op.implementation.mark = v.mark();
    return op;
  }
  if (!expect_map(v, path, notification ? "a notification definition" : "an operation definition")) return op;
  for (const auto& [key, value] : v.as_map()) {
    bool known = false;
    for (auto k : kOperationKeys) known = known || k == key;
    if (!known || (notification && key == "inputs"))
      error(Code::unknown_field, value.mark(), child_path(path, key),
            "`" + key + "` is not a keyname of " + (notification ? "a notification" : "an operation") +
                " (allowed: description, implementation, " + (notification ? "" : "inputs, ") + "outputs)");
  }
  op.description = get_string(v, "description", path, "an operation");
  if (const Value* impl = v.find("implementation")) op.implementation = parse_implementation(*impl, child_path(path, "implementation"));
  if (const Value* in = v.find("inputs"); in != nullptr && !in->is_null() && !notification) {
    std::string ip = child_path(path, "inputs");
    if (expect_map(*in, ip, "operation inputs")) {
      op.inputs = Value::map();
      for (const auto& [iname, ival] : in->as_map()) {
        // In a type an input may be a typed parameter definition or a plain value; a map with
        // a `type` key is a definition. In a template every input is an assignment.
        if (!in_template && ival.is_map() && ival.find("type") != nullptr) {
          op.input_defs.emplace(iname, parse_property_def(iname, ival, child_path(ip, iname), DefKind::parameter));
          if (const PropertyDef& d = op.input_defs.at(iname); d.value) op.inputs.set(iname, *d.value);
        } else {
          op.inputs.set(iname, ival);
        }
      }
    }
  }
  if (const Value* out = v.find("outputs"); out != nullptr && !out->is_null()) {
    if (expect_map(*out, child_path(path, "outputs"), "operation outputs")) op.outputs = *out;
  }
  return op;
}

Implementation Parser::parse_implementation(const Value& v, const std::string& path) {
  Implementation impl;
  impl.given = true;
  impl.mark = v.mark();
  if (v.is_string()) {
    impl.primary = v.as_string();
    return impl;
  }
  if (!expect_map(v, path, "an implementation")) return impl;
  check_keys(v, {"primary", "dependencies", "timeout", "operation_host"}, path, "an implementation");
  if (const Value* p = v.find("primary")) {
    if (p->is_map()) {
      impl.primary_artifact = *p;
      ArtifactDef a = parse_artifact("primary", *p, child_path(path, "primary"));
      impl.primary = a.file;
    } else {
      impl.primary = as_text(*p, child_path(path, "primary"), "`primary`");
    }
  }
  if (const Value* deps = v.find("dependencies"); deps != nullptr && !deps->is_null()) {
    std::string dp = child_path(path, "dependencies");
    if (expect_list(*deps, dp, "`dependencies`")) {
      size_t i = 0;
      for (const auto& d : deps->as_list()) {
        std::string ip = index_path(dp, i++);
        if (d.is_map()) impl.dependencies.push_back(parse_artifact("dependency", d, ip).file);
        else impl.dependencies.push_back(as_text(d, ip, "a dependency"));
      }
    }
  }
  if (const Value* t = v.find("timeout")) {
    if (!t->is_int() || t->as_int() < 0)
      error(Code::type_mismatch, t->mark(), child_path(path, "timeout"),
            "`timeout` is a non-negative integer number of seconds, found `" + t->to_string() + "`");
    else
      impl.timeout = t->as_int();
  }
  impl.operation_host = get_string(v, "operation_host", path, "an implementation");
  if (!impl.operation_host.empty() && impl.operation_host != "SELF" && impl.operation_host != "HOST" &&
      impl.operation_host != "SOURCE" && impl.operation_host != "TARGET" && impl.operation_host != "ORCHESTRATOR")
    error(Code::invalid_value, v.find("operation_host")->mark(), child_path(path, "operation_host"),
          "operation_host must be SELF, HOST, SOURCE, TARGET or ORCHESTRATOR, found `" + impl.operation_host + "`");
  return impl;
}

ArtifactDefs Parser::parse_artifacts(const Value& v, const std::string& path) {
  ArtifactDefs out;
  if (v.is_null()) return out;
  if (v.is_list()) {  // 1.0 templates sometimes list artifacts as single-key maps
    for_each_single_key(v, path, "artifacts", [&](const std::string& name, const Value& def, const std::string& p, const Value&) {
      out.emplace(name, parse_artifact(name, def, p));
    });
    return out;
  }
  if (!expect_map(v, path, "artifacts")) return out;
  for (const auto& [name, def] : v.as_map()) out.emplace(name, parse_artifact(name, def, child_path(path, name)));
  return out;
}

ArtifactDef Parser::parse_artifact(const std::string& name, const Value& v, const std::string& path) {
  ArtifactDef a;
  a.name = name;
  a.mark = v.mark();
  a.path = path;
  if (v.is_string()) {  // short form: the file; the type comes from its extension
    a.file = v.as_string();
    return a;
  }
  if (!expect_map(v, path, "an artifact definition")) return a;
  check_keys(v, {"type", "file", "repository", "description", "deploy_path", "artifact_version", "checksum",
                 "checksum_algorithm", "properties"}, path, "an artifact definition");
  std::string what = "artifact `" + name + "`";
  a.type = get_string(v, "type", path, what, true, &a.type_mark);
  a.file = get_string(v, "file", path, what, true);
  a.repository = get_string(v, "repository", path, what);
  a.description = get_string(v, "description", path, what);
  a.deploy_path = get_string(v, "deploy_path", path, what);
  a.artifact_version = get_string(v, "artifact_version", path, what);
  a.checksum = get_string(v, "checksum", path, what);
  a.checksum_algorithm = get_string(v, "checksum_algorithm", path, what);
  if (const Value* p = v.find("properties"); p != nullptr && !p->is_null()) {
    if (expect_map(*p, child_path(path, "properties"), "artifact properties")) a.properties = *p;
  }
  return a;
}

}  // namespace iotwins::tosca
