#include "twin/shadow.h"

#include "twin/json_shape.h"

namespace iotwins::twin::detail {
namespace {

using nlohmann::json;

const json* find(const json* object, const std::string& key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

// Size of `existing` (an object or nullptr = empty) after merging `update` into it, or 0 when
// the merged object would be empty; `depth` is the depth of update's keys. Mirrors merge_state
// exactly and checks limits on the way.
Result<std::size_t> merged_object_size(const json* existing, const json& update,
                                       std::string& path, int depth, const Limits& limits) {
  std::size_t bytes = 0;
  std::size_t keys = 0;
  auto add = [&](const std::string& key, std::size_t value_bytes) {
    bytes += json_string_size(key) + 1 + value_bytes;
    ++keys;
  };
  if (existing != nullptr) {
    for (const auto& [k, v] : existing->items()) {
      if (!update.contains(k)) add(k, json_size(v));
    }
  }
  const std::size_t mark = path.size();
  for (const auto& [k, v] : update.items()) {
    push_key(path, k);
    IOT_TRY(check_key(k, path, limits));
    if (depth > limits.max_depth) {
      return make_error(Errc::too_large, path + ": nesting deeper than " +
                                             std::to_string(limits.max_depth) + " levels");
    }
    const json* old = find(existing, k);
    if (v.is_null()) {
      // deleted: contributes nothing
    } else if (v.is_object()) {
      if (v.size() > limits.max_keys_per_object) {
        return make_error(Errc::too_large, path + ": object has " + std::to_string(v.size()) +
                                               " keys, limit " +
                                               std::to_string(limits.max_keys_per_object));
      }
      const json* base = (old != nullptr && old->is_object()) ? old : nullptr;
      IOT_ASSIGN(std::size_t sub, merged_object_size(base, v, path, depth + 1, limits));
      if (sub > 0) {
        add(k, sub);
      } else if (old != nullptr && !old->is_object()) {
        add(k, json_size(*old));  // an update object that creates nothing leaves a scalar alone
      }
    } else {
      IOT_TRY(check_value(v, path, depth, limits));
      // merge_state keeps an equal old value (1 == 1.0), so count what stays.
      add(k, json_size(old != nullptr && *old == v ? *old : v));
    }
    pop_to(path, mark);
  }
  if (keys > limits.max_keys_per_object) {
    return make_error(Errc::too_large, path + ": object would have " + std::to_string(keys) +
                                           " keys, limit " +
                                           std::to_string(limits.max_keys_per_object));
  }
  if (keys == 0) return 0;
  return bytes + 2 + (keys - 1);
}

}  // namespace

Result<std::size_t> plan_merge(const json& section, const json& update, std::string path,
                               const Limits& limits) {
  IOT_ASSIGN(std::size_t size, merged_object_size(&section, update, path, 1, limits));
  return size == 0 ? std::size_t{2} : size;
}

void merge_state(json& section, const json& update, std::string& path,
                 std::vector<std::string>& changed) {
  const std::size_t mark = path.size();
  for (const auto& [k, v] : update.items()) {
    push_key(path, k);
    auto it = section.find(k);
    if (v.is_null()) {
      if (it != section.end()) {
        section.erase(it);
        changed.push_back(path);
      }
    } else if (v.is_object()) {
      if (it != section.end() && it->is_object()) {
        merge_state(*it, v, path, changed);
        if (it->empty()) section.erase(it);
      } else {
        json fresh = json::object();
        std::vector<std::string> ignored;
        merge_state(fresh, v, path, ignored);
        if (!fresh.empty()) {
          section[k] = std::move(fresh);
          changed.push_back(path);  // a new subtree is listed once, at its own path
        }
      }
    } else if (it == section.end()) {
      section.emplace(k, v);
      changed.push_back(path);
    } else if (*it != v) {
      *it = v;
      changed.push_back(path);
    }
    pop_to(path, mark);
  }
}

namespace {

// A leaf's metadata is {"timestamp": number}; the metadata of an object that happens to have a
// "timestamp" key holds an object there instead, so the two never look alike.
bool is_leaf_metadata(const json& m) {
  if (!m.is_object() || m.size() != 1) return false;
  auto it = m.find("timestamp");
  return it != m.end() && it->is_number();
}

}  // namespace

void merge_metadata(json& metadata, const json& update, const json& state, int64_t ts_ms) {
  for (const auto& [k, v] : update.items()) {
    if (v.is_null()) {
      metadata.erase(k);
      continue;
    }
    const json* s = find(&state, k);
    if (s == nullptr) {
      // The update created nothing here (an empty object), but the key may have been pruned.
      metadata.erase(k);
      continue;
    }
    if (v.is_object()) {
      if (!s->is_object()) continue;  // an update object that created nothing over a scalar
      json& m = metadata[k];
      if (!m.is_object() || is_leaf_metadata(m)) m = json::object();
      merge_metadata(m, v, *s, ts_ms);
      if (m.empty()) metadata.erase(k);
    } else {
      metadata[k] = json{{"timestamp", ts_ms}};
    }
  }
}

void compute_delta(const json& desired, const json& reported, const json& desired_metadata,
                   json& delta, json& delta_metadata) {
  for (const auto& [k, d] : desired.items()) {
    const json* r = find(&reported, k);
    const json* m = find(&desired_metadata, k);
    if (d.is_object() && r != nullptr && r->is_object()) {
      json sub = json::object();
      json sub_metadata = json::object();
      compute_delta(d, *r, m != nullptr ? *m : json::object(), sub, sub_metadata);
      if (!sub.empty()) {
        delta[k] = std::move(sub);
        delta_metadata[k] = std::move(sub_metadata);
      }
    } else if (r == nullptr || *r != d) {
      delta[k] = d;
      if (m != nullptr) delta_metadata[k] = *m;
    }
  }
}

}  // namespace iotwins::twin::detail
