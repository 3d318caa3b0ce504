// Imperative workflows: step targets and target relationships, activities (delegate,
// set_state, call_operation, inline), step links (on_success/on_failure) without cycles,
// inline workflows without recursion, preconditions.
#include <functional>
#include <set>

#include "tosca/validator.h"

namespace iotwins::tosca {

namespace {
constexpr std::string_view kStates[] = {"initial", "creating", "created", "configuring", "configured",
                                        "starting", "started", "stopping", "deleting", "error"};
}

void Validator::check_workflows() {
  const auto& wfs = topology().workflows;
  std::map<std::string, const WorkflowDef*> by_name;
  for (const auto& w : wfs) by_name[w.name] = &w;
  std::map<std::string, std::vector<std::string>> inlines;
  for (const auto& w : wfs) {
    std::string who = "workflow `" + w.name + "`";
    check_property_defs(w.inputs, false);
    if (w.preconditions.is_list()) {
      size_t i = 0;
      for (const auto& pre : w.preconditions.as_list()) {
        std::string p = index_path(child_path(w.path, "preconditions"), i++);
        const Value* target = pre.find("target");
        if (!pre.is_map() || target == nullptr || !target->is_string()) {
          error(Code::invalid_workflow, pre.mark(), p, who + ": a precondition needs a `target` (node template or group)");
          continue;
        }
        if (node(target->as_string()) == nullptr && r_.groups.count(target->as_string()) == 0)
          error(Code::unknown_node_template, target->mark(), child_path(p, "target"),
                who + ": precondition target `" + target->as_string() + "` is not a node template or group");
      }
    }
    std::map<std::string, const StepDef*> steps;
    for (const auto& s : w.steps) steps[s.name] = &s;
    for (const auto& s : w.steps) {
      std::string swho = "step `" + s.name + "` of " + who;
      const NodeTemplate* target = node(s.target);
      bool group = r_.groups.count(s.target) > 0;
      if (!s.target.empty() && target == nullptr && !group)
        error(Code::unknown_node_template, s.target_mark, child_path(s.path, "target"),
              swho + " targets `" + s.target + "`, which is not a node template or group");
      const TypeDef* ttype = target != nullptr ? node_type(*target) : nullptr;
      const Link* rel = nullptr;
      if (!s.target_relationship.empty() && target != nullptr) {
        for (const auto& l : r_.links[r_.node_index.at(target->name)])
          if (l.requirement == s.target_relationship) rel = &l;
        if (rel == nullptr)
          error(Code::unknown_requirement, s.mark, child_path(s.path, "target_relationship"),
                swho + ": node template `" + s.target + "` has no bound requirement `" + s.target_relationship + "`");
      }
      if (!s.operation_host.empty() && s.operation_host != "SELF" && s.operation_host != "HOST" &&
          s.operation_host != "SOURCE" && s.operation_host != "TARGET" && s.operation_host != "ORCHESTRATOR")
        error(Code::invalid_workflow, s.mark, child_path(s.path, "operation_host"),
              swho + ": operation_host must be SELF, HOST, SOURCE, TARGET or ORCHESTRATOR");
      for (const auto& a : s.activities) {
        switch (a.kind) {
          case ActivityDef::Kind::delegate:
            if (a.arg != "deploy" && a.arg != "undeploy" && by_name.count(a.arg) == 0)
              error(Code::invalid_workflow, a.mark, a.path,
                    swho + " delegates to workflow `" + a.arg + "`, which is neither deploy, undeploy nor defined here");
            break;
          case ActivityDef::Kind::set_state:
            if (std::find(std::begin(kStates), std::end(kStates), a.arg) == std::end(kStates))
              error(Code::invalid_workflow, a.mark, a.path,
                    swho + " sets state `" + a.arg + "`, which is not a TOSCA node state (initial, creating, created, "
                           "configuring, configured, starting, started, stopping, deleting, error)");
            break;
          case ActivityDef::Kind::inline_workflow:
            if (by_name.count(a.arg) == 0)
              error(Code::invalid_workflow, a.mark, a.path, swho + " inlines workflow `" + a.arg + "`, which is not defined");
            else
              inlines[w.name].push_back(a.arg);
            break;
          case ActivityDef::Kind::call_operation: {
            auto dot = a.arg.find('.');
            if (dot == std::string::npos || dot == 0 || dot + 1 == a.arg.size()) {
              error(Code::invalid_workflow, a.mark, a.path,
                    swho + ": call_operation takes `<interface>.<operation>`, found `" + a.arg + "`");
              break;
            }
            std::string iname = a.arg.substr(0, dot), oname = a.arg.substr(dot + 1);
            InterfaceDefs ifs;
            if (rel != nullptr && rel->relationship_type != nullptr) ifs = reg_.interfaces(rel->relationship_type);
            else if (ttype != nullptr) ifs = reg_.interfaces(ttype);
            else break;
            auto it = ifs.find(iname);
            if (it == ifs.end()) {
              error(Code::unknown_interface, a.mark, a.path, swho + " calls `" + a.arg + "`, but `" + s.target + "` has no interface `" + iname + "`");
              break;
            }
            bool found = it->second.operations.count(oname) > 0;
            if (const TypeDef* it_type = reg_.find(Family::interface, it->second.type))
              found = found || reg_.operations(it_type).count(oname) > 0;
            if (!found)
              error(Code::unknown_operation, a.mark, a.path, swho + " calls `" + a.arg + "`, but interface `" + iname + "` has no operation `" + oname + "`");
            break;
          }
        }
      }
      for (const auto* list : {&s.on_success, &s.on_failure})
        for (const auto& ref : *list)
          if (steps.count(ref.name) == 0)
            error(Code::invalid_workflow, ref.mark, ref.path, swho + " continues with step `" + ref.name + "`, which " + who + " does not define");
    }
    // Steps must form a DAG through on_success / on_failure.
    std::map<std::string, int> state;
    std::function<bool(const std::string&, std::vector<std::string>&)> visit = [&](const std::string& name, std::vector<std::string>& path) {
      auto it = steps.find(name);
      if (it == steps.end()) return false;
      int& st = state[name];
      if (st == 2) return false;
      if (st == 1) {
        path.push_back(name);
        return true;
      }
      st = 1;
      path.push_back(name);
      for (const auto* list : {&it->second->on_success, &it->second->on_failure})
        for (const auto& ref : *list)
          if (visit(ref.name, path)) return true;
      path.pop_back();
      st = 2;
      return false;
    };
    for (const auto& s : w.steps) {
      std::vector<std::string> path;
      if (visit(s.name, path)) {
        std::string cycle;
        for (const auto& p : path) cycle += (cycle.empty() ? "" : " -> ") + p;
        error(Code::invalid_workflow, s.mark, s.path, who + " has a cycle of steps: " + cycle);
        break;
      }
    }
  }
  // Inlined workflows must not inline themselves, directly or not.
  for (const auto& w : wfs) {
    std::set<std::string> seen;
    std::vector<std::string> todo = inlines[w.name];
    while (!todo.empty()) {
      std::string cur = todo.back();
      todo.pop_back();
      if (cur == w.name) {
        error(Code::invalid_workflow, w.mark, w.path, "workflow `" + w.name + "` inlines itself (directly or through other workflows)");
        break;
      }
      if (!seen.insert(cur).second) continue;
      for (const auto& n : inlines[cur]) todo.push_back(n);
    }
  }
}

}  // namespace iotwins::tosca
