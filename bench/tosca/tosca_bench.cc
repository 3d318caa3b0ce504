// Generates a service template with N node templates (custom types, requirements, functions,
// groups, policies), then times tosca::validate (parse, imports, validation, instance model)
// against a raw yaml-cpp parse of the same text. Prints one JSON object as its last line.
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tosca/validate.h"

namespace {

using iotwins::tosca::Source;
using iotwins::tosca::Value;

std::string generate(int nodes) {
  const int hosts = std::max(1, nodes / 20);
  std::string s;
  s.reserve(static_cast<size_t>(nodes) * 600);
  s += "tosca_definitions_version: tosca_simple_yaml_1_3\n"
       "description: generated benchmark chain\n"
       "imports: [iotwins]\n"
       "data_types:\n"
       "  bench.datatypes.Window:\n"
       "    derived_from: tosca.datatypes.Root\n"
       "    properties:\n"
       "      size: {type: scalar-unit.time, constraints: [{greater_than: 0 s}]}\n"
       "      slide: {type: scalar-unit.time, required: false}\n"
       "node_types:\n"
       "  bench.nodes.Stage:\n"
       "    derived_from: iotwins.nodes.Task.DataFilter\n"
       "    properties:\n"
       "      stage: {type: integer, constraints: [{greater_or_equal: 0}]}\n"
       "      label: {type: string, required: false}\n"
       "      agg: {type: bench.datatypes.Window, required: false}\n"
       "      tags: {type: list, required: false, entry_schema: {type: string, constraints: [{min_length: 1}]}}\n"
       "topology_template:\n"
       "  inputs:\n"
       "    site: {type: string, default: plant-1}\n"
       "    window: {type: scalar-unit.time, default: 5 s}\n"
       "  node_templates:\n";
  for (int h = 0; h < hosts; ++h) {
    s += "    host" + std::to_string(h) + ":\n"
         "      type: iotwins.nodes.Compute\n"
         "      properties: {level: " + std::string(h % 2 ? "edge" : "cloud") + ", labels: {site: {get_input: site}}}\n"
         "      capabilities:\n"
         "        host: {properties: {cpu: 8, memory: 16 GiB, arch: x86_64}}\n";
  }
  for (int i = 0; i < nodes - hosts; ++i) {
    std::string n = "stage" + std::to_string(i);
    s += "    " + n + ":\n"
         "      type: bench.nodes.Stage\n"
         "      properties:\n"
         "        expression: \"value > " + std::to_string(i) + "\"\n"
         "        stage: " + std::to_string(i) + "\n"
         "        window: {get_input: window}\n"
         "        label: {concat: [{get_property: [HOST, labels, site]}, \"-\", {get_property: [SELF, stage]}]}\n"
         "        agg: {size: 10 s, slide: 1 s}\n"
         "        tags: [bench, stage]\n"
         "        resources: {cpu: 0.25, memory: 64 MiB}\n"
         "        env: {PEER: {get_attribute: [host" + std::to_string(i % hosts) + ", private_address]}}\n"
         "      requirements:\n"
         "        - host: host" + std::to_string(i % hosts) + "\n";
    if (i + 1 < nodes - hosts) s += "        - output: stage" + std::to_string(i + 1) + "\n";
  }
  s += "  groups:\n    stages:\n      type: tosca.groups.Root\n      members: [";
  for (int i = 0; i < std::min(nodes - hosts, 100); ++i) s += (i ? ", stage" : "stage") + std::to_string(i);
  s += "]\n  policies:\n"
       "    - keep: {type: iotwins.policies.QoS, targets: [stages], properties: {restart: always}}\n"
       "    - edge: {type: iotwins.policies.Placement, targets: [stage0], properties: {labels: {site: plant-1}}}\n"
       "  outputs:\n"
       "    first_label: {type: string, value: {get_property: [stage0, label]}}\n";
  return s;
}

// libyaml's event parser over the text, building nothing: the floor for any YAML-based reader.
size_t libyaml_events(const std::string& text) {
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  size_t events = 0;
  for (bool done = false; !done;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) break;
    done = event.type == YAML_STREAM_END_EVENT;
    ++events;
    yaml_event_delete(&event);
  }
  yaml_parser_delete(&parser);
  return events;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20;
  int nodes = 1000;
  // --profile N: only N validations, no anchors and no JSON (for perf record).
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--profile") {
      std::string text = generate(nodes);
      for (int k = 0; k < std::atoi(argv[i + 1]); ++k)
        if (!iotwins::tosca::validate(Source::from_text(text, "bench.yaml")).ok()) return 1;
      return 0;
    }
  }
  for (int i = 1; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations") iterations = std::atoi(argv[i + 1]);
    if (a == "--nodes") nodes = std::atoi(argv[i + 1]);
  }
  const std::string text = generate(nodes);
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };

  // One untimed run each: checks the document is valid and warms the built-in profiles.
  auto first = iotwins::tosca::validate(Source::from_text(text, "bench.yaml"));
  if (!first.ok()) {
    std::fprintf(stderr, "generated document is invalid:\n%s", first.to_text().c_str());
    return 1;
  }
  std::vector<double> ours, yaml, events;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = clock::now();
    auto root = YAML::Load(text);
    auto t1 = clock::now();
    auto report = iotwins::tosca::validate(Source::from_text(text, "bench.yaml"));
    auto t2 = clock::now();
    size_t n = libyaml_events(text);
    auto t3 = clock::now();
    if (!report.ok() || root.size() == 0 || n == 0) return 1;
    yaml.push_back(ms(t1 - t0));
    ours.push_back(ms(t2 - t1));
    events.push_back(ms(t3 - t2));
  }
  double ours_ms = median(ours), yaml_ms = median(yaml), events_ms = median(events);
  std::fprintf(stderr, "%d node templates (%zu bytes), %zu relationships, %zu layers\n", nodes, text.size(),
               first.summary.relationships, first.summary.layers.size());
  std::fprintf(stderr, "tosca::validate median %.2f ms; yaml-cpp YAML::Load median %.2f ms; libyaml events %.2f ms\n",
               ours_ms, yaml_ms, events_ms);
  std::printf(
      "{\"benchmark\":\"tosca\",\"node_templates\":%d,\"document_bytes\":%zu,\"iterations\":%d,"
      "\"validate_ms_median\":%.3f,\"validate_ms_min\":%.3f,\"goal_ms\":100,\"ratio_to_goal\":%.3f,"
      "\"anchor\":\"yaml-cpp YAML::Load of the same text\",\"anchor_yaml_parse_ms_median\":%.3f,"
      "\"ratio_to_yaml_parse\":%.3f,\"anchor2\":\"libyaml event parse of the same text (no tree)\","
      "\"anchor_libyaml_events_ms_median\":%.3f,\"ratio_to_libyaml_events\":%.3f,"
      "\"relationships\":%zu,\"layers\":%zu,\"unit\":\"ms\"}\n",
      nodes, text.size(), iterations, ours_ms, *std::min_element(ours.begin(), ours.end()), ours_ms / 100.0, yaml_ms,
      ours_ms / yaml_ms, events_ms, ours_ms / events_ms, first.summary.relationships, first.summary.layers.size());
  return 0;
}
