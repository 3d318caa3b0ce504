#include "dataplane/buffer/receiver.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/clock.h"
#include "core/log.h"
#include "wal/consumers.h"
#include "wal/crc32c.h"
#include "wal/reader.h"

namespace iotwins::dataplane {
namespace {

spdlog::logger& logger() {
  static auto& log = log::get("dataplane");
  return log;
}

constexpr std::string_view kHeader = "iotwins-receiver 1\n";

std::string key_of(std::string_view source, std::string_view stream) {
  std::string k(source);
  k += '\n';
  k += stream;
  return k;
}

std::string crc_line(std::string_view body) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "crc %08x\n", wal::crc32c(body));
  return buf;
}

Result<uint64_t> parse_u64(std::string_view s, std::string_view where) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return make_error(Errc::corruption, std::string(where) + ": bad number '" + std::string(s) + "'");
  }
  return v;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Receiver>> Receiver::open(FileSystem& fs, std::string state_file,
                                                 std::vector<Stream*> streams, BatchLimits limits) {
  std::unique_ptr<Receiver> r(new Receiver(fs, std::move(state_file), std::move(streams), limits));
  IOT_TRY(r->load());
  // Markers appended after the file was last saved (a crash between append and save).
  bool found = false;
  for (Stream* s : r->streams_) {
    uint64_t from = r->covered_[s->options().name] + 1;
    IOT_ASSIGN(auto reader, s->wal().reader(from));
    for (;;) {
      IOT_ASSIGN(auto rec, reader->next());
      if (!rec) break;
      if (rec->payload.empty() || (rec->payload[0] != static_cast<char>(EntryKind::origin) &&
                                   rec->payload[0] != static_cast<char>(EntryKind::marked))) {
        continue;
      }
      IOT_ASSIGN(Entry e, decode_entry(rec->payload));
      uint64_t& high = r->high_[key_of(e.origin.source, e.origin.stream)];
      if (e.origin.last_seq > high) {
        high = e.origin.last_seq;
        found = true;
      }
    }
    r->covered_[s->options().name] = s->wal().committed_seq();
  }
  if (found) {
    logger().info("receiver: recovered applied-batch marks newer than {}", r->state_file_);
  }
  IOT_TRY(r->save());
  return r;
}

Status Receiver::load() {
  auto text = fs_.read_file(state_file_);
  if (!text) {
    if (text.error().code() == Errc::not_found) return ok();
    return std::unexpected(text.error());
  }
  std::string_view all = *text;
  size_t crc_at = all.rfind("crc ");
  if (!all.starts_with(kHeader) || crc_at == std::string_view::npos ||
      crc_line(all.substr(0, crc_at)) != all.substr(crc_at)) {
    return make_error(Errc::corruption, state_file_ + " is damaged (header or checksum)");
  }
  std::string_view body = all.substr(kHeader.size(), crc_at - kHeader.size());
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    auto f = split(line);
    if (f.size() == 4 && f[0] == "high") {
      IOT_ASSIGN(high_[key_of(f[1], f[2])], parse_u64(f[3], state_file_));
    } else if (f.size() == 3 && f[0] == "covered") {
      IOT_ASSIGN(covered_[std::string(f[1])], parse_u64(f[2], state_file_));
    } else {
      return make_error(Errc::corruption, state_file_ + ": bad line '" + std::string(line) + "'");
    }
  }
  return ok();
}

Status Receiver::save() {
  std::string text(kHeader);
  for (const auto& [key, seq] : high_) {
    size_t nl = key.find('\n');
    text += "high " + key.substr(0, nl) + " " + key.substr(nl + 1) + " " + std::to_string(seq) + "\n";
  }
  for (const auto& [stream, seq] : covered_) {
    text += "covered " + stream + " " + std::to_string(seq) + "\n";
  }
  text += crc_line(text);
  return fs_.write_file_atomic(state_file_, text);
}

Stream* Receiver::find(std::string_view name) const {
  for (Stream* s : streams_) {
    if (s->options().name == name) return s;
  }
  return nullptr;
}

uint64_t Receiver::high_water(std::string_view source, std::string_view stream) const {
  std::lock_guard lock(mu_);
  auto it = high_.find(key_of(source, stream));
  return it == high_.end() ? 0 : it->second;
}

DelayStats Receiver::delay(std::string_view source) const {
  std::vector<int64_t> v;
  {
    std::lock_guard lock(mu_);
    auto it = delays_.find(source);
    if (it == delays_.end()) return {};
    v = it->second.ns;
  }
  if (v.empty()) return {};
  auto at = [&](double q) {
    size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1e6;
  };
  DelayStats d;
  d.samples = v.size();
  d.p50_ms = at(0.50);
  d.p99_ms = at(0.99);
  return d;
}

uint64_t Receiver::commit_limit(std::string_view local_stream) const {
  std::lock_guard lock(mu_);
  auto it = pending_.find(local_stream);
  return it == pending_.end() || it->second == 0 ? UINT64_MAX : it->second - 1;
}

Result<ReceiveResult> Receiver::receive(std::string_view frame) {
  // Whatever is wrong with a frame from the network is the sender's fault: invalid_argument.
  auto bad = [](const Error& e) {
    return Error(Errc::invalid_argument, "batch frame: " + e.message());
  };
  auto header_or = decode_batch_header(frame, limits_);
  if (!header_or) return std::unexpected(bad(header_or.error()));
  BatchHeader header = std::move(*header_or);
  if (auto st = validate_twin_id(header.source_node); !st) {
    return make_error(Errc::invalid_argument, "batch source node: " + st.error().message());
  }
  Stream* stream = find(header.stream);
  if (!stream) {
    std::string known;
    for (Stream* s : streams_) known += (known.empty() ? "" : ", ") + s->options().name;
    return make_error(Errc::invalid_argument,
                      "batch for unknown stream '" + header.stream + "' (streams here: " + known + ")");
  }
  std::lock_guard lock(mu_);
  ReceiveResult res{header.source_node, header.stream};
  uint64_t& high = high_[key_of(header.source_node, header.stream)];
  uint64_t last = header.first_seq + header.record_count - 1;
  ++batches_;
  if (header.record_count == 0 || last <= high) {
    ++duplicate_batches_;
    res.acked_seq = high;
    res.duplicates = header.record_count;
    return res;
  }
  auto batch_or = decode_batch(frame, limits_);
  if (!batch_or) return std::unexpected(bad(batch_or.error()));
  Batch batch = std::move(*batch_or);
  size_t skip = high >= batch.first_seq ? high - batch.first_seq + 1 : 0;
  res.duplicates = skip;
  res.gap = batch.first_seq > high + 1 ? batch.first_seq - high - 1 : 0;
  std::vector<std::string> entries;
  entries.reserve(batch.records.size() - skip);
  for (size_t i = skip; i < batch.records.size(); ++i) {
    entries.push_back(encode_record_entry(batch.records[i]));
  }
  // The mark rides on the batch's last record (skip < size: there is one), taking no seq.
  entries.back() = encode_marked_entry(entries.back(), {header.source_node, header.stream, last});
  std::vector<std::string_view> views(entries.begin(), entries.end());
  IOT_ASSIGN(uint64_t marker_seq, stream->append(views));
  // The oldest marker the file does not cover yet bounds truncation.
  if (pending_[stream->options().name] == 0) pending_[stream->options().name] = marker_seq;
  uint64_t old_high = high;
  high = last;
  uint64_t old_covered = covered_[stream->options().name];
  covered_[stream->options().name] = marker_seq;
  if (auto st = save(); !st) {
    // The records are durable and the marker rebuilds the mark after a restart; keep the
    // marker from truncation until a later save succeeds.
    covered_[stream->options().name] = old_covered;
    logger().warn("receiver: {} (the batch is durable; its mark is recovered from the log)",
                  st.error().message());
  } else {
    pending_[stream->options().name] = 0;
  }
  if (res.gap > 0) {
    logger().warn("batch from {} stream {} starts at seq {} after {}: {} records were dropped by "
                  "the sender",
                  header.source_node, header.stream, batch.first_seq, old_high, res.gap);
  }
  // Device time → durable here, per source.
  DelayRing& ring = delays_[header.source_node];
  int64_t now = SystemClock::instance().now_ns();
  for (size_t i = skip; i < batch.records.size(); ++i) {
    const auto* s = std::get_if<Sample>(&batch.records[i]);
    if (!s) continue;
    if (ring.ns.size() < kDelayWindow) {
      ring.ns.push_back(now - s->ts_ns);
    } else {
      ring.ns[ring.next] = now - s->ts_ns;
      ring.next = (ring.next + 1) % kDelayWindow;
    }
  }
  res.applied = batch.records.size() - skip;
  res.acked_seq = last;
  return res;
}

}  // namespace iotwins::dataplane
