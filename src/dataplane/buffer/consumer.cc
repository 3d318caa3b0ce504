#include "dataplane/buffer/consumer.h"

#include <algorithm>
#include <random>

#include "core/log.h"
#include "wal/reader.h"

namespace iotwins::dataplane {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("dataplane");
  return log;
}

using Ms = std::chrono::milliseconds;

Ms jittered_backoff(uint64_t attempt, Ms base, Ms cap) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t b = base.count() << std::min<uint64_t>(attempt, 16);
  b = std::min<int64_t>(b, cap.count());
  return Ms(std::uniform_int_distribution<int64_t>(b / 2, std::max<int64_t>(b, 1))(rng));
}

}  // namespace

StreamConsumer::StreamConsumer(Stream& stream, ConsumerOptions options, RunSink sink)
    : stream_(stream), options_(std::move(options)), sink_(std::move(sink)) {}

StreamConsumer::~StreamConsumer() { stop(); }

void StreamConsumer::start() {
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void StreamConsumer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ConsumerStats StreamConsumer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool StreamConsumer::wait(Ms d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_;
}

Status StreamConsumer::commit(uint64_t seq) {
  if (options_.commit_limit) seq = std::min(seq, options_.commit_limit());
  auto current = stream_.wal().consumer_offset(options_.name);
  if (current && *current >= seq) return ok();
  IOT_TRY(stream_.wal().commit_offset(options_.name, seq));
  std::lock_guard lock(mu_);
  stats_.offset = seq;
  return ok();
}

void StreamConsumer::loop() {
  wal::Wal& wal = stream_.wal();
  auto offset = wal.consumer_offset(options_.name);
  uint64_t next_seq = offset ? *offset + 1 : wal.stats().first_seq;
  if (!offset) {
    // Register the consumer so truncation waits for it.
    uint64_t start = next_seq > 0 ? next_seq - 1 : 0;
    if (auto st = wal.commit_offset(options_.name, start); !st) {
      logger().error("consumer {} of stream {}: {}", options_.name, stream_.options().name,
                     st.error().message());
    }
  }
  {
    std::lock_guard lock(mu_);
    stats_.offset = next_seq - 1;
  }
  while (!stopping_) {
    if (auto st = step(next_seq); !st) {
      logger().error("consumer {} of stream {}: {}", options_.name, stream_.options().name,
                     st.error().message());
      if (!wait(Ms(1000))) return;
    }
  }
}

Status StreamConsumer::step(uint64_t& next_seq) {
  wal::Wal& wal = stream_.wal();
  // The reader is kept between runs: a fresh one would scan its segment from the start up to
  // next_seq every time (quadratic in a large backlog).
  if (!reader_ || reader_->next_seq() != next_seq) {
    IOT_ASSIGN(reader_, wal.reader(next_seq));
  }
  wal::Reader* reader = reader_.get();
  if (reader->next_seq() > next_seq) {
    logger().warn("consumer {} of stream {}: records {}..{} were dropped before delivery",
                  options_.name, stream_.options().name, next_seq, reader->next_seq() - 1);
    next_seq = reader->next_seq();
  }
  std::vector<Record> run;
  uint64_t run_first = 0, consumed = next_seq - 1, bytes = 0;
  auto run_started = std::chrono::steady_clock::now();
  while (!stopping_) {
    auto rec = reader->next();
    if (!rec) {
      reader_.reset();  // truncated under us (not_found) or damaged: start afresh
      if (rec.error().code() == Errc::not_found) break;
      return std::unexpected(rec.error());
    }
    if (!*rec) {
      if (run.empty() && consumed >= next_seq) break;  // only markers: commit them
      if (run.empty()) {
        wal.wait_for(wal.committed_seq() + 1, Ms(100));
        continue;
      }
      auto left = options_.linger - std::chrono::duration_cast<Ms>(
                                        std::chrono::steady_clock::now() - run_started);
      if (left <= Ms(0)) break;
      wal.wait_for(wal.committed_seq() + 1, left);
      continue;
    }
    auto decoded = decode_entry((*rec)->payload);
    if (!decoded) {
      reader_.reset();
      return std::unexpected(decoded.error());
    }
    Entry e = std::move(*decoded);
    consumed = (*rec)->seq;
    if (e.kind == EntryKind::origin) {
      if (!run.empty()) break;  // a run holds consecutive seqs only
      continue;
    }
    if (run.empty()) {
      run_first = (*rec)->seq;
      run_started = std::chrono::steady_clock::now();
    }
    bytes += (*rec)->payload.size();
    run.push_back(std::move(e.record));
    if (run.size() >= options_.max_records || bytes >= options_.max_bytes) break;
  }
  if (consumed < next_seq) return ok();
  for (uint64_t attempt = 0; !run.empty(); ++attempt) {
    auto st = sink_(run_first, run);
    if (st) break;
    {
      std::lock_guard lock(mu_);
      ++stats_.failures;
      ++stats_.consecutive_failures;
      stats_.last_error = st.error().message();
    }
    if (attempt == 0 || attempt % 10 == 0) {
      logger().warn("consumer {} of stream {}: delivering {} records from seq {} failed: {} "
                    "(retrying)",
                    options_.name, stream_.options().name, run.size(), run_first,
                    st.error().message());
    }
    if (!wait(jittered_backoff(attempt, options_.backoff_base, options_.backoff_cap))) {
      reader_.reset();  // stopping with the run undelivered: a restart reads it again
      return ok();
    }
  }
  if (!run.empty()) {
    std::lock_guard lock(mu_);
    stats_.delivered_records += run.size();
    ++stats_.delivered_runs;
    stats_.consecutive_failures = 0;
  }
  next_seq = consumed + 1;
  return commit(consumed);
}

}  // namespace iotwins::dataplane
