#include "model/json.h"

#include <algorithm>

#include "model/json_reader.h"

namespace iotwins::model {

using nlohmann::json;

json to_json(const NodeFacts& f) {
  json gpus = json::array();
  for (const auto& g : f.gpus) {
    gpus.push_back({{"vendor", g.vendor}, {"model", g.model}, {"memory_bytes", g.memory_bytes}});
  }
  return {{"hostname", f.hostname},         {"os", f.os},
          {"kernel", f.kernel},             {"arch", f.arch},
          {"cpu_model", f.cpu_model},       {"cores", f.cores},
          {"memory_bytes", f.memory_bytes}, {"disk_bytes", f.disk_bytes},
          {"gpus", gpus},                   {"can_run_containers", f.can_run_containers},
          {"has_bubblewrap", f.has_bubblewrap}};
}

json to_json(const NodeKpis& k) {
  json j = {{"cpu_percent", k.cpu_percent},
            {"load1", k.load1},
            {"memory_used_bytes", k.memory_used_bytes},
            {"memory_available_bytes", k.memory_available_bytes},
            {"disk_used_bytes", k.disk_used_bytes},
            {"disk_free_bytes", k.disk_free_bytes},
            {"net_rx_rate", k.net_rx_rate},
            {"net_tx_rate", k.net_tx_rate}};
  if (!k.buffers.empty()) {
    json b = json::array();
    for (const auto& x : k.buffers) {
      b.push_back({{"stream", x.stream},       {"backlog_records", x.backlog_records},
                   {"bytes", x.bytes},         {"max_bytes", x.max_bytes},
                   {"oldest_age_ms", x.oldest_age_ms}, {"in_rate", x.in_rate},
                   {"out_rate", x.out_rate},   {"dropped", x.dropped},
                   {"rejected", x.rejected},   {"failures", x.failures},
                   {"last_error", x.last_error}});
    }
    j["buffers"] = std::move(b);
  }
  if (!k.tasks.empty()) {
    json t = json::array();
    for (const auto& x : k.tasks) {
      t.push_back({{"id", x.id}, {"state", x.state}, {"cpu_percent", x.cpu_percent}, {"rss_bytes", x.rss_bytes},
                   {"restarts", x.restarts}});
    }
    j["tasks"] = std::move(t);
  }
  if (k.ingest) {
    const auto& i = *k.ingest;
    j["ingest"] = {{"broker_url", i.broker_url},         {"broker_running", i.broker_running},
                   {"broker_restarts", i.broker_restarts}, {"messages", i.messages},
                   {"samples", i.samples},               {"events", i.events},
                   {"invalid_messages", i.invalid_messages}, {"rejected_fields", i.rejected_fields}};
  }
  return j;
}

json to_json(const NodeRegistration& r) {
  json j = {{"name", r.name},     {"level", to_string(r.level)},
            {"labels", r.labels}, {"facts", to_json(r.facts)},
            {"agent_version", r.agent_version}};
  if (!r.id.empty()) j["id"] = r.id;
  if (!r.parent.empty()) j["parent"] = r.parent;
  if (!r.ingest_url.empty()) j["ingest_url"] = r.ingest_url;
  return j;
}

json to_json(const Node& n) {
  json j = {{"id", n.id},
            {"name", n.name},
            {"level", to_string(n.level)},
            {"parent", n.parent},
            {"labels", n.labels},
            {"facts", to_json(n.facts)},
            {"agent_version", n.agent_version},
            {"ingest_url", n.ingest_url},
            {"group", n.group},
            {"state", to_string(n.state)},
            {"registered_ns", n.registered_ns},
            {"last_seen_ns", n.last_seen_ns}};
  j["kpis"] = n.kpis ? to_json(*n.kpis) : json(nullptr);
  return j;
}

json to_json(const Heartbeat& hb) { return {{"sent_ns", hb.sent_ns}, {"kpis", to_json(hb.kpis)}}; }

namespace {

Status read_facts(const json& j, const std::string& path, NodeFacts& f) {
  JsonReader r(j, path);
  r.str("hostname", f.hostname, false, 255);
  r.str("os", f.os, false, 255);
  r.str("kernel", f.kernel, false, 255);
  r.str("arch", f.arch, false, 64);
  r.str("cpu_model", f.cpu_model, false, 255);
  r.integer("cores", f.cores);
  r.uinteger("memory_bytes", f.memory_bytes);
  r.uinteger("disk_bytes", f.disk_bytes);
  r.boolean("can_run_containers", f.can_run_containers);
  r.boolean("has_bubblewrap", f.has_bubblewrap);
  if (const json* gpus = r.array("gpus")) {
    if (gpus->size() > 64) r.fail(r.field("gpus"), "at most 64 GPUs");
    for (size_t i = 0; i < gpus->size() && !r.error(); ++i) {
      JsonReader g((*gpus)[i], r.field("gpus") + "[" + std::to_string(i) + "]");
      Gpu gpu;
      g.str("vendor", gpu.vendor, false, 255);
      g.str("model", gpu.model, false, 255);
      g.uinteger("memory_bytes", gpu.memory_bytes);
      IOT_TRY(g.status());
      f.gpus.push_back(std::move(gpu));
    }
  }
  if (!r.error() && f.cores < 0) r.fail(r.field("cores"), "must not be negative");
  return r.status();
}

}  // namespace

Result<NodeKpis> kpis_from_json(const json& j) {
  NodeKpis k;
  JsonReader r(j, "kpis");
  r.number("cpu_percent", k.cpu_percent);
  r.number("load1", k.load1);
  r.uinteger("memory_used_bytes", k.memory_used_bytes);
  r.uinteger("memory_available_bytes", k.memory_available_bytes);
  r.uinteger("disk_used_bytes", k.disk_used_bytes);
  r.uinteger("disk_free_bytes", k.disk_free_bytes);
  r.number("net_rx_rate", k.net_rx_rate);
  r.number("net_tx_rate", k.net_tx_rate);
  if (const json* bufs = r.array("buffers")) {
    if (bufs->size() > 64) r.fail(r.field("buffers"), "at most 64 streams");
    for (size_t i = 0; i < bufs->size() && !r.error(); ++i) {
      JsonReader b((*bufs)[i], r.field("buffers") + "[" + std::to_string(i) + "]");
      BufferKpis x;
      b.str("stream", x.stream, true, 64);
      b.uinteger("backlog_records", x.backlog_records);
      b.uinteger("bytes", x.bytes);
      b.uinteger("max_bytes", x.max_bytes);
      b.integer("oldest_age_ms", x.oldest_age_ms);
      b.number("in_rate", x.in_rate);
      b.number("out_rate", x.out_rate);
      b.uinteger("dropped", x.dropped);
      b.uinteger("rejected", x.rejected);
      b.uinteger("failures", x.failures);
      b.str("last_error", x.last_error, false, 4096);
      IOT_TRY(b.status());
      k.buffers.push_back(std::move(x));
    }
  }
  if (const json* tasks = r.array("tasks")) {
    if (tasks->size() > 4096) r.fail(r.field("tasks"), "at most 4096 tasks");
    for (size_t i = 0; i < tasks->size() && !r.error(); ++i) {
      JsonReader t((*tasks)[i], r.field("tasks") + "[" + std::to_string(i) + "]");
      TaskKpis x;
      t.str("id", x.id, true, 128);
      t.str("state", x.state, false, 16);
      t.number("cpu_percent", x.cpu_percent);
      t.uinteger("rss_bytes", x.rss_bytes);
      int64_t restarts = 0;
      t.integer("restarts", restarts);
      x.restarts = static_cast<int>(std::clamp<int64_t>(restarts, 0, 1'000'000));
      IOT_TRY(t.status());
      k.tasks.push_back(std::move(x));
    }
  }
  if (const json* ing = r.object("ingest")) {
    JsonReader g(*ing, r.field("ingest"));
    IngestKpis x;
    g.str("broker_url", x.broker_url, false, 1024);
    g.boolean("broker_running", x.broker_running);
    g.uinteger("broker_restarts", x.broker_restarts);
    g.uinteger("messages", x.messages);
    g.uinteger("samples", x.samples);
    g.uinteger("events", x.events);
    g.uinteger("invalid_messages", x.invalid_messages);
    g.uinteger("rejected_fields", x.rejected_fields);
    IOT_TRY(g.status());
    k.ingest = std::move(x);
  }
  IOT_TRY(r.status());
  return k;
}

Result<NodeRegistration> registration_from_json(const json& j) {
  NodeRegistration reg;
  JsonReader r(j, "");
  std::string level = "edge";
  r.str("id", reg.id, false, 64);
  r.str("name", reg.name, false, 255);
  r.str("level", level, true, 16);
  r.str("parent", reg.parent, false, 64);
  r.string_map("labels", reg.labels);
  r.str("agent_version", reg.agent_version, false, 64);
  r.str("ingest_url", reg.ingest_url, false, 2048);
  const json* facts = r.object("facts");
  IOT_TRY(r.status());
  if (facts != nullptr) IOT_TRY(read_facts(*facts, "facts", reg.facts));
  auto lvl = parse_level(level);
  if (!lvl) return make_error(Errc::invalid_argument, "level: " + lvl.error().message());
  reg.level = *lvl;
  if (!reg.id.empty()) {
    auto valid = validate_node_id(reg.id);
    if (!valid) return make_error(Errc::invalid_argument, "id: " + valid.error().message());
  }
  if (!reg.parent.empty()) {
    auto valid = validate_node_id(reg.parent);
    if (!valid) return make_error(Errc::invalid_argument, "parent: " + valid.error().message());
  }
  auto labels = validate_labels(reg.labels);
  if (!labels) return make_error(Errc::invalid_argument, "labels: " + labels.error().message());
  if (reg.name.empty()) reg.name = reg.facts.hostname;
  return reg;
}

Result<Node> node_from_json(const json& j) {
  Node n;
  JsonReader r(j, "");
  std::string level = "edge", state = "ready";
  r.str("id", n.id, true, 64);
  r.str("name", n.name, false, 255);
  r.str("level", level, true, 16);
  r.str("parent", n.parent, false, 64);
  r.string_map("labels", n.labels);
  r.str("agent_version", n.agent_version, false, 64);
  r.str("ingest_url", n.ingest_url, false, 2048);
  r.str("group", n.group, false, 64);  // absent in nodes stored before groups: "default"
  r.str("state", state, true, 16);
  r.integer("registered_ns", n.registered_ns);
  r.integer("last_seen_ns", n.last_seen_ns);
  const json* facts = r.object("facts");
  const json* kpis = r.object("kpis");
  IOT_TRY(r.status());
  if (facts != nullptr) IOT_TRY(read_facts(*facts, "facts", n.facts));
  if (kpis != nullptr) {
    IOT_ASSIGN(n.kpis, kpis_from_json(*kpis));
  }
  IOT_ASSIGN(n.level, parse_level(level));
  IOT_ASSIGN(n.state, parse_node_state(state));
  return n;
}

Result<Heartbeat> heartbeat_from_json(const json& j) {
  Heartbeat hb;
  JsonReader r(j, "");
  r.integer("sent_ns", hb.sent_ns);
  const json* kpis = r.object("kpis");
  IOT_TRY(r.status());
  if (kpis != nullptr) {
    IOT_ASSIGN(hb.kpis, kpis_from_json(*kpis));
  }
  return hb;
}

}  // namespace iotwins::model
