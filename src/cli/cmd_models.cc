// iotwins models evaluate PATH: runs the SKAB protocol over a directory or CSV file in SKAB's
// format and prints F1 / FAR / MAR per detector (all, or the one --detector names) beside the
// published leaderboard. The registry verbs (ls, show, register, promote, rollback) talk to the
// server's /api/v1/models (models_registry.cc).
#include <cstdio>

#include "analytics/skab.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/models.h"
#include "iam/model.h"

namespace iotwins::cli {

int run_models(std::span<const std::string> args) {
  if (!args.empty() && args[0] == "train") return run_models_train(args.subspan(1));
  if (!args.empty() && args[0] == "infer") return run_models_infer(args.subspan(1));
  ConfigSpec spec("models",
                  "Anomaly detection models: evaluation on labelled data and the server's model registry.\n"
                  "  iotwins models evaluate PATH   SKAB's protocol on a directory or CSV file (';'-separated,\n"
                  "                                 datetime first, numeric columns, an 'anomaly' column);\n"
                  "                                 each file: fit on its first --train-rows rows, score the rest\n"
                  "  iotwins models train NAME ...  the Training task: fit on a twin's stored series, register\n"
                  "  iotwins models infer NAME ...  the Inference task: score live telemetry, report health\n"
                  "  iotwins models ls              registered models you may read: group, latest and promoted\n"
                  "                                 version, revision\n"
                  "  iotwins models show NAME       a model's versions (stage, metrics, lineage) and history\n"
                  "  iotwins models register NAME FILE [--metric f1=0.78 --series pump-1/flow --param k=v\n"
                  "        --data-from T --data-to T --group G]   upload a serialized detector and register\n"
                  "        it as the next version (a candidate); the first version puts the model in IAM group\n"
                  "        G (default 'default'): only users with a grant there see or change it\n"
                  "  iotwins models promote NAME VERSION [--if-revision N]   roll VERSION out to every\n"
                  "        Inference task using the model (409 if the model changed since revision N)\n"
                  "  iotwins models rollback NAME [--if-revision N]   back to the version promoted before",
                  "VERB [ARGS] [flags]");
  spec.add_common();
  spec.add({.name = "train-rows", .type = ConfigType::integer, .default_value = "400",
            .help = "leading rows of each file used for training (thresholds included)", .min = 10,
            .max = 10'000'000});
  std::vector<std::string> ids = {"all"};
  for (const auto& d : analytics::skab::default_detectors()) ids.push_back(d.id);
  spec.add({.name = "detector", .type = ConfigType::choice, .default_value = "all",
            .help = "evaluate only this detector (dpca-slow-diff: the best on SKAB at a low false-alarm rate)",
            .choices = ids});
  add_client_flags(spec);
  spec.add({.name = "by", .default_value = "cli", .help = "register/promote/rollback: who does it (recorded)"});
  spec.add({.name = "if-revision", .type = ConfigType::integer,
            .help = "promote/rollback: only if the model is still at this revision (see 'models show')", .min = 1});
  spec.add({.name = "metric", .type = ConfigType::list, .help = "register: NAME=NUMBER (repeat or comma-separate)"});
  spec.add({.name = "param", .type = ConfigType::list, .help = "register: training parameter NAME=TEXT (lineage)"});
  spec.add({.name = "series", .type = ConfigType::list, .help = "register: series trained on, twin/property (lineage)"});
  spec.add({.name = "data-from", .help = "register: start of the training data (RFC 3339, epoch ms, now-1d)"});
  spec.add({.name = "data-to", .help = "register: end of the training data"});
  spec.add({.name = "kind", .help = "register: the detector kind, checked against the file (default: read from it)"});
  spec.add({.name = "group", .help = "register: the IAM group of a new model (default: default); a later version "
                                     "keeps its model's group (another one is refused)"});
  spec.positional("VERB [ARGS]", "evaluate PATH | ls | show NAME | register NAME FILE | promote NAME VERSION | "
                                 "rollback NAME");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  if (pos.empty()) {
    std::fprintf(stderr, "iotwins models: a verb is required: evaluate PATH, ls, show NAME, register NAME FILE, "
                         "promote NAME VERSION or rollback NAME (see 'iotwins models --help')\n");
    return 2;
  }
  if (p.command.config.is_set("group")) {
    if (auto st = iam::validate_name(p.command.config.str("group"), "--group"); !st) {
      std::fprintf(stderr, "iotwins models: %s\n", st.error().message().c_str());
      return 2;
    }
  }
  if (pos[0] != "evaluate") return models_registry(pos, p.command.config);
  if (pos.size() != 2) {
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
