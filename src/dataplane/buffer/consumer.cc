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
  // Reading and decoding the next run overlaps with delivering the current one: a reader
  // thread reads one run ahead, this thread delivers them in order.
  std::thread reader_thread([this, next_seq]() mutable { read_loop(next_seq); });
  while (!stopping_) {
    Run run;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !runs_.empty(); });
      if (stopping_) break;
      run = std::move(runs_.front());
      runs_.pop_front();
    }
    cv_.notify_all();
    if (!deliver(run)) break;  // stopping
    if (auto st = commit(run.consumed); !st) {
      logger().error("consumer {} of stream {}: {}", options_.name, stream_.options().name,
                     st.error().message());
    }
  }
  reader_thread.join();
  std::lock_guard lock(mu_);
  runs_.clear();
}

void StreamConsumer::read_loop(uint64_t next_seq) {
  while (!stopping_) {
    {
      std::unique_lock lock(mu_);
      // One run read ahead at most: memory stays bounded by two runs, whatever the backlog.
      cv_.wait(lock, [&] { return stopping_.load() || runs_.empty(); });
      if (stopping_) return;
    }
    auto run = read_run(next_seq);
    if (!run) {
      logger().error("consumer {} of stream {}: {}", options_.name, stream_.options().name,
                     run.error().message());
      if (!wait(Ms(1000))) return;
      continue;
    }
    if (!*run) continue;
    {
      std::lock_guard lock(mu_);
      runs_.push_back(std::move(**run));
    }
    cv_.notify_all();
  }
}

Result<std::optional<StreamConsumer::Run>> StreamConsumer::read_run(uint64_t& next_seq) {
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
  Run run;
  run.consumed = next_seq - 1;
  uint64_t bytes = 0;
  auto run_started = std::chrono::steady_clock::now();
  while (!stopping_) {
    auto rec = reader->next();
    if (!rec) {
      reader_.reset();  // truncated under us (not_found) or damaged: start afresh
      if (rec.error().code() == Errc::not_found) break;
      return std::unexpected(rec.error());
    }
    if (!*rec) {
      if (run.records.empty() && run.consumed >= next_seq) break;  // only markers: commit them
      if (run.records.empty()) {
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
    run.consumed = (*rec)->seq;
    if (decoded->kind == EntryKind::origin) {
      if (!run.records.empty()) break;  // a run holds consecutive seqs only
      continue;
    }
    if (run.records.empty()) {
      run.first = (*rec)->seq;
      run_started = std::chrono::steady_clock::now();
      run.records.reserve(std::min<size_t>(options_.max_records, 4096));
    }
    bytes += (*rec)->payload.size();
    run.records.push_back(std::move(decoded->record));
    if (run.records.size() >= options_.max_records || bytes >= options_.max_bytes) break;
  }
  if (run.consumed < next_seq) return std::optional<Run>();
  next_seq = run.consumed + 1;
  return std::optional<Run>(std::move(run));
}

bool StreamConsumer::deliver(const Run& run) {
  for (uint64_t attempt = 0; !run.records.empty(); ++attempt) {
    auto st = sink_(run.first, run.records);
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
                    options_.name, stream_.options().name, run.records.size(), run.first,
                    st.error().message());
    }
    // Stopping with the run undelivered: its offset is not committed, a restart reads it again.
    if (!wait(jittered_backoff(attempt, options_.backoff_base, options_.backoff_cap))) return false;
  }
  if (!run.records.empty()) {
    std::lock_guard lock(mu_);
    stats_.delivered_records += run.records.size();
    ++stats_.delivered_runs;
    stats_.consecutive_failures = 0;
  }
  return true;
}

}  // namespace iotwins::dataplane
