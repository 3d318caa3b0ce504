#include "scheduler/loader.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <initializer_list>
#include <limits>

#include "core/fs.h"
#include "scheduler/quantity.h"

namespace iotwins::scheduler {
namespace {

// Decodes one document; the first error wins and carries source:line:column and the field path.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  std::unexpected<Error> fail(const YAML::Node& at, const std::string& path, const std::string& what) {
    const YAML::Mark m = at.Mark();
    std::string where = source_;
    if (m.line >= 0) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    return make_error(Errc::invalid_argument, where + ": " + path + ": " + what);
  }

  Status expect_map(const YAML::Node& n, const std::string& path, std::initializer_list<std::string_view> keys) {
    if (!n.IsMap()) return fail(n, path, "expected a mapping");
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      bool known = false;
      for (std::string_view k : keys) known |= k == key;
      if (!known) return fail(kv.first, path, "unknown field '" + key + "'");
    }
    return ok();
  }

  Status str(const YAML::Node& n, const std::string& path, std::string& out) {
    if (!n.IsScalar()) return fail(n, path, "expected a string");
    out = n.Scalar();
    return ok();
  }

  Status boolean(const YAML::Node& n, const std::string& path, bool& out) {
    if (!n.IsScalar()) return fail(n, path, "expected true or false");
    const std::string& s = n.Scalar();
    if (s == "true") {
      out = true;
    } else if (s == "false") {
      out = false;
    } else {
      return fail(n, path, "expected true or false, got '" + s + "'");
    }
    return ok();
  }

  template <class Int>
  Status integer(const YAML::Node& n, const std::string& path, Int& out, long long lo, long long hi) {
    if (!n.IsScalar()) return fail(n, path, "expected an integer");
    long long v = 0;
    const std::string& s = n.Scalar();
    size_t used = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || v < lo || v > hi) {
      return fail(n, path, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got '" +
                               s + "'");
    }
    out = static_cast<Int>(v);
    return ok();
  }

  Status number(const YAML::Node& n, const std::string& path, double& out) {
    if (!n.IsScalar()) return fail(n, path, "expected a number");
    const std::string& s = n.Scalar();
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) return fail(n, path, "expected a number, got '" + s + "'");
    return ok();
  }

  template <class Parse, class Out>
  Status parsed(const YAML::Node& n, const std::string& path, Parse&& parse, Out& out) {
    if (!n.IsScalar()) return fail(n, path, "expected a scalar");
    auto r = parse(n.Scalar());
    if (!r) return fail(n, path, r.error().message());
    out = *r;
    return ok();
  }

  Status strings(const YAML::Node& n, const std::string& path, std::vector<std::string>& out) {
    if (!n.IsSequence()) return fail(n, path, "expected a list of strings");
    for (size_t i = 0; i < n.size(); ++i) {
      std::string s;
      IOT_TRY(str(n[i], path + "[" + std::to_string(i) + "]", s));
      out.push_back(std::move(s));
    }
    return ok();
  }

  Status string_map(const YAML::Node& n, const std::string& path, std::map<std::string, std::string>& out) {
    if (!n.IsMap()) return fail(n, path, "expected a mapping of strings");
    for (const auto& kv : n) {
      std::string v;
      IOT_TRY(str(kv.second, path + "." + kv.first.Scalar(), v));
      out[kv.first.Scalar()] = std::move(v);
    }
    return ok();
  }

  Status requirements(const YAML::Node& n, const std::string& path, std::vector<LabelRequirement>& out) {
    if (!n.IsSequence()) return fail(n, path, "expected a list like [\"zone in (a,b)\", \"!maintenance\"]");
    for (size_t i = 0; i < n.size(); ++i) {
      IOT_TRY(parsed(n[i], path + "[" + std::to_string(i) + "]", parse_label_requirement, out.emplace_back()));
    }
    return ok();
  }

  Status resources(const YAML::Node& n, const std::string& path, Resources& out) {
    IOT_TRY(expect_map(n, path, {"cpu", "memory", "gpus"}));
    if (n["cpu"]) IOT_TRY(parsed(n["cpu"], path + ".cpu", parse_cpu_millis, out.cpu_millis));
    if (n["memory"]) IOT_TRY(parsed(n["memory"], path + ".memory", parse_bytes, out.memory_bytes));
    if (n["gpus"]) IOT_TRY(integer(n["gpus"], path + ".gpus", out.gpus, 0, 1 << 20));
    return ok();
  }

  Status config(const YAML::Node& n, SchedulerConfig& c) {
    IOT_TRY(expect_map(n, "config", {"strategy", "fit_weight", "affinity_weight", "spread_weight", "near_weight",
                                     "exhaustive_limit", "sample_feasible", "seed"}));
    if (n["strategy"]) IOT_TRY(parsed(n["strategy"], "config.strategy", parse_strategy, c.strategy));
    for (auto [key, out] : {std::pair{"fit_weight", &c.fit_weight}, std::pair{"affinity_weight", &c.affinity_weight},
                            std::pair{"spread_weight", &c.spread_weight}, std::pair{"near_weight", &c.near_weight}}) {
      if (!n[key]) continue;
      IOT_TRY(number(n[key], std::string("config.") + key, *out));
      if (*out < 0) return fail(n[key], std::string("config.") + key, "must be >= 0");
    }
    constexpr long long kU32 = std::numeric_limits<uint32_t>::max();
    if (n["exhaustive_limit"]) IOT_TRY(integer(n["exhaustive_limit"], "config.exhaustive_limit", c.exhaustive_limit, 0, kU32));
    if (n["sample_feasible"]) IOT_TRY(integer(n["sample_feasible"], "config.sample_feasible", c.sample_feasible, 0, kU32));
    if (n["seed"]) IOT_TRY(integer(n["seed"], "config.seed", c.seed, 0, std::numeric_limits<long long>::max()));
    return ok();
  }

  Status node(const YAML::Node& n, const std::string& path, NodeSnapshot& out) {
    IOT_TRY(expect_map(n, path, {"id", "level", "state", "arch", "parent", "capacity", "allocated", "labels",
                                 "has_oci", "has_bubblewrap", "drivers", "services", "twins", "tasks"}));
    if (!n["id"]) return fail(n, path, "missing id");
    IOT_TRY(str(n["id"], path + ".id", out.id));
    if (!n["level"]) return fail(n, path, "missing level");
    IOT_TRY(parsed(n["level"], path + ".level", parse_level, out.level));
    if (n["state"]) IOT_TRY(parsed(n["state"], path + ".state", parse_node_state, out.state));
    if (n["arch"]) IOT_TRY(str(n["arch"], path + ".arch", out.arch));
    if (n["parent"]) IOT_TRY(str(n["parent"], path + ".parent", out.parent));
    if (!n["capacity"]) return fail(n, path, "missing capacity");
    IOT_TRY(resources(n["capacity"], path + ".capacity", out.capacity));
    if (n["allocated"]) IOT_TRY(resources(n["allocated"], path + ".allocated", out.allocated));
    if (n["labels"]) IOT_TRY(string_map(n["labels"], path + ".labels", out.labels));
    if (n["has_oci"]) IOT_TRY(boolean(n["has_oci"], path + ".has_oci", out.has_oci));
    if (n["has_bubblewrap"]) IOT_TRY(boolean(n["has_bubblewrap"], path + ".has_bubblewrap", out.has_bubblewrap));
    if (n["drivers"]) IOT_TRY(strings(n["drivers"], path + ".drivers", out.drivers));
    if (n["services"]) IOT_TRY(strings(n["services"], path + ".services", out.services));
    if (n["twins"]) IOT_TRY(strings(n["twins"], path + ".twins", out.twins));
    if (const YAML::Node tasks = n["tasks"]) {
      if (!tasks.IsSequence()) return fail(tasks, path + ".tasks", "expected a list");
      for (size_t i = 0; i < tasks.size(); ++i) {
        const std::string at = path + ".tasks[" + std::to_string(i) + "]";
        const YAML::Node t = tasks[i];
        TaskPlacement& task = out.tasks.emplace_back();
        IOT_TRY(expect_map(t, at, {"id", "deployment", "group", "labels"}));
        if (!t["id"]) return fail(t, at, "missing id");
        IOT_TRY(str(t["id"], at + ".id", task.id));
        if (t["deployment"]) IOT_TRY(str(t["deployment"], at + ".deployment", task.deployment));
        if (t["group"]) IOT_TRY(str(t["group"], at + ".group", task.group));
        if (t["labels"]) IOT_TRY(string_map(t["labels"], at + ".labels", task.labels));
      }
    }
    return ok();
  }

  Status affinity(const YAML::Node& n, const std::string& path, AffinityTerm& out) {
    IOT_TRY(expect_map(n, path, {"deployment", "group", "labels", "anti", "required", "weight"}));
    if (n["deployment"]) IOT_TRY(str(n["deployment"], path + ".deployment", out.tasks.deployment));
    if (n["group"]) IOT_TRY(str(n["group"], path + ".group", out.tasks.group));
    if (n["labels"]) IOT_TRY(requirements(n["labels"], path + ".labels", out.tasks.labels));
    if (n["anti"]) IOT_TRY(boolean(n["anti"], path + ".anti", out.anti));
    if (n["required"]) IOT_TRY(boolean(n["required"], path + ".required", out.required));
    if (n["weight"]) IOT_TRY(integer(n["weight"], path + ".weight", out.weight, 1, 100));
    return ok();
  }

  Status request(const YAML::Node& n, const std::string& path, PlacementRequest& out) {
    IOT_TRY(expect_map(n, path, {"id", "deployment", "group", "level", "resources", "arch", "selector", "drivers",
                                 "labels", "affinity", "spread", "near"}));
    if (!n["id"]) return fail(n, path, "missing id");
    IOT_TRY(str(n["id"], path + ".id", out.id));
    if (n["deployment"]) IOT_TRY(str(n["deployment"], path + ".deployment", out.deployment));
    if (n["group"]) IOT_TRY(str(n["group"], path + ".group", out.group));
    if (n["level"]) IOT_TRY(parsed(n["level"], path + ".level", parse_level, out.level.emplace()));
    if (n["resources"]) IOT_TRY(resources(n["resources"], path + ".resources", out.resources));
    if (n["arch"]) IOT_TRY(str(n["arch"], path + ".arch", out.arch));
    if (n["selector"]) IOT_TRY(requirements(n["selector"], path + ".selector", out.selector));
    if (n["drivers"]) IOT_TRY(strings(n["drivers"], path + ".drivers", out.drivers));
    if (n["labels"]) IOT_TRY(string_map(n["labels"], path + ".labels", out.task_labels));
    if (const YAML::Node terms = n["affinity"]) {
      if (!terms.IsSequence()) return fail(terms, path + ".affinity", "expected a list");
      for (size_t i = 0; i < terms.size(); ++i) {
        IOT_TRY(affinity(terms[i], path + ".affinity[" + std::to_string(i) + "]", out.affinity.emplace_back()));
      }
    }
    if (const YAML::Node s = n["spread"]) {
      const std::string at = path + ".spread";
      IOT_TRY(expect_map(s, at, {"key", "weight"}));
      Spread& spread = out.spread.emplace();
      if (!s["key"]) return fail(s, at, "missing key");
      IOT_TRY(str(s["key"], at + ".key", spread.key));
      if (s["weight"]) IOT_TRY(integer(s["weight"], at + ".weight", spread.weight, 1, 100));
    }
    if (const YAML::Node nn = n["near"]) {
      const std::string at = path + ".near";
      IOT_TRY(expect_map(nn, at, {"twin", "service", "scope", "required"}));
      Near& near = out.near.emplace();
      if (nn["twin"].IsDefined() == nn["service"].IsDefined()) return fail(nn, at, "give exactly one of twin, service");
      near.kind = nn["twin"] ? Near::Kind::twin : Near::Kind::service;
      IOT_TRY(str(nn["twin"] ? nn["twin"] : nn["service"], at + (nn["twin"] ? ".twin" : ".service"), near.target));
      if (const YAML::Node scope = nn["scope"]) {
        std::string s;
        IOT_TRY(str(scope, at + ".scope", s));
        if (s == "node") {
          near.scope = Near::Scope::node;
        } else if (s == "subtree") {
          near.scope = Near::Scope::subtree;
        } else {
          return fail(scope, at + ".scope", "must be node or subtree, got '" + s + "'");
        }
      }
      if (nn["required"]) IOT_TRY(boolean(nn["required"], at + ".required", near.required));
    }
    return ok();
  }

  Result<PlanInput> document(const YAML::Node& root) {
    PlanInput in;
    IOT_TRY(expect_map(root, "document", {"config", "nodes", "requests"}));
    if (root["config"]) IOT_TRY(config(root["config"], in.config));
    const YAML::Node nodes = root["nodes"];
    if (!nodes || !nodes.IsSequence()) return fail(nodes ? nodes : root, "nodes", "expected a list of nodes");
    for (size_t i = 0; i < nodes.size(); ++i) {
      IOT_TRY(node(nodes[i], "nodes[" + std::to_string(i) + "]", in.nodes.emplace_back()));
    }
    const YAML::Node requests = root["requests"];
    if (!requests || !requests.IsSequence()) {
      return fail(requests ? requests : root, "requests", "expected a list of requests");
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      IOT_TRY(request(requests[i], "requests[" + std::to_string(i) + "]", in.requests.emplace_back()));
    }
    return in;
  }

 private:
  std::string source_;
};

}  // namespace

Result<PlanInput> parse_plan_input(std::string_view text, std::string_view source) {
  if (text.size() > kMaxPlanInputBytes) {
    return make_error(Errc::too_large, std::string(source) + ": larger than " +
                                           std::to_string(kMaxPlanInputBytes >> 20) + " MiB");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, std::string(source) + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  try {
    return Reader(source).document(root);
  } catch (const YAML::Exception& e) {
    return make_error(Errc::invalid_argument, std::string(source) + ": " + e.what());
  }
}

Result<PlanInput> load_plan_input(const std::string& path) {
  auto& fs = PosixFileSystem::instance();
  IOT_ASSIGN(uint64_t size, fs.file_size(path));
  if (size > kMaxPlanInputBytes) {
    return make_error(Errc::too_large, path + ": larger than " + std::to_string(kMaxPlanInputBytes >> 20) + " MiB");
  }
  IOT_ASSIGN(std::string text, fs.read_file(path));
  return parse_plan_input(text, path);
}

std::string describe(const Plan& plan) {
  std::string out;
  char score[32];
  for (const Assignment& a : plan.assignments) {
    std::snprintf(score, sizeof score, "%.3f", a.score);
    out += a.request_id + " -> " + a.node_id + " (score " + score + ")\n";
  }
  for (const Failure& f : plan.failures) out += f.explanation + "\n";
  return out;
}

}  // namespace iotwins::scheduler
