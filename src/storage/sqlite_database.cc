#include <sqlite3.h>

#include <map>
#include <mutex>

#include "core/log.h"
#include "storage/database.h"

namespace iotwins::storage {

int64_t Row::integer(size_t i) const {
  if (auto* v = std::get_if<int64_t>(&values_[i])) return *v;
  if (auto* d = std::get_if<double>(&values_[i])) return static_cast<int64_t>(*d);
  return 0;
}

double Row::real(size_t i) const {
  if (auto* v = std::get_if<double>(&values_[i])) return *v;
  if (auto* n = std::get_if<int64_t>(&values_[i])) return static_cast<double>(*n);
  return 0;
}

const std::string& Row::text(size_t i) const {
  static const std::string empty;
  if (auto* v = std::get_if<std::string>(&values_[i])) return *v;
  return empty;
}

namespace {

Errc code_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return Errc::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::unavailable;
    case SQLITE_FULL: return Errc::resource_exhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::corruption;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: return Errc::io_error;
    case SQLITE_TOOBIG: return Errc::too_large;
    default: return Errc::internal;
  }
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDatabase() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status exec_script(std::string_view sql) override {
    std::lock_guard lock(mu_);
    return exec_locked(sql);
  }

  Result<ExecResult> execute(std::string_view sql, const std::vector<Value>& params) override {
    std::lock_guard lock(mu_);  // recursive: a transaction's fn runs under the same lock
    IOT_ASSIGN(sqlite3_stmt * stmt, prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return fail(rc, sql);
    return ExecResult{sqlite3_changes64(db_), sqlite3_last_insert_rowid(db_)};
  }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    std::lock_guard lock(mu_);  // recursive: a transaction's fn runs under the same lock
    IOT_ASSIGN(sqlite3_stmt * stmt, prepare(sql, params));
    std::vector<Row> rows;
    int rc;
    int cols = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Value> values;
      values.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER: values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c))); break;
          case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
          case SQLITE_NULL: values.emplace_back(nullptr); break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return fail(rc, sql);
    return rows;
  }

  Status transaction(const std::function<Status(Database&)>& fn) override {
    std::lock_guard lock(mu_);
    IOT_TRY(exec_locked("BEGIN IMMEDIATE"));
    Status st = fn(*this);
    if (!st) {
      (void)exec_locked("ROLLBACK");
      return st;
    }
    auto commit = exec_locked("COMMIT");
    if (!commit) {
      (void)exec_locked("ROLLBACK");
      return commit;
    }
    return ok();
  }

 private:
  std::unexpected<Error> fail(int rc, std::string_view sql) {
    std::string what = sqlite3_errmsg(db_);
    std::string head(sql.substr(0, 80));
    return make_error(code_of(rc), "sqlite " + path_ + ": " + what + " (in: " + head + ")");
  }

  Status exec_locked(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return make_error(code_of(rc), "sqlite " + path_ + ": " + msg);
    }
    return ok();
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql, const std::vector<Value>& params) {
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      int rc = sqlite3_prepare_v2(db_, key.c_str(), static_cast<int>(key.size()), &stmt, nullptr);
      if (rc != SQLITE_OK) return fail(rc, sql);
      cache_.emplace(key, stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return make_error(Errc::internal, "sqlite: statement expects " +
                                            std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                            " parameters, got " + std::to_string(params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(stmt, idx);
            else if constexpr (std::is_same_v<T, int64_t>) return sqlite3_bind_int64(stmt, idx, v);
            else if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(stmt, idx, v);
            else return sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) return fail(rc, sql);
    }
    return stmt;
  }

  sqlite3* db_;
  std::string path_;
  std::recursive_mutex mu_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path, SqliteOptions options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(code_of(rc), "open sqlite database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  auto out = std::make_unique<SqliteDatabase>(db, path);
  std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=";
  pragmas += options.synchronous_full ? "FULL;" : "NORMAL;";
  auto st = static_cast<Database&>(*out).exec_script(pragmas);
  if (!st) return std::unexpected(std::move(st.error()).context("open " + path));
  // Fails early on a file that is not a database (or is corrupt) rather than at first use.
  auto check = static_cast<Database&>(*out).query("PRAGMA quick_check");
  if (!check) return std::unexpected(std::move(check.error()).context("open " + path));
  if (check->empty() || check->front().text(0) != "ok") {
    return make_error(Errc::corruption, "sqlite database " + path + " failed its integrity check: " +
                                            (check->empty() ? "" : check->front().text(0)));
  }
  return std::unique_ptr<Database>(std::move(out));
}

}  // namespace iotwins::storage
