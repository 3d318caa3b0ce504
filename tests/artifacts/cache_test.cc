#include "artifacts/cache.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace iotwins::artifacts {
namespace {

namespace fs = std::filesystem;
constexpr char kHelloSha[] = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

// A fetch that serves `content` in pieces of 2 bytes, as a chunked HTTP body arrives.
struct FakeServer {
  std::string content = "hello";
  int calls = 0;
  Status fail = ok();
  bool stopped_early = false;
  ArtifactFetch fetch() {
    return [this](const std::string&, const ArtifactSink& sink) -> Status {
      ++calls;
      if (!fail) return fail;
      for (size_t at = 0; at < content.size(); at += 2) {
        if (!sink(std::string_view(content).substr(at, 2))) {
          stopped_early = true;
          return make_error(Errc::cancelled, "receiver stopped the download");
        }
      }
      return ok();
    };
  }
};

class ArtifactCacheTest : public ::testing::Test {
 protected:
  void open(StoreOptions options = {}) {
    dir_ = fs::path(::testing::TempDir()) / ("cache-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto c = ArtifactCache::open(dir_.string(), server_.fetch(), options);
    ASSERT_TRUE(c) << c.error().to_string();
    cache_ = std::move(*c);
  }
  bool empty() const {
    return fs::is_empty(dir_ / "tmp") && std::distance(fs::directory_iterator(dir_), fs::directory_iterator()) == 1;
  }

  FakeServer server_;
  fs::path dir_;
  std::unique_ptr<ArtifactCache> cache_;
};

TEST_F(ArtifactCacheTest, FetchesOnceThenAnswersLocally) {
  open();
  auto path = cache_->path_for(kHelloSha);
  ASSERT_TRUE(path) << path.error().to_string();
  EXPECT_EQ(*cache_->store().read(kHelloSha), "hello");
  EXPECT_EQ(server_.calls, 1);
  auto again = cache_->path_for(kHelloSha);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *path);
  EXPECT_EQ(server_.calls, 1);
  EXPECT_TRUE(cache_->contains(kHelloSha));
  ASSERT_TRUE(cache_->evict(kHelloSha));
  EXPECT_FALSE(cache_->contains(kHelloSha));
}

TEST_F(ArtifactCacheTest, BytesThatDoNotMatchTheShaAreRejectedAndLeaveNothing) {
  server_.content = "jello";
  open();
  auto path = cache_->path_for(kHelloSha);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code(), Errc::corruption);
  EXPECT_NE(path.error().message().find(kHelloSha), std::string::npos) << path.error().message();
  EXPECT_TRUE(empty());
  EXPECT_FALSE(cache_->contains(kHelloSha));
}

TEST_F(ArtifactCacheTest, AFailedFetchIsItsErrorAndLeavesNothing) {
  server_.fail = make_error(Errc::unavailable, "connect 127.0.0.1:1: Connection refused");
  open();
  auto path = cache_->path_for(kHelloSha);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code(), Errc::unavailable);
  EXPECT_TRUE(empty());
  server_.fail = ok();
  EXPECT_TRUE(cache_->path_for(kHelloSha));  // the next try fetches again
  EXPECT_EQ(server_.calls, 2);
}

TEST_F(ArtifactCacheTest, AnArtifactOverTheLimitStopsTheDownload) {
  server_.content = std::string(100, 'x');
  open({.max_bytes = 10});
  auto path = cache_->path_for(std::string(64, 'b'));
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code(), Errc::too_large);
  EXPECT_TRUE(server_.stopped_early);
  EXPECT_TRUE(empty());
}

TEST_F(ArtifactCacheTest, ABadNameIsRejectedWithoutFetching) {
  open();
  auto path = cache_->path_for("../../bin/sh");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code(), Errc::invalid_argument);
  EXPECT_EQ(server_.calls, 0);
}

}  // namespace
}  // namespace iotwins::artifacts
