// Value types of the model registry: a model is a name with numbered versions (1, 2, 3 …);
// each version holds one serialized detector (analytics/model_io.h) by its sha256 in the
// artifact store, its metrics, its lineage and a stage. At most one version of a model is
// promoted: the one every Inference task using the model should run. A model belongs to one IAM
// group, fixed by its first version; all its versions share it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::registry {

// candidate: registered, never promoted; promoted: the model's current version (at most one);
// retired: was promoted, replaced by a later promotion; rolled_back: was promoted and left by a
// rollback (judged bad).
enum class Stage { candidate, promoted, retired, rolled_back };
std::string_view stage_name(Stage s);
Result<Stage> parse_stage(std::string_view name);

// Where a version came from: the data it was trained on and how.
struct Lineage {
  std::vector<std::string> series;  // "twin/property" (or any name of a stored series)
  int64_t data_from_ns = 0;         // training data time range, from <= to
  int64_t data_to_ns = 0;
  std::map<std::string, std::string> parameters;  // detector options, as text
  std::string created_by;                          // user or task that trained it
};

// What a training task hands in; version number, sha256, stage and time are the registry's.
inline constexpr std::string_view kDefaultGroup = "default";

struct NewVersion {
  std::string kind;   // detector kind; empty: taken from the artifact, else must match it
  // The model's group: empty is the model's own (kDefaultGroup for a new model); another group
  // than an existing model's is a conflict.
  std::string group;
  std::string model;  // the serialized model bytes
  std::map<std::string, double> metrics;  // "f1", "far_pct", "train_score_q99" …
  Lineage lineage;
};

struct ModelVersion {
  std::string name;
  int64_t version = 0;
  std::string kind;
  std::string sha256;  // of the model bytes, in the artifact store
  uint64_t size = 0;
  Stage stage = Stage::candidate;
  std::map<std::string, double> metrics;
  Lineage lineage;
  int64_t created_ns = 0;
  int64_t revision = 0;  // registry revision of the version's last change
};

struct ModelSummary {
  std::string name;
  int64_t latest_version = 0;
  int64_t promoted_version = 0;  // 0: none
  int64_t created_ns = 0;
  int64_t revision = 0;          // registry revision of the model's last change
  std::string group = std::string(kDefaultGroup);
};

// One promotion or rollback, as kept in a model's history.
struct PromotionRecord {
  int64_t id = 0;
  std::string name;
  std::string action;         // "promote" or "rollback"
  int64_t from_version = 0;   // promoted before (0: none)
  int64_t to_version = 0;     // promoted after
  std::string by;
  int64_t at_ns = 0;
  int64_t revision = 0;
};

// Models changed after a revision, for agents that watch the registry.
struct Changes {
  int64_t revision = 0;               // the registry's revision when read
  std::vector<ModelSummary> models;   // revision > after, ascending revision
};

}  // namespace iotwins::registry
