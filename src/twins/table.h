// TwinTable: the persisted form of the twins and their models in the metadata database. Rows
// hold the document's JSON (twin::to_json), the node the twin is attached to and the feed
// sequence of its last change; deleted twins leave a tombstone with the sequence of their
// deletion, so the change feed can be resumed from any cursor. The marks of the data-plane
// streams applied to twins are written in the same transaction as the twins they changed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::storage {
class Database;
}

namespace iotwins::twins {

struct TwinRow {
  std::string id;
  std::string json;  // twin::to_json of the document
  std::string node;
  int64_t seq = 0;
};

struct Tombstone {
  std::string id;
  std::string node;
  int64_t seq = 0;
};

struct ModelRow {
  std::string id;
  std::string text;  // as PUT (JSON or YAML), returned as given
};

class TwinTable {
 public:
  static Result<TwinTable> open(storage::Database& db);

  Result<std::vector<TwinRow>> load_twins();
  Result<std::vector<Tombstone>> load_tombstones();
  Result<std::vector<ModelRow>> load_models();
  Result<std::map<std::string, uint64_t>> load_marks();

  // Writes inside a transaction the caller opened on `tx` (so several go in one commit).
  static Status upsert_twin(storage::Database& tx, const TwinRow& row);
  static Status delete_twin(storage::Database& tx, const Tombstone& tomb);
  static Status upsert_model(storage::Database& tx, const ModelRow& row);
  static Status delete_model(storage::Database& tx, std::string_view id);
  static Status set_mark(storage::Database& tx, std::string_view stream, uint64_t seq);

  storage::Database& db() { return *db_; }

 private:
  explicit TwinTable(storage::Database& db) : db_(&db) {}
  storage::Database* db_;
};

}  // namespace iotwins::twins
