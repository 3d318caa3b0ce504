// skab_eval: runs the SKAB outlier protocol over a directory or CSV file and prints the table
// beside the published leaderboard; with --json, one JSON object as the last line.
//   skab_eval PATH [--train-rows N] [--json]
#include <cstdio>
#include <cstring>
#include <string>

#include "analytics/skab.h"

using namespace iotwins::analytics;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: skab_eval PATH [--train-rows N] [--json]\n");
    return 2;
  }
  skab::EvalOptions options;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--train-rows") == 0 && i + 1 < argc) {
      options.train_rows = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "skab_eval: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  auto table = skab::evaluate(argv[1], options);
  if (!table) {
    std::fprintf(stderr, "skab_eval: %s\n", table.error().to_string().c_str());
    return 1;
  }
  std::printf("%s", skab::format_table(*table).c_str());
  if (json) {
    std::string out = "{\"files\":" + std::to_string(table->files) + ",\"detectors\":[";
    for (size_t i = 0; i < table->results.size(); ++i) {
      const auto& r = table->results[i];
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "%s{\"name\":\"%s\",\"f1\":%.4f,\"far_pct\":%.2f,\"mar_pct\":%.2f,"
                    "\"fit_s\":%.4f,\"score_s\":%.4f,\"rows\":%lld,\"model_bytes\":%zu}",
                    i ? "," : "", r.name.c_str(), r.counts.f1(), r.counts.far(), r.counts.mar(),
                    r.fit_seconds, r.score_seconds, r.scored_rows, r.model_bytes);
      out += buf;
    }
    std::printf("%s]}\n", out.c_str());
  }
  return 0;
}
