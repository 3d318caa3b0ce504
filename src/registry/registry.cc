#include "registry/registry.h"

#include "registry/rows.h"
#include "registry/validate.h"

namespace iotwins::registry {
namespace {

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "\n" : "") + v[i];
  return out;
}

}  // namespace

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::open(storage::Database& db,
                                                           artifacts::ArtifactStore& store,
                                                           const Clock& clock, RegistryOptions options) {
  IOT_TRY(rows::migrate(db));
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(db, store, clock, options));
}

Result<ModelVersion> ModelRegistry::register_version(std::string_view name, const NewVersion& v) {
  IOT_TRY(validate_model_name(name));
  IOT_ASSIGN(std::string kind, validate_new_version(v, options_.max_model_bytes));
  IOT_ASSIGN(artifacts::ArtifactInfo stored, store_.put(v.model));
  const int64_t now = clock_.now_ns();
  const std::string model(name);
  int64_t number = 0;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(int64_t rev, rows::bump_revision(tx));
    IOT_ASSIGN(auto existing, tx.query("SELECT latest_version, group_name FROM models WHERE name = ?1", {model}));
    if (!existing.empty() && !v.group.empty() && existing[0].text(1) != v.group) {
      return make_error(Errc::conflict, "model '" + model + "' belongs to group " + existing[0].text(1) +
                                            "; its versions cannot go to group " + v.group);
    }
    if (existing.empty()) {
      number = 1;
      IOT_TRY(tx.execute("INSERT INTO models (name, latest_version, promoted_version, created_ns, revision, "
                         "group_name) VALUES (?1, 1, 0, ?2, ?3, ?4)",
                         {model, now, rev, v.group.empty() ? std::string(kDefaultGroup) : v.group}));
    } else {
      number = existing[0].integer(0) + 1;
      IOT_TRY(tx.execute("UPDATE models SET latest_version = ?2, revision = ?3 WHERE name = ?1",
                         {model, number, rev}));
    }
    IOT_TRY(tx.execute(
        "INSERT INTO model_versions (model, version, kind, sha256, size, stage, series, data_from_ns, "
        "data_to_ns, created_by, created_ns, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        {model, number, kind, stored.sha256, static_cast<int64_t>(stored.size),
         std::string(stage_name(Stage::candidate)), join_lines(v.lineage.series), v.lineage.data_from_ns,
         v.lineage.data_to_ns, v.lineage.created_by, now, rev}));
    for (const auto& [k, value] : v.metrics) {
      IOT_TRY(tx.execute("INSERT INTO version_metrics (model, version, name, value) VALUES (?1, ?2, ?3, ?4)",
                         {model, number, k, value}));
    }
    for (const auto& [k, value] : v.lineage.parameters) {
      IOT_TRY(tx.execute("INSERT INTO version_parameters (model, version, name, value) VALUES (?1, ?2, ?3, ?4)",
                         {model, number, k, value}));
    }
    return ok();
  }));
  return rows::load_version(db_, name, number);
}

Result<std::vector<ModelSummary>> ModelRegistry::list_models(std::string_view after, size_t limit) {
  IOT_TRY(rows::check_limit(limit));
  IOT_ASSIGN(auto r, db_.query(std::string("SELECT ") + rows::kModelColumns +
                                   " FROM models WHERE name > ?1 ORDER BY name LIMIT " + std::to_string(limit),
                               {std::string(after)}));
  std::vector<ModelSummary> out;
  for (const auto& row : r) out.push_back(rows::summary_of(row));
  return out;
}

Result<ModelSummary> ModelRegistry::get_model(std::string_view name) {
  IOT_TRY(validate_model_name(name));
  return rows::load_model(db_, name);
}

Result<std::vector<ModelVersion>> ModelRegistry::list_versions(std::string_view name, int64_t after,
                                                               size_t limit) {
  IOT_TRY(validate_model_name(name));
  IOT_TRY(rows::check_limit(limit));
  std::vector<ModelVersion> out;
  // One transaction, so the page is one consistent snapshot.
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_TRY(rows::load_model(tx, name));
    IOT_ASSIGN(auto numbers, tx.query("SELECT version FROM model_versions WHERE model = ?1 AND version > ?2 "
                                      "ORDER BY version LIMIT " + std::to_string(limit),
                                      {std::string(name), after}));
    for (const auto& n : numbers) {
      IOT_ASSIGN(ModelVersion v, rows::load_version(tx, name, n.integer(0)));
      out.push_back(std::move(v));
    }
    return ok();
  }));
  return out;
}

Result<ModelVersion> ModelRegistry::get_version(std::string_view name, int64_t version) {
  IOT_TRY(validate_model_name(name));
  return rows::load_version(db_, name, version);
}

Result<std::optional<ModelVersion>> ModelRegistry::promoted(std::string_view name) {
  IOT_TRY(validate_model_name(name));
  std::optional<ModelVersion> out;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(ModelSummary m, rows::load_model(tx, name));
    if (m.promoted_version == 0) return ok();
    IOT_ASSIGN(ModelVersion v, rows::load_version(tx, name, m.promoted_version));
    out = std::move(v);
    return ok();
  }));
  return out;
}

Result<std::string> ModelRegistry::read_model(std::string_view name, int64_t version) {
  IOT_ASSIGN(ModelVersion v, get_version(name, version));
  Status verified = store_.verify(v.sha256);
  if (!verified) {
    return std::unexpected(std::move(verified.error())
                               .context("model '" + v.name + "' version " + std::to_string(version)));
  }
  return store_.read(v.sha256);
}

Result<int64_t> ModelRegistry::revision() { return rows::current_revision(db_); }

Result<Changes> ModelRegistry::changes(int64_t after, size_t limit) {
  IOT_TRY(rows::check_limit(limit));
  Changes out;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(out.revision, rows::current_revision(tx));
    IOT_ASSIGN(auto r, tx.query(std::string("SELECT ") + rows::kModelColumns +
                                    " FROM models WHERE revision > ?1 ORDER BY revision LIMIT " +
                                    std::to_string(limit),
                                {after}));
    for (const auto& row : r) out.models.push_back(rows::summary_of(row));
    return ok();
  }));
  return out;
}

}  // namespace iotwins::registry
