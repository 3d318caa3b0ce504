#include "core/result.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace iotwins {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return make_error(Errc::invalid_argument, std::to_string(v) + " is odd");
  return v / 2;
}

Result<int> quarter(int v) {
  IOT_ASSIGN(int h, half(v));
  IOT_ASSIGN(int q, half(h));
  return q;
}

Status check(int v) {
  IOT_TRY(half(v));
  return ok();
}

TEST(Result, TryAndAssignPropagateTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
  EXPECT_EQ(r.error().message(), "3 is odd");
  EXPECT_TRUE(check(2));
  EXPECT_FALSE(check(3));
}

TEST(Result, ContextIsPrependedOutermostFirst) {
  Error e(Errc::io_error, "disk on fire");
  e.context("append record").context("ingest batch 7");
  EXPECT_EQ(e.message(), "ingest batch 7: append record: disk on fire");
  EXPECT_EQ(e.to_string(), "io_error: ingest batch 7: append record: disk on fire");
}

TEST(Result, ErrnoMapsToCodes) {
  EXPECT_EQ(errno_error("open x", ENOENT).error().code(), Errc::not_found);
  EXPECT_EQ(errno_error("write x", ENOSPC).error().code(), Errc::resource_exhausted);
  EXPECT_EQ(errno_error("open x", EACCES).error().code(), Errc::permission_denied);
  EXPECT_EQ(errno_error("read x", EIO).error().code(), Errc::io_error);
  EXPECT_NE(errno_error("open x", ENOENT).error().message().find("open x: "), std::string::npos);
}

TEST(Result, EveryCodeHasAStableName) {
  EXPECT_EQ(errc_name(Errc::not_found), "not_found");
  EXPECT_EQ(errc_name(Errc::conflict), "conflict");
  EXPECT_EQ(errc_name(Errc::too_large), "too_large");
}

}  // namespace
}  // namespace iotwins
