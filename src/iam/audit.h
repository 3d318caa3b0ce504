// AuditLog: an append-only record of every change — who, what, when, from where, and how it
// ended — in the metadata store (schema component "audit"). SQLite triggers refuse UPDATE and
// DELETE on the table, so not even a bug in this process can rewrite history through SQL.
// Queried by time range, actor and action (prefix), in pages with a cursor.
// Thread-safe: state lives in the database.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/database.h"

namespace iotwins::iam {

enum class AuditOutcome { ok, denied, failed };
std::string_view to_string(AuditOutcome outcome);

struct AuditEntry {
  std::string actor;   // "user:alice", "service-account:edge-7", "anonymous"
  std::string action;  // "deployments.create", "iam.bind", "auth.login"
  std::string target;  // what was acted on: "deployments/d-42"
  std::string remote;  // the client's address
  AuditOutcome outcome = AuditOutcome::ok;
  std::string detail;  // a short free text (an error message, changed fields)
};

struct AuditRecord {
  int64_t id = 0;
  int64_t ts_ns = 0;
  AuditEntry entry;
};

inline constexpr size_t kMaxAuditPage = 1000;

struct AuditQuery {
  int64_t from_ns = 0;                                    // inclusive
  int64_t to_ns = std::numeric_limits<int64_t>::max();    // exclusive
  std::string actor;          // exact match when set
  std::string action_prefix;  // "iam." matches every IAM action
  int64_t after_id = 0;       // the cursor of the previous page
  size_t limit = 100;         // 1..kMaxAuditPage
};

struct AuditPage {
  std::vector<AuditRecord> records;  // ascending time (id)
  int64_t next_cursor = 0;           // pass as after_id; 0 when this was the last page
};

class AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> open(storage::Database& db, const Clock& clock);
  // Appends one record stamped with the clock; over-long fields are cut (a record is never
  // lost for its length). Returns its id.
  Result<int64_t> append(const AuditEntry& entry);
  Result<AuditPage> query(const AuditQuery& query) const;

 private:
  AuditLog(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace iotwins::iam
