#include "registry/validate.h"

#include <cmath>

#include "analytics/detectors.h"
#include "analytics/model_io.h"
#include "analytics/windowed.h"

namespace iotwins::registry {
namespace {

constexpr size_t kMaxSeries = 1000;
constexpr size_t kMaxEntries = 256;  // metrics, parameters
constexpr size_t kMaxText = 4096;

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::unexpected<Error> bad(std::string what) { return make_error(Errc::invalid_argument, std::move(what)); }

Status check_key(std::string_view field, std::string_view key) {
  if (key.empty() || key.size() > 64) return bad(std::string(field) + " name must be 1..64 characters");
  for (char c : key) {
    if (!is_key_char(c)) {
      return bad(std::string(field) + " name '" + std::string(key) + "' may hold only letters, digits, '_', '.', '-'");
    }
  }
  return ok();
}

Status check_text(std::string_view field, std::string_view value, size_t max) {
  if (value.size() > max) return bad(std::string(field) + " is longer than " + std::to_string(max) + " characters");
  if (!printable(value)) return bad(std::string(field) + " holds a control character");
  return ok();
}

Status check_lineage(const Lineage& l) {
  if (l.series.size() > kMaxSeries) return bad("lineage.series: more than 1000 series");
  for (size_t i = 0; i < l.series.size(); ++i) {
    const std::string field = "lineage.series[" + std::to_string(i) + "]";
    if (l.series[i].empty()) return bad(field + " is empty");
    IOT_TRY(check_text(field, l.series[i], 256));
  }
  if (l.data_from_ns < 0 || l.data_to_ns < l.data_from_ns) {
    return bad("lineage data range: from (" + std::to_string(l.data_from_ns) + ") must be >= 0 and <= to (" +
               std::to_string(l.data_to_ns) + ")");
  }
  if (l.parameters.size() > kMaxEntries) return bad("lineage.parameters: more than 256 entries");
  for (const auto& [k, v] : l.parameters) {
    IOT_TRY(check_key("lineage.parameters", k));
    IOT_TRY(check_text("lineage.parameters." + k, v, kMaxText));
  }
  return validate_actor("lineage.created_by", l.created_by);
}

// Loads the bytes the way an edge task will, so a version that cannot run is never registered.
Result<std::string> model_kind(std::string_view bytes) {
  auto kind = analytics::ModelReader::peek_kind(bytes);
  if (!kind) return bad("model bytes: " + kind.error().message());
  Status loaded = ok();
  if (*kind == "series") {
    auto d = analytics::SeriesDetector::deserialize(bytes);
    if (!d) loaded = std::unexpected(d.error());
  } else {
    auto d = analytics::deserialize_detector(bytes);
    if (!d) loaded = std::unexpected(d.error());
  }
  if (!loaded) return bad("model bytes: " + loaded.error().message());
  return *kind;
}

}  // namespace

std::string_view stage_name(Stage s) {
  switch (s) {
    case Stage::candidate: return "candidate";
    case Stage::promoted: return "promoted";
    case Stage::retired: return "retired";
    case Stage::rolled_back: return "rolled_back";
  }
  return "candidate";
}

Result<Stage> parse_stage(std::string_view name) {
  for (Stage s : {Stage::candidate, Stage::promoted, Stage::retired, Stage::rolled_back}) {
    if (stage_name(s) == name) return s;
  }
  return make_error(Errc::corruption, "unknown stage '" + std::string(name) + "'");
}

Status validate_model_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return bad("model name must be 1..128 characters");
  if (name[0] == '.' || name[0] == '-' || name[0] == '_') {
    return bad("model name '" + std::string(name) + "' must start with a letter or digit");
  }
  for (char c : name) {
    if (!is_key_char(c)) {
      return bad("model name '" + std::string(name) + "' may hold only letters, digits, '_', '.', '-'");
    }
  }
  return ok();
}

Status validate_actor(std::string_view field, std::string_view who) {
  if (who.empty()) return bad(std::string(field) + " is required");
  return check_text(field, who, 128);
}

Result<std::string> validate_new_version(const NewVersion& v, uint64_t max_model_bytes) {
  if (v.model.empty()) return bad("model bytes are empty");
  if (v.model.size() > max_model_bytes) {
    return make_error(Errc::too_large, "model is " + std::to_string(v.model.size()) + " bytes, the limit is " +
                                           std::to_string(max_model_bytes));
  }
  if (v.metrics.size() > kMaxEntries) return bad("metrics: more than 256 entries");
  for (const auto& [k, value] : v.metrics) {
    IOT_TRY(check_key("metric", k));
    if (!std::isfinite(value)) return bad("metric '" + k + "' is not a finite number");
  }
  IOT_TRY(check_lineage(v.lineage));
  IOT_ASSIGN(std::string kind, model_kind(v.model));
  if (!v.kind.empty() && v.kind != kind) {
    return bad("kind '" + v.kind + "' does not match the model artifact, which is a '" + kind + "' model");
  }
  return kind;
}

}  // namespace iotwins::registry
