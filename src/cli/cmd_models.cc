// iotwins models evaluate PATH: runs the SKAB protocol over a directory or CSV file in SKAB's
// format and prints F1 / FAR / MAR per detector (all, or the one --detector names) beside the
// published leaderboard. (The model registry verbs — ls, show, promote, rollback — arrive with
// the registry.)
#include <cstdio>

#include "analytics/skab.h"
#include "cli/client.h"
#include "cli/command.h"

namespace iotwins::cli {

int run_models(std::span<const std::string> args) {
  ConfigSpec spec("models",
                  "Evaluates anomaly detectors on labelled data:\n"
                  "  iotwins models evaluate PATH   SKAB's protocol on a directory or CSV file (';'-separated,\n"
                  "                                 datetime first, numeric columns, an 'anomaly' column);\n"
                  "                                 each file: fit on its first --train-rows rows, score the rest",
                  "evaluate PATH [flags]");
  spec.add_common();
  spec.add({.name = "train-rows", .type = ConfigType::integer, .default_value = "400",
            .help = "leading rows of each file used for training (thresholds included)", .min = 10,
            .max = 10'000'000});
  std::vector<std::string> ids = {"all"};
  for (const auto& d : analytics::skab::default_detectors()) ids.push_back(d.id);
  spec.add({.name = "detector", .type = ConfigType::choice, .default_value = "all",
            .help = "evaluate only this detector (dpca-slow-diff: the best on SKAB at a low false-alarm rate)",
            .choices = ids});
  spec.positional("evaluate PATH", "the verb and a SKAB-format directory or CSV file");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  if (pos.size() != 2 || pos[0] != "evaluate") {
    std::fprintf(stderr, "iotwins models: usage: iotwins models evaluate PATH (see 'iotwins models --help')\n");
    return 2;
  }
  analytics::skab::EvalOptions options;
  options.train_rows = static_cast<int>(p.command.config.integer("train-rows"));
  const std::string chosen = p.command.config.str("detector");
  for (auto& d : analytics::skab::default_detectors()) {
    if (chosen != "all" && d.id == chosen) options.detectors.push_back(std::move(d));
  }
  std::fprintf(stderr, "evaluating %s (first %d rows of each file for training)…\n", pos[1].c_str(),
               options.train_rows);
  auto table = analytics::skab::evaluate(pos[1], options);
  if (!table) return report("models evaluate", table.error());
  std::fputs(analytics::skab::format_table(*table).c_str(), stdout);
  return 0;
}

}  // namespace iotwins::cli
