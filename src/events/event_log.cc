#include "events/event_log.h"

#include "storage/migrations.h"

namespace iotwins::events {

Result<std::unique_ptr<EventLog>> EventLog::open(storage::Database& db) {
  static const std::vector<storage::Migration> migrations = {
      {1, "events",
       "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, twin TEXT NOT NULL, "
       "type TEXT NOT NULL, ts_ns INTEGER NOT NULL, json TEXT NOT NULL, received_ns INTEGER NOT NULL, "
       "UNIQUE (twin, type, ts_ns));"
       "CREATE INDEX events_twin ON events (twin, id);"
       "CREATE INDEX events_ts ON events (ts_ns);"},
  };
  IOT_TRY(storage::migrate(db, "events", migrations));
  return std::unique_ptr<EventLog>(new EventLog(db));
}

Result<size_t> EventLog::append(std::span<const Event> events, int64_t received_ns) {
  size_t added = 0;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    std::vector<storage::Value> params(5);
    for (const auto& e : events) {
      params[0] = e.twin;
      params[1] = e.type;
      params[2] = e.ts_ns;
      params[3] = e.json;
      params[4] = received_ns;
      IOT_ASSIGN(auto r, tx.execute("INSERT OR IGNORE INTO events (twin, type, ts_ns, json, received_ns) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5)",
                                    params));
      added += static_cast<size_t>(r.rows_changed);
    }
    return ok();
  }));
  return added;
}

Result<std::vector<Event>> EventLog::list(const EventQuery& q) {
  if (q.limit < 1 || q.limit > 1000) {
    return make_error(Errc::invalid_argument, "limit must be 1..1000, not " + std::to_string(q.limit));
  }
  // Fixed positions; an empty/zero filter matches everything.
  std::string sql =
      "SELECT id, twin, type, ts_ns, json, received_ns FROM events WHERE id > ?1 "
      "AND (?2 = '' OR twin = ?2) AND (?3 = '' OR type = ?3) AND (?4 = 0 OR ts_ns >= ?4) "
      "AND (?5 = 0 OR ts_ns < ?5) ORDER BY id LIMIT " + std::to_string(q.limit);
  std::vector<storage::Value> params(5);
  params[0] = q.after_id;
  params[1] = q.twin;
  params[2] = q.type;
  params[3] = q.from_ns;
  params[4] = q.to_ns;
  IOT_ASSIGN(auto rows, db_.query(sql, params));
  std::vector<Event> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r.integer(0), r.text(1), r.text(2), r.integer(3), r.text(4), r.integer(5)});
  }
  return out;
}

}  // namespace iotwins::events
