#include "tsdbext/influx_protocol.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace iotwins::tsdbext {
namespace {

Status check_backslashes(std::string_view what, std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '\\') continue;
    if (i + 1 == name.size() || name[i + 1] == ',' || name[i + 1] == '=' || name[i + 1] == ' ' || name[i + 1] == '\\') {
      return make_error(Errc::invalid_argument, std::string(what) + " has a backslash at byte " + std::to_string(i) +
                                                    " that InfluxDB's line protocol cannot carry (at the end or before "
                                                    "',', '=', ' ' or '\\')");
    }
  }
  return ok();
}

void escape_into(std::string& out, std::string_view s, std::string_view specials) {
  for (char c : s) {
    if (specials.find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
}

std::string quoted(std::string_view s, char q) {
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back(q);
  return out;
}

}  // namespace

Status influx_check_key(const tsdb::SeriesKey& key) {
  if (key.property.starts_with('#')) {
    return make_error(Errc::invalid_argument, "property starts with '#', which InfluxDB's line protocol reads as a comment");
  }
  IOT_TRY(check_backslashes("twin", key.twin));
  IOT_TRY(check_backslashes("property", key.property));
  for (const auto& [n, v] : key.labels) {
    if (n == "twin" || n == "time" || n == "value") {
      return make_error(Errc::invalid_argument, "label name '" + n + "' is reserved in the InfluxDB mapping (twin, time, value)");
    }
    if (v.empty()) return make_error(Errc::invalid_argument, "label '" + n + "' is empty; InfluxDB drops empty tags");
    IOT_TRY(check_backslashes("label name '" + n + "'", n));
    IOT_TRY(check_backslashes("value of label '" + n + "'", v));
  }
  return ok();
}

Status influx_check_sample(const tsdb::Sample& s) {
  if (std::isfinite(s.value)) return ok();
  return make_error(Errc::invalid_argument, std::string("value ") + (std::isnan(s.value) ? "NaN" : s.value > 0 ? "+Inf" : "-Inf") +
                                                " cannot be stored in InfluxDB");
}

void append_line(std::string& out, const tsdb::SeriesKey& key, const tsdb::Sample& s) {
  escape_into(out, key.property, ", ");
  // Tags sorted by key, as InfluxDB stores them: "twin" goes between the labels.
  bool twin_done = false;
  auto put_twin = [&] {
    out += ",twin=";
    escape_into(out, key.twin, ",= ");
    twin_done = true;
  };
  for (const auto& [n, v] : key.labels) {
    if (!twin_done && n > "twin") put_twin();
    out.push_back(',');
    escape_into(out, n, ",= ");
    out.push_back('=');
    escape_into(out, v, ",= ");
  }
  if (!twin_done) put_twin();
  char buf[64];
  // %.17g round-trips every finite double; "-0" stays negative zero.
  int n = std::snprintf(buf, sizeof buf, " value=%.17g %lld\n", s.value, static_cast<long long>(s.ts));
  out.append(buf, static_cast<size_t>(n));
}

std::string influxql_ident(std::string_view name) { return quoted(name, '"'); }
std::string influxql_string(std::string_view text) { return quoted(text, '\''); }

std::string series_condition(const tsdb::SeriesKey& key, const std::vector<std::string>& tag_keys) {
  std::string out;
  for (const auto& t : tag_keys) {
    std::string_view v;
    if (t == "twin") {
      v = key.twin;
    } else {
      for (const auto& [n, lv] : key.labels) {
        if (n == t) v = lv;
      }
    }
    if (!out.empty()) out += " AND ";
    out += influxql_ident(t) + " = " + influxql_string(v);
  }
  return out.empty() ? "true" : out;
}

Result<std::vector<InfluxSeries>> parse_influx_json(std::string_view body) {
  std::vector<InfluxSeries> out;
  try {
    auto j = nlohmann::json::parse(body);
    if (j.contains("error")) return make_error(Errc::io_error, j["error"].get<std::string>());
    for (const auto& r : j.at("results")) {
      if (r.contains("error")) return make_error(Errc::io_error, r["error"].get<std::string>());
      if (!r.contains("series")) continue;
      for (const auto& s : r["series"]) {
        InfluxSeries is;
        is.name = s.value("name", "");
        if (s.contains("tags")) {
          for (const auto& [k, v] : s["tags"].items()) is.tags.emplace_back(k, v.get<std::string>());
        }
        for (const auto& row : s.at("values")) {
          std::vector<std::string> strs;
          std::vector<int64_t> ints;
          for (const auto& cell : row) {
            if (cell.is_string()) strs.push_back(cell.get<std::string>());
            if (cell.is_number_integer()) ints.push_back(cell.get<int64_t>());
          }
          is.string_rows.push_back(std::move(strs));
          is.int_rows.push_back(std::move(ints));
        }
        out.push_back(std::move(is));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::io_error, std::string("unexpected answer (") + e.what() + "): " + std::string(body.substr(0, 200)));
  }
  return out;
}

Result<std::vector<tsdb::Sample>> parse_influx_csv_samples(std::string_view body) {
  std::vector<tsdb::Sample> out;
  if (body.starts_with("error")) {
    return make_error(Errc::io_error, std::string(body.substr(body.find('\n') + 1, 300)));
  }
  bool header = true;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find('\n', at);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      header = true;  // a blank line separates the results of series
      continue;
    }
    if (header) {
      header = false;
      continue;
    }
    size_t c2 = line.rfind(',');
    size_t c1 = c2 == std::string_view::npos || c2 == 0 ? std::string_view::npos : line.rfind(',', c2 - 1);
    if (c1 == std::string_view::npos) return make_error(Errc::io_error, "unexpected CSV row: " + std::string(line));
    std::string_view ts = line.substr(c1 + 1, c2 - c1 - 1);
    std::string value(line.substr(c2 + 1));
    tsdb::Sample s;
    auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), s.ts);
    char* vend = nullptr;
    s.value = std::strtod(value.c_str(), &vend);
    if (ec != std::errc() || p != ts.data() + ts.size() || value.empty() || *vend != '\0') {
      return make_error(Errc::io_error, "unexpected CSV row: " + std::string(line));
    }
    out.push_back(s);
  }
  return out;
}

tsdb::SeriesKey key_from_influx(const InfluxSeries& s) {
  tsdb::SeriesKey k;
  k.property = s.name;
  for (const auto& [n, v] : s.tags) {
    if (n == "twin") {
      k.twin = v;
    } else if (!v.empty()) {
      k.labels.emplace_back(n, v);
    }
  }
  return k;
}

}  // namespace iotwins::tsdbext
