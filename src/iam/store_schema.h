// The iam schema (component "iam" in schema_migrations) and helpers shared by the store's files.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "storage/migrations.h"

namespace iotwins::iam::detail {

extern const std::vector<storage::Migration> kIamMigrations;

// "iot_pat_" + 12 hex + "_" + 64 hex: the id finds the row, the digest of the whole token
// authenticates it.
struct TokenParts {
  std::string id;
  std::string digest;  // hex SHA-256 of the whole token
};
struct NewToken {
  std::string token;
  TokenParts parts;
};
Result<NewToken> make_token(std::string_view prefix);
Result<TokenParts> split_token(std::string_view token, std::string_view prefix, std::string_view what);

}  // namespace iotwins::iam::detail
