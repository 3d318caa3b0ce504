#include "twins/service.h"

#include "storage/database.h"
#include "twin/codec.h"
#include "twins/service_impl.h"

namespace iotwins::twins {

spdlog::logger& logger() { return log::get("twins"); }

namespace {

Error no_twin(std::string_view id) {
  return Error(Errc::not_found, "no twin '" + std::string(id) + "'");
}

}  // namespace

// --- Impl helpers ---

Status TwinService::Impl::check_against_model(const twin::TwinDocument& doc,
                                              const twin::StateUpdate& update) const {
  if (doc.model.empty()) return ok();
  const twin::TwinModel* m = model(doc.model);
  if (!m) return make_error(Errc::invalid_argument, "twin '" + doc.id + "' names model '" + doc.model +
                                                           "', which does not exist");
  if (update.desired && update.desired->is_object()) IOT_TRY(twin::validate_desired(*m, *update.desired));
  if (update.reported && update.reported->is_object()) IOT_TRY(twin::validate_reported(*m, *update.reported));
  return ok();
}

void TwinService::Impl::commit(Entry entry) {
  std::string id = entry.doc.id;
  auto it = twins.find(id);
  if (it != twins.end()) by_seq.erase(it->second.seq);
  if (auto t = tombstones.find(id); t != tombstones.end()) {
    by_seq.erase(t->second.seq);
    tombstones.erase(t);
  }
  by_seq[entry.seq] = id;
  if (entry.seq > seq) seq = entry.seq;
  if (it != twins.end()) {
    it->second = std::move(entry);
  } else {
    twins.emplace(std::move(id), std::move(entry));
  }
}

void TwinService::Impl::publish() {
  {
    std::lock_guard lock(feed_mu);
    published.store(seq);
  }
  feed_cv.notify_all();
}

TwinRow TwinService::Impl::row(const Entry& e) const {
  return {e.doc.id, twin::to_json(e.doc).dump(), e.node, e.seq};
}

// --- open ---

TwinService::TwinService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TwinService::~TwinService() { close(); }

Result<std::unique_ptr<TwinService>> TwinService::open(storage::Database& db, const Clock& clock,
                                                       ServiceOptions options) {
  IOT_ASSIGN(TwinTable table, TwinTable::open(db));
  auto impl = std::make_unique<Impl>(db, std::move(table), clock, std::move(options));
  IOT_ASSIGN(auto models, impl->table.load_models());
  for (auto& m : models) {
    auto parsed = twin::parse_model(m.text);
    if (!parsed) {
      return make_error(Errc::corruption, "stored twin model '" + m.id + "' no longer parses: " +
                                             parsed.error().message());
    }
    impl->models[m.id] = {std::move(*parsed), std::move(m.text)};
  }
  IOT_ASSIGN(auto rows, impl->table.load_twins());
  std::vector<twin::HierarchyNode> nodes;
  nodes.reserve(rows.size());
  for (auto& r : rows) {
    auto value = twin::parse_json_text(r.json, {.max_text_bytes = 16u << 20});
    if (!value) return make_error(Errc::corruption, "stored twin '" + r.id + "': " + value.error().message());
    auto doc = twin::twin_from_json(*value, impl->options.limits);
    if (!doc) return make_error(Errc::corruption, "stored twin '" + r.id + "': " + doc.error().message());
    nodes.push_back({doc->id, doc->parent, doc->level});
    impl->by_seq[r.seq] = r.id;
    impl->seq = std::max(impl->seq, r.seq);
    impl->twins[r.id] = Entry{std::move(*doc), std::move(r.node), r.seq, {}};
  }
  IOT_ASSIGN(impl->hierarchy, twin::Hierarchy::build(std::move(nodes)));
  IOT_ASSIGN(auto tombs, impl->table.load_tombstones());
  for (auto& t : tombs) {
    impl->by_seq[t.seq] = t.id;
    impl->seq = std::max(impl->seq, t.seq);
    impl->tombstones[t.id] = std::move(t);
  }
  IOT_ASSIGN(auto marks, impl->table.load_marks());
  for (auto& [k, v] : marks) impl->marks[k] = v;
  impl->published.store(impl->seq);
  logger().info("twins: {} twins, {} models, feed at {}", impl->twins.size(), impl->models.size(), impl->seq);
  return std::unique_ptr<TwinService>(new TwinService(std::move(impl)));
}

// --- models ---

Result<bool> TwinService::put_model(std::string_view id, std::string_view text) {
  if (text.size() > twin::kMaxModelBytes) {
    return make_error(Errc::too_large, "a twin model may hold at most " + std::to_string(twin::kMaxModelBytes) +
                                           " bytes, this one has " + std::to_string(text.size()));
  }
  IOT_TRY(twin::validate_twin_id(id));
  IOT_ASSIGN(twin::TwinModel model, twin::parse_model(text));
  if (model.id != id) {
    return make_error(Errc::invalid_argument, "the model's id '" + model.id + "' differs from '" +
                                                  std::string(id) + "' in the path");
  }
  std::unique_lock lock(impl_->mu);
  for (const auto& [tid, e] : impl_->twins) {
    if (e.doc.model != id) continue;
    if (auto st = twin::validate_attributes(model, e.doc.attributes); !st) {
      return make_error(Errc::invalid_argument, "twin '" + tid + "' would no longer satisfy model '" +
                                                       std::string(id) + "': " + st.error().message());
    }
  }
  ModelRow row{std::string(id), std::string(text)};
  IOT_TRY(impl_->db.transaction([&](storage::Database& tx) { return TwinTable::upsert_model(tx, row); }));
  bool created = !impl_->models.contains(id);
  impl_->models[std::string(id)] = {std::move(model), std::move(row.text)};
  return created;
}

Result<twin::TwinModel> TwinService::get_model(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->models.find(id);
  if (it == impl_->models.end()) return make_error(Errc::not_found, "no twin model '" + std::string(id) + "'");
  return it->second.model;
}

std::vector<twin::TwinModel> TwinService::list_models() const {
  std::shared_lock lock(impl_->mu);
  std::vector<twin::TwinModel> out;
  for (const auto& [id, m] : impl_->models) out.push_back(m.model);
  return out;
}

Status TwinService::delete_model(std::string_view id) {
  std::unique_lock lock(impl_->mu);
  if (!impl_->models.contains(id)) return make_error(Errc::not_found, "no twin model '" + std::string(id) + "'");
  size_t users = 0;
  std::string example;
  for (const auto& [tid, e] : impl_->twins) {
    if (e.doc.model == id && users++ == 0) example = tid;
  }
  if (users > 0) {
    return make_error(Errc::conflict, "model '" + std::string(id) + "' is used by " + std::to_string(users) +
                                          " twin(s), e.g. '" + example + "'");
  }
  IOT_TRY(impl_->db.transaction([&](storage::Database& tx) { return TwinTable::delete_model(tx, id); }));
  impl_->models.erase(impl_->models.find(id));
  return ok();
}

// --- reads ---

Result<twin::TwinDocument> TwinService::get_twin(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->twins.find(std::string(id));
  if (it == impl_->twins.end()) return std::unexpected(no_twin(id));
  return it->second.doc;
}

Result<std::string> TwinService::node_of(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->twins.find(std::string(id));
  if (it == impl_->twins.end()) return std::unexpected(no_twin(id));
  return it->second.node;
}

Result<std::string> TwinService::group_of(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->twins.find(std::string(id));
  if (it == impl_->twins.end()) return std::unexpected(no_twin(id));
  return it->second.doc.group;
}

Result<std::vector<std::string>> TwinService::children(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  return impl_->hierarchy.children(id);
}

Result<std::vector<std::string>> TwinService::ancestors(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  return impl_->hierarchy.ancestors(id);
}

Result<twin::AggregateResult> TwinService::aggregate(const twin::AggregateRequest& request) const {
  std::shared_lock lock(impl_->mu);
  return twin::aggregate(impl_->hierarchy, [&](std::string_view id) -> const twin::TwinDocument* {
    auto it = impl_->twins.find(std::string(id));
    return it == impl_->twins.end() ? nullptr : &it->second.doc;
  }, request);
}

Result<nlohmann::json> TwinService::tree(std::string_view root, int max_depth) const {
  std::shared_lock lock(impl_->mu);
  const auto& h = impl_->hierarchy;
  std::vector<std::string> tops;
  if (root.empty()) {
    for (const auto& [id, e] : impl_->twins) {
      if (e.doc.parent.empty()) tops.push_back(id);
    }
    std::sort(tops.begin(), tops.end());
  } else {
    if (!impl_->twins.contains(std::string(root))) return std::unexpected(no_twin(root));
    tops.emplace_back(root);
  }
  // Iterative: the tree may be deep (bounded by max_depth) and wide.
  struct Frame {
    std::string id;
    nlohmann::json* out;
    int depth;
  };
  nlohmann::json result = nlohmann::json::array();
  for (size_t i = 0; i < tops.size(); ++i) result.push_back(nullptr);
  std::vector<Frame> stack;
  for (size_t i = 0; i < tops.size(); ++i) stack.push_back({tops[i], &result[i], 0});
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    const auto& doc = impl_->twins.at(f.id).doc;
    const std::string& node = impl_->twins.at(f.id).node;
    *f.out = {{"id", doc.id},
              {"model", doc.model},
              {"level", doc.level == twin::Level::unset ? nlohmann::json() : nlohmann::json(twin::level_name(doc.level))},
              {"node", node.empty() ? nlohmann::json() : nlohmann::json(node)}};
    IOT_ASSIGN(auto kids, h.children(f.id));
    if (kids.empty()) continue;
    if (f.depth + 1 > max_depth) {
      (*f.out)["more"] = kids.size();
      continue;
    }
    nlohmann::json& arr = (*f.out)["children"] = nlohmann::json::array();
    for (size_t i = 0; i < kids.size(); ++i) arr.push_back(nullptr);
    for (size_t i = 0; i < kids.size(); ++i) stack.push_back({kids[i], &arr[i], f.depth + 1});
  }
  return result;
}

Result<TwinService::QueryResult> TwinService::query(std::string_view filter, std::string_view sort,
                                                     size_t limit, std::string_view cursor) const {
  IOT_ASSIGN(twin::Query q, twin::Query::compile(filter));
  twin::PageRequest req;
  req.filter = &q;
  IOT_ASSIGN(req.sort, twin::parse_sort(sort));
  req.limit = limit;
  req.cursor = std::string(cursor);
  std::shared_lock lock(impl_->mu);
  req.under = impl_->hierarchy.under_fn();
  IOT_ASSIGN(auto collector, twin::PageCollector::create(std::move(req)));
  for (const auto& [id, e] : impl_->twins) collector.offer(e.doc);
  twin::Page page = collector.finish();
  QueryResult out;
  out.items.reserve(page.items.size());
  for (const auto* d : page.items) out.items.push_back(*d);
  out.next_cursor = std::move(page.next_cursor);
  return out;
}

Stats TwinService::stats() const {
  std::shared_lock lock(impl_->mu);
  Stats s = impl_->counters;
  s.twins = impl_->twins.size();
  s.models = impl_->models.size();
  s.seq = static_cast<uint64_t>(impl_->seq);
  return s;
}

}  // namespace iotwins::twins
