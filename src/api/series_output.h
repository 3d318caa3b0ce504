// Streams time-series query results as JSON, CSV or NDJSON with bounded memory: text is
// buffered up to kPieceBytes and handed to the connection's ChunkWriter, which blocks while
// the client is slow. Number rules (also in docs and the API README): finite values are
// shortest round-trip decimals; NaN, +Inf and -Inf are the strings "NaN", "Infinity" and
// "-Infinity" in JSON/NDJSON (JSON has no literal for them) and the same words, unquoted, in CSV.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/series_params.h"
#include "tsdb/store.h"

namespace iotwins::api::series {

inline constexpr size_t kPieceBytes = 64 * 1024;

void append_value(std::string& out, double v, bool json);
void append_json_string(std::string& out, std::string_view s);
void append_labels_json(std::string& out, const tsdb::Labels& labels);

class Output {
 public:
  explicit Output(const ChunkWriter& write) : write_(write) { buf_.reserve(kPieceBytes + 4096); }
  std::string& buf() { return buf_; }
  // Hands the buffer over once it is large; false when the client has gone.
  bool maybe_flush() { return buf_.size() < kPieceBytes || flush(); }
  bool flush();

 private:
  const ChunkWriter& write_;
  std::string buf_;
};

// Raw samples: header, then runs of samples (series by series), then the end.
class RawWriter {
 public:
  RawWriter(Output& out, const QueryParams& q) : out_(out), q_(q) {}
  void begin();
  // False when the limit is reached or the client has gone: stop the query.
  bool samples(const tsdb::SeriesKey& key, std::span<const tsdb::Sample> samples);
  void end();
  bool gone() const { return gone_; }

 private:
  void row_prefix(const tsdb::SeriesKey& key);
  Output& out_;
  const QueryParams& q_;
  std::string prefix_;  // per-series start of an NDJSON/CSV row
  std::optional<tsdb::SeriesKey> current_;
  uint64_t emitted_ = 0;
  bool truncated_ = false;
  bool gone_ = false;
};

// Aggregate buckets: header, then rows group by group, then the end.
class AggWriter {
 public:
  AggWriter(Output& out, const QueryParams& q) : out_(out), q_(q) {}
  void begin();
  bool row(const tsdb::AggregateRow& row);
  void end();
  bool gone() const { return gone_; }

 private:
  void group_start(const tsdb::Labels& group);
  Output& out_;
  const QueryParams& q_;
  std::string prefix_;
  std::optional<tsdb::Labels> current_;
  uint64_t emitted_ = 0;
  bool truncated_ = false;
  bool gone_ = false;
};

}  // namespace iotwins::api::series
