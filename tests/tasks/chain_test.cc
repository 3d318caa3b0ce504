// The cloud and edge tasks of a chain against a real `iotwins server`: the trainer waits for
// stored history, trains, registers and promotes by its rule; the inference task waits for a
// version, then scores its input records and puts anomaly events on its output; the simulation
// posts its run as a scenario; the time-series store service checks the server.
#include <gtest/gtest.h>

#include <cmath>

#include "../dataplane/mqtt_harness.h"
#include "../e2e/harness.h"
#include "api/http_client.h"
#include "dataplane/codec/batch_frame.h"
#include "task_runner.h"
#include "tasks/builtins.h"

namespace iotwins::tasks {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::eventually;
using testing::TaskRunner;
namespace mq = dataplane::testing;

// `n` seconds of history of twin press-17 ending now: y follows x, z is small noise.
void ingest_history(const e2e::ServerDaemon& server, int n) {
  dataplane::Batch batch{.source_node = "test", .stream = "telemetry", .first_seq = 1};
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < n; ++i) {
    const int64_t ts = now_ns - static_cast<int64_t>(n - i) * 1'000'000'000;
    const double x = std::sin(i * 0.1) * 3, noise = std::sin(i * 7.3) * 0.05;
    batch.records.push_back(dataplane::Sample{"press-17", "x", ts, x});
    batch.records.push_back(dataplane::Sample{"press-17", "y", ts, 2 * x + noise});
    batch.records.push_back(dataplane::Sample{"press-17", "z", ts, noise});
  }
  auto frame = dataplane::encode_batch(batch);
  ASSERT_TRUE(frame) << frame.error().to_string();
  auto client = api::HttpClient::create(server.url(), {.bearer_token = server.token()});
  ASSERT_TRUE(client);
  auto res = (*client)->request(api::Method::POST, "/api/v1/ingest", *frame, "application/octet-stream");
  ASSERT_TRUE(res && res->ok()) << (res ? res->body : res.error().to_string());
  ASSERT_TRUE(eventually([&] {
    json s = e2e::get_json(server.url(), "/api/v1/series?twin=press-17");
    return !s.is_null() && s["items"].size() == 3 && s["items"][0]["count"].get<int64_t>() >= n;
  })) << "the ingested history never showed in /api/v1/series";
}

runtime::NodeContext node_of(const e2e::ServerDaemon& server, const std::string& broker = "") {
  return {.node_id = "cloud-1", .server_url = server.url(), .bearer_token = server.token(), .broker_url = broker};
}

TEST(ChainTasks, TrainerWaitsForHistoryThenRegistersAndInferenceScoresItsInputs) {
  e2e::ServerDaemon server(e2e::temp_dir("tasks_chain"));
  server.start();

  // The inference task starts first: no model yet, so it waits (and stays running).
  TaskRunner infer(node_of(server));
  ASSERT_TRUE(infer.start(kInference, {{"model", "press-ad"}, {"threshold", 0.8}, {"twins", {"press-17"}}},
                          {"inproc:in"}, {"inproc:out"}));
  ASSERT_TRUE(eventually([&] { return infer.log_has("waiting for a version of model press-ad"); })) << infer.log();

  // The trainer has no history to train on yet: it waits too.
  TaskRunner trainer(node_of(server));
  ASSERT_TRUE(trainer.start(kTraining, {{"model", "press-ad"}, {"history", "1 h"}, {"step", "1 s"}, {"interval", "200 ms"},
                                        {"twins", {"press-17"}}}));
  ASSERT_TRUE(eventually([&] { return trainer.log_has("waiting: no stored series of twin press-17 yet"); })) << trainer.log();
  EXPECT_FALSE(infer.poll());

  ingest_history(server, 200);
  ASSERT_TRUE(eventually([&] { return trainer.log_has("promoted press-ad version 1"); }, 60s)) << trainer.log();
  // Trained again on the same rows: the alarm rate is not worse, so version 2 is promoted too.
  ASSERT_TRUE(eventually([&] { return trainer.log_has("promoted press-ad version 2 (was version 1)"); }, 60s))
      << trainer.log();
  EXPECT_TRUE(trainer.stop().success());
  json v1 = e2e::get_json(server.url(), "/api/v1/models/press-ad/versions/1");
  ASSERT_FALSE(v1.is_null());
  EXPECT_EQ(v1["lineage"]["series"], (json{"press-17/x", "press-17/y", "press-17/z"}));
  EXPECT_EQ(v1["lineage"]["created_by"], "task t1");

  // The inference task picks the promoted version up and scores what arrives on its input.
  ASSERT_TRUE(eventually([&] { return infer.log_has("live on press-17"); }, 30s)) << infer.log();
  EXPECT_EQ(infer.attribute("endpoint"), "inproc:out");
  json model = e2e::get_json(server.url(), "/api/v1/models/press-ad");
  const int64_t live = model["promoted_version"].get<int64_t>();
  json version = e2e::get_json(server.url(), "/api/v1/models/press-ad/versions/" + std::to_string(live));
  const double model_limit = version["metrics"]["threshold"].get<double>();
  auto send = [&](double x, double y, double z) {
    infer.hub.deliver("in", json{{"twin", "press-17"}, {"x", x}, {"y", y}, {"z", z}}.dump());
  };
  for (int i = 0; i < 20; ++i) send(std::sin(i * 0.1) * 3, 2 * std::sin(i * 0.1) * 3, 0);
  EXPECT_TRUE(infer.records().empty());
  send(3, -6, 2);  // y no longer follows x
  ASSERT_TRUE(eventually([&] { return !infer.records().empty(); })) << infer.log();
  json anomaly = infer.records().front();
  EXPECT_EQ(anomaly["type"], "anomaly");
  EXPECT_EQ(anomaly["twin"], "press-17");
  EXPECT_EQ(anomaly["model"], "press-ad@" + std::to_string(live));
  // threshold 0.8: the alarm limit is 0.8 x the model's own limit.
  EXPECT_NEAR(anomaly["limit"].get<double>(), 0.8 * model_limit, 1e-9 * model_limit);
  EXPECT_GT(anomaly["score"].get<double>(), anomaly["limit"].get<double>());
  for (int i = 0; i < 10; ++i) send(std::sin(i * 0.1) * 3, 2 * std::sin(i * 0.1) * 3, 0);
  ASSERT_TRUE(eventually([&] { return infer.records().size() >= 2; })) << infer.log();
  EXPECT_EQ(infer.records()[1]["type"], "anomaly_cleared");
  EXPECT_TRUE(infer.stop().success());

  // Without input streams it follows the node broker's telemetry; its endpoint is the event topic.
  const std::string dir = e2e::temp_dir("tasks_chain_broker");
  auto broker = mq::Broker::start({.dir = dir});
  ASSERT_TRUE(broker) << broker.error().to_string();
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(broker->port());
  TaskRunner edge(node_of(server, url));
  ASSERT_TRUE(edge.start(kInference, {{"model", "press-ad"}, {"twins", {"press-17"}}}));
  ASSERT_TRUE(eventually([&] { return edge.log_has("live on press-17"); }, 30s)) << edge.log();
  EXPECT_EQ(edge.attribute("endpoint"), url + "/iotwins/press-17/events/anomaly");
  mq::Counter events(broker->port(), "iotwins/press-17/events/anomaly");
  mq::Publisher device("press", broker->port());
  ASSERT_TRUE(eventually([&] { return device.connected() && events.subscribed(); }));
  uint64_t i = 0;
  ASSERT_TRUE(eventually([&] {
    device.publish("iotwins/press-17/telemetry", json{{"x", 3}, {"y", -6}, {"z", 2}}.dump(), i++);
    return !edge.records().empty();
  })) << edge.log();
  EXPECT_EQ(edge.records().front()["type"], "anomaly");
  EXPECT_NEAR(edge.records().front()["limit"].get<double>(), model_limit, 1e-9 * model_limit);  // the model's own
  ASSERT_TRUE(eventually([&] { return events.count() >= 1; }));
  EXPECT_TRUE(edge.stop().success());
}

TEST(ChainTasks, InferenceBadConfigsNameTheField) {
  runtime::NodeContext node{.server_url = "http://127.0.0.1:1"};
  const std::pair<json, std::string> cases[] = {
      {json::object(), "config.model: is required"},
      {{{"model", "m"}, {"threshold", 0}}, "config.threshold: must be greater than 0"},
      {{{"model", "m"}, {"threshold", "high"}}, "config.threshold: must be a number"},
      {{{"model", "m"}, {"model_version", "latest"}}, "config.model_version: must be an integer"},
      {{{"model", "m"}, {"inputs", "x"}, {"twins", "p"}, {"model_version", "0"}}, "config.model_version: must be a version number"},
  };
  for (const auto& [config, expected] : cases) {
    TaskRunner run(node);
    auto st = run.start(kInference, config);
    ASSERT_FALSE(st) << config.dump();
    EXPECT_EQ(st.error().code(), Errc::invalid_argument);
    EXPECT_NE(st.error().message().find(expected), std::string::npos) << st.error().message();
  }
  TaskRunner run(node);
  auto st = run.start(kTraining, {{"model", "m"}, {"detector", "neural-net"}});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("config.detector: unknown detector 'neural-net'"), std::string::npos) << st.error().message();
}

TEST(ChainTasks, TrainerWithoutATwinTakesTheFirstOneAnInputRecordNames) {
  TaskRunner trainer({.server_url = "http://127.0.0.1:" + std::to_string(mq::free_port())});
  ASSERT_TRUE(trainer.start(kTraining, {{"model", "m"}, {"interval", "100 ms"}}, {"inproc:in"}));
  ASSERT_TRUE(eventually([&] { return trainer.log_has("waiting for a twin"); })) << trainer.log();
  ASSERT_TRUE(trainer.subscribed("in"));
  trainer.hub.deliver("in", json{{"value", 1}}.dump());  // names no twin
  trainer.hub.deliver("in", json{{"twin", "press-17"}, {"type", "anomaly"}}.dump());
  trainer.hub.deliver("in", json{{"twin", "press-18"}}.dump());
  ASSERT_TRUE(eventually([&] { return trainer.log_has("training for twin press-17, named by a record from inproc:in"); }))
      << trainer.log();
  // The server does not answer: the trainer says why and keeps waiting (it does not fail).
  ASSERT_TRUE(eventually([&] { return trainer.log_has("waiting: "); })) << trainer.log();
  EXPECT_FALSE(trainer.poll());
  EXPECT_TRUE(trainer.stop().success());
  EXPECT_TRUE(trainer.log_has("3 input records")) << trainer.log();
  EXPECT_FALSE(trainer.log_has("press-18")) << trainer.log();
}

TEST(ChainTasks, SimulationPostsItsRunAsAScenarioAndSummarisesIt) {
  e2e::ServerDaemon server(e2e::temp_dir("tasks_sim"));
  server.start();
  {
    TaskRunner bad(node_of(server));
    auto st = bad.start(kSimulation, {{"model", "steam-turbine"}});
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("config.model: unknown simulation model 'steam-turbine' (known: hydraulic-press, "
                                        "pump-circuit, hvac-zone, heat-exchanger"),
              std::string::npos)
        << st.error().message();
  }
  TaskRunner sim(node_of(server));
  auto started = sim.start(kSimulation, {{"model", "hydraulic-press"}, {"horizon", "10 m"}, {"step", "1 s"}, {"twins", {"press-17"}}});
  ASSERT_TRUE(started) << started.error().to_string();
  std::optional<runtime::TaskExit> exit;
  ASSERT_TRUE(eventually([&] { return (exit = sim.poll()).has_value(); }, 60s)) << sim.log();
  EXPECT_TRUE(exit->success()) << exit->to_string() << sim.log();
  ASSERT_EQ(sim.records().size(), 1u);
  json summary = sim.records()[0];
  EXPECT_EQ(summary["twin"], "press-17");
  EXPECT_EQ(summary["scenario"], "t1");
  EXPECT_EQ(summary["steps"], 600);
  EXPECT_GT(summary["flow_m3h"].get<double>(), 0);
  json series = e2e::get_json(server.url(), "/api/v1/series?twin=press-17&label.scenario=t1");
  ASSERT_FALSE(series.is_null());
  ASSERT_FALSE(series["items"].empty());
  int64_t samples = 0;
  for (const auto& s : series["items"]) samples += s["count"].get<int64_t>();
  EXPECT_EQ(samples, summary["samples"].get<int64_t>());
  EXPECT_EQ(samples % 600, 0) << samples;  // every property: one sample per simulated second
}

TEST(ChainTasks, ALongSimulationStopsWhenItsTaskIsStopped) {
  // 18 M steps: many seconds of work, cancelled as soon as it has begun (the driver allows 10 s).
  TaskRunner sim({.server_url = "http://127.0.0.1:" + std::to_string(mq::free_port())});
  ASSERT_TRUE(sim.start(kSimulation, {{"model", "pump-circuit"}, {"horizon", "5000 h"}, {"step", "1 s"}}));
  ASSERT_TRUE(eventually([&] { return sim.log_has("simulating pump-circuit"); })) << sim.log();
  auto exit = sim.stop();
  EXPECT_TRUE(exit.success()) << exit.to_string();
  EXPECT_TRUE(sim.records().empty());
  EXPECT_FALSE(sim.log_has("posted")) << sim.log();
}

TEST(ChainTasks, TimeSeriesStoreServiceChecksTheServer) {
  auto dir = e2e::temp_dir("tasks_store");
  e2e::ServerDaemon server(dir);
  server.start();
  TaskRunner run(node_of(server));
  ASSERT_TRUE(run.start(kTimeSeriesStore, {{"retention", "30 d"}, {"check_interval", "50 ms"}, {"failures", 2}}));
  ASSERT_TRUE(eventually([&] { return run.attribute("endpoint") == server.url() + "/api/v1/series"; })) << run.log();
  EXPECT_FALSE(run.poll());
  server.stop();
  std::optional<runtime::TaskExit> exit;
  ASSERT_TRUE(eventually([&] { return (exit = run.poll()).has_value(); })) << run.log();
  EXPECT_EQ(exit->code, 1);
  EXPECT_NE(exit->reason.find("time-series store down for 2 checks"), std::string::npos) << exit->reason;
}

}  // namespace
}  // namespace iotwins::tasks
