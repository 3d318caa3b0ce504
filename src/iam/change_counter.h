// A storage::Database that forwards to another and counts the writes that went through it, so a
// cache of what was read through it knows when to drop its entries: an entry is valid while the
// count it was read at is still the count (read the count before the query, compare on use).
// IamStore writes only through it, so every change to identities, memberships, bindings, nodes
// and tokens moves the count when it has committed.
#pragma once

#include <atomic>
#include <cstdint>

#include "storage/database.h"

namespace iotwins::iam {

class ChangeCounter final : public storage::Database {
 public:
  explicit ChangeCounter(storage::Database& inner) : inner_(inner) {}

  Status exec_script(std::string_view sql) override { return counted(inner_.exec_script(sql)); }
  Result<storage::ExecResult> execute(std::string_view sql, const std::vector<storage::Value>& params = {}) override {
    return counted(inner_.execute(sql, params));
  }
  Result<std::vector<storage::Row>> query(std::string_view sql, const std::vector<storage::Value>& params = {}) override {
    return inner_.query(sql, params);
  }
  Status transaction(const std::function<Status(storage::Database&)>& fn) override {
    return counted(inner_.transaction(fn));
  }

  uint64_t changes() const { return changes_.load(std::memory_order_acquire); }

 private:
  // After the statement or transaction ended — also a failed one, which may have changed rows
  // before it failed outside a transaction.
  template <class R>
  R counted(R result) {
    changes_.fetch_add(1, std::memory_order_acq_rel);
    return result;
  }

  storage::Database& inner_;
  std::atomic<uint64_t> changes_{0};
};

}  // namespace iotwins::iam
