// Grammar of imperative workflows (steps, activities) and of policy triggers.
#include "tosca/parser.h"

namespace iotwins::tosca {

WorkflowDef Parser::parse_workflow(const std::string& name, const Value& v, const std::string& path) {
  WorkflowDef w;
  w.name = name;
  w.mark = v.mark();
  w.path = path;
  std::string what = "workflow `" + name + "`";
  if (!expect_map(v, path, what)) return w;
  check_keys(v, {"description", "metadata", "inputs", "preconditions", "steps", "implementation", "outputs"}, path,
             "a workflow");
  w.description = get_string(v, "description", path, what);
  if (const Value* m = v.find("metadata")) w.metadata = *m;
  if (const Value* in = v.find("inputs")) w.inputs = parse_property_defs(*in, child_path(path, "inputs"), DefKind::parameter);
  if (const Value* pre = v.find("preconditions")) {
    if (!pre->is_null() && expect_list(*pre, child_path(path, "preconditions"), "preconditions")) w.preconditions = *pre;
  }
  if (const Value* impl = v.find("implementation")) w.implementation = *impl;
  if (const Value* out = v.find("outputs")) w.outputs = *out;
  const Value* steps = v.find("steps");
  if (steps != nullptr && !steps->is_null()) {
    std::string sp = child_path(path, "steps");
    if (expect_map(*steps, sp, "steps"))
      for (const auto& [sname, sdef] : steps->as_map()) w.steps.push_back(parse_step(sname, sdef, child_path(sp, sname)));
  } else if (w.implementation.is_null()) {
    error(Code::missing_field, v.mark(), path, what + " needs `steps` (or, in 1.3, an `implementation`)");
  }
  return w;
}

StepDef Parser::parse_step(const std::string& name, const Value& v, const std::string& path) {
  StepDef s;
  s.name = name;
  s.mark = v.mark();
  s.path = path;
  std::string what = "workflow step `" + name + "`";
  if (!expect_map(v, path, what)) return s;
  check_keys(v, {"target", "target_relationship", "operation_host", "filter", "activities", "on_success",
                 "on_failure"}, path, "a workflow step");
  s.target = get_string(v, "target", path, what, true, &s.target_mark);
  s.target_relationship = get_string(v, "target_relationship", path, what);
  s.operation_host = get_string(v, "operation_host", path, what);
  if (const Value* f = v.find("filter")) s.filter = *f;
  s.on_success = get_ref_list(v, "on_success", path);
  s.on_failure = get_ref_list(v, "on_failure", path);
  const Value* acts = v.find("activities");
  if (acts == nullptr || acts->is_null()) {
    error(Code::missing_field, v.mark(), path, what + " needs `activities`");
    return s;
  }
  for_each_single_key(*acts, child_path(path, "activities"), "activities",
                      [&](const std::string& kind, const Value& arg, const std::string& p, const Value& item) {
    ActivityDef a;
    a.mark = item.mark();
    a.path = p;
    std::string_view inner_key;
    if (kind == "delegate") { a.kind = ActivityDef::Kind::delegate; inner_key = "workflow"; }
    else if (kind == "set_state") { a.kind = ActivityDef::Kind::set_state; }
    else if (kind == "call_operation") { a.kind = ActivityDef::Kind::call_operation; inner_key = "operation"; }
    else if (kind == "inline") { a.kind = ActivityDef::Kind::inline_workflow; inner_key = "workflow"; }
    else {
      error(Code::invalid_workflow, item.mark(), p,
            "`" + kind + "` is not an activity (delegate, set_state, call_operation, inline)");
      return;
    }
    if (arg.is_map() && !inner_key.empty()) {  // 1.3 extended form: {workflow|operation: X, inputs: {...}}
      check_keys(arg, {inner_key, "inputs"}, p, "an activity");
      a.arg = get_string(arg, inner_key, p, "activity `" + kind + "`", true);
      if (const Value* in = arg.find("inputs")) a.inputs = *in;
    } else {
      a.arg = as_text(arg, p, "activity `" + kind + "`");
    }
    s.activities.push_back(std::move(a));
  });
  return s;
}

TriggerDef Parser::parse_trigger(const std::string& name, const Value& v, const std::string& path) {
  TriggerDef t;
  t.name = name;
  t.mark = v.mark();
  t.path = path;
  std::string what = "trigger `" + name + "`";
  if (!expect_map(v, path, what)) return t;
  // event_filter, period, evaluations and method are the 1.0/1.1 spelling.
  check_keys(v, {"description", "event", "event_filter", "schedule", "target_filter", "condition", "action",
                 "period", "evaluations", "method"}, path, "a trigger");
  t.description = get_string(v, "description", path, what);
  if (const Value* e = v.find("event"); e != nullptr && e->is_map()) {
    check_keys(*e, {"type"}, child_path(path, "event"), "a trigger event");
    t.event = get_string(*e, "type", child_path(path, "event"), "a trigger event", true);
  } else {
    t.event = get_string(v, "event", path, what, true);
  }
  if (const Value* s = v.find("schedule")) t.schedule = *s;
  if (const Value* f = v.find("target_filter")) t.target_filter = *f;
  else if (const Value* ef = v.find("event_filter")) t.target_filter = *ef;
  if (const Value* c = v.find("condition")) t.condition = *c;
  const Value* a = v.find("action");
  if (a == nullptr || a->is_null()) error(Code::missing_field, v.mark(), path, what + " needs an `action`");
  else t.action = *a;
  return t;
}

}  // namespace iotwins::tosca
