#include "registry/rows.h"

#include "registry/validate.h"
#include "storage/migrations.h"

namespace iotwins::registry::rows {
namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Status migrate(storage::Database& db) {
  static const std::vector<storage::Migration> migrations = {
      {1, "models, versions, metrics, parameters, promotions, revision",
       "CREATE TABLE registry_meta (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);"
       "INSERT INTO registry_meta (id, revision) VALUES (1, 0);"
       "CREATE TABLE models (name TEXT PRIMARY KEY, latest_version INTEGER NOT NULL, "
       "promoted_version INTEGER NOT NULL, created_ns INTEGER NOT NULL, revision INTEGER NOT NULL);"
       "CREATE INDEX models_revision ON models (revision);"
       "CREATE TABLE model_versions (model TEXT NOT NULL REFERENCES models (name), version INTEGER NOT NULL, "
       "kind TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, stage TEXT NOT NULL, "
       "series TEXT NOT NULL, data_from_ns INTEGER NOT NULL, data_to_ns INTEGER NOT NULL, "
       "created_by TEXT NOT NULL, created_ns INTEGER NOT NULL, revision INTEGER NOT NULL, "
       "PRIMARY KEY (model, version));"
       "CREATE TABLE version_metrics (model TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, "
       "value REAL NOT NULL, PRIMARY KEY (model, version, name));"
       "CREATE TABLE version_parameters (model TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, "
       "value TEXT NOT NULL, PRIMARY KEY (model, version, name));"
       "CREATE TABLE promotions (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, "
       "action TEXT NOT NULL, from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, "
       "actor TEXT NOT NULL, at_ns INTEGER NOT NULL, revision INTEGER NOT NULL);"
       "CREATE INDEX promotions_model ON promotions (model, id);"},
      {2, "models: the IAM group they belong to (existing ones: default)",
       "ALTER TABLE models ADD COLUMN group_name TEXT NOT NULL DEFAULT 'default'"},
  };
  return storage::migrate(db, "registry", migrations);
}

Result<int64_t> bump_revision(storage::Database& db) {
  IOT_TRY(db.execute("UPDATE registry_meta SET revision = revision + 1 WHERE id = 1"));
  return current_revision(db);
}

Result<int64_t> current_revision(storage::Database& db) {
  IOT_ASSIGN(auto r, db.query("SELECT revision FROM registry_meta WHERE id = 1"));
  if (r.size() != 1) return make_error(Errc::corruption, "registry: the revision row is missing");
  return r[0].integer(0);
}

ModelSummary summary_of(const storage::Row& r) {
  return {r.text(0), r.integer(1), r.integer(2), r.integer(3), r.integer(4), r.text(5)};
}

Result<ModelSummary> load_model(storage::Database& db, std::string_view name) {
  IOT_ASSIGN(auto r, db.query(std::string("SELECT ") + kModelColumns + " FROM models WHERE name = ?1",
                              {std::string(name)}));
  if (r.empty()) return make_error(Errc::not_found, "model '" + std::string(name) + "' is not registered");
  return summary_of(r[0]);
}

Result<ModelVersion> load_version(storage::Database& db, std::string_view name, int64_t version) {
  const std::vector<storage::Value> key = {std::string(name), version};
  IOT_ASSIGN(auto r, db.query("SELECT kind, sha256, size, stage, series, data_from_ns, data_to_ns, created_by, "
                              "created_ns, revision FROM model_versions WHERE model = ?1 AND version = ?2",
                              key));
  if (r.empty()) {
    IOT_TRY(load_model(db, name));  // names the model when it is the model that is missing
    return make_error(Errc::not_found,
                      "model '" + std::string(name) + "' has no version " + std::to_string(version));
  }
  const auto& row = r[0];
  ModelVersion v;
  v.name = std::string(name);
  v.version = version;
  v.kind = row.text(0);
  v.sha256 = row.text(1);
  v.size = static_cast<uint64_t>(row.integer(2));
  IOT_ASSIGN(v.stage, parse_stage(row.text(3)));
  v.lineage.series = split_lines(row.text(4));
  v.lineage.data_from_ns = row.integer(5);
  v.lineage.data_to_ns = row.integer(6);
  v.lineage.created_by = row.text(7);
  v.created_ns = row.integer(8);
  v.revision = row.integer(9);
  IOT_ASSIGN(auto metrics, db.query("SELECT name, value FROM version_metrics WHERE model = ?1 AND version = ?2", key));
  for (const auto& m : metrics) v.metrics[m.text(0)] = m.real(1);
  IOT_ASSIGN(auto params,
             db.query("SELECT name, value FROM version_parameters WHERE model = ?1 AND version = ?2", key));
  for (const auto& p : params) v.lineage.parameters[p.text(0)] = p.text(1);
  return v;
}

Status check_limit(size_t limit) {
  if (limit < 1 || limit > 1000) {
    return make_error(Errc::invalid_argument, "limit must be 1..1000, not " + std::to_string(limit));
  }
  return ok();
}

}  // namespace iotwins::registry::rows
