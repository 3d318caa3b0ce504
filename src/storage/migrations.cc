#include "storage/migrations.h"

#include "core/log.h"

namespace iotwins::storage {
namespace {

Status ensure_table(Database& db) {
  return db.exec_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " component TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,"
      " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
      " PRIMARY KEY (component, version))");
}

}  // namespace

Result<int> schema_version(Database& db, std::string_view component) {
  IOT_TRY(ensure_table(db));
  IOT_ASSIGN(auto rows, db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations "
                                 "WHERE component = ?1",
                                 {std::string(component)}));
  return static_cast<int>(rows.at(0).integer(0));
}

Status migrate(Database& db, std::string_view component, const std::vector<Migration>& migrations) {
  static auto& log = log::get("storage");
  IOT_ASSIGN(int current, schema_version(db, component));
  int known = migrations.empty() ? 0 : migrations.back().version;
  if (current > known) {
    return make_error(Errc::unsupported,
                      "the " + std::string(component) + " schema is at version " +
                          std::to_string(current) + " but this binary knows only up to " +
                          std::to_string(known) + " (a newer iotwins wrote this data directory)");
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      return make_error(Errc::internal, std::string(component) + " migrations must be numbered 1, 2, 3 …");
    }
    if (m.version <= current) continue;
    IOT_TRY(db.transaction([&](Database& tx) -> Status {
      IOT_TRY(tx.exec_script(m.sql));
      IOT_TRY(tx.execute("INSERT INTO schema_migrations (component, version, description) "
                         "VALUES (?1, ?2, ?3)",
                         {std::string(component), static_cast<int64_t>(m.version),
                          std::string(m.description)}));
      return ok();
    }));
    log.info("{} schema migrated to version {}: {}", component, m.version, m.description);
  }
  return ok();
}

}  // namespace iotwins::storage
