#include "analytics/skab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "analytics/skab_csv.h"
#include "analytics/windowed.h"

namespace iotwins::analytics::skab {
namespace {

TEST(SkabCsv, ParsesFeaturesLabelsAndSkipsChangepoint) {
  auto s = parse_csv(
      "datetime;a;b;anomaly;changepoint\n"
      "2020-03-09 10:14:33;1.5;2;0.0;0.0\n"
      "2020-03-09 10:14:34;-3;4e-1;1.0;1.0\r\n",
      "f.csv");
  ASSERT_TRUE(s.has_value()) << s.error().message();
  EXPECT_EQ(s->columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s->times[1], "2020-03-09 10:14:34");
  EXPECT_EQ(s->values.rows(), 2);
  EXPECT_EQ(s->values(1, 0), -3);
  EXPECT_EQ(s->values(1, 1), 0.4);
  EXPECT_EQ(s->labels, (std::vector<uint8_t>{0, 1}));
}

TEST(SkabCsv, ErrorsNameFileLineAndColumn) {
  auto bad_number = parse_csv("datetime;a;b\nt;1;x2\n", "f.csv");
  ASSERT_FALSE(bad_number.has_value());
  EXPECT_EQ(bad_number.error().message(), "f.csv:2:5: 'x2' is not a number");
  auto short_row = parse_csv("datetime;a;b\nt;1\n", "f.csv");
  ASSERT_FALSE(short_row.has_value());
  EXPECT_EQ(short_row.error().message(), "f.csv:2:1: expected 3 fields, found 2");
  auto bad_label = parse_csv("datetime;a;anomaly\nt;1;0.5\n", "f.csv");
  ASSERT_FALSE(bad_label.has_value());
  EXPECT_NE(bad_label.error().message().find("f.csv:2:5: anomaly label must be 0 or 1"), std::string::npos);
  EXPECT_FALSE(parse_csv("", "f.csv").has_value());
  EXPECT_FALSE(parse_csv("datetime;anomaly\n", "f.csv").has_value());
}

// Found by fuzz_skab_csv (fuzz/skab_csv/crashes/duplicate_anomaly_column.csv): the first of two
// label columns was treated as a feature with index -1 and written before the row's start.
TEST(SkabCsv, RefusesRepeatedLabelColumns) {
  auto anomaly = parse_csv(";anomaly;;anomaly;\n0;0;;;", "f.csv");
  ASSERT_FALSE(anomaly.has_value());
  EXPECT_EQ(anomaly.error().message(), "f.csv:1:1: column 'anomaly' appears twice");
  auto changepoint = parse_csv("datetime;changepoint;a;changepoint\nt;0;1;0\n", "f.csv");
  ASSERT_FALSE(changepoint.has_value());
  EXPECT_EQ(changepoint.error().message(), "f.csv:1:1: column 'changepoint' appears twice");
}

TEST(SkabCounts, MetricsFollowThePublishedFormulas) {
  Counts c{.tp = 8, .fp = 2, .fn = 4, .tn = 86};
  EXPECT_DOUBLE_EQ(c.f1(), 8.0 / (8 + 3));
  EXPECT_DOUBLE_EQ(c.far(), 100.0 * 2 / 88);
  EXPECT_DOUBLE_EQ(c.mar(), 100.0 * 4 / 12);
}

// Writes a labelled file: `n` rows of a smooth two-variable process, with rows [a, b) shifted
// far away and labelled anomalous.
void write_file(const std::string& path, int n, int a, int b) {
  std::ofstream out(path);
  out << "datetime;x;y;anomaly;changepoint\n";
  for (int i = 0; i < n; ++i) {
    const double u = std::sin(0.1 * i) + 0.01 * std::cos(7.3 * i);
    const bool anomalous = i >= a && i < b;
    const double shift = anomalous ? 50 : 0;
    out << "t" << i << ";" << (u + shift) << ";" << (2 * u - shift) << ";" << (anomalous ? 1 : 0)
        << ";0\n";
  }
}

TEST(SkabEvaluate, CountsTestRowsOfEveryLabelledFile) {
  const std::string dir = ::testing::TempDir() + "/skab_eval";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/sub");
  write_file(dir + "/a.csv", 300, 200, 250);  // 100 test rows, 50 anomalous
  write_file(dir + "/sub/b.csv", 260, 230, 240);  // 60 test rows, 10 anomalous
  std::ofstream(dir + "/free.csv") << "datetime;x;y\nt0;1;2\n";  // no labels: skipped
  EvalOptions options;
  options.train_rows = 200;
  options.detectors = {{"pca", Params({{"type", std::string("pca")}, {"factor", 3.0}}, "pca")}};
  auto table = evaluate(dir, options);
  ASSERT_TRUE(table.has_value()) << table.error().message();
  EXPECT_EQ(table->files, 2);
  ASSERT_EQ(table->skipped.size(), 1u);
  const Counts& c = table->results[0].counts;
  // The shifted rows are far outside anything seen in training; the others follow it exactly.
  EXPECT_EQ(c.tp, 60);
  EXPECT_EQ(c.fn, 0);
  EXPECT_EQ(c.fp, 0);
  EXPECT_EQ(c.tn, 100);
  EXPECT_EQ(table->results[0].scored_rows, 160);
  const std::string md = format_table(*table);
  EXPECT_NE(md.find("| pca | 1.000 | 0.00 | 0.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Conv-AE | 0.78 | 13.55 | 28.02 | published |"), std::string::npos);
}

TEST(SkabDefaults, EveryDetectorHasAUniqueIdAndBuilds) {
  std::set<std::string> ids;
  for (const auto& d : default_detectors()) {
    EXPECT_FALSE(d.id.empty()) << d.name;
    EXPECT_TRUE(ids.insert(d.id).second) << "repeated id " << d.id;
    EXPECT_TRUE(SeriesDetector::create(d.params).has_value()) << d.name;
  }
  EXPECT_EQ(ids.count("dpca-slow-diff"), 1u);
}

TEST(SkabEvaluate, RejectsWhatItCannotScore) {
  const std::string dir = ::testing::TempDir() + "/skab_short";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_file(dir + "/a.csv", 100, 50, 60);
  EvalOptions options;  // 400 training rows: the file is too short
  auto table = evaluate(dir, options);
  ASSERT_FALSE(table.has_value());
  EXPECT_NE(table.error().message().find("no labelled file with more than 400 rows"), std::string::npos);
  EXPECT_FALSE(evaluate(dir + "/missing", options).has_value());
}

}  // namespace
}  // namespace iotwins::analytics::skab
