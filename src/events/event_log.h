// EventLog: the platform's events — what devices publish on iotwins/<twin>/events/<type>,
// their reported-state messages as they arrived, and (later) anomalies, alerts and lifecycle
// events — kept in the metadata database and listed at GET /api/v1/events.
//
// An event is identified by (twin, type, ts): appending one already present is a no-op, so
// the data plane's at-least-once hops cannot duplicate events.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace iotwins::events {

struct Event {
  int64_t id = 0;  // assigned on append, increasing: a cursor for listing
  std::string twin;
  std::string type;
  int64_t ts_ns = 0;
  std::string json;  // the event's payload, valid JSON text
  int64_t received_ns = 0;
};

struct EventQuery {
  std::string twin;        // exact; empty: all
  std::string type;        // exact; empty: all
  int64_t after_id = 0;    // cursor: events with a larger id
  int64_t from_ns = 0;     // ts >= from (0: no bound)
  int64_t to_ns = 0;       // ts < to (0: no bound)
  size_t limit = 100;      // 1..1000
};

class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> open(storage::Database& db);
  // Appends in one transaction; returns how many were new.
  Result<size_t> append(std::span<const Event> events, int64_t received_ns);
  Result<std::vector<Event>> list(const EventQuery& query);

 private:
  explicit EventLog(storage::Database& db) : db_(db) {}
  storage::Database& db_;
};

}  // namespace iotwins::events
