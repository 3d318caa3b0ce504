// iotwins models train | infer: the Training task (cloud) and the Inference task (edge) as
// commands, so they run by hand or as tasks the orchestrator starts (src/tasks/).
#include <cstdio>
#include <stop_token>
#include <thread>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/models.h"
#include "core/log.h"
#include "core/signals.h"
#include "tasks/inference.h"
#include "tasks/training.h"

namespace iotwins::cli {

int run_models_train(std::span<const std::string> args) {
  ConfigSpec spec("models train",
                  "Trains an anomaly detector on a twin's stored series and registers it as a new version:\n"
                  "rows are --step buckets (mean) of the --property series between --from and --to, joined on time.\n"
                  "Example: iotwins models train pump-ad --twin pump-101 --property flow_m3h,current_a,power_kw \\\n"
                  "           --from -6h --detector dpca-slow-diff --promote",
                  "NAME [flags]");
  add_client_flags(spec).positional("NAME", "the model's name in the registry");
  spec.add({.name = "twin", .help = "the twin whose series are the training data; required"});
  spec.add({.name = "property", .type = ConfigType::list, .help = "properties, comma-separated or repeated; required"});
  spec.add({.name = "from", .default_value = "-1h", .help = "start of the training range (series API times)"});
  spec.add({.name = "to", .default_value = "now", .help = "end of the training range"});
  spec.add({.name = "step", .default_value = "1s", .help = "row width: each row is the mean over one step"});
  spec.add({.name = "detector", .default_value = "pca",
            .help = "a preset of `models evaluate` (pca, dpca-slow-diff, mset, …) or a JSON object of options"});
  spec.add({.name = "promote", .type = ConfigType::boolean, .default_value = "false",
            .help = "promote the new version (every Inference task using the model switches to it)"});
  spec.add({.name = "by", .default_value = "training-task", .help = "who trained it (lineage)"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  if (p.command.positional.size() != 1 || c.str("twin").empty() || c.list("property").empty()) {
    std::fprintf(stderr, "iotwins models train: usage: iotwins models train NAME --twin ID --property P[,P...]\n");
    return 2;
  }
  auto client = make_client(c);
  if (!client) return report("models train", client.error());
  tasks::TrainingSpec s;
  s.model = p.command.positional[0];
  s.twin = c.str("twin");
  s.properties = c.list("property");
  s.from = c.str("from");
  s.to = c.str("to");
  s.step = c.str("step");
  s.detector = c.str("detector");
  s.promote = c.boolean("promote");
  s.created_by = c.str("by");
  auto r = tasks::train(**client, s, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (!r) {
    report("models train", r.error());
    return r.error().code() == Errc::invalid_argument ? 2 : 1;
  }
  return 0;
}

int run_models_infer(std::span<const std::string> args) {
  ConfigSpec spec("models infer",
                  "Runs the Inference task: scores a twin's live telemetry on a broker with the model's promoted\n"
                  "version, reports health and anomaly_score on the twin, publishes anomaly events with the\n"
                  "variables that contributed most, and switches live when another version is promoted.\n"
                  "For a run longer than a login's access token lives, give it an API token (--token or\n"
                  "IOTWINS_TOKEN; iotwins tokens create). The orchestrator's Inference tasks use their node's.\n"
                  "Example: iotwins models infer pump-ad --broker mqtt://127.0.0.1:1883",
                  "NAME [flags]");
  add_client_flags(spec).positional("NAME", "the model's name in the registry");
  spec.add({.name = "broker", .default_value = "mqtt://127.0.0.1:1883", .help = "the edge broker with the telemetry"});
  spec.add({.name = "twin", .help = "score this twin (default: the twin the model was trained on)"});
  spec.add({.name = "poll", .type = ConfigType::duration, .default_value = "2s", .help = "how often the registry is asked"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  if (p.command.positional.size() != 1) {
    std::fprintf(stderr, "iotwins models infer: usage: iotwins models infer NAME [--broker URL]\n");
    return 2;
  }
  tasks::InferenceOptions o;
  o.server_url = c.str("server");
  o.ca_file = c.str("ca-file");
  // A run longer than an access token lives wants an API token (--token / IOTWINS_TOKEN).
  auto token = bearer_token_for(o.server_url, c.str("token"), {.ca_file = o.ca_file});
  if (!token) return report("models infer", token.error());
  o.bearer_token = *token;
  o.model = p.command.positional[0];
  o.broker_url = c.str("broker");
  o.twin = c.str("twin");
  o.poll = c.duration("poll");
  auto& log = log::get("inference");
  o.progress = [&log](const std::string& line) { log.info("{}", line); };
  Result<tasks::InferenceStats> result = make_error(Errc::cancelled, "not run");
  run_until_interrupted([&](std::stop_token stop) {
    o.stop = stop;
    result = tasks::run_inference(o);
  });
  if (!result) return report("models infer", result.error());
  log.info("inference stopped: {} rows scored, {} anomalies, {} model swaps", result->rows, result->anomalies,
           result->model_swaps);
  return 0;
}

}  // namespace iotwins::cli
