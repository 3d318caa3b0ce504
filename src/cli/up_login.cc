// The credentials of `iotwins up` (docs/security.md "Running it"): the server requires them
// like any other, so up makes the admin's password at the first start, logs in with it, stores
// the login for the CLI commands it prints, and gives each new agent a one-time join token.
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/credentials.h"
#include "cli/up.h"
#include "iam/encoding.h"
#include "iam/secret_file.h"

namespace iotwins::cli {

Result<std::string> ensure_admin_password_file(FileSystem& fs, const std::string& data_dir) {
  const std::string dir = join_path(data_dir, "secrets");
  const std::string path = join_path(dir, "admin.password");
  IOT_ASSIGN(bool exists, fs.exists(path));
  if (exists) return path;
  IOT_TRY(iam::make_private_dir(fs, dir));
  IOT_ASSIGN(auto bytes, iam::random_bytes(18));
  IOT_TRY(iam::write_secret_file(fs, path, iam::base64url_encode(bytes) + "\n"));
  return path;
}

Result<StoredCredentials> login_as_admin(FileSystem& fs, api::HttpClient& server, const std::string& password_file) {
  IOT_ASSIGN(auto text, fs.read_file(password_file));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto creds = password_login(server, "admin", text);
  if (!creds && creds.error().code() == Errc::unauthenticated) {
    return make_error(Errc::unauthenticated,
                      "the server refused the admin password in " + password_file +
                          ": its data dir was made before 'iotwins up' kept the password there (or the password "
                          "was changed). Log in with 'iotwins login', or start over with 'iotwins up --fresh'");
  }
  return creds;
}

Result<std::string> make_join_token(api::HttpClient& server) {
  IOT_ASSIGN(auto answer, call(server, api::Method::POST, "/api/v1/join-tokens", R"({"ttl":"10m"})"));
  std::string token = answer.value("token", "");
  if (token.empty()) return make_error(Errc::internal, "the server's join token answer has no token");
  return token;
}

}  // namespace iotwins::cli
