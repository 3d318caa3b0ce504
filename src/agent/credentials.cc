#include "agent/credentials.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "iam/keys.h"
#include "iam/secret_file.h"
#include "iam/x509.h"

namespace iotwins::agent {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("agent");
  return log;
}

std::string identity_dir(const std::string& data_dir) { return join_path(data_dir, "identity"); }

// A new P-256 key and a CSR for it.
struct KeyAndCsr {
  std::string key_pem;
  std::string csr_pem;
};
Result<KeyAndCsr> new_key_and_csr(const std::string& cn) {
  IOT_ASSIGN(auto key, iam::SigningKey::generate());
  IOT_ASSIGN(std::string key_pem, key.to_pem());
  IOT_ASSIGN(std::string csr, iam::make_csr(key.pkey(), cn));
  return KeyAndCsr{std::move(key_pem), std::move(csr)};
}

Result<nlohmann::json> post_json(api::HttpClient& client, const std::string& path, const nlohmann::json& body,
                                 std::string_view what) {
  IOT_ASSIGN(auto res, client.request(api::Method::POST, path, body.dump()));
  if (!res.ok()) return std::unexpected(api::error_from_response(res, what));
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object()) return make_error(Errc::unavailable, std::string(what) + ": the server answered non-JSON");
  return j;
}

Result<std::string> pem_field(const nlohmann::json& j, const char* name, std::string_view what) {
  if (!j.contains(name) || !j[name].is_string() || j[name].get<std::string>().empty()) {
    return make_error(Errc::unavailable, std::string(what) + ": the answer has no '" + name + "'");
  }
  return j[name].get<std::string>();
}

}  // namespace

Result<std::optional<NodeCredentials>> load_credentials(FileSystem& fs, const std::string& data_dir) {
  const std::string dir = identity_dir(data_dir);
  const std::string path = join_path(dir, "credentials.json");
  auto text = fs.read_file(path);
  if (!text && text.error().code() == Errc::not_found) return std::optional<NodeCredentials>();
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.value("node_id", nlohmann::json()).is_string() ||
      !j.value("api_token", nlohmann::json()).is_string()) {
    return make_error(Errc::corruption, path + " is damaged; move " + dir + " away and join again with a new join token");
  }
  NodeCredentials c;
  c.dir = dir;
  c.node_id = j["node_id"].get<std::string>();
  c.api_token = j["api_token"].get<std::string>();
  c.group = j.value("group", "");
  c.server_url = j.value("server_url", "");
  return std::optional<NodeCredentials>(std::move(c));
}

Result<NodeCredentials> join(FileSystem& fs, const std::string& data_dir, api::HttpClient& client,
                             const std::string& join_token, const std::string& level) {
  IOT_ASSIGN(auto made, new_key_and_csr("joining node"));
  IOT_ASSIGN(auto j, post_json(client, "/api/v1/nodes/join",
                               {{"join_token", join_token}, {"csr", made.csr_pem}, {"level", level}}, "join"));
  NodeCredentials c;
  c.dir = identity_dir(data_dir);
  IOT_ASSIGN(c.node_id, pem_field(j, "node_id", "join"));
  IOT_ASSIGN(c.api_token, pem_field(j, "api_token", "join"));
  IOT_ASSIGN(std::string cert, pem_field(j, "certificate", "join"));
  IOT_ASSIGN(std::string ca, pem_field(j, "ca", "join"));
  c.group = j.value("group", "");
  c.server_url = client.base_url();
  IOT_TRY(iam::make_private_dir(fs, c.dir));
  IOT_TRY(iam::write_secret_file(fs, c.pem_file(), made.key_pem + cert));
  IOT_TRY(fs.write_file_atomic(c.ca_file(), ca));
  // Last: its presence means the join is complete.
  nlohmann::json saved = {{"node_id", c.node_id}, {"group", c.group}, {"api_token", c.api_token},
                          {"server_url", c.server_url}};
  IOT_TRY(iam::write_secret_file(fs, join_path(c.dir, "credentials.json"), saved.dump(2) + "\n"));
  logger().info("joined as node {} (group {}); credentials in {}", c.node_id, c.group, c.dir);
  return c;
}

Result<std::optional<NodeCredentials>> ensure_credentials(
    FileSystem& fs, const std::string& data_dir, const std::string& server_url, const api::ClientOptions& options,
    const std::string& join_token, const std::string& level,
    const std::function<bool(std::chrono::milliseconds)>& wait) {
  IOT_ASSIGN(auto stored, load_credentials(fs, data_dir));
  if (stored) {
    if (!join_token.empty()) logger().info("already joined as node {}: the join token is not used", stored->node_id);
    return stored;
  }
  if (join_token.empty()) return stored;
  IOT_ASSIGN(auto client, api::HttpClient::create(server_url, options));
  std::chrono::milliseconds delay{500};
  for (;;) {
    auto joined = join(fs, data_dir, *client, join_token, level);
    if (joined) return std::optional<NodeCredentials>(std::move(*joined));
    Errc code = joined.error().code();
    if (code != Errc::unavailable && code != Errc::timeout && code != Errc::resource_exhausted) {
      return make_error(code, "joining " + server_url + " failed: " + joined.error().message());
    }
    logger().warn("join: {} (retrying)", joined.error().message());
    if (wait(delay)) return make_error(Errc::unavailable, "terminated before the join completed");
    delay = std::min(delay * 2, std::chrono::milliseconds(10'000));
  }
}

api::ClientOptions with_credentials(api::ClientOptions options, const NodeCredentials& creds) {
  options.bearer_token = creds.api_token;
  options.client_cert_file = creds.pem_file();
  options.client_key_file = creds.pem_file();
  if (options.ca_file.empty()) options.ca_file = creds.ca_file();
  return options;
}

Result<bool> rotate_if_due(FileSystem& fs, const NodeCredentials& creds, const std::string& server_url,
                           const api::ClientOptions& options, int64_t now_s) {
  IOT_ASSIGN(std::string pem, fs.read_file(creds.pem_file()));
  IOT_ASSIGN(auto info, iam::describe_certificate(pem));
  if (!iam::needs_rotation(info, now_s)) return false;
  IOT_ASSIGN(auto made, new_key_and_csr(info.common_name));
  api::ClientOptions by_token = options;
  by_token.client_cert_file.clear();  // an expired certificate would fail the handshake
  by_token.client_key_file.clear();
  IOT_ASSIGN(auto client, api::HttpClient::create(server_url, by_token));
  IOT_ASSIGN(auto j, post_json(*client, "/api/v1/nodes/" + creds.node_id + "/certificate", {{"csr", made.csr_pem}},
                               "certificate rotation"));
  IOT_ASSIGN(std::string cert, pem_field(j, "certificate", "certificate rotation"));
  IOT_ASSIGN(auto next, iam::describe_certificate(cert));
  IOT_TRY(iam::write_secret_file(fs, creds.pem_file(), made.key_pem + cert));
  logger().info("client certificate renewed: serial {} (valid until {}) replaces {}", next.serial, next.not_after_s,
                info.serial);
  return true;
}

Result<std::map<std::string, std::string>> fetch_device_credentials(api::HttpClient& client, const std::string& node_id) {
  IOT_ASSIGN(auto res, client.request(api::Method::GET, "/api/v1/nodes/" + node_id + "/device-credentials"));
  if (!res.ok()) return std::unexpected(api::error_from_response(res, "device credentials"));
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j["items"].is_array()) return make_error(Errc::unavailable, "device credentials: the server answered badly");
  std::map<std::string, std::string> out;
  for (const auto& item : j["items"]) {
    if (!item.is_object() || !item["twin"].is_string() || !item["sha256"].is_string()) {
      return make_error(Errc::unavailable, "device credentials: an item without twin or sha256");
    }
    out[item["twin"].get<std::string>()] = item["sha256"].get<std::string>();
  }
  return out;
}

}  // namespace iotwins::agent
