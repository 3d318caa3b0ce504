// Deployments, models and nodes belong to an IAM group (docs/security.md "Group scoping"), against
// the real server with --auth: a user bound in one group neither sees (404, absent from lists) nor
// changes another group's objects, a viewer reads but does not change, creating in a group needs
// write there, a node is in its join token's group; the CLI sends and prints the group.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analytics/pca.h"
#include "harness.h"
#include "security_fixture.h"

namespace iotwins::e2e {
namespace {

// Groups a and b, made by whichever of the tests below runs first (each may run alone).
void make_groups_a_and_b(const std::function<Answer(const std::string&)>& create) {
  for (const char* g : {"a", "b"}) {
    int status = create(json{{"name", g}}.dump()).status;
    EXPECT_TRUE(status == 201 || status == 409) << "group " << g << ": " << status;
  }
}

// One instance that can never be placed (no node has the label): CREATE_FAILED, whatever nodes
// other tests started; the group rules are what these tests look at.
constexpr const char* kUnplaceable =
    "tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [iotwins]\ntopology_template:\n"
    "  node_templates:\n    box: {type: iotwins.nodes.Compute, properties: {level: cloud, labels: {site: nowhere}}}\n";

// The cells of the CLI table row whose first cell is `first` (none when there is no such row).
std::vector<std::string> row_of(const std::string& table, const std::string& first) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> cells;
    for (std::string w; words >> w;) cells.push_back(w);
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

// `iotwins ARGS --server URL` (a table) as the admin: the GROUP cell of the row whose first cell is `id`.
std::string group_cell(std::vector<std::string> args, const std::string& url, const std::string& id) {
  args.insert(args.end(), {"--server", url});
  CommandResult listed = run_cli(args);
  EXPECT_EQ(listed.code, 0) << listed.out;
  std::vector<std::string> header = row_of(listed.out, listed.out.substr(0, listed.out.find(' ')));
  std::vector<std::string> row = row_of(listed.out, id);
  size_t at = std::find(header.begin(), header.end(), "GROUP") - header.begin();
  if (at >= row.size()) ADD_FAILURE() << "no GROUP cell for " << id << " in:\n" << listed.out;
  return at < row.size() ? row[at] : "";
}

std::set<std::string> ids_of(const json& items, const char* key = "id") {
  std::set<std::string> ids;
  for (const auto& i : items) ids.insert(i.value(key, ""));
  return ids;
}

TEST_F(SecurityTest, DeploymentsOfAnotherGroupAreInvisibleAndReadOnlyForItsViewers) {
  make_groups_a_and_b([](const std::string& body) { return call("POST", "/api/v1/iam/groups", admin_, body); });
  std::string dev = user_with_role("dep-dev-a", "developer", "a");
  std::string viewer = user_with_role("dep-viewer-b", "viewer", "b");
  auto deploy = [](const std::string& token, const std::string& group, const std::string& query = "") {
    return call("POST", "/api/v1/deployments" + query, token, json{{"template", kUnplaceable}, {"group", group}}.dump());
  };
  Answer mine = deploy(dev, "a");
  ASSERT_EQ(mine.status, 201) << mine.body.dump();
  EXPECT_EQ(mine.body["group"], "a");
  Answer theirs = deploy(admin_, "b");
  ASSERT_EQ(theirs.status, 201) << theirs.body.dump();
  const std::string my_id = mine.body["id"], their_id = theirs.body["id"];

  Answer list = call("GET", "/api/v1/deployments", dev);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(ids_of(list.body["items"]).contains(my_id));
  EXPECT_FALSE(ids_of(list.body["items"]).contains(their_id)) << list.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/deployments/" + their_id, dev).status, 404);  // not even its existence
  EXPECT_EQ(call("GET", "/api/v1/deployments/" + their_id + "/events", dev).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/deployments/" + their_id, dev).status, 404);
  // Creating in b, or moving its own deployment there, needs write in b: refused, nothing made.
  size_t all_before = call("GET", "/api/v1/deployments", admin_).body["items"].size();
  Answer into_b = deploy(dev, "b");
  EXPECT_EQ(into_b.status, 403) << into_b.body.dump();
  EXPECT_EQ(call("POST", "/api/v1/deployments?group=b", dev, json{{"template", kUnplaceable}}.dump()).status, 403);
  EXPECT_EQ(call("PUT", "/api/v1/deployments/" + my_id, dev,
                 json{{"template", kUnplaceable}, {"group", "b"}}.dump()).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/deployments", admin_).body["items"].size(), all_before);
  EXPECT_EQ(call("GET", "/api/v1/deployments/" + my_id, admin_).body["group"], "a");

  // A viewer of b reads b's deployment but may not undeploy it, and does not see a's.
  Answer read = call("GET", "/api/v1/deployments/" + their_id, viewer);
  EXPECT_EQ(read.status, 200) << read.body.dump();
  EXPECT_EQ(read.body["group"], "b");
  EXPECT_EQ(call("DELETE", "/api/v1/deployments/" + their_id, viewer).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/deployments/" + my_id, viewer).status, 404);
  EXPECT_FALSE(call("GET", "/api/v1/deployments/" + their_id, admin_).body.value("status", "").starts_with("DELETE"));
  // The developer undeploys its own.
  EXPECT_EQ(call("DELETE", "/api/v1/deployments/" + my_id, dev).status, 202);
}

TEST_F(SecurityTest, ModelsOfAnotherGroupAreInvisibleAndReadOnlyForItsViewers) {
  make_groups_a_and_b([](const std::string& body) { return call("POST", "/api/v1/iam/groups", admin_, body); });
  std::string dev = user_with_role("model-dev-a", "developer", "a");
  std::string viewer = user_with_role("model-viewer-b", "viewer", "b");
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(50, 3);  // a real detector: the registry loads every version
  analytics::PcaDetector pca;
  ASSERT_TRUE(pca.fit(x).has_value());
  Answer artifact = call("PUT", "/api/v1/artifacts", dev, pca.serialize(), "application/octet-stream");
  ASSERT_EQ(artifact.status, 201) << artifact.body.dump();
  const std::string sha = artifact.body["sha256"];
  auto push = [&](const std::string& token, const std::string& model, const std::string& body_group,
                  const std::string& query = "") {
    json body{{"artifact", sha}};
    if (!body_group.empty()) body["group"] = body_group;
    return call("POST", "/api/v1/models/" + model + "/versions" + query, token, body.dump());
  };
  Answer mine = push(dev, "scoped-a", "a");
  ASSERT_EQ(mine.status, 201) << mine.body.dump();
  ASSERT_EQ(push(admin_, "scoped-b", "", "?group=b").status, 201);
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-a", dev).body["group"], "a");

  Answer list = call("GET", "/api/v1/models?limit=1000", dev);
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(ids_of(list.body["items"], "name").contains("scoped-a"));
  EXPECT_FALSE(ids_of(list.body["items"], "name").contains("scoped-b")) << list.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-b", dev).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-b/versions/1", dev).status, 404);
  EXPECT_EQ(push(dev, "scoped-b", "").status, 404);  // a version of b's model: not even its existence
  // A new model in b needs write in b; a's model stays in a (a later version cannot move it).
  Answer into_b = push(dev, "scoped-new", "b");
  EXPECT_EQ(into_b.status, 403) << into_b.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-new", admin_).status, 404);
  EXPECT_EQ(push(dev, "scoped-a", "b").status, 409);
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-a", admin_).body["latest_version"], 1);

  // A viewer of b reads b's model but may not promote it, and does not see a's.
  Answer read = call("GET", "/api/v1/models/scoped-b", viewer);
  EXPECT_EQ(read.status, 200) << read.body.dump();
  EXPECT_EQ(read.body["group"], "b");
  EXPECT_EQ(call("POST", "/api/v1/models/scoped-b/versions/1/promote", viewer, "{}").status, 403);
  EXPECT_EQ(call("GET", "/api/v1/models/scoped-a", viewer).status, 404);
  EXPECT_TRUE(call("GET", "/api/v1/models/scoped-b", admin_).body["promoted_version"].is_null());
  EXPECT_EQ(group_cell({"models", "ls"}, server_->url(), "scoped-b"), "b");
}

TEST_F(SecurityTest, ANodeJoinsTheGroupOfItsJoinTokenAndOnlyThatGroupSeesIt) {
  make_groups_a_and_b([](const std::string& body) { return call("POST", "/api/v1/iam/groups", admin_, body); });
  std::string dev = user_with_role("node-dev-a", "developer", "a");
  Answer join = call("POST", "/api/v1/join-tokens", admin_, json{{"group", "b"}, {"ttl", "10m"}}.dump());
  ASSERT_EQ(join.status, 201) << join.body.dump();
  Daemon agent("edge-b", {"agent", "--server", server_->url(), "--level", "edge", "--data-dir", dir_ + "/edge-b",
                          "--name", "edge-b", "--heartbeat-interval", "300ms", "--mqtt-port", "0",
                          "--join-token", join.body["token"]}, dir_);
  agent.start();
  std::string id;
  ASSERT_TRUE(eventually([&] {
    Answer nodes = call("GET", "/api/v1/nodes", admin_);
    for (const auto& n : nodes.body["items"]) {
      if (n.value("name", "") == "edge-b") id = n.value("id", "");
    }
    return !id.empty();
  }, std::chrono::seconds(30))) << agent.log();

  Answer node = call("GET", "/api/v1/nodes/" + id, admin_);
  ASSERT_EQ(node.status, 200);
  EXPECT_EQ(node.body["group"], "b");
  Answer list = call("GET", "/api/v1/nodes", dev);
  ASSERT_EQ(list.status, 200);
  EXPECT_FALSE(ids_of(list.body["items"]).contains(id)) << list.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/nodes/" + id, dev).status, 404);
  // The CLI shows the group in the list and in `nodes show`.
  EXPECT_EQ(group_cell({"nodes"}, server_->url(), id), "b");
  auto show = run_cli({"nodes", "show", id, "--server", server_->url()});
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("  group      b"), std::string::npos) << show.out;

  // The node's own series (its heartbeats' KPIs, twin node:<id>) are group b's too.
  const std::string series_of = "twin=node:" + id + "&property=cpu_percent";
  ASSERT_TRUE(eventually([&] { return call("GET", "/api/v1/series/last?" + series_of, admin_).status == 200; },
                         std::chrono::seconds(20)));
  EXPECT_EQ(call("GET", "/api/v1/series/query?" + series_of + "&from=-1h", admin_).status, 200);
  Answer listed = call("GET", "/api/v1/series?twin=node:" + id, dev);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["count"], 0) << listed.body.dump();
  EXPECT_GT(call("GET", "/api/v1/series?twin=node:" + id, admin_).body["count"], 0);
  EXPECT_EQ(call("GET", "/api/v1/series/query?" + series_of + "&from=-1h", dev).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/series/query?twin=node:*&property=cpu_percent&from=-1h&agg=mean", dev).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/series/last?" + series_of, dev).status, 404);

  // An event of a group-b twin, published by its device on the node's broker: the admin sees
  // it, the a developer does not.
  ASSERT_EQ(call("PUT", "/api/v1/twins/press-b1", admin_, json{{"group", "b"}}.dump()).status, 201);
  std::smatch port;
  const std::string log = agent.log();
  ASSERT_TRUE(std::regex_search(log, port, std::regex(R"(broker listening at mqtt://127\.0\.0\.1:(\d+))"))) << log;
  const std::string pub = "mosquitto_pub -h 127.0.0.1 -p " + port[1].str() +
                          " -q 1 -t iotwins/press-b1/events/alarm -m '{\"level\":\"high\"}'";
  ASSERT_EQ(std::system(pub.c_str()), 0) << pub;
  ASSERT_TRUE(eventually([&] { return call("GET", "/api/v1/events?twin=press-b1", admin_).body["count"] == 1; },
                         std::chrono::seconds(20)));
  Answer hidden = call("GET", "/api/v1/events?twin=press-b1", dev);
  ASSERT_EQ(hidden.status, 200);
  EXPECT_EQ(hidden.body["count"], 0) << hidden.body.dump();

  // A file the node moved up is the node's group's too.
  std::ofstream(dir_ + "/b-capture.txt") << "vibration capture of line b\n";
  auto put = run_cli({"objects", "put", dir_ + "/b-capture.txt", "--data-dir", dir_ + "/edge-b"});
  ASSERT_EQ(put.code, 0) << put.out;
  ASSERT_TRUE(eventually([&] {
    Answer o = call("GET", "/api/v1/objects/b-capture.txt", admin_);
    return o.status == 200 && o.body["state"] == "complete";
  }, std::chrono::seconds(20))) << agent.log();
  Answer objects = call("GET", "/api/v1/objects", dev);
  ASSERT_EQ(objects.status, 200);
  EXPECT_FALSE(ids_of(objects.body["items"]).contains("b-capture.txt")) << objects.body.dump();
  EXPECT_EQ(call("GET", "/api/v1/objects/b-capture.txt", dev).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/objects/b-capture.txt/content", dev).status, 404);

  // A twin of group a attached to that node reaches its agent all the same: the agent mirrors
  // the twins of its node whatever their group, while the a developer still cannot see the node.
  Answer twin = call("PUT", "/api/v1/twins/press-a1", admin_, json{{"group", "a"}, {"node", id}}.dump());
  ASSERT_TRUE(twin.status == 200 || twin.status == 201) << twin.body.dump();
  const std::string agent_url = read_trimmed(dir_ + "/edge-b/agent.url");
  ASSERT_FALSE(agent_url.empty());
  EXPECT_TRUE(eventually([&] { return http_json(agent_url, "GET", "/api/v1/twins/press-a1")["_status"] == 200; },
                         std::chrono::seconds(20)))
      << agent.log();
  agent.stop();
}

TEST_F(SecurityTest, TheCliDeploysIntoAGroupAndListsDeploymentsWithTheirGroup) {
  make_groups_a_and_b([](const std::string& body) { return call("POST", "/api/v1/iam/groups", admin_, body); });
  std::string file = dir_ + "/unplaceable.yaml";
  std::ofstream(file) << kUnplaceable;
  auto deployed = run_cli({"deploy", file, "--group", "a", "--server", server_->url(), "-o", "json"});
  EXPECT_EQ(deployed.code, 1) << deployed.out;  // CREATE_FAILED: no node has the label
  json d = json::parse(deployed.out, nullptr, false);
  ASSERT_TRUE(d.is_object()) << deployed.out;
  EXPECT_EQ(d["group"], "a");
  const std::string id = d["id"];
  EXPECT_EQ(group_cell({"deployments"}, server_->url(), id), "a");
  auto bad = run_cli({"deploy", file, "--group", "no such group!", "--server", server_->url()});
  EXPECT_EQ(bad.code, 2) << bad.out;  // a bad flag: refused before anything is sent
  EXPECT_NE(bad.out.find("--group"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace iotwins::e2e
