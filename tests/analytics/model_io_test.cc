#include "analytics/model_io.h"

#include <gtest/gtest.h>

#include "analytics/detectors.h"
#include "analytics/pca.h"
#include "data_helpers.h"

namespace iotwins::analytics {
namespace {

TEST(ModelIo, RoundTripsValues) {
  ModelWriter w("demo", 3);
  w.u32(7);
  w.f64(-2.5);
  w.str("hello");
  w.vec(Eigen::Vector3d(1, 2, 3));
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  w.mat(m);
  std::string blob = std::move(w).finish();
  EXPECT_EQ(*ModelReader::peek_kind(blob), "demo");
  auto r = ModelReader::open(blob, "demo", 3);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->version(), 3u);
  EXPECT_EQ(*r->u32(), 7u);
  EXPECT_EQ(*r->f64(), -2.5);
  EXPECT_EQ(*r->str(), "hello");
  EXPECT_EQ(*r->vec(), Eigen::Vector3d(1, 2, 3));
  EXPECT_EQ(*r->mat(), m);
  EXPECT_TRUE(r->done().has_value());
}

TEST(ModelIo, RefusesCorruptTruncatedAndForeignArtifacts) {
  PcaDetector pca;
  ASSERT_TRUE(pca.fit(testing_data::correlated(100, 3, 1, 1)).has_value());
  const std::string blob = pca.serialize();
  std::string flipped = blob;
  flipped[blob.size() / 2] ^= 0x10;
  auto a = deserialize_detector(flipped);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Errc::corruption);
  EXPECT_FALSE(deserialize_detector(blob.substr(0, blob.size() - 9)).has_value());
  EXPECT_FALSE(deserialize_detector("garbage").has_value());
  auto wrong_kind = ModelReader::open(blob, "mset", 1);
  ASSERT_FALSE(wrong_kind.has_value());
  EXPECT_NE(wrong_kind.error().message().find("is a 'pca' model, not 'mset'"), std::string::npos);
  auto future = ModelReader::open(ModelWriter("pca", 99).finish(), "pca", 1);
  ASSERT_FALSE(future.has_value());
  EXPECT_EQ(future.error().code(), Errc::unsupported);
}

}  // namespace
}  // namespace iotwins::analytics
