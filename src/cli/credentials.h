// The CLI's stored credentials: ~/.config/iotwins/credentials.json (or $XDG_CONFIG_HOME/…),
// mode 0600 in a 0700 directory, one entry per server URL with the access token, the refresh
// token and when the access token expires. `iotwins login` writes it, `logout` removes an
// entry; every other command sends the token for its --server (IOTWINS_TOKEN / --token win),
// refreshing it first when it has expired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/http_client.h"
#include "core/result.h"

namespace iotwins::cli {

struct StoredCredentials {
  std::string access_token;
  std::string refresh_token;  // empty: an external (OIDC) token or a client-credentials one
  int64_t expires_at = 0;     // seconds since the epoch; 0: unknown
  std::string subject;
};

// The file's path; IOTWINS_CREDENTIALS overrides it (tests, several identities side by side).
std::string credentials_path();
// The entry for `server` (nullopt when there is none or no file).
Result<std::optional<StoredCredentials>> load_credentials(const std::string& server);
Status save_credentials(const std::string& server, const StoredCredentials& creds);
Status forget_credentials(const std::string& server);

// What a token answer of POST /api/v1/auth/token says, as stored credentials.
Result<StoredCredentials> credentials_from_token_answer(const std::string& body);

// Logs in with a password (grant_type=password) through `client`; the server's problem detail
// when it refuses.
Result<StoredCredentials> password_login(api::HttpClient& client, const std::string& user, const std::string& password);

// The bearer token to send to `server`: `explicit_token` when set, else the stored one,
// refreshed through POST /api/v1/auth/token when it has expired (and saved). Empty when there
// are no credentials at all (the server will answer 401 saying how to log in).
Result<std::string> bearer_token_for(const std::string& server, const std::string& explicit_token,
                                     const api::ClientOptions& options);

}  // namespace iotwins::cli
