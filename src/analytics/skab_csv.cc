#include "analytics/skab_csv.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace iotwins::analytics::skab {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 30;

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = line.find(';', start);
    out.push_back(line.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

}  // namespace

Result<LabelledSeries> parse_csv(std::string_view text, const std::string& path) {
  LabelledSeries out;
  out.path = path;
  auto fail = [&](size_t line, size_t col, const std::string& what) {
    return make_error(Errc::invalid_argument,
                      path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  };
  size_t pos = 0, line_no = 0;
  int anomaly_col = -1, changepoint_col = -1;
  size_t n_cols = 0;
  std::vector<int> feature_of;  // CSV column -> feature index, or -1
  std::vector<double> data;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_no;
    line = trim(line);
    if (line.empty()) continue;
    auto fields = split(line);
    if (n_cols == 0) {
      n_cols = fields.size();
      if (n_cols < 2) return fail(line_no, 1, "header needs a datetime column and a value column");
      feature_of.assign(n_cols, -1);
      for (size_t c = 1; c < n_cols; ++c) {
        std::string name(trim(fields[c]));
        if (name == "anomaly") {
          // A second label column would be neither label nor feature: rows would write before their start.
          if (anomaly_col >= 0) return fail(line_no, 1, "column 'anomaly' appears twice");
          anomaly_col = static_cast<int>(c);
        } else if (name == "changepoint") {
          if (changepoint_col >= 0) return fail(line_no, 1, "column 'changepoint' appears twice");
          changepoint_col = static_cast<int>(c);
        } else {
          feature_of[c] = static_cast<int>(out.columns.size());
          out.columns.push_back(name);
        }
      }
      if (out.columns.empty()) return fail(line_no, 1, "no numeric feature column");
      continue;
    }
    if (fields.size() != n_cols) {
      return fail(line_no, 1, "expected " + std::to_string(n_cols) + " fields, found " +
                                  std::to_string(fields.size()));
    }
    size_t col_start = 1;
    out.times.emplace_back(trim(fields[0]));
    if (out.times.back().empty()) return fail(line_no, 1, "empty datetime");
    size_t row_base = data.size();
    data.resize(row_base + out.columns.size());
    for (size_t c = 1; c < n_cols; ++c) {
      col_start += fields[c - 1].size() + 1;
      if (static_cast<int>(c) == changepoint_col) continue;
      std::string_view f = trim(fields[c]);
      double v = 0;
      auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (f.empty() || ec != std::errc() || p != f.data() + f.size()) {
        return fail(line_no, col_start, "'" + std::string(f) + "' is not a number");
      }
      if (static_cast<int>(c) == anomaly_col) {
        if (v != 0 && v != 1) return fail(line_no, col_start, "anomaly label must be 0 or 1");
        out.labels.push_back(static_cast<uint8_t>(v));
      } else {
        data[row_base + feature_of[c]] = v;
      }
    }
  }
  if (n_cols == 0) return make_error(Errc::invalid_argument, path + ": empty file");
  const Eigen::Index rows = static_cast<Eigen::Index>(out.times.size());
  const Eigen::Index cols = static_cast<Eigen::Index>(out.columns.size());
  out.values = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      data.data(), rows, cols);
  return out;
}

Result<LabelledSeries> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "cannot open " + path);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) return make_error(Errc::too_large, path + " is larger than 1 GiB");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_csv(buf.str(), path);
}

Result<std::vector<std::string>> list_csv(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return make_error(Errc::not_found, path + " does not exist");
  if (fs::is_regular_file(st)) return std::vector<std::string>{path};
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".csv") out.push_back(it->path().string());
  }
  if (ec) return make_error(Errc::io_error, "listing " + path + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace iotwins::analytics::skab
