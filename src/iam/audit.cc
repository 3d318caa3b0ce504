#include "iam/audit.h"

#include "storage/migrations.h"

namespace iotwins::iam {
namespace {

const std::vector<storage::Migration> kMigrations = {
    {1, "append-only audit log",
     "CREATE TABLE audit_log ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ns INTEGER NOT NULL, actor TEXT NOT NULL,"
     " action TEXT NOT NULL, target TEXT NOT NULL, remote TEXT NOT NULL, outcome TEXT NOT NULL,"
     " detail TEXT NOT NULL);"
     "CREATE INDEX audit_log_ts ON audit_log (ts_ns);"
     "CREATE INDEX audit_log_actor ON audit_log (actor, ts_ns);"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
     " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"},
};

// Cuts at a UTF-8 character boundary and marks the cut.
std::string clip(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max - 3;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

Result<AuditOutcome> parse_outcome(const std::string& text) {
  for (AuditOutcome o : {AuditOutcome::ok, AuditOutcome::denied, AuditOutcome::failed}) {
    if (to_string(o) == text) return o;
  }
  return make_error(Errc::corruption, "audit record has an unknown outcome \"" + text + "\"");
}

}  // namespace

std::string_view to_string(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::ok: return "ok";
    case AuditOutcome::denied: return "denied";
    case AuditOutcome::failed: return "failed";
  }
  return "unknown";
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(storage::Database& db, const Clock& clock) {
  IOT_TRY(storage::migrate(db, "audit", kMigrations));
  return std::unique_ptr<AuditLog>(new AuditLog(db, clock));
}

Result<int64_t> AuditLog::append(const AuditEntry& e) {
  if (e.actor.empty() || e.action.empty()) {
    return make_error(Errc::invalid_argument, "an audit record needs an actor and an action");
  }
  IOT_ASSIGN(auto r, db_.execute("INSERT INTO audit_log (ts_ns, actor, action, target, remote, outcome, detail) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                 {clock_.now_ns(), clip(e.actor, 256), clip(e.action, 128), clip(e.target, 1024),
                                  clip(e.remote, 128), std::string(to_string(e.outcome)), clip(e.detail, 4096)}));
  return r.last_insert_id;
}

Result<AuditPage> AuditLog::query(const AuditQuery& q) const {
  if (q.limit == 0 || q.limit > kMaxAuditPage) {
    return make_error(Errc::invalid_argument, "audit query limit must be 1 to " + std::to_string(kMaxAuditPage));
  }
  if (q.from_ns > q.to_ns) return make_error(Errc::invalid_argument, "audit query: from is after to");
  if (q.after_id < 0) return make_error(Errc::invalid_argument, "audit query: cursor is negative");
  // Filters are bound parameters, never spliced into SQL; the prefix match avoids LIKE so
  // '%' and '_' in it are literal.
  IOT_ASSIGN(auto rows,
             db_.query("SELECT id, ts_ns, actor, action, target, remote, outcome, detail FROM audit_log"
                       " WHERE id > ?1 AND ts_ns >= ?2 AND ts_ns < ?3"
                       " AND (?4 = '' OR actor = ?4)"
                       " AND (?5 = '' OR substr(action, 1, length(?5)) = ?5)"
                       " ORDER BY id LIMIT ?6",
                       {q.after_id, q.from_ns, q.to_ns, q.actor, q.action_prefix, static_cast<int64_t>(q.limit + 1)}));
  AuditPage page;
  for (size_t i = 0; i < rows.size() && i < q.limit; ++i) {
    const auto& row = rows[i];
    IOT_ASSIGN(AuditOutcome outcome, parse_outcome(row.text(6)));
    page.records.push_back(AuditRecord{row.integer(0), row.integer(1),
                                       AuditEntry{row.text(2), row.text(3), row.text(4), row.text(5), outcome, row.text(7)}});
  }
  if (rows.size() > q.limit) page.next_cursor = page.records.back().id;
  return page;
}

}  // namespace iotwins::iam
