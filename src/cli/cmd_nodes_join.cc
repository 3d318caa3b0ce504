// iotwins nodes join-token [--group G] [--ttl 1h] | join-tokens | revoke ID
// (docs/security.md "Machines").
#include <nlohmann/json.hpp>

#include <cstdio>

#include "cli/client.h"
#include "cli/nodes.h"
#include "cli/table.h"

namespace iotwins::cli {

int run_nodes_join_token(api::HttpClient& client, const Config& config) {
  nlohmann::json body = {{"group", config.str("group")}, {"ttl", config.str("ttl")}};
  auto r = call(client, api::Method::POST, "/api/v1/join-tokens", body.dump());
  if (!r) return report("nodes join-token", r.error());
  if (config.str("output") == "json") {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  std::printf("%s\n", r->value("token", "").c_str());
  std::fprintf(stderr, "join token %s for group %s: one node may join with it, until it expires:\n"
                       "  iotwins agent --server %s --join-token TOKEN\n",
               r->value("id", "").c_str(), r->value("group", "").c_str(), client.base_url().c_str());
  return 0;
}

int run_nodes_join_tokens(api::HttpClient& client, const Config& config) {
  auto r = call(client, api::Method::GET, "/api/v1/join-tokens");
  if (!r) return report("nodes join-tokens", r.error());
  if (config.str("output") == "json") {
    std::printf("%s\n", (*r)["items"].dump(2).c_str());
    return 0;
  }
  Table t({"ID", "GROUP", "CREATED BY", "USED BY"});
  for (const auto& item : (*r)["items"]) {
    t.add({item.value("id", ""), item.value("group", ""), item.value("created_by", ""), item.value("used_by", "-")});
  }
  std::fputs(t.render().c_str(), stdout);
  return 0;
}

int run_nodes_revoke(api::HttpClient& client, const std::string& id) {
  auto r = call(client, api::Method::POST, "/api/v1/nodes/" + api::percent_encode(id) + "/revoke");
  if (!r) return report("nodes revoke", r.error());
  std::printf("node %s revoked (%zu certificates); its API token and certificates are refused from now on\n",
              id.c_str(), (*r)["revoked_certificates"].size());
  return 0;
}

}  // namespace iotwins::cli
