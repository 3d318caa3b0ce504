#include "core/registry.h"

#include <gtest/gtest.h>

namespace iotwins {
namespace {

struct Driver {
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
};
struct Exec : Driver {
  explicit Exec(std::string tag) : tag(std::move(tag)) {}
  std::string name() const override { return "exec:" + tag; }
  std::string tag;
};

TEST(FactoryRegistry, CreatesByNameAndListsKnownOnMiss) {
  FactoryRegistry<Driver, std::string> registry;
  ASSERT_TRUE(registry.add("exec", [](std::string tag) -> Result<std::unique_ptr<Driver>> {
    return std::make_unique<Exec>(tag);
  }));
  EXPECT_FALSE(registry.add("exec", nullptr));  // duplicates are refused
  auto d = registry.create("exec", "t1");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)->name(), "exec:t1");
  auto miss = registry.create("oci", "x");
  ASSERT_FALSE(miss);
  EXPECT_EQ(miss.error().code(), Errc::not_found);
  EXPECT_NE(miss.error().message().find("known: exec"), std::string::npos);
  EXPECT_EQ(registry.names(), std::vector<std::string>{"exec"});
}

}  // namespace
}  // namespace iotwins
