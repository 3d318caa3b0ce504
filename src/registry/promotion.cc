// Promotion and rollback: the promoted version of a model moves inside one transaction, the
// stages of the two versions change with it, and the move is appended to the model's history.
#include "registry/registry.h"
#include "registry/rows.h"
#include "registry/validate.h"

namespace iotwins::registry {
namespace {

// The promotion stack of a model replayed from its history: promote pushes, rollback pops.
Result<std::vector<int64_t>> promotion_stack(storage::Database& tx, const std::string& name) {
  IOT_ASSIGN(auto r, tx.query("SELECT action, to_version FROM promotions WHERE model = ?1 ORDER BY id", {name}));
  std::vector<int64_t> stack;
  for (const auto& row : r) {
    if (row.text(0) == "rollback") {
      if (!stack.empty()) stack.pop_back();
    } else {
      stack.push_back(row.integer(1));
    }
  }
  return stack;
}

}  // namespace

Result<ModelVersion> ModelRegistry::move_promotion(
    std::string_view name, std::string_view action, const ChangeOptions& change,
    const std::function<Result<int64_t>(storage::Database&, int64_t current)>& target) {
  IOT_TRY(validate_model_name(name));
  IOT_TRY(validate_actor("by", change.by));
  if (change.expected_revision < 0) {
    return make_error(Errc::invalid_argument, "expected revision must be >= 0");
  }
  const std::string model(name);
  const int64_t now = clock_.now_ns();
  int64_t to = 0;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_ASSIGN(ModelSummary m, rows::load_model(tx, name));
    if (change.expected_revision > 0 && m.revision != change.expected_revision) {
      return make_error(Errc::conflict, "model '" + model + "' is at revision " + std::to_string(m.revision) +
                                            ", not " + std::to_string(change.expected_revision));
    }
    const int64_t from = m.promoted_version;
    IOT_ASSIGN(to, target(tx, from));
    if (to == from) return ok();  // already promoted: nothing to change
    IOT_ASSIGN(int64_t rev, rows::bump_revision(tx));
    if (from > 0) {
      const Stage left = action == "rollback" ? Stage::rolled_back : Stage::retired;
      IOT_TRY(tx.execute("UPDATE model_versions SET stage = ?3, revision = ?4 WHERE model = ?1 AND version = ?2",
                         {model, from, std::string(stage_name(left)), rev}));
    }
    IOT_TRY(tx.execute("UPDATE model_versions SET stage = ?3, revision = ?4 WHERE model = ?1 AND version = ?2",
                       {model, to, std::string(stage_name(Stage::promoted)), rev}));
    IOT_TRY(tx.execute("UPDATE models SET promoted_version = ?2, revision = ?3 WHERE name = ?1", {model, to, rev}));
    IOT_TRY(tx.execute("INSERT INTO promotions (model, action, from_version, to_version, actor, at_ns, revision) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       {model, std::string(action), from, to, change.by, now, rev}));
    return ok();
  }));
  return rows::load_version(db_, name, to);
}

Result<ModelVersion> ModelRegistry::promote(std::string_view name, int64_t version,
                                            const ChangeOptions& change) {
  return move_promotion(name, "promote", change, [&](storage::Database& tx, int64_t) -> Result<int64_t> {
    IOT_TRY(rows::load_version(tx, name, version));
    return version;
  });
}

Result<ModelVersion> ModelRegistry::rollback(std::string_view name, const ChangeOptions& change) {
  return move_promotion(name, "rollback", change, [&](storage::Database& tx, int64_t) -> Result<int64_t> {
    IOT_ASSIGN(std::vector<int64_t> stack, promotion_stack(tx, std::string(name)));
    if (stack.size() < 2) {
      return make_error(Errc::precondition_failed,
                        "model '" + std::string(name) + "' has no earlier promoted version to roll back to");
    }
    return stack[stack.size() - 2];
  });
}

Result<std::vector<PromotionRecord>> ModelRegistry::history(std::string_view name, size_t limit) {
  IOT_TRY(validate_model_name(name));
  IOT_TRY(rows::check_limit(limit));
  std::vector<PromotionRecord> out;
  IOT_TRY(db_.transaction([&](storage::Database& tx) -> Status {
    IOT_TRY(rows::load_model(tx, name));
    IOT_ASSIGN(auto r, tx.query("SELECT id, model, action, from_version, to_version, actor, at_ns, revision "
                                "FROM promotions WHERE model = ?1 ORDER BY id DESC LIMIT " +
                                    std::to_string(limit),
                                {std::string(name)}));
    for (const auto& row : r) {
      out.push_back({row.integer(0), row.text(1), row.text(2), row.integer(3), row.integer(4), row.text(5),
                     row.integer(6), row.integer(7)});
    }
    return ok();
  }));
  return out;
}

}  // namespace iotwins::registry
