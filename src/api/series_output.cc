#include "api/series_output.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace iotwins::api::series {
namespace {

void append_csv(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos && (s.empty() || (s.front() != ' ' && s.back() != ' '))) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_time(std::string& out, int64_t ts, bool json) {
  if (json) out += "\"time\":\"";
  out += format_time(ts);
  out += json ? "\",\"ts\":" : ",";
  append_int(out, ts);
}

std::string labels_json(const tsdb::Labels& labels) {
  std::string s;
  append_labels_json(s, labels);
  return s;
}

// The series-shaped prefix shared by raw rows and per-series aggregate groups.
std::string series_prefix(const tsdb::SeriesKey& key, Format f) {
  std::string s;
  if (f == Format::csv) {
    append_csv(s, key.twin);
    s += ',';
    append_csv(s, key.property);
    s += ',';
    append_csv(s, labels_json(key.labels));
    s += ',';
    return s;
  }
  s += "{\"twin\":";
  append_json_string(s, key.twin);
  s += ",\"property\":";
  append_json_string(s, key.property);
  s += ",\"labels\":";
  append_labels_json(s, key.labels);
  return s;
}

// Ends a sample or bucket row; false when the client has gone.
bool close_row(Output& out, Format f) {
  out.buf() += f == Format::json ? "}" : f == Format::ndjson ? "}\n" : "\n";
  return out.maybe_flush();
}

// Ends the document: the open series/group and the array (JSON), or the NDJSON marker.
void close_result(Output& out, Format f, bool group_open, bool truncated) {
  std::string& b = out.buf();
  if (f == Format::json) {
    if (group_open) b += "]}";
    b += std::string("],\"truncated\":") + (truncated ? "true" : "false") + "}\n";
  } else if (f == Format::ndjson && truncated) {
    b += "{\"truncated\":true}\n";
  }
}

}  // namespace

void append_value(std::string& out, double v, bool json) {
  if (std::isnan(v)) {
    out += json ? "\"NaN\"" : "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? (json ? "\"Infinity\"" : "Infinity") : (json ? "\"-Infinity\"" : "-Infinity");
  } else {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_labels_json(std::string& out, const tsdb::Labels& labels) {
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, labels[i].first);
    out += ':';
    append_json_string(out, labels[i].second);
  }
  out += '}';
}

bool Output::flush() {
  if (buf_.empty()) return true;
  bool ok = write_(buf_);
  buf_.clear();
  return ok;
}

void RawWriter::begin() {
  std::string& b = out_.buf();
  if (q_.format == Format::json) {
    b += "{\"from\":\"" + format_time(q_.from) + "\",\"to\":\"" + format_time(q_.to) + "\",\"series\":[";
  } else if (q_.format == Format::csv) {
    b += "twin,property,labels,time,ts,value\n";
  }
}

bool RawWriter::samples(const tsdb::SeriesKey& key, std::span<const tsdb::Sample> samples) {
  std::string& b = out_.buf();
  const bool json = q_.format != Format::csv;
  bool first = false;
  if (!current_ || !(*current_ == key)) {
    if (q_.format == Format::json) {
      if (current_) b += "]},";
      b += series_prefix(key, q_.format) + ",\"samples\":[";
    } else {
      prefix_ = series_prefix(key, q_.format);
      if (q_.format == Format::ndjson) prefix_ += ',';
    }
    current_ = key;
    first = true;
  }
  for (const auto& s : samples) {
    if (q_.limit != 0 && emitted_ == q_.limit) {
      truncated_ = true;
      return false;
    }
    ++emitted_;
    if (q_.format == Format::json) {
      if (!first) b += ',';
      first = false;
      b += '{';
    } else {
      b += prefix_;
    }
    append_time(b, s.ts, json);
    b += json ? ",\"value\":" : ",";
    append_value(b, s.value, json);
    if (!close_row(out_, q_.format)) {
      gone_ = true;
      return false;
    }
  }
  return true;
}

void RawWriter::end() { close_result(out_, q_.format, current_.has_value(), truncated_); }

void AggWriter::begin() {
  std::string& b = out_.buf();
  if (q_.format == Format::json) {
    b += "{\"from\":\"" + format_time(q_.from) + "\",\"to\":\"" + format_time(q_.to) + "\",\"step_ns\":";
    append_int(b, q_.step);
    b += ",\"aggs\":[";
    for (size_t i = 0; i < q_.aggs.size(); ++i) b += (i ? ",\"" : "\"") + std::string(tsdb::agg_name(q_.aggs[i])) + "\"";
    b += "],\"groups\":[";
  } else if (q_.format == Format::csv) {
    if (!q_.group_by) {
      b += "twin,property,labels,";
    } else {
      for (const auto& n : q_.group_names) {
        append_csv(b, n);
        b += ',';
      }
    }
    b += "time,ts";
    for (auto a : q_.aggs) b += "," + std::string(tsdb::agg_name(a));
    b += '\n';
  }
}

void AggWriter::group_start(const tsdb::Labels& group) {
  std::string g;
  if (!q_.group_by) {
    // Per-series groups come as twin, property, then the labels.
    tsdb::SeriesKey key{group.size() > 0 ? group[0].second : "", group.size() > 1 ? group[1].second : "", {}};
    if (group.size() > 2) key.labels.assign(group.begin() + 2, group.end());
    g = series_prefix(key, q_.format);
    if (q_.format != Format::csv) g += '}';
  } else if (q_.format == Format::csv) {
    for (const auto& [field, value] : group) {
      append_csv(g, value);
      g += ',';
    }
  } else {
    g += '{';
    for (size_t i = 0; i < group.size() && i < q_.group_names.size(); ++i) {
      if (i) g += ',';
      append_json_string(g, q_.group_names[i]);
      g += ':';
      append_json_string(g, group[i].second);
    }
    g += '}';
  }
  std::string& b = out_.buf();
  if (q_.format == Format::json) {
    if (current_) b += "]},";
    b += "{\"group\":" + g + ",\"buckets\":[";
  } else if (q_.format == Format::ndjson) {
    prefix_ = "{\"group\":" + g + ",";
  } else {
    prefix_ = g;
  }
  current_ = group;
}

bool AggWriter::row(const tsdb::AggregateRow& row) {
  if (q_.limit != 0 && emitted_ == q_.limit) {
    truncated_ = true;
    return false;
  }
  ++emitted_;
  std::string& b = out_.buf();
  bool first = !current_ || !(*current_ == row.group);
  if (first) group_start(row.group);
  const bool json = q_.format != Format::csv;
  if (q_.format == Format::json) {
    b += first ? "{" : ",{";
  } else {
    b += prefix_;
  }
  append_time(b, row.bucket_start, json);
  for (size_t i = 0; i < row.values.size() && i < q_.aggs.size(); ++i) {
    if (json) {
      b += ",\"" + std::string(tsdb::agg_name(q_.aggs[i])) + "\":";
    } else {
      b += ',';
    }
    append_value(b, row.values[i], json);
  }
  if (!close_row(out_, q_.format)) {
    gone_ = true;
    return false;
  }
  return true;
}

void AggWriter::end() { close_result(out_, q_.format, current_.has_value(), truncated_); }

}  // namespace iotwins::api::series
