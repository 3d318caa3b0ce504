// TwinService writes from REST: PUT and DELETE of twins, PATCH of their state. Each is checked
// completely, persisted, and only then made visible (memory and the change feed).
#include "storage/database.h"
#include "twin/codec.h"
#include "twins/service.h"
#include "twins/service_impl.h"

namespace iotwins::twins {
namespace {

Result<std::string> string_field(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(Errc::invalid_argument, std::string(key) + ": must be a string");
  return it->get<std::string>();
}

struct PutBody {
  std::string model, parent, node;
  std::string group;  // empty: "default" for a new twin, unchanged for an existing one
  twin::Level level = twin::Level::unset;
  nlohmann::json attributes = nlohmann::json::object();
  std::optional<twin::StateUpdate> state;
};

Result<PutBody> parse_put(std::string_view id, const nlohmann::json& body) {
  if (!body.is_object()) return make_error(Errc::invalid_argument, "a twin must be a JSON object");
  static const std::set<std::string> known = {"id", "model", "level", "parent", "group", "attributes", "node",
                                              "state", "version"};
  for (const auto& [k, v] : body.items()) {
    if (!known.contains(k)) {
      return make_error(Errc::invalid_argument, "unknown key '" + k +
                                                    "' (accepted: id, model, level, parent, group, attributes, node, state)");
    }
  }
  PutBody out;
  IOT_ASSIGN(std::string given_id, string_field(body, "id"));
  if (!given_id.empty() && given_id != id) {
    return make_error(Errc::invalid_argument, "id '" + given_id + "' differs from '" + std::string(id) +
                                                  "' in the path");
  }
  IOT_ASSIGN(out.model, string_field(body, "model"));
  IOT_ASSIGN(out.parent, string_field(body, "parent"));
  IOT_ASSIGN(out.node, string_field(body, "node"));
  IOT_ASSIGN(out.group, string_field(body, "group"));
  if (!out.group.empty()) IOT_TRY(twin::validate_twin_group(out.group));
  IOT_ASSIGN(std::string level, string_field(body, "level"));
  IOT_ASSIGN(out.level, twin::parse_level(level));
  if (auto a = body.find("attributes"); a != body.end() && !a->is_null()) {
    if (!a->is_object()) return make_error(Errc::invalid_argument, "attributes: must be an object");
    out.attributes = *a;
  }
  if (auto s = body.find("state"); s != body.end() && !s->is_null()) {
    IOT_ASSIGN(out.state, twin::parse_update(nlohmann::json{{"state", *s}}));
  }
  return out;
}

}  // namespace

Result<TwinService::PutResult> TwinService::put_twin(std::string_view id, const nlohmann::json& body,
                                                     std::optional<int64_t> if_match) {
  IOT_TRY(twin::validate_twin_id(id));
  IOT_ASSIGN(PutBody b, parse_put(id, body));
  if (b.parent == id) return make_error(Errc::invalid_argument, "a twin cannot be its own parent");
  int64_t now = impl_->clock.now_ns();
  std::unique_lock lock(impl_->mu);
  Impl& im = *impl_;
  const twin::TwinModel* model = nullptr;
  if (!b.model.empty()) {
    model = im.model(b.model);
    if (!model) return make_error(Errc::invalid_argument, "no twin model '" + b.model + "' (PUT it first)");
    IOT_TRY(twin::validate_attributes(*model, b.attributes));
  }
  if (!b.parent.empty() && !im.twins.contains(b.parent)) {
    return make_error(Errc::invalid_argument, "parent twin '" + b.parent + "' does not exist");
  }
  auto it = im.twins.find(std::string(id));
  bool created = it == im.twins.end();
  if (created && if_match && *if_match != 0) return std::unexpected(Error(Errc::not_found, "no twin '" + std::string(id) + "'"));
  if (created && im.twins.size() >= im.options.max_twins) {
    return make_error(Errc::resource_exhausted, "the twin limit (" + std::to_string(im.options.max_twins) +
                                                    ") is reached");
  }
  Entry entry;
  if (created) {
    IOT_ASSIGN(entry.doc, twin::make_twin(std::string(id), b.model, b.level, b.parent, b.attributes, now,
                                          im.options.limits));
    if (!b.group.empty()) entry.doc.group = b.group;
    entry.changed = {"created"};
  } else {
    entry = it->second;
    if (if_match && *if_match != entry.doc.version) {
      return make_error(Errc::conflict, "twin '" + std::string(id) + "' is at version " +
                                            std::to_string(entry.doc.version) + ", not " +
                                            std::to_string(*if_match) + " (re-read it and retry)");
    }
    // Description fields are checked as a fresh twin would be, then carried over.
    IOT_ASSIGN(auto fresh, twin::make_twin(std::string(id), b.model, b.level, b.parent, b.attributes, now,
                                           im.options.limits));
    entry.changed.clear();
    if (fresh.model != entry.doc.model) entry.changed.push_back("model");
    if (fresh.level != entry.doc.level) entry.changed.push_back("level");
    if (fresh.parent != entry.doc.parent) entry.changed.push_back("parent");
    if (fresh.attributes != entry.doc.attributes) entry.changed.push_back("attributes");
    if (!b.group.empty() && b.group != entry.doc.group) {
      entry.changed.push_back("group");
      entry.doc.group = b.group;
    }
    entry.doc.model = fresh.model;
    entry.doc.level = fresh.level;
    entry.doc.parent = fresh.parent;
    entry.doc.attributes = std::move(fresh.attributes);
    entry.doc.version += 1;
    entry.doc.updated_ms = now / 1'000'000;
  }
  if (!b.node.empty() || created) {
    if (b.node != entry.node) entry.changed.push_back("node");
    entry.node = b.node;
  }
  if (b.state) {
    b.state->expected_version.reset();
    IOT_TRY(im.check_against_model(entry.doc, *b.state));
    IOT_ASSIGN(auto ch, twin::apply_update(entry.doc, *b.state, now, im.options.limits));
    entry.changed.insert(entry.changed.end(), ch.changed_paths.begin(), ch.changed_paths.end());
  }
  // The tree first (it refuses cycles and level violations), undone if persisting fails.
  std::string old_parent = created ? "" : it->second.doc.parent;
  twin::Level old_level = created ? twin::Level::unset : it->second.doc.level;
  if (created) {
    IOT_TRY(im.hierarchy.add({entry.doc.id, entry.doc.parent, entry.doc.level}));
  } else {
    IOT_TRY(im.hierarchy.set_parent(id, entry.doc.parent));
    if (auto st = im.hierarchy.set_level(id, entry.doc.level); !st) {
      (void)im.hierarchy.set_parent(id, old_parent);
      return std::unexpected(st.error());
    }
  }
  entry.seq = im.seq + 1;
  TwinRow row = im.row(entry);
  if (auto st = im.db.transaction([&](storage::Database& tx) { return TwinTable::upsert_twin(tx, row); }); !st) {
    if (created) {
      (void)im.hierarchy.remove(id);
    } else {
      (void)im.hierarchy.set_level(id, old_level);
      (void)im.hierarchy.set_parent(id, old_parent);
    }
    return std::unexpected(st.error());
  }
  PutResult out{entry.doc, created};
  im.commit(std::move(entry));
  im.publish();
  return out;
}

Status TwinService::delete_twin(std::string_view id, std::optional<int64_t> if_match) {
  std::unique_lock lock(impl_->mu);
  Impl& im = *impl_;
  auto it = im.twins.find(std::string(id));
  if (it == im.twins.end()) return make_error(Errc::not_found, "no twin '" + std::string(id) + "'");
  if (if_match && *if_match != it->second.doc.version) {
    return make_error(Errc::conflict, "twin '" + std::string(id) + "' is at version " +
                                          std::to_string(it->second.doc.version) + ", not " +
                                          std::to_string(*if_match));
  }
  IOT_ASSIGN(auto kids, im.hierarchy.children(id));
  if (!kids.empty()) {
    return make_error(Errc::conflict, "twin '" + std::string(id) + "' has " + std::to_string(kids.size()) +
                                          " children (e.g. '" + kids.front() + "'): move or delete them first");
  }
  Tombstone tomb{std::string(id), it->second.node, im.seq + 1};
  IOT_TRY(im.db.transaction([&](storage::Database& tx) { return TwinTable::delete_twin(tx, tomb); }));
  IOT_TRY(im.hierarchy.remove(id));
  im.by_seq.erase(it->second.seq);
  im.twins.erase(it);
  im.by_seq[tomb.seq] = tomb.id;
  im.seq = tomb.seq;
  im.tombstones[tomb.id] = std::move(tomb);
  im.publish();
  return ok();
}

Result<twin::TwinDocument> TwinService::patch_state(std::string_view id, const twin::StateUpdate& update) {
  int64_t now = impl_->clock.now_ns();
  std::unique_lock lock(impl_->mu);
  Impl& im = *impl_;
  auto it = im.twins.find(std::string(id));
  if (it == im.twins.end()) return make_error(Errc::not_found, "no twin '" + std::string(id) + "'");
  IOT_TRY(im.check_against_model(it->second.doc, update));
  Entry entry = it->second;
  IOT_ASSIGN(auto ch, twin::apply_update(entry.doc, update, now, im.options.limits));
  entry.changed = std::move(ch.changed_paths);
  entry.seq = im.seq + 1;
  TwinRow row = im.row(entry);
  IOT_TRY(im.db.transaction([&](storage::Database& tx) { return TwinTable::upsert_twin(tx, row); }));
  twin::TwinDocument out = entry.doc;
  im.commit(std::move(entry));
  im.publish();
  return out;
}

}  // namespace iotwins::twins
