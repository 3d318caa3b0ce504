// TwinService's state, shared by its source files (service.cc: models and twins; feed.cc: the
// change feed; ingest.cc: the data plane). Not part of the module's interface.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "core/log.h"
#include "twins/service.h"
#include "twins/table.h"

namespace iotwins::twins {

struct Entry {
  twin::TwinDocument doc;
  std::string node;
  int64_t seq = 0;
  std::vector<std::string> changed;  // paths changed by the last change
};

struct ModelEntry {
  twin::TwinModel model;
  std::string text;
};

struct TwinService::Impl {
  Impl(storage::Database& database, TwinTable t, const Clock& c, ServiceOptions o)
      : db(database), table(std::move(t)), clock(c), options(std::move(o)) {}

  storage::Database& db;
  TwinTable table;
  const Clock& clock;
  ServiceOptions options;

  mutable std::shared_mutex mu;  // guards everything below
  std::unordered_map<std::string, Entry> twins;
  std::unordered_map<std::string, Tombstone> tombstones;
  std::map<int64_t, std::string> by_seq;  // feed order: seq of each twin's (or tombstone's) last change
  twin::Hierarchy hierarchy;
  std::map<std::string, ModelEntry, std::less<>> models;
  std::map<std::string, uint64_t, std::less<>> marks;
  int64_t seq = 0;
  Stats counters;

  // Feed wake-ups (not under mu, so waiters never hold the table's lock).
  mutable std::mutex feed_mu;
  mutable std::condition_variable feed_cv;
  std::atomic<int64_t> published{0};
  bool closed = false;

  const twin::TwinModel* model(std::string_view id) const {
    auto it = models.find(id);
    return it == models.end() ? nullptr : &it->second.model;
  }
  Status check_against_model(const twin::TwinDocument& doc, const twin::StateUpdate& update) const;
  // Gives `entry` the next sequence number and makes it the twin's entry (memory only; the
  // caller persisted it first).
  void commit(Entry entry);
  void publish();  // wakes the feed's waiters
  TwinRow row(const Entry& entry) const;
};

spdlog::logger& logger();

}  // namespace iotwins::twins
