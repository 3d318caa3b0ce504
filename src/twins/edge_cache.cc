#include "twins/edge_cache.h"

#include "storage/database.h"
#include "storage/migrations.h"
#include "twin/codec.h"
#include "twins/events.h"

namespace iotwins::twins {

// --- dotted paths ---

int64_t leaf_timestamp(const nlohmann::json& metadata, std::string_view path) {
  const nlohmann::json* node = &metadata;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!node->is_object()) return -1;
    auto it = node->find(key);
    if (it == node->end()) return -1;
    node = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!node->is_object()) return -1;
  auto ts = node->find("timestamp");
  if (ts == node->end() || !ts->is_number_integer()) return -1;
  return ts->get<int64_t>();
}

void set_dotted(nlohmann::json& obj, std::string_view path, nlohmann::json value) {
  nlohmann::json* node = &obj;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) {
      (*node)[key] = std::move(value);
      return;
    }
    nlohmann::json& next = (*node)[key];
    if (!next.is_object()) next = nlohmann::json::object();
    node = &next;
    start = dot + 1;
  }
}

void flatten_leaves(const nlohmann::json& update, std::string& prefix,
                    std::vector<std::pair<std::string, nlohmann::json>>& out) {
  for (const auto& [k, v] : update.items()) {
    size_t len = prefix.size();
    if (!prefix.empty()) prefix += '.';
    prefix += k;
    if (v.is_object() && !v.empty()) {
      flatten_leaves(v, prefix, out);
    } else {
      out.emplace_back(prefix, v);
    }
    prefix.resize(len);
  }
}

// --- the cache ---

EdgeTwinCache::EdgeTwinCache(storage::Database& db, const Clock& clock, EdgeCallbacks callbacks)
    : db_(db), clock_(clock), callbacks_(std::move(callbacks)) {}
EdgeTwinCache::~EdgeTwinCache() = default;

Result<std::unique_ptr<EdgeTwinCache>> EdgeTwinCache::open(storage::Database& db, const Clock& clock,
                                                           EdgeCallbacks callbacks) {
  static const std::vector<storage::Migration> migrations = {
      {1, "edge twin cache",
       "CREATE TABLE edge_twins (id TEXT PRIMARY KEY, json TEXT NOT NULL, pending TEXT NOT NULL, "
       "published TEXT NOT NULL);"
       "CREATE TABLE edge_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
  };
  IOT_TRY(storage::migrate(db, "edge_twins", migrations));
  std::unique_ptr<EdgeTwinCache> cache(new EdgeTwinCache(db, clock, std::move(callbacks)));
  IOT_ASSIGN(auto rows, db.query("SELECT id, json, pending, published FROM edge_twins"));
  for (const auto& r : rows) {
    auto value = twin::parse_json_text(r.text(1), {.max_text_bytes = 16u << 20});
    if (!value) return make_error(Errc::corruption, "cached twin '" + r.text(0) + "': " + value.error().message());
    IOT_ASSIGN(auto doc, twin::twin_from_json(*value));
    Item item{std::move(doc), {}, r.text(3)};
    auto pending = nlohmann::json::parse(r.text(2), nullptr, false);
    if (pending.is_array()) {
      for (const auto& p : pending) {
        item.pending.push_back({p.value("path", ""), p.value("value", nlohmann::json()), p.value("ts", int64_t{0})});
      }
    }
    cache->items_[r.text(0)] = std::move(item);
  }
  IOT_ASSIGN(auto meta, db.query("SELECT value FROM edge_meta WHERE key = 'cursor'"));
  if (!meta.empty()) cache->cursor_ = meta[0].integer(0);
  return cache;
}

Status EdgeTwinCache::persist(storage::Database& db, const Item& item) {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : item.pending) pending.push_back({{"path", p.path}, {"value", p.value}, {"ts", p.ts_ms}});
  std::vector<storage::Value> params(4);
  params[0] = item.doc.id;
  params[1] = twin::to_json(item.doc).dump();
  params[2] = pending.dump();
  params[3] = item.published;
  IOT_TRY(db.execute("INSERT INTO edge_twins (id, json, pending, published) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT (id) DO UPDATE SET json = ?2, pending = ?3, published = ?4",
                      params));
  return ok();
}

std::optional<std::pair<std::string, std::string>> EdgeTwinCache::take_delta(Item& item) {
  nlohmann::json msg = twin::delta_message(item.doc);
  std::string state = msg.is_null() ? "" : msg["state"].dump();
  if (state == item.published) return std::nullopt;
  item.published = state;
  if (state.empty()) return std::nullopt;  // cleared: nothing to send
  return std::make_pair("iotwins/" + item.doc.id + "/desired/delta", msg.dump());
}

void EdgeTwinCache::overlay_pending(Item& item) {
  // Drop what the server has caught up with: its timestamp for the field is at least ours (a
  // deletion: the field is gone and the document changed at or after it).
  std::erase_if(item.pending, [&](const Pending& p) {
    int64_t server_ts = leaf_timestamp(item.doc.desired_metadata, p.path);
    if (p.value.is_null()) return server_ts < 0 && item.doc.updated_ms >= p.ts_ms;
    return server_ts >= p.ts_ms;
  });
  // Lay the rest over it, each with its own time.
  for (const auto& p : item.pending) {
    nlohmann::json patch = nlohmann::json::object();
    set_dotted(patch, p.path, p.value);
    (void)twin::apply_update(item.doc, {std::move(patch), std::nullopt, std::nullopt}, p.ts_ms * 1'000'000);
  }
}

Status EdgeTwinCache::publish_all(const Outbox& out) {
  if (!callbacks_.publish) return ok();
  Status first = ok();
  for (const auto& [topic, payload] : out) {
    if (auto st = callbacks_.publish(topic, payload); !st && first) first = st;
  }
  return first;
}

Status EdgeTwinCache::on_server_changes(std::span<const ServerChange> changes, int64_t cursor) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    // Work on copies; memory changes only once the transaction has committed.
    std::map<std::string, std::optional<Item>, std::less<>> next;
    for (const auto& c : changes) {
      if (!c.doc) {
        next[c.id] = std::nullopt;
        continue;
      }
      auto prev = next.find(c.id);
      Item item;
      if (prev != next.end() && prev->second) {
        item = *prev->second;
      } else if (auto it = items_.find(c.id); it != items_.end()) {
        item = it->second;
      }
      item.doc = *c.doc;
      overlay_pending(item);
      if (auto d = take_delta(item)) out.push_back(std::move(*d));
      next[c.id] = std::move(item);
    }
    IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
      for (const auto& [id, item] : next) {
        if (item) {
          IOT_TRY(persist(tx, *item));
        } else {
          std::vector<storage::Value> p(1);
          p[0] = id;
          IOT_TRY(tx.execute("DELETE FROM edge_twins WHERE id = ?1", p));
        }
      }
      std::vector<storage::Value> p(1);
      p[0] = cursor;
      IOT_TRY(tx.execute("INSERT INTO edge_meta (key, value) VALUES ('cursor', ?1) "
                         "ON CONFLICT (key) DO UPDATE SET value = ?1",
                         p));
      return ok();
    }));
    for (auto& [id, item] : next) {
      if (item) {
        items_[id] = std::move(*item);
      } else if (auto it = items_.find(id); it != items_.end()) {
        items_.erase(it);
      }
    }
    cursor_ = cursor;
  }
  return publish_all(out);
}

Status EdgeTwinCache::on_server_doc(const twin::TwinDocument& doc) {
  ServerChange c{doc.id, doc};
  return on_server_changes({&c, 1}, cursor());
}

Status EdgeTwinCache::on_server_delete(std::string_view id) {
  ServerChange c{std::string(id), std::nullopt};
  return on_server_changes({&c, 1}, cursor());
}

Result<twin::TwinDocument> EdgeTwinCache::patch_desired(std::string_view id, const nlohmann::json& desired,
                                                        std::optional<int64_t> if_match) {
  if (!desired.is_object()) return make_error(Errc::invalid_argument, "state.desired: must be an object");
  int64_t now = clock_.now_ns();
  std::optional<std::pair<std::string, std::string>> out;
  twin::TwinDocument result;
  {
    std::lock_guard lock(mu_);
    auto it = items_.find(id);
    if (it == items_.end()) {
      return make_error(Errc::not_found, "twin '" + std::string(id) + "' is not cached on this agent");
    }
    Item next = it->second;
    IOT_TRY(twin::apply_update(next.doc, {desired, std::nullopt, if_match}, now));
    // Upstream first: once the event is in the buffer the change cannot be lost.
    if (callbacks_.emit) {
      nlohmann::json body = {{"desired", desired}};
      IOT_TRY(callbacks_.emit(dataplane::Event{std::string(id), std::string(kDesiredEvent), now, body.dump()}));
    }
    std::vector<std::pair<std::string, nlohmann::json>> leaves;
    std::string prefix;
    flatten_leaves(desired, prefix, leaves);
    for (auto& [path, value] : leaves) {
      std::erase_if(next.pending, [&](const Pending& p) { return p.path == path; });
      next.pending.push_back({path, std::move(value), now / 1'000'000});
    }
    out = take_delta(next);
    IOT_TRY(persist(db_, next));
    result = next.doc;
    it->second = std::move(next);
  }
  if (out && callbacks_.publish) (void)callbacks_.publish(out->first, out->second);
  return result;
}

Status EdgeTwinCache::on_reported_batch(std::span<const Reported> updates) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    std::map<std::string, Item, std::less<>> next;
    for (const auto& u : updates) {
      auto it = next.find(u.id);
      if (it == next.end()) {
        auto cached = items_.find(u.id);
        if (cached == items_.end()) continue;  // the server creates it; the feed brings it here
        it = next.emplace(u.id, cached->second).first;
      }
      if (!twin::apply_update(it->second.doc, {std::nullopt, unwrap_reported(u.state), std::nullopt}, u.ts_ns)) continue;
    }
    if (next.empty()) return ok();
    for (auto& [id, item] : next) {
      if (auto d = take_delta(item)) out.push_back(std::move(*d));
    }
    IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
      for (const auto& [id, item] : next) IOT_TRY(persist(tx, item));
      return ok();
    }));
    for (auto& [id, item] : next) items_[id] = std::move(item);
  }
  return publish_all(out);
}

Status EdgeTwinCache::on_reported(std::string_view id, const nlohmann::json& reported, int64_t ts_ns) {
  Reported r{std::string(id), reported, ts_ns};
  return on_reported_batch({&r, 1});
}

Result<twin::TwinDocument> EdgeTwinCache::get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(id);
  if (it == items_.end()) return make_error(Errc::not_found, "twin '" + std::string(id) + "' is not cached on this agent");
  return it->second.doc;
}

std::vector<twin::TwinDocument> EdgeTwinCache::list() const {
  std::lock_guard lock(mu_);
  std::vector<twin::TwinDocument> out;
  out.reserve(items_.size());
  for (const auto& [id, item] : items_) out.push_back(item.doc);
  return out;
}

size_t EdgeTwinCache::pending() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, item] : items_) n += item.pending.size();
  return n;
}

int64_t EdgeTwinCache::cursor() const {
  std::lock_guard lock(mu_);
  return cursor_;
}

Status EdgeTwinCache::set_cursor(int64_t cursor) {
  std::lock_guard lock(mu_);
  std::vector<storage::Value> p(1);
  p[0] = cursor;
  IOT_TRY(db_.execute("INSERT INTO edge_meta (key, value) VALUES ('cursor', ?1) "
                      "ON CONFLICT (key) DO UPDATE SET value = ?1",
                      p));
  cursor_ = cursor;
  return ok();
}

}  // namespace iotwins::twins
