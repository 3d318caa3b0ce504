// IamStore: identities, credentials and role bindings in the metadata store (storage::Database,
// schema component "iam", versioned migrations). Secrets are never stored: passwords as scrypt
// hashes, tokens as SHA-256 digests; a token's secret is returned once, at creation.
//
// Token formats (hex secrets, so the separators are unambiguous and they are safe in headers):
//   API token      iot_pat_<12 hex id>_<64 hex secret>   long-lived, revocable
//   refresh token  iot_rt_<12 hex id>_<64 hex secret>    one use each: using one issues the next
//                                                        in its family; using one twice revokes
//                                                        the family (stolen-token detection)
//   join token     iot_join_<12 hex id>_<64 hex secret>  one node joins with it, once, before it expires
//
// Thread-safe: the database serialises statements and multi-row changes run in one transaction;
// principal_for keeps what it read in a cache that any write through the store invalidates
// (iam/change_counter.h), so a removed binding or a disabled user takes effect on the next request.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "iam/change_counter.h"
#include "iam/model.h"
#include "iam/password.h"
#include "storage/database.h"

namespace iotwins::iam {

struct StoreOptions {
  ScryptParams password_params{};
  std::chrono::seconds refresh_ttl{std::chrono::hours(24 * 14)};
};

// The first administrator, made on first start; the password is shown once.
struct BootstrapAdmin {
  std::string user;
  std::string password;
};

struct JoinGrant {
  std::string token_id;
  std::string group;  // the group the joining node belongs to
};

struct RefreshGrant {
  Subject subject;
  std::string refresh_token;  // the next one; the presented one is now spent
};

// A machine that joined: its group (the join token's), the serials of the client certificates
// issued to it (all revoked with it), and whether it was revoked.
struct NodeIdentity {
  std::string id;
  std::string group;
  int64_t joined_ns = 0;
  int64_t revoked_ns = 0;  // 0: active
  std::vector<std::string> certificate_serials;
};

// What a device proves to its agent's MQTT broker: MQTT username = twin id, password = a secret
// made by the server ("iot_dev_<id>_<secret>"), of which only the SHA-256 (hex) is stored and
// delivered to the agents.
struct DeviceCredential {
  std::string twin;
  std::string secret_sha256;
  int64_t created_ns = 0;
};

struct JoinTokenInfo {
  std::string id;
  std::string group;
  std::string created_by;
  int64_t created_ns = 0;
  int64_t expires_ns = 0;
  int64_t used_ns = 0;
  std::string used_by;
};

class IamStore {
 public:
  static Result<std::unique_ptr<IamStore>> open(storage::Database& db, const Clock& clock, StoreOptions options = {});

  // --- first start ---
  // When there is no user at all: creates "admin" with an admin binding on "*" and a random
  // password, or the one `chosen` gives (asked only then; its error creates nothing, so a bad
  // password file cannot leave an admin whose password nobody knows), and returns the
  // credentials (nullopt when users exist).
  Result<std::optional<BootstrapAdmin>> ensure_admin(const std::function<Result<std::string>()>& chosen = nullptr);

  // --- users ---
  Result<User> create_user(const std::string& name, const std::string& password);
  Result<User> get_user(const std::string& name) const;
  Result<std::vector<User>> list_users() const;
  Status set_password(const std::string& name, const std::string& password);
  Status set_user_disabled(const std::string& name, bool disabled);
  // Also removes the user's memberships, bindings and tokens.
  Status delete_user(const std::string& name);
  // unauthenticated for an unknown user, a wrong password or a disabled user (one message for
  // the first two, so names cannot be probed). Re-hashes with stronger parameters on success.
  Result<User> authenticate_password(const std::string& name, const std::string& password);

  // --- groups ---
  Result<Group> create_group(const std::string& name, const std::string& description);
  Result<std::vector<Group>> list_groups() const;
  Status delete_group(const std::string& name);  // with its memberships and bindings
  Status add_member(const std::string& group, const Subject& member);
  Status remove_member(const std::string& group, const Subject& member);
  Result<std::vector<std::string>> groups_of(const Subject& member) const;

  // --- service accounts (agents and automation) ---
  Result<ServiceAccount> create_service_account(const std::string& name, const std::string& description);
  Result<ServiceAccount> get_service_account(const std::string& name) const;
  Result<std::vector<ServiceAccount>> list_service_accounts() const;
  Status delete_service_account(const std::string& name);

  // --- role bindings ---
  Result<RoleBinding> bind(Role role, const Subject& subject, const std::string& scope);
  Status unbind(int64_t binding_id);
  Result<std::vector<RoleBinding>> list_bindings() const;

  // The principal of an active user or service account: its groups and every grant bound to it
  // or to one of its groups.
  Result<Principal> principal_for(const Subject& subject) const;
  // For identities from an external IdP: groups come from the token's claim, not the store.
  Result<Principal> principal_with_groups(const Subject& subject, std::vector<std::string> groups) const;

  // --- API tokens ---
  Result<Issued<ApiToken>> create_api_token(const Subject& subject, const std::string& name,
                                            std::chrono::seconds ttl = std::chrono::seconds(0));
  // The subject a valid token acts for; records its last use (to the minute).
  Result<Subject> authenticate_api_token(const std::string& token);
  Status revoke_api_token(const std::string& id);
  Result<std::vector<ApiToken>> list_api_tokens(const Subject& subject) const;

  // --- refresh tokens ---
  Result<std::string> issue_refresh_token(const Subject& subject);
  Result<RefreshGrant> use_refresh_token(const std::string& token);
  Status revoke_refresh_tokens(const Subject& subject);  // e.g. on logout or password change

  // --- join tokens ---
  Result<Issued<JoinTokenInfo>> create_join_token(const std::string& group, const std::string& created_by,
                                                  std::chrono::seconds ttl);
  // One-time: the first caller with a valid unexpired token gets the grant, every later one
  // is refused.
  Result<JoinGrant> consume_join_token(const std::string& token, const std::string& node_id);
  Result<std::vector<JoinTokenInfo>> list_join_tokens() const;
  Status delete_join_token(const std::string& id);  // not_found when there is none

  // --- nodes (store_nodes.cc) ---
  // Records a node that just consumed a join token; already_exists if the id is taken.
  Result<NodeIdentity> add_node(const std::string& node_id, const std::string& group);
  Result<NodeIdentity> get_node(const std::string& node_id) const;
  Status add_node_certificate(const std::string& node_id, const std::string& serial);
  // Marks the node revoked and revokes its API tokens; returns it (with the certificate serials
  // the caller revokes at the CA). A revoked node has no principal any more.
  Result<NodeIdentity> revoke_node(const std::string& node_id);

  // --- device credentials (store_nodes.cc) ---
  // A new secret for a twin's device, replacing the previous one; the secret is returned once.
  Result<std::string> create_device_secret(const std::string& twin);
  Status delete_device_credential(const std::string& twin);  // not_found when there is none
  // The credentials of these twins (those that have one), ordered by twin.
  Result<std::vector<DeviceCredential>> device_credentials(const std::vector<std::string>& twins) const;

 private:
  IamStore(storage::Database& db, const Clock& clock, StoreOptions options)
      : db_(db), clock_(clock), options_(options) {}
  Status require_subject(const Subject& subject) const;
  Result<std::vector<Grant>> grants_for(const Subject& subject, const std::vector<std::string>& groups) const;
  Status delete_credentials(storage::Database& tx, const Subject& subject);
  Result<Principal> node_principal(const std::string& node_id) const;

  Result<Principal> load_principal(const Subject& subject) const;

  struct CachedPrincipal {
    uint64_t changes = 0;  // ChangeCounter::changes() before it was read
    Principal principal;
  };
  static constexpr size_t kMaxCachedPrincipals = 4096;

  mutable ChangeCounter db_;
  const Clock& clock_;
  StoreOptions options_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, CachedPrincipal> principals_;
};

}  // namespace iotwins::iam
