// ModelRegistry: model name → numbered versions, persisted in the metadata database
// (storage::Database, migrations of component "registry") with the model bytes in the
// artifact store by sha256. The server exposes it as /api/v1/models; training tasks register
// versions, operators promote and roll back, edge agents watch `revision()` / `changes()`.
//
// Guarantees:
// - every change (register, promote, rollback) is one transaction and raises the registry-wide
//   revision by exactly 1; the model and the versions it touched carry that revision;
// - at most one version of a model is promoted; rollback returns to the previously promoted
//   version (promotions form a stack: promote pushes, rollback pops) and is recorded in history;
// - bad input (name, metrics, lineage, bytes that analytics cannot load, a stale expected
//   revision) is refused with a message naming the field, and nothing changes.
// The bytes go into the artifact store before the transaction: a failed transaction can leave
// an unreferenced artifact (content-addressed, harmless), never a version without its bytes.
#pragma once

#include <memory>
#include <functional>
#include <optional>

#include "artifacts/store.h"
#include "core/clock.h"
#include "registry/types.h"
#include "storage/database.h"

namespace iotwins::registry {

struct RegistryOptions {
  uint64_t max_model_bytes = uint64_t{256} << 20;
};

// Optimistic concurrency for promote / rollback: with expected_revision > 0, the model's
// revision must still be that value (else conflict, nothing changed) — the REST layer maps
// If-Match onto it.
struct ChangeOptions {
  std::string by;                 // who; required
  int64_t expected_revision = 0;  // 0: no check
};

class ModelRegistry {
 public:
  // Applies the schema migrations. `db`, `store` and `clock` must outlive the registry.
  static Result<std::unique_ptr<ModelRegistry>> open(storage::Database& db,
                                                     artifacts::ArtifactStore& store,
                                                     const Clock& clock = SystemClock::instance(),
                                                     RegistryOptions options = {});

  // Registers the next version of `name` (creating the model at version 1) as a candidate.
  Result<ModelVersion> register_version(std::string_view name, const NewVersion& v);

  // Models by name after `after` (empty: from the start), at most `limit` (1..1000).
  Result<std::vector<ModelSummary>> list_models(std::string_view after = {}, size_t limit = 100);
  Result<ModelSummary> get_model(std::string_view name);
  // Versions of a model with version > after, ascending, at most `limit` (1..1000).
  Result<std::vector<ModelVersion>> list_versions(std::string_view name, int64_t after = 0,
                                                  size_t limit = 100);
  Result<ModelVersion> get_version(std::string_view name, int64_t version);
  // The promoted version, or nullopt when none is.
  Result<std::optional<ModelVersion>> promoted(std::string_view name);
  // The model bytes of a version, re-hashed against its sha256 (corruption if they differ).
  Result<std::string> read_model(std::string_view name, int64_t version);

  // Makes `version` the promoted one (the one before becomes retired). Promoting the version
  // that is already promoted changes nothing and returns it.
  Result<ModelVersion> promote(std::string_view name, int64_t version, const ChangeOptions& change);
  // Promotes again the version promoted before the current one; the current becomes
  // rolled_back. precondition_failed when there is no earlier promoted version.
  Result<ModelVersion> rollback(std::string_view name, const ChangeOptions& change);
  // Promotions and rollbacks of a model, newest first, at most `limit` (1..1000).
  Result<std::vector<PromotionRecord>> history(std::string_view name, size_t limit = 100);

  // The registry-wide revision: 0 when nothing was ever registered, +1 per change.
  Result<int64_t> revision();
  // Models whose revision is above `after`, ascending, at most `limit` (1..1000).
  Result<Changes> changes(int64_t after, size_t limit = 100);

 private:
  ModelRegistry(storage::Database& db, artifacts::ArtifactStore& store, const Clock& clock,
                RegistryOptions options)
      : db_(db), store_(store), clock_(clock), options_(options) {}
  // Moves the promotion of `name` from its current version to `to` inside a transaction.
  Result<ModelVersion> move_promotion(std::string_view name, std::string_view action,
                                      const ChangeOptions& change,
                                      const std::function<Result<int64_t>(storage::Database&, int64_t current)>& target);

  storage::Database& db_;
  artifacts::ArtifactStore& store_;
  const Clock& clock_;
  RegistryOptions options_;
};

}  // namespace iotwins::registry
