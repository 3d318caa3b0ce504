// Grammar of the topology template: inputs, node and relationship templates, requirement
// and capability assignments, groups, policies, outputs, substitution mappings.
#include "tosca/parser.h"

namespace iotwins::tosca {

namespace {

// `copy: other` (1.3): the template starts as a copy of another template of the same kind;
// what it states itself wins. The source may not be a copy itself.
template <class T, class Fill>
void resolve_copy_list(Parser& p, std::vector<T>& items, std::string_view kind, Fill&& fill) {
  for (auto& item : items) {
    if (item.copy.empty()) continue;
    const T* src = nullptr;
    for (const auto& other : items)
      if (other.name == item.copy) src = &other;
    if (src == nullptr) {
      p.error(Code::unknown_node_template, item.mark, child_path(item.path, "copy"),
              std::string(kind) + " `" + item.name + "` copies `" + item.copy + "`, which is not a " + std::string(kind));
      continue;
    }
    if (!src->copy.empty()) {
      p.error(Code::invalid_value, item.mark, child_path(item.path, "copy"),
              std::string(kind) + " `" + item.name + "` copies `" + item.copy + "`, which is itself a copy");
      continue;
    }
    if (item.type.empty()) {
      item.type = src->type;
      item.type_mark = src->type_mark;
    }
    auto merge_map = [](Value& into, const Value& from) {
      if (!from.is_map()) return;
      for (const auto& [k, v] : from.as_map())
        if (into.find(k) == nullptr) into.set(k, v);
    };
    merge_map(item.properties, src->properties);
    merge_map(item.attributes, src->attributes);
    for (const auto& [k, v] : src->interfaces) item.interfaces.try_emplace(k, v);
    fill(item, *src);
  }
}

}  // namespace

void Parser::resolve_copies(TopologyTemplate& t) {
  resolve_copy_list(*this, t.node_templates, "node template", [](NodeTemplate& n, const NodeTemplate& src) {
    if (n.requirements.empty()) n.requirements = src.requirements;
    for (const auto& [k, v] : src.capabilities) n.capabilities.try_emplace(k, v);
    for (const auto& [k, v] : src.artifacts) n.artifacts.try_emplace(k, v);
    if (n.directives.empty()) n.directives = src.directives;
  });
  resolve_copy_list(*this, t.relationship_templates, "relationship template",
                    [](RelationshipTemplate&, const RelationshipTemplate&) {});
}

TopologyTemplate Parser::parse_topology(Value& v, const std::string& path) {
  TopologyTemplate t;
  t.mark = v.mark();
  if (v.is_null()) return t;
  t.present = true;
  if (!expect_map(v, path, "topology_template")) return t;
  check_keys(v, {"description", "inputs", "node_templates", "relationship_templates", "groups", "policies",
                 "outputs", "substitution_mappings", "workflows"}, path, "topology_template");
  t.description = get_string(v, "description", path, "topology_template");
  if (const Value* in = v.find("inputs")) t.inputs = parse_property_defs(*in, child_path(path, "inputs"), DefKind::parameter);
  if (Value* nts = v.find("node_templates"); nts != nullptr && !nts->is_null()) {
    std::string p = child_path(path, "node_templates");
    if (expect_map(*nts, p, "node_templates")) {
      t.node_templates.reserve(nts->as_map().size());
      for (auto& [name, def] : nts->as_map())
        t.node_templates.push_back(parse_node_template(name, def, child_path(p, name)));
    }
  }
  if (const Value* rts = v.find("relationship_templates"); rts != nullptr && !rts->is_null()) {
    std::string p = child_path(path, "relationship_templates");
    if (expect_map(*rts, p, "relationship_templates"))
      for (const auto& [name, def] : rts->as_map())
        t.relationship_templates.push_back(parse_relationship_template(name, def, child_path(p, name)));
  }
  if (const Value* gs = v.find("groups"); gs != nullptr && !gs->is_null()) {
    std::string p = child_path(path, "groups");
    if (expect_map(*gs, p, "groups"))
      for (const auto& [name, def] : gs->as_map()) t.groups.push_back(parse_group(name, def, child_path(p, name)));
  }
  if (const Value* ps = v.find("policies"); ps != nullptr && !ps->is_null()) {
    std::string p = child_path(path, "policies");
    if (ps->is_map()) {  // some 1.0 templates write policies as a map
      for (const auto& [name, def] : ps->as_map()) t.policies.push_back(parse_policy(name, def, child_path(p, name)));
    } else {
      for_each_single_key(*ps, p, "policies", [&](const std::string& name, const Value& def, const std::string& ip, const Value&) {
        t.policies.push_back(parse_policy(name, def, ip));
      });
    }
  }
  if (const Value* out = v.find("outputs")) {
    std::string p = child_path(path, "outputs");
    t.outputs = parse_property_defs(*out, p, DefKind::parameter);
    for (auto& [name, def] : t.outputs) {
      if (!def.value) error(Code::missing_field, def.mark, def.path, "output `" + name + "` needs a `value`");
    }
  }
  if (const Value* sm = v.find("substitution_mappings")) t.substitution = parse_substitution(*sm, child_path(path, "substitution_mappings"));
  resolve_copies(t);
  if (const Value* wfs = v.find("workflows"); wfs != nullptr && !wfs->is_null()) {
    std::string p = child_path(path, "workflows");
    if (expect_map(*wfs, p, "workflows"))
      for (const auto& [name, def] : wfs->as_map()) t.workflows.push_back(parse_workflow(name, def, child_path(p, name)));
  }
  return t;
}

NodeTemplate Parser::parse_node_template(const std::string& name, Value& v, const std::string& path) {
  NodeTemplate n;
  n.name = name;
  n.mark = v.mark();
  n.path = path;
  std::string what = "node template `" + name + "`";
  if (!expect_map(v, path, what)) return n;
  check_keys(v, {"type", "description", "metadata", "directives", "properties", "attributes", "requirements",
                 "capabilities", "interfaces", "artifacts", "node_filter", "copy"}, path, "a node template");
  n.copy = get_string(v, "copy", path, what);
  n.type = get_string(v, "type", path, what, n.copy.empty(), &n.type_mark);
  if (n.type_mark.line == 0) n.type_mark = v.mark();
  n.description = get_string(v, "description", path, what);
  n.directives = get_string_list(v, "directives", path);
  if (const Value* m = v.find("metadata")) n.metadata = *m;
  // The document is not used after parsing: move the (often large) value trees out of it.
  auto take_map = [&](std::string_view key, Value& into) {
    Value* x = v.find(key);
    if (x == nullptr || x->is_null()) return;
    if (expect_map(*x, child_path(path, key), std::string(key))) into = std::move(*x);
  };
  take_map("properties", n.properties);
  take_map("attributes", n.attributes);
  if (const Value* reqs = v.find("requirements")) {
    for_each_single_key(*reqs, child_path(path, "requirements"), "requirements",
                        [&](const std::string& rname, const Value& rdef, const std::string& p, const Value&) {
                          n.requirements.push_back(parse_requirement_assignment(rname, rdef, p));
                        });
  }
  if (const Value* caps = v.find("capabilities"); caps != nullptr && !caps->is_null()) {
    std::string cp = child_path(path, "capabilities");
    if (expect_map(*caps, cp, "capabilities")) {
      for (const auto& [cname, cdef] : caps->as_map()) {
        CapabilityAssignment c;
        c.name = cname;
        c.mark = cdef.mark();
        c.path = child_path(cp, cname);
        if (!cdef.is_null() && expect_map(cdef, c.path, "a capability assignment")) {
          check_keys(cdef, {"properties", "attributes", "occurrences"}, c.path, "a capability assignment");
          if (const Value* p = cdef.find("properties"); p != nullptr && !p->is_null() &&
                                                        expect_map(*p, child_path(c.path, "properties"), "properties"))
            c.properties = *p;
          if (const Value* a = cdef.find("attributes"); a != nullptr && !a->is_null() &&
                                                        expect_map(*a, child_path(c.path, "attributes"), "attributes"))
            c.attributes = *a;
          if (const Value* o = cdef.find("occurrences"))
            c.occurrences = parse_occurrences(*o, child_path(c.path, "occurrences"), c.occurrences);
        }
        n.capabilities.emplace(cname, std::move(c));
      }
    }
  }
  if (const Value* ifs = v.find("interfaces")) n.interfaces = parse_interfaces(*ifs, child_path(path, "interfaces"), true);
  if (const Value* arts = v.find("artifacts")) n.artifacts = parse_artifacts(*arts, child_path(path, "artifacts"));
  if (const Value* nf = v.find("node_filter")) n.node_filter = *nf;
  return n;
}

RequirementAssignment Parser::parse_requirement_assignment(const std::string& name, const Value& v, const std::string& path) {
  RequirementAssignment r;
  r.name = name;
  r.mark = v.mark();
  r.path = path;
  r.occurrences.given = false;
  if (v.is_string()) {  // short form: the target node template (or node type)
    r.node = v.as_string();
    r.node_mark = v.mark();
    return r;
  }
  if (v.is_null()) return r;
  if (!expect_map(v, path, "a requirement assignment")) return r;
  check_keys(v, {"capability", "node", "relationship", "node_filter", "occurrences", "description"}, path,
             "a requirement assignment");
  r.node = get_string(v, "node", path, "a requirement assignment", false, &r.node_mark);
  r.capability = get_string(v, "capability", path, "a requirement assignment", false, &r.capability_mark);
  if (const Value* rel = v.find("relationship"); rel != nullptr && !rel->is_null()) {
    std::string rp = child_path(path, "relationship");
    r.relationship_mark = rel->mark();
    if (rel->is_map()) {
      check_keys(*rel, {"type", "properties", "interfaces", "description"}, rp, "a requirement's relationship");
      r.relationship = get_string(*rel, "type", rp, "a requirement's relationship", true, &r.relationship_mark);
      if (const Value* p = rel->find("properties"); p != nullptr && !p->is_null() &&
                                                    expect_map(*p, child_path(rp, "properties"), "properties"))
        r.relationship_properties = *p;
      if (const Value* ifs = rel->find("interfaces"))
        r.relationship_interfaces = parse_interfaces(*ifs, child_path(rp, "interfaces"), true);
    } else {
      r.relationship = as_text(*rel, rp, "`relationship`");
    }
  }
  if (const Value* nf = v.find("node_filter")) r.node_filter = *nf;
  if (const Value* o = v.find("occurrences")) r.occurrences = parse_occurrences(*o, child_path(path, "occurrences"), r.occurrences);
  return r;
}

RelationshipTemplate Parser::parse_relationship_template(const std::string& name, const Value& v, const std::string& path) {
  RelationshipTemplate r;
  r.name = name;
  r.mark = v.mark();
  r.path = path;
  std::string what = "relationship template `" + name + "`";
  if (!expect_map(v, path, what)) return r;
  check_keys(v, {"type", "description", "metadata", "properties", "attributes", "interfaces", "copy"}, path,
             "a relationship template");
  r.copy = get_string(v, "copy", path, what);
  r.type = get_string(v, "type", path, what, r.copy.empty(), &r.type_mark);
  r.description = get_string(v, "description", path, what);
  if (const Value* m = v.find("metadata")) r.metadata = *m;
  if (const Value* p = v.find("properties"); p != nullptr && !p->is_null() &&
                                             expect_map(*p, child_path(path, "properties"), "properties"))
    r.properties = *p;
  if (const Value* a = v.find("attributes"); a != nullptr && !a->is_null() &&
                                             expect_map(*a, child_path(path, "attributes"), "attributes"))
    r.attributes = *a;
  if (const Value* ifs = v.find("interfaces")) r.interfaces = parse_interfaces(*ifs, child_path(path, "interfaces"), true);
  return r;
}

GroupDef Parser::parse_group(const std::string& name, const Value& v, const std::string& path) {
  GroupDef g;
  g.name = name;
  g.mark = v.mark();
  g.path = path;
  std::string what = "group `" + name + "`";
  if (!expect_map(v, path, what)) return g;
  check_keys(v, {"type", "description", "metadata", "properties", "members", "interfaces"}, path, "a group");
  g.type = get_string(v, "type", path, what, true, &g.type_mark);
  g.description = get_string(v, "description", path, what);
  if (const Value* m = v.find("metadata")) g.metadata = *m;
  if (const Value* p = v.find("properties"); p != nullptr && !p->is_null() &&
                                             expect_map(*p, child_path(path, "properties"), "properties"))
    g.properties = *p;
  g.members = get_ref_list(v, "members", path);
  if (const Value* ifs = v.find("interfaces")) g.interfaces = parse_interfaces(*ifs, child_path(path, "interfaces"), true);
  return g;
}

PolicyDef Parser::parse_policy(const std::string& name, const Value& v, const std::string& path) {
  PolicyDef p;
  p.name = name;
  p.mark = v.mark();
  p.path = path;
  std::string what = "policy `" + name + "`";
  if (!expect_map(v, path, what)) return p;
  check_keys(v, {"type", "description", "metadata", "properties", "targets", "triggers"}, path, "a policy");
  p.type = get_string(v, "type", path, what, true, &p.type_mark);
  p.description = get_string(v, "description", path, what);
  if (const Value* m = v.find("metadata")) p.metadata = *m;
  if (const Value* pr = v.find("properties"); pr != nullptr && !pr->is_null() &&
                                              expect_map(*pr, child_path(path, "properties"), "properties"))
    p.properties = *pr;
  p.targets = get_ref_list(v, "targets", path);
  if (const Value* tr = v.find("triggers"); tr != nullptr && !tr->is_null()) {
    std::string tp = child_path(path, "triggers");
    if (expect_map(*tr, tp, "triggers"))
      for (const auto& [tname, tdef] : tr->as_map()) p.triggers.push_back(parse_trigger(tname, tdef, child_path(tp, tname)));
  }
  return p;
}

SubstitutionMappings Parser::parse_substitution(const Value& v, const std::string& path) {
  SubstitutionMappings s;
  s.mark = v.mark();
  s.path = path;
  if (v.is_null() || !expect_map(v, path, "substitution_mappings")) return s;
  s.present = true;
  check_keys(v, {"node_type", "substitution_filter", "properties", "attributes", "capabilities", "requirements",
                 "interfaces"}, path, "substitution_mappings");
  s.node_type = get_string(v, "node_type", path, "substitution_mappings", true, &s.node_type_mark);
  auto take = [&](std::string_view key, Value& into) {
    const Value* x = v.find(key);
    if (x == nullptr || x->is_null()) return;
    if (expect_map(*x, child_path(path, key), std::string(key))) into = *x;
  };
  take("substitution_filter", s.substitution_filter);
  take("properties", s.properties);
  take("attributes", s.attributes);
  take("capabilities", s.capabilities);
  take("requirements", s.requirements);
  take("interfaces", s.interfaces);
  return s;
}

}  // namespace iotwins::tosca
