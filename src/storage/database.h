// The metadata store: a small SQL interface (parameters bound by position, rows of values)
// with SQLite behind it. Domain modules write their own repositories on top of it and
// declare their schema as versioned migrations (storage/migrations.h); none of them sees
// sqlite3 or HTTP types.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace iotwins::storage {

using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(values_[i]); }
  int64_t integer(size_t i) const;      // 0 for NULL
  double real(size_t i) const;          // 0 for NULL
  const std::string& text(size_t i) const;  // "" for NULL
 private:
  std::vector<Value> values_;
};

struct ExecResult {
  int64_t rows_changed = 0;
  int64_t last_insert_id = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  // Runs one or more statements without parameters (schema changes).
  virtual Status exec_script(std::string_view sql) = 0;
  // Runs one statement with positional parameters (?1, ?2 … or ?).
  virtual Result<ExecResult> execute(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  virtual Result<std::vector<Row>> query(std::string_view sql,
                                         const std::vector<Value>& params = {}) = 0;
  // Runs fn inside one transaction: committed if fn succeeds, rolled back otherwise.
  // Not re-entrant: fn must not call transaction() again.
  virtual Status transaction(const std::function<Status(Database&)>& fn) = 0;
};

struct SqliteOptions {
  // FULL: a commit is durable when it returns (acknowledged metadata is never lost).
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
};

// Opens (creating if needed) a SQLite database in WAL mode. Thread-safe: statements are
// serialised on one connection (metadata traffic is small; the hot paths use wal/ and tsdb/).
Result<std::unique_ptr<Database>> open_sqlite(const std::string& path, SqliteOptions options = {});

}  // namespace iotwins::storage
