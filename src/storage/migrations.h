// Schema migrations, versioned in code: each component (e.g. "resource") lists its
// migrations in order; migrate() applies the ones not yet recorded in schema_migrations, each
// in its own transaction, so a crash between two leaves a consistent, resumable state.
#pragma once

#include <string_view>
#include <vector>

#include "storage/database.h"

namespace iotwins::storage {

struct Migration {
  int version;  // 1, 2, 3 … in order, never renumbered
  std::string_view description;
  std::string_view sql;
};

// Applies the missing migrations of `component`. Fails if the database records a version
// newer than this binary knows (a downgrade), naming both versions.
Status migrate(Database& db, std::string_view component, const std::vector<Migration>& migrations);

// The highest applied version of a component, 0 when none.
Result<int> schema_version(Database& db, std::string_view component);

}  // namespace iotwins::storage
