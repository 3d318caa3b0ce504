#include "twins/table.h"

#include "storage/database.h"
#include "storage/migrations.h"

namespace iotwins::twins {

Result<TwinTable> TwinTable::open(storage::Database& db) {
  static const std::vector<storage::Migration> migrations = {
      {1, "twins, models, tombstones, applied marks",
       "CREATE TABLE twin_models (id TEXT PRIMARY KEY, text TEXT NOT NULL);"
       "CREATE TABLE twins (id TEXT PRIMARY KEY, json TEXT NOT NULL, node TEXT NOT NULL, "
       "seq INTEGER NOT NULL);"
       "CREATE TABLE twin_tombstones (id TEXT PRIMARY KEY, node TEXT NOT NULL, seq INTEGER NOT NULL);"
       "CREATE TABLE twin_marks (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);"},
  };
  IOT_TRY(storage::migrate(db, "twins", migrations));
  return TwinTable(db);
}

Result<std::vector<TwinRow>> TwinTable::load_twins() {
  IOT_ASSIGN(auto rows, db_->query("SELECT id, json, node, seq FROM twins"));
  std::vector<TwinRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1), r.text(2), r.integer(3)});
  return out;
}

Result<std::vector<Tombstone>> TwinTable::load_tombstones() {
  IOT_ASSIGN(auto rows, db_->query("SELECT id, node, seq FROM twin_tombstones"));
  std::vector<Tombstone> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1), r.integer(2)});
  return out;
}

Result<std::vector<ModelRow>> TwinTable::load_models() {
  IOT_ASSIGN(auto rows, db_->query("SELECT id, text FROM twin_models ORDER BY id"));
  std::vector<ModelRow> out;
  for (const auto& r : rows) out.push_back({r.text(0), r.text(1)});
  return out;
}

Result<std::map<std::string, uint64_t>> TwinTable::load_marks() {
  IOT_ASSIGN(auto rows, db_->query("SELECT stream, seq FROM twin_marks"));
  std::map<std::string, uint64_t> out;
  for (const auto& r : rows) out[r.text(0)] = static_cast<uint64_t>(r.integer(1));
  return out;
}

Status TwinTable::upsert_twin(storage::Database& tx, const TwinRow& row) {
  std::vector<storage::Value> p(4);
  p[0] = row.id;
  p[1] = row.json;
  p[2] = row.node;
  p[3] = row.seq;
  IOT_TRY(tx.execute("INSERT INTO twins (id, json, node, seq) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (id) DO UPDATE SET json = ?2, node = ?3, seq = ?4",
                     p));
  std::vector<storage::Value> id(1);
  id[0] = row.id;
  IOT_TRY(tx.execute("DELETE FROM twin_tombstones WHERE id = ?1", id));
  return ok();
}

Status TwinTable::delete_twin(storage::Database& tx, const Tombstone& tomb) {
  std::vector<storage::Value> id(1);
  id[0] = tomb.id;
  IOT_TRY(tx.execute("DELETE FROM twins WHERE id = ?1", id));
  std::vector<storage::Value> p(3);
  p[0] = tomb.id;
  p[1] = tomb.node;
  p[2] = tomb.seq;
  IOT_TRY(tx.execute("INSERT INTO twin_tombstones (id, node, seq) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (id) DO UPDATE SET node = ?2, seq = ?3",
                     p));
  return ok();
}

Status TwinTable::upsert_model(storage::Database& tx, const ModelRow& row) {
  std::vector<storage::Value> p(2);
  p[0] = row.id;
  p[1] = row.text;
  IOT_TRY(tx.execute("INSERT INTO twin_models (id, text) VALUES (?1, ?2) "
                     "ON CONFLICT (id) DO UPDATE SET text = ?2",
                     p));
  return ok();
}

Status TwinTable::delete_model(storage::Database& tx, std::string_view id) {
  std::vector<storage::Value> p(1);
  p[0] = std::string(id);
  IOT_TRY(tx.execute("DELETE FROM twin_models WHERE id = ?1", p));
  return ok();
}

Status TwinTable::set_mark(storage::Database& tx, std::string_view stream, uint64_t seq) {
  std::vector<storage::Value> p(2);
  p[0] = std::string(stream);
  p[1] = static_cast<int64_t>(seq);
  IOT_TRY(tx.execute("INSERT INTO twin_marks (stream, seq) VALUES (?1, ?2) "
                     "ON CONFLICT (stream) DO UPDATE SET seq = ?2",
                     p));
  return ok();
}

}  // namespace iotwins::twins
