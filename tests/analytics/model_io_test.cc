#include "analytics/model_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

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

// FNV-1a as the artifact format defines it, so a test can forge a valid checksum.
void reseal(std::string& blob) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < blob.size() - 8; ++i) {
    h ^= static_cast<unsigned char>(blob[i]);
    h *= 1099511628211ull;
  }
  std::memcpy(blob.data() + blob.size() - 8, &h, 8);
}

TEST(ModelIo, MutatedArtifactsWithValidChecksumsNeverCrash) {
  const Eigen::MatrixXd x = testing_data::correlated(120, 3, 2, 4);
  std::vector<std::string> blobs;
  const std::vector<Params> specs = {
      Params({{"type", std::string("pca")}}, "pca"),
      Params({{"type", std::string("mset")}, {"memory", 20.0}}, "mset"),
      Params({{"type", std::string("iforest")}, {"trees", 3.0}}, "iforest"),
      Params({{"type", std::string("autoencoder")}, {"epochs", 2.0}}, "autoencoder")};
  for (const Params& spec : specs) {
    auto det = make_detector(spec);
    ASSERT_TRUE(det.has_value()) << det.error().message();
    ASSERT_TRUE((*det)->fit(x).has_value());
    blobs.push_back((*det)->serialize());
  }
  std::mt19937_64 rng(7);
  int loaded = 0;
  for (const std::string& original : blobs) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string blob = original;
      std::uniform_int_distribution<size_t> pos(0, blob.size() - 9);
      const size_t p = pos(rng);
      blob[p] = static_cast<char>(blob[p] ^ (1 << (trial % 8)));
      reseal(blob);
      auto det = deserialize_detector(blob);
      if (!det) continue;
      ++loaded;
      // A structurally valid model must score without reading out of bounds.
      if ((*det)->dimension() == 3) (void)(*det)->score(x.row(0).transpose());
    }
  }
  EXPECT_GT(loaded, 0);  // most flips land in numbers, which stay loadable
}

}  // namespace
}  // namespace iotwins::analytics
