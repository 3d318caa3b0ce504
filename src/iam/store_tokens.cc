// IamStore: service accounts and the three kinds of token (API, refresh, join).
#include "core/log.h"
#include "iam/encoding.h"
#include "iam/store.h"
#include "iam/store_schema.h"

namespace iotwins::iam {
namespace {

constexpr std::string_view kApiPrefix = "iot_pat_";
constexpr std::string_view kRefreshPrefix = "iot_rt_";
constexpr std::string_view kJoinPrefix = "iot_join_";
constexpr int64_t kLastUsedResolutionNs = 60'000'000'000;

spdlog::logger& logger() {
  static auto& log = log::get("iam");
  return log;
}

int64_t ttl_ns(std::chrono::seconds ttl) { return std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count(); }

ApiToken api_token_from_row(const storage::Row& row) {
  ApiToken t;
  t.id = row.text(0);
  t.subject = parse_subject(row.text(1)).value_or(Subject{});
  t.name = row.text(2);
  t.created_ns = row.integer(3);
  t.expires_ns = row.integer(4);
  t.last_used_ns = row.integer(5);
  t.revoked_ns = row.integer(6);
  return t;
}

}  // namespace

// --- service accounts ---

Result<ServiceAccount> IamStore::create_service_account(const std::string& name, const std::string& description) {
  IOT_TRY(validate_name(name, "service account name"));
  if (description.size() > 1024) return make_error(Errc::invalid_argument, "service account description is over 1024 bytes");
  int64_t now = clock_.now_ns();
  auto r = db_.execute("INSERT INTO iam_service_accounts (name, description, created_ns) VALUES (?1, ?2, ?3)",
                       {name, description, now});
  if (!r && r.error().code() == Errc::conflict) {
    return make_error(Errc::already_exists, "service account " + name + " already exists");
  }
  IOT_TRY(r);
  return ServiceAccount{name, description, false, now};
}

Result<ServiceAccount> IamStore::get_service_account(const std::string& name) const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, description, disabled, created_ns FROM iam_service_accounts "
                                  "WHERE name = ?1", {name}));
  if (rows.empty()) return make_error(Errc::not_found, "service account " + name + " does not exist");
  return ServiceAccount{rows[0].text(0), rows[0].text(1), rows[0].integer(2) != 0, rows[0].integer(3)};
}

Result<std::vector<ServiceAccount>> IamStore::list_service_accounts() const {
  IOT_ASSIGN(auto rows, db_.query("SELECT name, description, disabled, created_ns FROM iam_service_accounts ORDER BY name"));
  std::vector<ServiceAccount> out;
  for (const auto& row : rows) out.push_back(ServiceAccount{row.text(0), row.text(1), row.integer(2) != 0, row.integer(3)});
  return out;
}

Status IamStore::delete_service_account(const std::string& name) {
  return db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(auto r, tx.execute("DELETE FROM iam_service_accounts WHERE name = ?1", {name}));
    if (r.rows_changed == 0) return make_error(Errc::not_found, "service account " + name + " does not exist");
    return delete_credentials(tx, Subject{SubjectKind::service_account, name});
  });
}

// --- API tokens ---

Result<Issued<ApiToken>> IamStore::create_api_token(const Subject& subject, const std::string& name,
                                                    std::chrono::seconds ttl) {
  if (subject.kind == SubjectKind::group) return make_error(Errc::invalid_argument, "a group cannot hold an API token");
  if (name.empty() || name.size() > 128) return make_error(Errc::invalid_argument, "API token name must be 1 to 128 bytes");
  if (ttl.count() < 0) return make_error(Errc::invalid_argument, "API token lifetime is negative");
  IOT_TRY(require_subject(subject));
  IOT_ASSIGN(auto made, detail::make_token(kApiPrefix));
  int64_t now = clock_.now_ns();
  ApiToken meta{made.parts.id, subject, name, now, ttl.count() == 0 ? 0 : now + ttl_ns(ttl), 0, 0};
  IOT_TRY(db_.execute("INSERT INTO iam_api_tokens (id, digest, subject, name, created_ns, expires_ns) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      {meta.id, made.parts.digest, subject.to_string(), name, now, meta.expires_ns}));
  logger().info("API token {} ({}) created for {}", meta.id, name, subject.to_string());
  return Issued<ApiToken>{std::move(meta), std::move(made.token)};
}

Result<Subject> IamStore::authenticate_api_token(const std::string& token) {
  IOT_ASSIGN(auto parts, detail::split_token(token, kApiPrefix, "API token"));
  IOT_ASSIGN(auto rows, db_.query("SELECT digest, subject, expires_ns, revoked_ns, last_used_ns FROM iam_api_tokens "
                                  "WHERE id = ?1", {parts.id}));
  if (rows.empty() || !constant_time_equal(rows[0].text(0), parts.digest)) {
    return make_error(Errc::unauthenticated, "API token is not known");
  }
  int64_t now = clock_.now_ns();
  if (rows[0].integer(3) != 0) return make_error(Errc::unauthenticated, "API token " + parts.id + " was revoked");
  if (rows[0].integer(2) != 0 && now >= rows[0].integer(2)) {
    return make_error(Errc::unauthenticated, "API token " + parts.id + " has expired");
  }
  IOT_ASSIGN(Subject subject, parse_subject(rows[0].text(1)));
  // Last use to the minute: a durable write on every request would cost a commit per call.
  if (now - rows[0].integer(4) >= kLastUsedResolutionNs) {
    IOT_TRY(db_.execute("UPDATE iam_api_tokens SET last_used_ns = ?2 WHERE id = ?1", {parts.id, now}));
  }
  return subject;
}

Status IamStore::revoke_api_token(const std::string& id) {
  IOT_ASSIGN(auto r, db_.execute("UPDATE iam_api_tokens SET revoked_ns = ?2 WHERE id = ?1 AND revoked_ns = 0",
                                 {id, clock_.now_ns()}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "no active API token " + id);
  return ok();
}

Result<std::vector<ApiToken>> IamStore::list_api_tokens(const Subject& subject) const {
  IOT_ASSIGN(auto rows, db_.query("SELECT id, subject, name, created_ns, expires_ns, last_used_ns, revoked_ns "
                                  "FROM iam_api_tokens WHERE subject = ?1 ORDER BY created_ns, id",
                                  {subject.to_string()}));
  std::vector<ApiToken> out;
  for (const auto& row : rows) out.push_back(api_token_from_row(row));
  return out;
}

// --- refresh tokens ---

Result<std::string> IamStore::issue_refresh_token(const Subject& subject) {
  IOT_ASSIGN(auto made, detail::make_token(kRefreshPrefix));
  int64_t now = clock_.now_ns();
  // A new family: the first token's id names it.
  IOT_TRY(db_.execute("INSERT INTO iam_refresh_tokens (id, family, digest, subject, created_ns, expires_ns) "
                      "VALUES (?1, ?1, ?2, ?3, ?4, ?5)",
                      {made.parts.id, made.parts.digest, subject.to_string(), now, now + ttl_ns(options_.refresh_ttl)}));
  return made.token;
}

Result<RefreshGrant> IamStore::use_refresh_token(const std::string& token) {
  IOT_ASSIGN(auto parts, detail::split_token(token, kRefreshPrefix, "refresh token"));
  IOT_ASSIGN(auto next, detail::make_token(kRefreshPrefix));
  int64_t now = clock_.now_ns();
  RefreshGrant grant;
  // Errors found inside the transaction that must still commit (revoking a family).
  std::optional<Error> refused;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(auto rows, tx.query("SELECT digest, family, subject, expires_ns, used_ns, revoked_ns "
                                   "FROM iam_refresh_tokens WHERE id = ?1", {parts.id}));
    if (rows.empty() || !constant_time_equal(rows[0].text(0), parts.digest)) {
      return make_error(Errc::unauthenticated, "refresh token is not known");
    }
    const auto& row = rows[0];
    std::string family = row.text(1);
    if (row.integer(5) != 0) return make_error(Errc::unauthenticated, "refresh token was revoked");
    if (row.integer(4) != 0) {
      // Replay of a spent token: someone else may hold the family; end all of it.
      IOT_TRY(tx.execute("UPDATE iam_refresh_tokens SET revoked_ns = ?2 WHERE family = ?1 AND revoked_ns = 0",
                         {family, now}));
      logger().warn("refresh token {} of {} used twice: its family is revoked", parts.id, row.text(2));
      refused = Error(Errc::unauthenticated, "refresh token was already used; every token of its session is revoked");
      return ok();
    }
    if (now >= row.integer(3)) return make_error(Errc::unauthenticated, "refresh token has expired");
    IOT_ASSIGN(grant.subject, parse_subject(row.text(2)));
    IOT_ASSIGN(auto used, tx.execute("UPDATE iam_refresh_tokens SET used_ns = ?2 WHERE id = ?1 AND used_ns = 0",
                                     {parts.id, now}));
    if (used.rows_changed != 1) return make_error(Errc::unauthenticated, "refresh token was already used");
    IOT_TRY(tx.execute("INSERT INTO iam_refresh_tokens (id, family, digest, subject, created_ns, expires_ns) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       {next.parts.id, family, next.parts.digest, row.text(2), now, now + ttl_ns(options_.refresh_ttl)}));
    return ok();
  }));
  if (refused) return std::unexpected(std::move(*refused));
  grant.refresh_token = std::move(next.token);
  return grant;
}

Status IamStore::revoke_refresh_tokens(const Subject& subject) {
  IOT_TRY(db_.execute("UPDATE iam_refresh_tokens SET revoked_ns = ?2 WHERE subject = ?1 AND revoked_ns = 0",
                      {subject.to_string(), clock_.now_ns()}));
  return ok();
}

// --- join tokens ---

Result<Issued<JoinTokenInfo>> IamStore::create_join_token(const std::string& group, const std::string& created_by,
                                                          std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return make_error(Errc::invalid_argument, "join token lifetime must be positive");
  if (ttl > std::chrono::hours(24 * 7)) return make_error(Errc::invalid_argument, "join token lifetime is over 7 days");
  IOT_TRY(require_subject(Subject{SubjectKind::group, group}));
  IOT_ASSIGN(auto made, detail::make_token(kJoinPrefix));
  int64_t now = clock_.now_ns();
  JoinTokenInfo info{made.parts.id, group, created_by, now, now + ttl_ns(ttl), 0, ""};
  IOT_TRY(db_.execute("INSERT INTO iam_join_tokens (id, digest, group_name, created_by, created_ns, expires_ns) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      {info.id, made.parts.digest, group, created_by, now, info.expires_ns}));
  return Issued<JoinTokenInfo>{std::move(info), std::move(made.token)};
}

Result<JoinGrant> IamStore::consume_join_token(const std::string& token, const std::string& node_id) {
  IOT_ASSIGN(auto parts, detail::split_token(token, kJoinPrefix, "join token"));
  IOT_TRY(validate_name(node_id, "node id"));
  IOT_ASSIGN(auto rows, db_.query("SELECT digest, group_name, expires_ns, used_ns, used_by FROM iam_join_tokens "
                                  "WHERE id = ?1", {parts.id}));
  if (rows.empty() || !constant_time_equal(rows[0].text(0), parts.digest)) {
    return make_error(Errc::unauthenticated, "join token is not known");
  }
  int64_t now = clock_.now_ns();
  if (rows[0].integer(3) != 0) {
    return make_error(Errc::unauthenticated, "join token " + parts.id + " was already used by node " + rows[0].text(4));
  }
  if (now >= rows[0].integer(2)) return make_error(Errc::unauthenticated, "join token " + parts.id + " has expired");
  // The conditional update is what makes it one-time under concurrent joins.
  IOT_ASSIGN(auto r, db_.execute("UPDATE iam_join_tokens SET used_ns = ?2, used_by = ?3 WHERE id = ?1 AND used_ns = 0",
                                 {parts.id, now, node_id}));
  if (r.rows_changed != 1) return make_error(Errc::unauthenticated, "join token " + parts.id + " was already used");
  logger().info("node {} joined group {} with join token {}", node_id, rows[0].text(1), parts.id);
  return JoinGrant{parts.id, rows[0].text(1)};
}

Result<std::vector<JoinTokenInfo>> IamStore::list_join_tokens() const {
  IOT_ASSIGN(auto rows, db_.query("SELECT id, group_name, created_by, created_ns, expires_ns, used_ns, used_by "
                                  "FROM iam_join_tokens ORDER BY created_ns, id"));
  std::vector<JoinTokenInfo> out;
  for (const auto& row : rows) {
    out.push_back(JoinTokenInfo{row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4),
                                row.integer(5), row.text(6)});
  }
  return out;
}

Status IamStore::delete_join_token(const std::string& id) {
  IOT_ASSIGN(auto r, db_.execute("DELETE FROM iam_join_tokens WHERE id = ?1", {id}));
  if (r.rows_changed == 0) return make_error(Errc::not_found, "no join token " + id);
  return ok();
}

}  // namespace iotwins::iam
