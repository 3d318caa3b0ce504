// NodeCredentials: what a node received when it joined (docs/security.md "Machines"), kept in
// <data-dir>/identity/ (0700):
//   node.pem          the node's private key and its client certificate (0600; one file, so a
//                     rotation replaces both atomically)
//   ca.crt            the server's CA (verifies the https server; signed our certificate)
//   credentials.json  {node_id, group, api_token, server_url} (0600)
// The key is made here and never leaves the machine: the server gets a CSR.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "api/http_client.h"
#include "core/fs.h"
#include "core/result.h"

namespace iotwins::agent {

struct NodeCredentials {
  std::string dir;  // <data-dir>/identity
  std::string node_id;
  std::string group;
  std::string api_token;
  std::string server_url;
  std::string pem_file() const { return dir + "/node.pem"; }
  std::string ca_file() const { return dir + "/ca.crt"; }
};

// nullopt when this data dir never joined.
Result<std::optional<NodeCredentials>> load_credentials(FileSystem& fs, const std::string& data_dir);

// Joins with a one-time token through `client` (the server, https verified with the operator's
// --ca-file or plain http on loopback) and stores what it got. `level` names the node id.
Result<NodeCredentials> join(FileSystem& fs, const std::string& data_dir, api::HttpClient& client,
                             const std::string& join_token, const std::string& level);

// At start-up: the stored credentials, else — with a join token — a join, retried with
// backoff while the server is unreachable (`wait` sleeps, and returns true to give up: the
// agent is terminating). nullopt: never joined and no token (an agent without credentials).
// A refused token (used, expired, unknown) is an error: joining again needs a new one.
Result<std::optional<NodeCredentials>> ensure_credentials(
    FileSystem& fs, const std::string& data_dir, const std::string& server_url, const api::ClientOptions& options,
    const std::string& join_token, const std::string& level,
    const std::function<bool(std::chrono::milliseconds)>& wait);

// The options of every client that talks to the server: the API token as bearer always (a
// plain-HTTP loopback server still authenticates the node), and for an https server the client
// certificate and the CA from the join (unless the operator named another CA).
api::ClientOptions with_credentials(api::ClientOptions options, const NodeCredentials& creds);

// Renews the client certificate once two thirds of its life have passed (or it has expired): a
// new key and CSR, POST /api/v1/nodes/{id}/certificate authenticated by the API token alone —
// an agent that was down longer than its certificate lives must still get a new one — then
// node.pem is replaced atomically; open clients pick it up at their next connection.
// `options` are the server client's (with_credentials). true when renewed.
Result<bool> rotate_if_due(FileSystem& fs, const NodeCredentials& creds, const std::string& server_url,
                           const api::ClientOptions& options, int64_t now_s);

// The MQTT credentials of the devices attached to this node (twin id → SHA-256 hex), from
// GET /api/v1/nodes/{id}/device-credentials.
Result<std::map<std::string, std::string>> fetch_device_credentials(api::HttpClient& client, const std::string& node_id);

}  // namespace iotwins::agent
