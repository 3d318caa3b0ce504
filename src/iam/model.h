// IAM value types: identities (users, groups, service accounts), credentials (API, refresh and
// join tokens, stored only as SHA-256 digests), roles and role bindings, and the Principal an
// authenticated request acts as. No I/O here; IamStore persists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::iam {

enum class Role { admin, operator_, developer, viewer, agent };
inline constexpr Role kAllRoles[] = {Role::admin, Role::operator_, Role::developer, Role::viewer, Role::agent};
std::string_view to_string(Role role);
Result<Role> parse_role(std::string_view text);

enum class SubjectKind { user, group, service_account, node };
std::string_view to_string(SubjectKind kind);
Result<SubjectKind> parse_subject_kind(std::string_view text);

// Who a binding or a credential names: "user:alice", "group:plant-a", "service-account:ci",
// "node:edge-3f2a" (a machine that joined with a join token; the CN of its client certificate).
struct Subject {
  SubjectKind kind = SubjectKind::user;
  std::string name;
  std::string to_string() const;
  friend bool operator==(const Subject&, const Subject&) = default;
};
Result<Subject> parse_subject(std::string_view text);

// The scope of a binding: one group, or every group and the global resources (iam, audit).
inline constexpr std::string_view kAllGroups = "*";

// Names of users, groups and service accounts: 1-64 of [A-Za-z0-9._@-], starting with a letter
// or digit, so they are safe in URLs, logs and MQTT usernames.
Status validate_name(std::string_view name, std::string_view what);

struct User {
  std::string name;
  std::string password_hash;  // empty: no password login (e.g. OIDC-only)
  bool disabled = false;
  int64_t created_ns = 0;
  std::vector<std::string> groups;
};

struct Group {
  std::string name;
  std::string description;
  int64_t created_ns = 0;
};

struct ServiceAccount {
  std::string name;
  std::string description;
  bool disabled = false;
  int64_t created_ns = 0;
};

struct RoleBinding {
  int64_t id = 0;
  Role role = Role::viewer;
  Subject subject;
  std::string scope = std::string(kAllGroups);  // a group name or "*"
  int64_t created_ns = 0;
};

// A long-lived credential for scripts and service accounts: "iot_<id>_<secret>". Only the
// SHA-256 of the whole token is stored; the id finds the row without scanning.
struct ApiToken {
  std::string id;
  Subject subject;
  std::string name;
  int64_t created_ns = 0;
  int64_t expires_ns = 0;  // 0: never
  int64_t last_used_ns = 0;
  int64_t revoked_ns = 0;  // 0: active
};

// A secret shown once, at creation, together with what it is.
template <class T>
struct Issued {
  T meta;
  std::string secret;
};

// One role on one scope, as the authorizer sees it (bindings of the subject and its groups).
struct Grant {
  Role role;
  std::string scope;
  std::string via;  // the binding's subject, for reasons: "group:plant-a"
};

// The identity a request acts as, with everything needed to authorize it.
struct Principal {
  Subject subject;  // a user, a service account or a node (an agent that joined)
  std::vector<std::string> groups;
  std::vector<Grant> grants;
};

}  // namespace iotwins::iam
