// How series map onto InfluxDB 1.x and how names are written there.
//
// Mapping: measurement = property, tag `twin` = twin, one tag per label, one float field
// `value`. InfluxDB cannot hold everything a SeriesKey can, so these are refused
// (invalid_argument, naming the series) before anything is written:
//  - a label named `twin`, `time` or `value` (they would collide with the mapping), or a label
//    with an empty value (InfluxDB drops empty tags, so it could not be read back);
//  - a backslash at the end of a name or before ',', '=', ' ' or '\' (line protocol has no way
//    to write those literally), and a property starting with '#' (a comment line);
//  - a NaN or +-Inf value (the float field cannot store them).
// Escaping: line protocol escapes ',' and ' ' in measurements and ',', '=', ' ' in tag keys and
// values; InfluxQL quotes identifiers in "…" and strings in '…' with backslash escapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "tsdb/store.h"

namespace iotwins::tsdbext {

Status influx_check_key(const tsdb::SeriesKey& key);
Status influx_check_sample(const tsdb::Sample& s);

// Appends one line: measurement,tags value=<17 significant digits> <ts ns>\n.
void append_line(std::string& out, const tsdb::SeriesKey& key, const tsdb::Sample& s);

std::string influxql_ident(std::string_view name);   // "name"
std::string influxql_string(std::string_view text);  // 'text'

// A WHERE condition selecting exactly this series in a measurement whose tag keys are
// `tag_keys` (a tag the series lacks must be empty).
std::string series_condition(const tsdb::SeriesKey& key, const std::vector<std::string>& tag_keys);

// A query answer in JSON: the series of its statements, each with its name, tags, and per row
// its string cells and its integer cells (times with epoch=ns, counts; float cells are not
// kept). Error: the statement's or the server's error.
struct InfluxSeries {
  std::string name;
  std::vector<std::pair<std::string, std::string>> tags;  // every tag key of the group; "" = absent
  std::vector<std::vector<std::string>> string_rows;      // string cells (SHOW TAG KEYS)
  std::vector<std::vector<int64_t>> int_rows;             // integer cells (time with epoch=ns, count)
};
Result<std::vector<InfluxSeries>> parse_influx_json(std::string_view body);

// A query answer in CSV (Accept: application/csv) whose last two columns are time (epoch=ns)
// and a float: those pairs. CSV keeps -0 as "-0", which JSON parsers turn into integer 0.
Result<std::vector<tsdb::Sample>> parse_influx_csv_samples(std::string_view body);

// SeriesKey from a measurement and its tags (absent = empty tags dropped).
tsdb::SeriesKey key_from_influx(const InfluxSeries& s);

}  // namespace iotwins::tsdbext
