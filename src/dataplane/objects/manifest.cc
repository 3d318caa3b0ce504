#include "dataplane/objects/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dataplane/objects/chunk.h"

namespace iotwins::dataplane {

void RangeSet::add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  std::vector<std::pair<uint64_t, uint64_t>> out;
  out.reserve(ranges_.size() + 1);
  bool placed = false;
  for (const auto& r : ranges_) {
    if (r.second < begin) {
      out.push_back(r);
    } else if (end < r.first) {
      if (!placed) out.emplace_back(begin, end), placed = true;
      out.push_back(r);
    } else {  // touches or overlaps: merge into [begin, end)
      begin = std::min(begin, r.first);
      end = std::max(end, r.second);
    }
  }
  if (!placed) out.emplace_back(begin, end);
  std::sort(out.begin(), out.end());
  ranges_ = std::move(out);
}

uint64_t RangeSet::bytes() const {
  uint64_t n = 0;
  for (const auto& r : ranges_) n += r.second - r.first;
  return n;
}

bool RangeSet::covers(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  for (const auto& r : ranges_) {
    if (r.first <= begin && end <= r.second) return true;
  }
  return false;
}

std::string_view object_state_name(ObjectState state) {
  switch (state) {
    case ObjectState::receiving: return "receiving";
    case ObjectState::complete: return "complete";
    case ObjectState::failed: return "failed";
  }
  return "?";
}

std::string encode_manifest(const ObjectManifest& m) {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& [b, e] : m.received.ranges()) ranges.push_back({b, e});
  nlohmann::json j = {{"id", m.id},
                      {"name", m.name},
                      {"size", m.size},
                      {"sha256", m.sha256},
                      {"source", m.source},
                      {"state", object_state_name(m.state)},
                      {"reason", m.reason},
                      {"received", ranges},
                      {"created_ns", m.created_ns},
                      {"updated_ns", m.updated_ns},
                      {"completed_ns", m.completed_ns}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<ObjectManifest> decode_manifest(std::string_view json, const std::string& where) {
  ObjectManifest m;
  try {
    auto j = nlohmann::json::parse(json);
    m.id = j.at("id").get<std::string>();
    m.name = j.at("name").get<std::string>();
    m.size = j.at("size").get<uint64_t>();
    m.sha256 = j.at("sha256").get<std::string>();
    m.source = j.at("source").get<std::string>();
    auto state = j.at("state").get<std::string>();
    if (state == "receiving") {
      m.state = ObjectState::receiving;
    } else if (state == "complete") {
      m.state = ObjectState::complete;
    } else if (state == "failed") {
      m.state = ObjectState::failed;
    } else {
      return make_error(Errc::corruption, where + ": unknown state '" + state + "'");
    }
    m.reason = j.at("reason").get<std::string>();
    for (const auto& r : j.at("received")) {
      auto b = r.at(0).get<uint64_t>(), e = r.at(1).get<uint64_t>();
      if (b >= e || e > m.size) return make_error(Errc::corruption, where + ": bad received range");
      m.received.add(b, e);
    }
    m.created_ns = j.at("created_ns").get<int64_t>();
    m.updated_ns = j.at("updated_ns").get<int64_t>();
    m.completed_ns = j.at("completed_ns").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::corruption, where + ": " + e.what());
  }
  if (auto st = validate_object_id(m.id); !st) {
    return make_error(Errc::corruption, where + ": " + st.error().message());
  }
  return m;
}

}  // namespace iotwins::dataplane
