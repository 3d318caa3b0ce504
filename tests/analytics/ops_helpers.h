// Test helpers: build a chain from JSON and run samples through it.
#pragma once

#include <gtest/gtest.h>

#include "analytics/operator.h"

namespace iotwins::analytics::testing_ops {

constexpr int64_t kSec = 1'000'000'000;

inline Sample s(std::string property, double t_seconds, double value, std::string twin = "pump") {
  return Sample{std::move(twin), std::move(property), static_cast<int64_t>(t_seconds * kSec), value};
}

inline Chain chain(const std::string& json) {
  auto c = Chain::from_json(json);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message());
  return c ? std::move(*c) : Chain();
}

inline std::vector<Sample> run(Chain& c, const std::vector<Sample>& in) {
  std::vector<Sample> out;
  for (const Sample& x : in) c.process(x, out);
  return out;
}

inline std::vector<Sample> run(const std::string& json, const std::vector<Sample>& in) {
  Chain c = chain(json);
  return run(c, in);
}

inline std::vector<double> values(const std::vector<Sample>& v) {
  std::vector<double> out;
  for (const auto& x : v) out.push_back(x.value);
  return out;
}

inline std::string error_of(const std::string& json) {
  auto c = Chain::from_json(json);
  return c ? std::string("(no error)") : c.error().message();
}

}  // namespace iotwins::analytics::testing_ops
