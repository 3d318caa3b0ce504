// Internal to the registry: the schema and the reads every operation shares. All take the
// Database they run on, so they work inside a transaction too.
#pragma once

#include "registry/types.h"
#include "storage/database.h"

namespace iotwins::registry::rows {

Status migrate(storage::Database& db);
// Raises the registry revision by one and returns the new value (call inside a transaction).
Result<int64_t> bump_revision(storage::Database& db);
Result<int64_t> current_revision(storage::Database& db);
// not_found names the model (and version).
Result<ModelSummary> load_model(storage::Database& db, std::string_view name);
Result<ModelVersion> load_version(storage::Database& db, std::string_view name, int64_t version);
ModelSummary summary_of(const storage::Row& r);  // columns of kModelColumns
inline constexpr const char* kModelColumns =
    "name, latest_version, promoted_version, created_ns, revision, group_name";
Status check_limit(size_t limit);

}  // namespace iotwins::registry::rows
