// Offsets persisted by consumers in other processes (wal/tail.h), applied by the owner.
#include <optional>

#include "core/log.h"
#include "wal/consumers.h"
#include "wal/tail.h"
#include "wal/wal.h"

namespace iotwins::wal {
Result<size_t> Wal::load_external_offsets() {
  IOT_ASSIGN(auto names, fs_.list(dir_));
  ConsumerOffsets found;
  // One damaged or misnamed file must not hold back the other consumers: it is reported
  // after the valid ones are applied.
  std::optional<Error> bad;
  for (const auto& name : names) {
    if (!name.ends_with(kExternalOffsetSuffix)) continue;  // ".offset.tmp" is being written
    std::string consumer = name.substr(0, name.size() - kExternalOffsetSuffix.size());
    auto seq = read_external_offset(fs_, dir_, consumer);
    if (!seq) {
      if (!bad) bad = std::move(seq.error()).context("wal " + dir_ + ": " + name);
    } else if (*seq) {
      found.emplace(consumer, **seq);
    }
  }
  IOT_ASSIGN(size_t moved, apply_external_offsets(found));
  if (bad) return std::unexpected(std::move(*bad));
  return moved;
}

Result<size_t> Wal::apply_external_offsets(const ConsumerOffsets& found) {
  static auto& log = iotwins::log::get("wal");
  if (found.empty()) return size_t{0};
  std::lock_guard retention(retention_mu_);
  ConsumerOffsets next;
  size_t moved = 0;
  {
    std::lock_guard lock(mu_);
    next = consumers_;
    for (auto [consumer, seq] : found) {
      if (seq > committed_seq_) {
        // Only after a machine crash lost records the consumer had already read.
        log.warn("wal {}: consumer {} acknowledged {} but the log ends at {}", dir_,
                      consumer, seq, committed_seq_);
        seq = committed_seq_;
      }
      auto it = next.find(consumer);
      if (it == next.end() || seq > it->second) {
        next[consumer] = seq;
        ++moved;
      }
    }
  }
  if (moved == 0) return size_t{0};
  IOT_TRY(persist_consumers(next));
  {
    std::lock_guard lock(mu_);
    consumers_ = std::move(next);
  }
  IOT_TRY(delete_acknowledged());
  return moved;
}

}  // namespace iotwins::wal
