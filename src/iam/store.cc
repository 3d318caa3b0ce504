#include "iam/store.h"

#include <algorithm>

#include "core/log.h"
#include "iam/encoding.h"
#include "iam/store_schema.h"

namespace iotwins::iam {
namespace {

using storage::Row;

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

User user_from_row(const Row& row) {
  return User{row.text(0), row.text(1), row.integer(2) != 0, row.integer(3), {}};
}

std::unexpected<Error> login_failed() {
  return make_error(Errc::unauthenticated, "invalid user name or password");
}

}  // namespace

Result<std::unique_ptr<IamStore>> IamStore::open(storage::Database& db, const Clock& clock, StoreOptions options) {
  IOT_TRY(storage::migrate(db, "iam", detail::kIamMigrations));
  return std::unique_ptr<IamStore>(new IamStore(db, clock, options));
}

Result<std::optional<BootstrapAdmin>> IamStore::ensure_admin(const std::function<Result<std::string>()>& chosen) {
  IOT_ASSIGN(auto rows, db_.query("SELECT COUNT(*) FROM iam_users"));
  if (rows.at(0).integer(0) > 0) return std::optional<BootstrapAdmin>();
  BootstrapAdmin admin{"admin", ""};
  if (chosen) {
    IOT_ASSIGN(admin.password, chosen());
  } else {
    IOT_ASSIGN(std::string raw, random_bytes(18));
    admin.password = base64url_encode(raw);
  }
  IOT_ASSIGN(std::string hash, hash_password(admin.password, options_.password_params));
  int64_t now = clock_.now_ns();
  auto created = db_.transaction([&](storage::Database& tx) -> Status {
    IOT_TRY(tx.execute("INSERT INTO iam_users (name, password_hash, created_ns) VALUES (?1, ?2, ?3)",
                       {admin.user, hash, now}));
    IOT_TRY(tx.execute("INSERT INTO iam_bindings (role, subject, scope, created_ns) VALUES ('admin', ?1, '*', ?2)",
                       {Subject{SubjectKind::user, admin.user}.to_string(), now}));
    return ok();
  });
  // Another server sharing the database made it first: that one shows the password.
  if (!created && created.error().code() == Errc::conflict) return std::optional<BootstrapAdmin>();
  IOT_TRY(created);
  logger().warn("first start: created user \"admin\" with an admin role on all groups");
  return std::optional<BootstrapAdmin>(std::move(admin));
}

// --- users ---

Result<User> IamStore::create_user(const std::string& name, const std::string& password) {
  IOT_TRY(validate_name(name, "user name"));
  IOT_ASSIGN(std::string hash, hash_password(password, options_.password_params));
  int64_t now = clock_.now_ns();
  auto r = db_.execute("INSERT INTO iam_users (name, password_hash, created_ns) VALUES (?1, ?2, ?3)", {name, hash, now});
  if (!r && r.error().code() == Errc::conflict) {
    return make_error(Errc::already_exists, "user " + name + " already exists");
  }
  IOT_TRY(r);
  return User{name, hash, false, now, {}};
}

Result<User> IamStore::get_user(const std::string& name) const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, password_hash, disabled, created_ns FROM iam_users WHERE name = ?1", {name}));
  if (rows.empty()) return make_error(Errc::not_found, "user " + name + " does not exist");
  User user = user_from_row(rows[0]);
  IOT_ASSIGN(user.groups, groups_of(Subject{SubjectKind::user, name}));
  return user;
}

Result<std::vector<User>> IamStore::list_users() const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, password_hash, disabled, created_ns FROM iam_users ORDER BY name"));
  std::vector<User> out;
  for (const auto& row : rows) {
    User user = user_from_row(row);
    IOT_ASSIGN(user.groups, groups_of(Subject{SubjectKind::user, user.name}));
    out.push_back(std::move(user));
  }
  return out;
}

Status IamStore::set_password(const std::string& name, const std::string& password) {
  IOT_ASSIGN(std::string hash, hash_password(password, options_.password_params));
  IOT_ASSIGN(auto r, db_.execute("UPDATE iam_users SET password_hash = ?2 WHERE name = ?1", {name, hash}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "user " + name + " does not exist");
  // A new password ends every session made with the old one.
  return revoke_refresh_tokens(Subject{SubjectKind::user, name});
}

Status IamStore::set_user_disabled(const std::string& name, bool disabled) {
  IOT_ASSIGN(auto r, db_.execute("UPDATE iam_users SET disabled = ?2 WHERE name = ?1",
                                 {name, int64_t{disabled ? 1 : 0}}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "user " + name + " does not exist");
  return ok();
}

Status IamStore::delete_credentials(storage::Database& tx, const Subject& subject) {
  std::string s = subject.to_string();
  IOT_TRY(tx.execute("DELETE FROM iam_members WHERE subject = ?1", {s}));
  IOT_TRY(tx.execute("DELETE FROM iam_bindings WHERE subject = ?1", {s}));
  IOT_TRY(tx.execute("DELETE FROM iam_api_tokens WHERE subject = ?1", {s}));
  IOT_TRY(tx.execute("DELETE FROM iam_refresh_tokens WHERE subject = ?1", {s}));
  return ok();
}

Status IamStore::delete_user(const std::string& name) {
  return db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(auto r, tx.execute("DELETE FROM iam_users WHERE name = ?1", {name}));
    if (r.rows_changed == 0) return make_error(Errc::not_found, "user " + name + " does not exist");
    return delete_credentials(tx, Subject{SubjectKind::user, name});
  });
}

Result<User> IamStore::authenticate_password(const std::string& name, const std::string& password) {
  auto user = get_user(name);
  if (!user) {
    if (user.error().code() != Errc::not_found) return std::unexpected(user.error());
    // Spend the same work as for a real user, so timing does not reveal which names exist.
    static const std::string dummy = hash_password("dummy password", options_.password_params).value_or("");
    (void)verify_password(password, dummy);
    return login_failed();
  }
  if (user->password_hash.empty()) return login_failed();
  IOT_ASSIGN(bool match, verify_password(password, user->password_hash));
  if (!match) return login_failed();
  if (user->disabled) return make_error(Errc::unauthenticated, "user " + name + " is disabled");
  if (password_needs_rehash(user->password_hash, options_.password_params)) {
    IOT_ASSIGN(std::string hash, hash_password(password, options_.password_params));
    IOT_TRY(db_.execute("UPDATE iam_users SET password_hash = ?2 WHERE name = ?1", {name, hash}));
    user->password_hash = std::move(hash);
    logger().info("user {}: password re-hashed with stronger parameters", name);
  }
  return user;
}

// --- groups ---

Result<Group> IamStore::create_group(const std::string& name, const std::string& description) {
  IOT_TRY(validate_name(name, "group name"));
  if (description.size() > 1024) return make_error(Errc::invalid_argument, "group description is over 1024 bytes");
  int64_t now = clock_.now_ns();
  auto r = db_.execute("INSERT INTO iam_groups (name, description, created_ns) VALUES (?1, ?2, ?3)",
                       {name, description, now});
  if (!r && r.error().code() == Errc::conflict) return make_error(Errc::already_exists, "group " + name + " already exists");
  IOT_TRY(r);
  return Group{name, description, now};
}

Result<std::vector<Group>> IamStore::list_groups() const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, description, created_ns FROM iam_groups ORDER BY name"));
  std::vector<Group> out;
  for (const auto& row : rows) out.push_back(Group{row.text(0), row.text(1), row.integer(2)});
  return out;
}

Status IamStore::delete_group(const std::string& name) {
  return db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(auto r, tx.execute("DELETE FROM iam_groups WHERE name = ?1", {name}));
    if (r.rows_changed == 0) return make_error(Errc::not_found, "group " + name + " does not exist");
    IOT_TRY(tx.execute("DELETE FROM iam_members WHERE group_name = ?1", {name}));
    IOT_TRY(tx.execute("DELETE FROM iam_bindings WHERE scope = ?1 OR subject = ?2",
                       {name, Subject{SubjectKind::group, name}.to_string()}));
    return ok();
  });
}

Status IamStore::require_subject(const Subject& subject) const {
  std::string_view table;
  switch (subject.kind) {
    case SubjectKind::user: table = "iam_users"; break;
    case SubjectKind::group: table = "iam_groups"; break;
    case SubjectKind::service_account: table = "iam_service_accounts"; break;
    case SubjectKind::node: table = "iam_nodes"; break;
  }
  IOT_ASSIGN(auto rows, db_.query("SELECT 1 FROM " + std::string(table) + " WHERE name = ?1", {subject.name}));
  if (rows.empty()) return make_error(Errc::not_found, subject.to_string() + " does not exist");
  return ok();
}

Status IamStore::add_member(const std::string& group, const Subject& member) {
  if (member.kind == SubjectKind::group) return make_error(Errc::invalid_argument, "groups cannot be members of groups");
  IOT_TRY(require_subject(Subject{SubjectKind::group, group}));
  IOT_TRY(require_subject(member));
  IOT_TRY(db_.execute("INSERT OR IGNORE INTO iam_members (group_name, subject) VALUES (?1, ?2)",
                      {group, member.to_string()}));
  return ok();
}

Status IamStore::remove_member(const std::string& group, const Subject& member) {
  IOT_ASSIGN(auto r, db_.execute("DELETE FROM iam_members WHERE group_name = ?1 AND subject = ?2",
                                 {group, member.to_string()}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, member.to_string() + " is not in group " + group);
  return ok();
}

Result<std::vector<std::string>> IamStore::groups_of(const Subject& member) const {
  IOT_ASSIGN(auto rows, db_.query("SELECT group_name FROM iam_members WHERE subject = ?1 ORDER BY group_name",
                                  {member.to_string()}));
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.text(0));
  return out;
}

// --- bindings and principals ---

Result<RoleBinding> IamStore::bind(Role role, const Subject& subject, const std::string& scope) {
  if (scope != kAllGroups) {
    IOT_TRY(validate_name(scope, "binding scope"));
    IOT_TRY(require_subject(Subject{SubjectKind::group, scope}));
  }
  IOT_TRY(require_subject(subject));
  int64_t now = clock_.now_ns();
  auto r = db_.execute("INSERT INTO iam_bindings (role, subject, scope, created_ns) VALUES (?1, ?2, ?3, ?4)",
                       {std::string(to_string(role)), subject.to_string(), scope, now});
  if (!r && r.error().code() == Errc::conflict) {
    return make_error(Errc::already_exists, "role " + std::string(to_string(role)) + " is already bound to " +
                                                subject.to_string() + " in " + scope);
  }
  IOT_TRY(r);
  return RoleBinding{r->last_insert_id, role, subject, scope, now};
}

Status IamStore::unbind(int64_t binding_id) {
  IOT_ASSIGN(auto r, db_.execute("DELETE FROM iam_bindings WHERE id = ?1", {binding_id}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "role binding " + std::to_string(binding_id) + " does not exist");
  return ok();
}

Result<std::vector<RoleBinding>> IamStore::list_bindings() const {
  IOT_ASSIGN(auto rows, db_.query("SELECT id, role, subject, scope, created_ns FROM iam_bindings ORDER BY id"));
  std::vector<RoleBinding> out;
  for (const auto& row : rows) {
    auto role = parse_role(row.text(1));
    auto subject = parse_subject(row.text(2));
    if (!role || !subject) {
      return make_error(Errc::corruption, "role binding " + std::to_string(row.integer(0)) + " in the store is malformed");
    }
    out.push_back(RoleBinding{row.integer(0), *role, *subject, row.text(3), row.integer(4)});
  }
  return out;
}

Result<std::vector<Grant>> IamStore::grants_for(const Subject& subject, const std::vector<std::string>& groups) const {
  std::vector<std::string> names{subject.to_string()};
  for (const auto& g : groups) names.push_back(Subject{SubjectKind::group, g}.to_string());
  std::vector<Grant> out;
  for (const auto& name : names) {
    IOT_ASSIGN(auto rows, db_.query("SELECT role, scope FROM iam_bindings WHERE subject = ?1 ORDER BY id", {name}));
    for (const auto& row : rows) {
      auto role = parse_role(row.text(0));
      if (!role) return make_error(Errc::corruption, "role binding of " + name + " names an unknown role");
      out.push_back(Grant{*role, row.text(1), name});
    }
  }
  return out;
}

Result<Principal> IamStore::principal_for(const Subject& subject) const {
  std::string key = subject.to_string();
  const uint64_t changes = db_.changes();  // before reading: a write meanwhile makes the entry stale
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = principals_.find(key); it != principals_.end() && it->second.changes == changes) {
      return it->second.principal;
    }
  }
  IOT_ASSIGN(Principal p, load_principal(subject));
  std::lock_guard lock(cache_mu_);
  if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
  principals_[key] = CachedPrincipal{changes, p};
  return p;
}

Result<Principal> IamStore::load_principal(const Subject& subject) const {
  if (subject.kind == SubjectKind::group) {
    return make_error(Errc::invalid_argument, "a group cannot act: " + subject.to_string());
  }
  if (subject.kind == SubjectKind::node) return node_principal(subject.name);
  std::string_view table = subject.kind == SubjectKind::user ? "iam_users" : "iam_service_accounts";
  IOT_ASSIGN(auto rows, db_.query("SELECT disabled FROM " + std::string(table) + " WHERE name = ?1", {subject.name}));
  if (rows.empty()) return make_error(Errc::unauthenticated, subject.to_string() + " does not exist");
  if (rows[0].integer(0) != 0) return make_error(Errc::unauthenticated, subject.to_string() + " is disabled");
  IOT_ASSIGN(auto groups, groups_of(subject));
  return principal_with_groups(subject, std::move(groups));
}

Result<Principal> IamStore::principal_with_groups(const Subject& subject, std::vector<std::string> groups) const {
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  IOT_ASSIGN(auto grants, grants_for(subject, groups));
  return Principal{subject, std::move(groups), std::move(grants)};
}

}  // namespace iotwins::iam
