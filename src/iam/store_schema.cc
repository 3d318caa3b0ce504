#include "iam/store_schema.h"

#include "iam/encoding.h"

namespace iotwins::iam::detail {

const std::vector<storage::Migration> kIamMigrations = {
    {1, "users, groups, service accounts, bindings and tokens",
     "CREATE TABLE iam_users ("
     " name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
     " created_ns INTEGER NOT NULL);"
     "CREATE TABLE iam_groups (name TEXT PRIMARY KEY, description TEXT NOT NULL, created_ns INTEGER NOT NULL);"
     "CREATE TABLE iam_members ("
     " group_name TEXT NOT NULL, subject TEXT NOT NULL, PRIMARY KEY (group_name, subject));"
     "CREATE INDEX iam_members_subject ON iam_members (subject);"
     "CREATE TABLE iam_service_accounts ("
     " name TEXT PRIMARY KEY, description TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
     " created_ns INTEGER NOT NULL);"
     "CREATE TABLE iam_bindings ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, subject TEXT NOT NULL,"
     " scope TEXT NOT NULL, created_ns INTEGER NOT NULL, UNIQUE (role, subject, scope));"
     "CREATE INDEX iam_bindings_subject ON iam_bindings (subject);"
     "CREATE TABLE iam_api_tokens ("
     " id TEXT PRIMARY KEY, digest TEXT NOT NULL, subject TEXT NOT NULL, name TEXT NOT NULL,"
     " created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL, last_used_ns INTEGER NOT NULL DEFAULT 0,"
     " revoked_ns INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX iam_api_tokens_subject ON iam_api_tokens (subject);"
     "CREATE TABLE iam_refresh_tokens ("
     " id TEXT PRIMARY KEY, family TEXT NOT NULL, digest TEXT NOT NULL, subject TEXT NOT NULL,"
     " created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL, used_ns INTEGER NOT NULL DEFAULT 0,"
     " revoked_ns INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX iam_refresh_tokens_family ON iam_refresh_tokens (family);"
     "CREATE INDEX iam_refresh_tokens_subject ON iam_refresh_tokens (subject);"
     "CREATE TABLE iam_join_tokens ("
     " id TEXT PRIMARY KEY, digest TEXT NOT NULL, group_name TEXT NOT NULL, created_by TEXT NOT NULL,"
     " created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL, used_ns INTEGER NOT NULL DEFAULT 0,"
     " used_by TEXT NOT NULL DEFAULT '');"},
    {2, "nodes that joined, their certificates, device credentials",
     "CREATE TABLE iam_nodes ("
     " name TEXT PRIMARY KEY, group_name TEXT NOT NULL, joined_ns INTEGER NOT NULL,"
     " revoked_ns INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE iam_node_certificates ("
     " node TEXT NOT NULL, serial TEXT NOT NULL, PRIMARY KEY (node, serial));"
     "CREATE TABLE iam_device_credentials ("
     " twin TEXT PRIMARY KEY, digest TEXT NOT NULL, created_ns INTEGER NOT NULL);"},
};

namespace {
constexpr size_t kIdHex = 12;
constexpr size_t kSecretHex = 64;

bool all_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

Result<NewToken> make_token(std::string_view prefix) {
  IOT_ASSIGN(std::string id, random_bytes(kIdHex / 2));
  IOT_ASSIGN(std::string secret, random_bytes(kSecretHex / 2));
  NewToken out;
  out.token = std::string(prefix) + to_hex(id) + "_" + to_hex(secret);
  out.parts.id = to_hex(id);
  out.parts.digest = to_hex(sha256(out.token));
  return out;
}

Result<TokenParts> split_token(std::string_view token, std::string_view prefix, std::string_view what) {
  auto bad = [&] {
    return make_error(Errc::unauthenticated, "not a valid " + std::string(what) + " (expected " +
                                                 std::string(prefix) + "<id>_<secret>)");
  };
  if (token.size() != prefix.size() + kIdHex + 1 + kSecretHex || !token.starts_with(prefix)) return bad();
  std::string_view id = token.substr(prefix.size(), kIdHex);
  std::string_view secret = token.substr(prefix.size() + kIdHex + 1);
  if (token[prefix.size() + kIdHex] != '_' || !all_hex(id) || !all_hex(secret)) return bad();
  return TokenParts{std::string(id), to_hex(sha256(token))};
}

}  // namespace iotwins::iam::detail
