// scheduler_bench: places a synthetic batch on a synthetic continuum and prints one JSON object.
//   scheduler_bench [--nodes N] [--requests M] [--naive K] [--seed S]
// Three runs over the same input: the library as configured by default (sampled search), the
// library exhaustive, and the naive exhaustive anchor on the first K requests.
#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "naive.h"
#include "scheduler/scheduler.h"
#include "workload.h"

using namespace iotwins::scheduler;
using Clock = std::chrono::steady_clock;

namespace {

struct RunResult {
  double seconds = 0;            // all requests
  double first_k_seconds = 0;    // the first K, for the same-work comparison with the naive anchor
  double index_ms = 0;
  double cpu_seconds = 0;  // thread CPU time of the loop: what the machine's other load cannot inflate
  std::vector<double> latency_us;  // wall clock: includes preemption by the machine's other load
  std::vector<double> placed_latency_us;  // successful placements only (failures also explain)
  std::vector<std::string> chosen;  // node id or "" per request
  size_t placed = 0;
  size_t nodes_used = 0;
  std::map<std::string, uint64_t> reasons;  // filter -> nodes rejected, summed over failures
  std::vector<std::string> examples;
  struct Kind {
    uint64_t requests = 0, slow = 0;  // slow: over 20 us
    double us = 0;
  };
  std::map<std::string, Kind> by_group;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

RunResult run_library(const std::vector<NodeSnapshot>& nodes, const std::vector<PlacementRequest>& requests,
                      SchedulerConfig config, size_t k) {
  RunResult r;
  auto t0 = Clock::now();
  auto s = Scheduler::create(nodes, config);
  r.index_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!s) {
    std::fprintf(stderr, "scheduler_bench: %s\n", s.error().to_string().c_str());
    std::exit(1);
  }
  r.latency_us.reserve(requests.size());
  r.chosen.reserve(requests.size());
  std::set<std::string> used;
  const double cpu0 = thread_cpu_seconds();
  for (size_t i = 0; i < requests.size(); ++i) {
    auto a = Clock::now();
    auto out = s->place_one(requests[i]);
    auto b = Clock::now();
    if (!out) {
      std::fprintf(stderr, "scheduler_bench: %s\n", out.error().to_string().c_str());
      std::exit(1);
    }
    const double us = std::chrono::duration<double, std::micro>(b - a).count();
    r.latency_us.push_back(us);
    auto& kind = r.by_group[requests[i].group];
    kind.requests += 1;
    kind.us += us;
    if (us > 20) kind.slow += 1;
    r.seconds += us / 1e6;
    if (i < k) r.first_k_seconds += us / 1e6;
    if (out->assignment) {
      ++r.placed;
      r.placed_latency_us.push_back(us);
      used.insert(out->assignment->node_id);
      r.chosen.push_back(out->assignment->node_id);
    } else {
      r.chosen.emplace_back();
      for (const FilterCount& c : out->failure->reasons) r.reasons[c.filter] += c.nodes;
      if (r.examples.size() < 3) r.examples.push_back(out->failure->explanation);
    }
  }
  // The loop's bookkeeping (timestamps, ids into a set) is included, so this overstates the cost.
  r.cpu_seconds = thread_cpu_seconds() - cpu0;
  r.nodes_used = used.size();
  return r;
}

uint64_t arg(int argc, char** argv, const char* name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t node_count = static_cast<uint32_t>(arg(argc, argv, "--nodes", 10'000));
  const uint32_t request_count = static_cast<uint32_t>(arg(argc, argv, "--requests", 100'000));
  const size_t naive_count = std::min<size_t>(arg(argc, argv, "--naive", 2'000), request_count);
  const uint64_t seed = arg(argc, argv, "--seed", 42);

  const auto nodes = bench::make_nodes(node_count, seed);
  const auto requests = bench::make_requests(request_count, nodes, seed);
  SchedulerConfig config;
  config.seed = seed;
  config.sample_feasible = static_cast<uint32_t>(arg(argc, argv, "--sample", config.sample_feasible));

  std::fprintf(stderr, "placing %u requests on %u nodes (sampled)...\n", request_count, node_count);
  RunResult sampled = run_library(nodes, requests, config, naive_count);
  std::fprintf(stderr, "  placed %zu of %u on %zu nodes; wall %.3f s, thread cpu %.3f s\n", sampled.placed,
               request_count, sampled.nodes_used, sampled.seconds, sampled.cpu_seconds);
  for (const auto& e : sampled.examples) std::fprintf(stderr, "  e.g. %s\n", e.c_str());
  for (const auto& [group, v] : sampled.by_group) {
    std::fprintf(stderr, "  %-10s %6llu requests, mean %.2f us, %llu over 20 us\n", group.c_str(),
                 static_cast<unsigned long long>(v.requests), v.us / static_cast<double>(v.requests),
                 static_cast<unsigned long long>(v.slow));
  }
  SchedulerConfig exhaustive_config = config;
  exhaustive_config.sample_feasible = 0;
  if (arg(argc, argv, "--profile-sampled", 0) != 0) return 0;  // for perf: the sampled run alone
  std::fprintf(stderr, "placing again, exhaustive...\n");
  RunResult exhaustive = run_library(nodes, requests, exhaustive_config, naive_count);

  std::fprintf(stderr, "naive anchor on the first %zu requests...\n", naive_count);
  bench::NaiveScheduler naive(nodes, exhaustive_config);
  size_t agree = 0;
  auto t0 = Clock::now();
  std::vector<std::string> naive_chosen;
  naive_chosen.reserve(naive_count);
  for (size_t i = 0; i < naive_count; ++i) naive_chosen.push_back(naive.place(requests[i]).value_or(""));
  const double naive_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (size_t i = 0; i < naive_count; ++i) agree += naive_chosen[i] == exhaustive.chosen[i];

  const double rate = request_count / sampled.seconds;
  const double exhaustive_rate = request_count / exhaustive.seconds;
  const double naive_rate = naive_count / naive_seconds;
  const double sampled_k_rate = naive_count / sampled.first_k_seconds;
  const double exhaustive_k_rate = naive_count / exhaustive.first_k_seconds;
  constexpr double kKubernetes = 330, kNomadC1M = 3750, kGoal = 50'000;

  std::printf(
      "{\"benchmark\":\"scheduler\",\"nodes\":%u,\"requests\":%u,\"threads\":1,"
      "\"placed\":%zu,\"failed\":%zu,\"placements_per_s\":%.0f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.1f,"
      "\"p99_us_placed_only\":%.2f,\"cpu_time_placements_per_s\":%.0f,\"index_build_ms\":%.1f,\"nodes_used\":%zu,"
      "\"exhaustive\":{\"placements_per_s\":%.0f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"placed\":%zu,\"nodes_used\":%zu},"
      "\"naive_anchor\":{\"requests\":%zu,\"placements_per_s\":%.1f,\"agreement_with_exhaustive\":%.4f,"
      "\"sampled_placements_per_s_same_requests\":%.0f,\"exhaustive_placements_per_s_same_requests\":%.0f,"
      "\"ratio_sampled_vs_naive\":%.1f,\"ratio_exhaustive_vs_naive\":%.1f},"
      "\"published_anchors\":{\"kubernetes_pods_per_s_5000_nodes\":%.0f,\"nomad_c1m_containers_per_s\":%.0f},"
      "\"ratio_vs_kubernetes\":%.1f,\"ratio_vs_nomad_c1m\":%.2f,\"goal_placements_per_s\":%.0f,\"meets_goal\":%s,"
      "\"units\":{\"placements_per_s\":\"placements/s, one core\",\"p50_us\":\"microseconds per placement\"}}\n",
      node_count, request_count, sampled.placed, request_count - sampled.placed, rate,
      percentile(sampled.latency_us, 0.50), percentile(sampled.latency_us, 0.99),
      *std::max_element(sampled.latency_us.begin(), sampled.latency_us.end()),
      percentile(sampled.placed_latency_us, 0.99), request_count / sampled.cpu_seconds, sampled.index_ms, sampled.nodes_used,
      exhaustive_rate, percentile(exhaustive.latency_us, 0.50), percentile(exhaustive.latency_us, 0.99),
      exhaustive.placed, exhaustive.nodes_used, naive_count, naive_rate,
      static_cast<double>(agree) / static_cast<double>(std::max<size_t>(naive_count, 1)), sampled_k_rate,
      exhaustive_k_rate, sampled_k_rate / naive_rate, exhaustive_k_rate / naive_rate, kKubernetes, kNomadC1M,
      rate / kKubernetes, rate / kNomadC1M, kGoal, rate >= kGoal ? "true" : "false");
  return 0;
}
