#include "artifacts/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/fault_fs.h"

namespace iotwins::artifacts {
namespace {

namespace fs = std::filesystem;
constexpr char kHelloSha[] = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("artifacts-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto s = ArtifactStore::open(dir_.string());
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
  }
  size_t temp_files() const { return std::distance(fs::directory_iterator(dir_ / "tmp"), fs::directory_iterator()); }

  fs::path dir_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(ArtifactStoreTest, PutNamesTheFileByItsSha256AndReadsItBack) {
  auto info = store_->put("hello");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->sha256, kHelloSha);
  EXPECT_EQ(info->size, 5u);
  EXPECT_TRUE(fs::exists(dir_ / "2c" / kHelloSha));
  auto bytes = store_->read(kHelloSha);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, "hello");
  auto st = store_->stat(kHelloSha);
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, *info);
  EXPECT_EQ(*store_->path_of(kHelloSha), (dir_ / "2c" / kHelloSha).string());
  EXPECT_TRUE(store_->verify(kHelloSha));
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(ArtifactStoreTest, StreamedPiecesGiveTheSameArtifactAsOnePut) {
  std::vector<std::string> pieces = {"he", "ll", "o"};  // then "": the end
  size_t next = 0;
  auto info = store_->put([&]() -> Result<std::string> { return next < pieces.size() ? pieces[next++] : ""; });
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->sha256, kHelloSha);
  auto writer = store_->begin_put();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write("hel"));
  ASSERT_TRUE(writer->write("lo"));
  auto again = writer->commit();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sha256, kHelloSha);
}

TEST_F(ArtifactStoreTest, PutIsIdempotent) {
  ASSERT_TRUE(store_->put("hello"));
  ASSERT_TRUE(store_->put("hello"));
  auto page = store_->list();
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(ArtifactStoreTest, OverTheSizeLimitIsTooLargeAndLeavesNothing) {
  auto small = ArtifactStore::open((dir_ / "small").string(), {.max_bytes = 4});
  ASSERT_TRUE(small);
  auto info = (*small)->put("hello");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), Errc::too_large);
  EXPECT_NE(info.error().message().find("4 bytes"), std::string::npos) << info.error().message();
  EXPECT_TRUE(fs::is_empty(dir_ / "small" / "tmp"));
  EXPECT_EQ((*small)->list()->items.size(), 0u);
  EXPECT_TRUE((*small)->put("hell"));  // exactly the limit is fine
}

TEST_F(ArtifactStoreTest, NamesThatAreNotSha256AreRejectedBeforeTouchingAPath) {
  ASSERT_TRUE(store_->put("hello"));
  for (std::string bad : {std::string("../../etc/passwd"), std::string(kHelloSha).substr(0, 63),
                          std::string("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"),
                          std::string("/") + std::string(kHelloSha).substr(1), std::string()}) {
    EXPECT_EQ(store_->stat(bad).error().code(), Errc::invalid_argument) << bad;
    EXPECT_EQ(store_->read(bad).error().code(), Errc::invalid_argument) << bad;
    EXPECT_EQ(store_->path_of(bad).error().code(), Errc::invalid_argument) << bad;
    EXPECT_EQ(store_->remove(bad).error().code(), Errc::invalid_argument) << bad;
    if (!bad.empty()) {
      EXPECT_EQ(store_->list(bad, 10).error().code(), Errc::invalid_argument) << bad;
    }
  }
  EXPECT_TRUE(store_->stat(kHelloSha));  // nothing was removed
}

TEST_F(ArtifactStoreTest, MissingIsNotFoundAndRemoveDeletes) {
  std::string absent(64, 'a');
  EXPECT_EQ(store_->stat(absent).error().code(), Errc::not_found);
  EXPECT_EQ(store_->remove(absent).error().code(), Errc::not_found);
  ASSERT_TRUE(store_->put("hello"));
  ASSERT_TRUE(store_->remove(kHelloSha));
  EXPECT_EQ(store_->stat(kHelloSha).error().code(), Errc::not_found);
  EXPECT_FALSE(fs::exists(dir_ / "2c" / kHelloSha));
}

TEST_F(ArtifactStoreTest, ListPaginatesInShaOrder) {
  std::vector<std::string> shas;
  for (int i = 0; i < 7; ++i) shas.push_back(store_->put("artifact " + std::to_string(i))->sha256);
  std::sort(shas.begin(), shas.end());
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    auto page = store_->list(after, 3);
    ASSERT_TRUE(page) << page.error().to_string();
    for (const auto& item : page->items) seen.push_back(item.sha256);
    after = page->next_after;
    ++pages;
  } while (!after.empty() && pages < 10);
  EXPECT_EQ(seen, shas);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(store_->list({}, 0).error().code(), Errc::invalid_argument);
}

TEST_F(ArtifactStoreTest, VerifyFindsADamagedFile) {
  ASSERT_TRUE(store_->put("hello"));
  std::ofstream(dir_ / "2c" / kHelloSha, std::ios::trunc) << "jello";
  auto st = store_->verify(kHelloSha);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::corruption);
}

TEST_F(ArtifactStoreTest, AWriterDroppedWithoutCommitLeavesNoTempFile) {
  {
    auto writer = store_->begin_put();
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->write("half an artifact"));
    EXPECT_EQ(temp_files(), 1u);
  }
  EXPECT_EQ(temp_files(), 0u);
  EXPECT_TRUE(store_->list()->items.empty());
}

TEST_F(ArtifactStoreTest, ReopenRemovesTempFilesOfACrashedPut) {
  std::ofstream(dir_ / "tmp" / "123-0.part") << "partial";
  auto reopened = ArtifactStore::open(dir_.string());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(temp_files(), 0u);
}

TEST_F(ArtifactStoreTest, AFailedSyncStoresNothing) {
  FaultInjectingFileSystem faulty(PosixFileSystem::instance());
  auto store = ArtifactStore::open((dir_ / "faulty").string(), {}, faulty);
  ASSERT_TRUE(store);
  faulty.fail_next_syncs(1);
  auto info = (*store)->put("hello");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code(), Errc::io_error);
  EXPECT_EQ((*store)->stat(kHelloSha).error().code(), Errc::not_found);
  EXPECT_TRUE(fs::is_empty(dir_ / "faulty" / "tmp"));
  EXPECT_TRUE((*store)->put("hello"));  // and the next put works
}

}  // namespace
}  // namespace iotwins::artifacts
