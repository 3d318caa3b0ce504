// Plain-text tables for CLI output: columns sized to their widest cell.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace iotwins::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// 1536 → "1.5 KiB"; 3'000 ms → "3s"; for human columns.
std::string human_bytes(double bytes);
std::string human_age_ms(int64_t ms);
// A JSON value as a table cell: strings bare, null as "-", anything else as compact JSON.
std::string json_cell(const nlohmann::json& v);

}  // namespace iotwins::cli
