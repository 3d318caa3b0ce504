// TwinService::apply_records: what the data plane brings to the server's twins. One transaction
// per run: the changed twins and the stream's applied mark together, so a run replayed after a
// crash is skipped record by record, never applied twice.
#include <unordered_map>

#include "core/metrics.h"
#include "storage/database.h"
#include "twin/codec.h"
#include "twins/edge_cache.h"
#include "twins/events.h"
#include "twins/service.h"
#include "twins/service_impl.h"

namespace iotwins::twins {
namespace {

struct Work {
  // property (dotted) → latest (ts, value)
  std::map<std::string, std::pair<int64_t, double>> samples;
  std::vector<const dataplane::Event*> events;  // in stream order
};

// Keeps the leaves of `update` (a desired patch from an edge, stamped ts_ms) that are newer than
// the twin's: last writer wins, field by field.
nlohmann::json newer_leaves(const nlohmann::json& update, const nlohmann::json& metadata, int64_t ts_ms,
                            std::string& path) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : update.items()) {
    size_t len = path.size();
    if (!path.empty()) path += '.';
    path += k;
    if (v.is_object() && !v.empty()) {
      nlohmann::json sub = newer_leaves(v, metadata, ts_ms, path);
      if (!sub.empty()) out[k] = std::move(sub);
    } else if (leaf_timestamp(metadata, path) <= ts_ms) {
      out[k] = v;
    }
    path.resize(len);
  }
  return out;
}

}  // namespace

Status TwinService::apply_records(std::string_view stream, uint64_t first_seq,
                                  std::span<const dataplane::Record> records) {
  if (records.empty()) return ok();
  std::unique_lock lock(impl_->mu);
  Impl& im = *impl_;
  uint64_t mark = 0;
  if (auto m = im.marks.find(stream); m != im.marks.end()) mark = m->second;
  uint64_t last = first_seq + records.size() - 1;
  if (last <= mark) return ok();

  std::unordered_map<std::string, Work> work;
  for (size_t i = 0; i < records.size(); ++i) {
    if (first_seq + i <= mark) continue;
    if (const auto* s = std::get_if<dataplane::Sample>(&records[i])) {
      auto& slot = work[s->twin].samples[s->property];
      if (s->ts_ns >= slot.first) slot = {s->ts_ns, s->value};
    } else {
      const auto& e = std::get<dataplane::Event>(records[i]);
      if (e.type == kReportedEvent || e.type == kDesiredEvent || e.type == kAttachedEvent) {
        work[e.twin].events.push_back(&e);
      }
    }
  }

  std::vector<Entry> dirty;
  uint64_t applied = 0, refused = 0, unknown = 0;
  for (auto& [id, w] : work) {
    Entry entry;
    auto it = im.twins.find(id);
    if (it != im.twins.end()) {
      entry = it->second;
    } else {
      const AutoCreateRule* rule = im.options.autocreate.match(id);
      if (!rule || im.twins.size() + dirty.size() >= im.options.max_twins ||
          (!rule->model.empty() && !im.model(rule->model))) {
        ++unknown;
        continue;
      }
      auto doc = twin::make_twin(id, rule->model, twin::Level::unset, "", nlohmann::json::object(),
                                 im.clock.now_ns(), im.options.limits);
      if (!doc) {
        ++unknown;
        continue;
      }
      entry.doc = std::move(*doc);
      entry.changed = {"created"};
    }
    bool changed = it == im.twins.end();
    std::vector<std::string> paths = entry.changed;
    auto apply = [&](twin::StateUpdate update, int64_t ts_ns) {
      if (auto st = im.check_against_model(entry.doc, update); !st) {
        ++refused;
        logger().warn("twin '{}': update from the data plane refused: {}", id, st.error().message());
        return;
      }
      auto ch = twin::apply_update(entry.doc, update, ts_ns, im.options.limits);
      if (!ch) {
        ++refused;
        logger().warn("twin '{}': update from the data plane refused: {}", id, ch.error().message());
        return;
      }
      ++applied;
      changed = true;
      paths.insert(paths.end(), ch->changed_paths.begin(), ch->changed_paths.end());
    };
    // Samples: newest value per property, unless the twin already holds a newer one; grouped by
    // timestamp so each leaf's metadata carries its own sample's time.
    std::map<int64_t, nlohmann::json> by_ts;
    for (const auto& [prop, tv] : w.samples) {
      if (leaf_timestamp(entry.doc.reported_metadata, prop) > tv.first / 1'000'000) continue;
      // A property the twin has in desired is a setpoint: its reported value is what the device
      // reports having applied (a reported message), not a measurement of the same name (a ramping
      // speed), which would make the delta flap with every sample. The measurement stays history.
      if (leaf_timestamp(entry.doc.desired_metadata, prop) >= 0) continue;
      auto& patch = by_ts[tv.first];
      if (patch.is_null()) patch = nlohmann::json::object();
      set_dotted(patch, prop, tv.second);
    }
    for (auto& [ts, patch] : by_ts) apply({std::nullopt, std::move(patch), std::nullopt}, ts);
    for (const auto* e : w.events) {
      auto value = twin::parse_json_text(e->json, im.options.limits);
      if (!value || !value->is_object()) {
        ++refused;
        continue;
      }
      if (e->type == kAttachedEvent) {
        auto n = value->find("node");
        if (n != value->end() && n->is_string() && n->get<std::string>() != entry.node) {
          entry.node = n->get<std::string>();
          paths.push_back("node");
          changed = true;
        }
      } else if (e->type == kReportedEvent) {
        nlohmann::json reported = unwrap_reported(std::move(*value));
        apply({std::nullopt, std::move(reported), std::nullopt}, e->ts_ns);
      } else {  // desired, from an edge agent's cache
        auto d = value->find("desired");
        if (d == value->end() || !d->is_object()) {
          ++refused;
          continue;
        }
        std::string path;
        nlohmann::json keep = newer_leaves(*d, entry.doc.desired_metadata, e->ts_ns / 1'000'000, path);
        if (!keep.empty()) apply({std::move(keep), std::nullopt, std::nullopt}, e->ts_ns);
      }
    }
    if (!changed) continue;
    entry.changed = std::move(paths);
    dirty.push_back(std::move(entry));
  }

  int64_t next = im.seq;
  for (auto& e : dirty) e.seq = ++next;
  IOT_TRY(im.db.transaction([&](storage::Database& tx) -> Status {
    for (const auto& e : dirty) IOT_TRY(TwinTable::upsert_twin(tx, im.row(e)));
    return TwinTable::set_mark(tx, stream, last);
  }));
  for (auto& e : dirty) {
    if (!im.hierarchy.contains(e.doc.id)) (void)im.hierarchy.add({e.doc.id, "", twin::Level::unset});
    im.commit(std::move(e));
  }
  im.marks[std::string(stream)] = last;
  static auto& applied_total = metrics::Registry::global().counter(
      "iotwins_twin_updates_applied_total", "data-plane updates (samples grouped by timestamp, reported events) applied to twins");
  static auto& refused_total = metrics::Registry::global().counter(
      "iotwins_twin_updates_refused_total", "data-plane updates the twin's model or limits refused");
  applied_total.inc(applied);
  refused_total.inc(refused);
  im.counters.applied_updates += applied;
  im.counters.refused_updates += refused;
  im.counters.unknown_twins += unknown;
  if (!dirty.empty()) im.publish();
  return ok();
}

}  // namespace iotwins::twins
