#include "cli/credentials.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>

#include "core/fs.h"
#include "iam/secret_file.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

std::string key_of(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<json> load_all() {
  auto& fs = PosixFileSystem::instance();
  std::string path = credentials_path();
  IOT_ASSIGN(bool exists, fs.exists(path));
  if (!exists) return json{{"servers", json::object()}};
  IOT_ASSIGN(auto text, fs.read_file(path));
  try {
    json doc = json::parse(text);
    if (!doc.is_object() || !doc.contains("servers") || !doc["servers"].is_object()) {
      return make_error(Errc::invalid_argument, path + ": not a credentials file (no 'servers' object); remove it "
                                                       "and log in again");
    }
    return doc;
  } catch (const json::exception& e) {
    return make_error(Errc::invalid_argument, path + ": " + e.what() + "; remove it and log in again");
  }
}

Status save_all(const json& doc) {
  auto& fs = PosixFileSystem::instance();
  std::string path = credentials_path();
  std::string dir = path.substr(0, path.rfind('/'));
  // A directory iotwins makes is private; one the user pointed IOTWINS_CREDENTIALS into (/tmp,
  // a home) keeps its mode — write_secret_file never lets the file be read by others there.
  IOT_ASSIGN(bool dir_exists, fs.exists(dir));
  if (!dir_exists) IOT_TRY(iam::make_private_dir(fs, dir));
  return iam::write_secret_file(fs, path, doc.dump(2) + "\n");
}

}  // namespace

std::string credentials_path() {
  if (const char* p = std::getenv("IOTWINS_CREDENTIALS"); p != nullptr && *p != '\0') return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != '\0') {
    return std::string(x) + "/iotwins/credentials.json";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/iotwins/credentials.json";
}

Result<std::optional<StoredCredentials>> load_credentials(const std::string& server) {
  IOT_ASSIGN(auto doc, load_all());
  auto& servers = doc["servers"];
  auto it = servers.find(key_of(server));
  if (it == servers.end() || !it->is_object()) return std::optional<StoredCredentials>();
  StoredCredentials c;
  c.access_token = it->value("access_token", "");
  c.refresh_token = it->value("refresh_token", "");
  c.expires_at = it->value("expires_at", int64_t{0});
  c.subject = it->value("subject", "");
  return std::optional<StoredCredentials>(std::move(c));
}

Status save_credentials(const std::string& server, const StoredCredentials& c) {
  IOT_ASSIGN(auto doc, load_all());
  doc["servers"][key_of(server)] = {{"access_token", c.access_token},
                                    {"refresh_token", c.refresh_token},
                                    {"expires_at", c.expires_at},
                                    {"subject", c.subject}};
  return save_all(doc);
}

Status forget_credentials(const std::string& server) {
  IOT_ASSIGN(auto doc, load_all());
  doc["servers"].erase(key_of(server));
  return save_all(doc);
}

Result<StoredCredentials> credentials_from_token_answer(const std::string& body) {
  try {
    json j = json::parse(body);
    StoredCredentials c;
    c.access_token = j.at("access_token").get<std::string>();
    c.refresh_token = j.value("refresh_token", "");
    c.subject = j.value("subject", "");
    if (int64_t ttl = j.value("expires_in", int64_t{0}); ttl > 0) c.expires_at = now_s() + ttl;
    return c;
  } catch (const json::exception& e) {
    return make_error(Errc::internal, std::string("the server's token answer is not as expected: ") + e.what());
  }
}

Result<StoredCredentials> password_login(api::HttpClient& client, const std::string& user, const std::string& password) {
  json body{{"grant_type", "password"}, {"username", user}, {"password", password}};
  auto res = client.request(api::Method::POST, "/api/v1/auth/token", body.dump());
  if (!res) return std::unexpected(res.error().context("cannot reach the server to log in"));
  if (!res->ok()) return std::unexpected(api::error_from_response(*res, "login as " + user));
  return credentials_from_token_answer(res->body);
}

Result<std::string> bearer_token_for(const std::string& server, const std::string& explicit_token,
                                     const api::ClientOptions& options) {
  if (!explicit_token.empty()) return explicit_token;
  IOT_ASSIGN(auto stored, load_credentials(server));
  if (!stored) return std::string();
  // Refresh a little early, so the token does not expire on the way.
  if (stored->expires_at == 0 || stored->expires_at > now_s() + 30 || stored->refresh_token.empty()) {
    return stored->access_token;
  }
  IOT_ASSIGN(auto client, api::HttpClient::create(server, options));
  json body{{"grant_type", "refresh_token"}, {"refresh_token", stored->refresh_token}};
  IOT_ASSIGN(auto res, client->request(api::Method::POST, "/api/v1/auth/token", body.dump()));
  if (!res.ok()) {
    return std::unexpected(api::error_from_response(res, "refreshing the stored login for " + server)
                               .context("log in again with 'iotwins login --server " + server + "'"));
  }
  IOT_ASSIGN(auto fresh, credentials_from_token_answer(res.body));
  IOT_TRY(save_credentials(server, fresh));
  return fresh.access_token;
}

}  // namespace iotwins::cli
