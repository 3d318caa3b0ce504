#include "tosca/yaml_reader.h"

#include <gtest/gtest.h>

namespace iotwins::tosca {
namespace {

Mark file_mark() {
  Mark m;
  m.file = std::make_shared<const std::string>("t.yaml");
  return m;
}

TEST(YamlReader, TypesScalarsByCoreSchema) {
  Diagnostics diag;
  auto v = read_yaml("a: 123\nb: '123'\nc: 1.10\nd: true\ne: ~\nf: text\ng: 0x1F\n", file_mark(), diag);
  ASSERT_TRUE(v) << diag.items().front().to_string();
  EXPECT_TRUE(v->find("a")->is_int());
  EXPECT_EQ(v->find("a")->as_int(), 123);
  EXPECT_TRUE(v->find("b")->is_string());  // quoted stays a string
  EXPECT_TRUE(v->find("c")->is_float());
  EXPECT_EQ(v->find("c")->source_text(), "1.10");  // the digits as written, for versions
  EXPECT_TRUE(v->find("d")->as_bool());
  EXPECT_TRUE(v->find("e")->is_null());
  EXPECT_EQ(v->find("f")->as_string(), "text");
  EXPECT_EQ(v->find("g")->as_int(), 31);
}

TEST(YamlReader, MarksAreOneBasedLineAndColumn) {
  Diagnostics diag;
  auto v = read_yaml("top:\n  inner: [1, 2]\n  other: x\n", file_mark(), diag);
  ASSERT_TRUE(v);
  const Value* inner = v->find("top")->find("inner");
  EXPECT_EQ(inner->mark().line, 2);
  EXPECT_EQ(inner->mark().column, 10);
  EXPECT_EQ(inner->as_list()[1].mark().column, 14);
  EXPECT_EQ(inner->mark().file_name(), "t.yaml");
}

TEST(YamlReader, AppliesMergeKeysExplicitKeysWin) {
  Diagnostics diag;
  auto v = read_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", file_mark(), diag);
  ASSERT_TRUE(v);
  const Value* use = v->find("use");
  EXPECT_EQ(use->find("x")->as_int(), 1);
  EXPECT_EQ(use->find("y")->as_int(), 3);
  EXPECT_EQ(use->find("<<"), nullptr);
}

TEST(YamlReader, ReportsDuplicateKeys) {
  Diagnostics diag;
  auto v = read_yaml("a: 1\nb: 2\na: 3\n", file_mark(), diag);
  ASSERT_TRUE(v);
  ASSERT_EQ(diag.size(), 1u);
  EXPECT_EQ(diag.items()[0].code, Code::duplicate_name);
  EXPECT_EQ(diag.items()[0].line, 3);
  EXPECT_EQ(v->find("a")->as_int(), 1);
}

TEST(YamlReader, SyntaxErrorHasPlace) {
  Diagnostics diag;
  auto v = read_yaml("a: [1, 2\nb: c\n", file_mark(), diag);
  EXPECT_FALSE(v);
  ASSERT_EQ(diag.size(), 1u);
  EXPECT_EQ(diag.items()[0].code, Code::yaml_syntax);
  EXPECT_GT(diag.items()[0].line, 0);
  EXPECT_EQ(diag.items()[0].file, "t.yaml");
}

TEST(YamlReader, AliasExpansionIsBounded) {
  // Nine levels of ten aliases each would expand to 10^9 nodes.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  Diagnostics diag;
  YamlLimits limits;
  limits.max_nodes = 100000;
  EXPECT_FALSE(read_yaml(text, file_mark(), diag, limits));
  ASSERT_FALSE(diag.empty());
  EXPECT_EQ(diag.items()[0].code, Code::too_large);
}

TEST(YamlReader, DepthAndSizeAreBounded) {
  Diagnostics diag;
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_FALSE(read_yaml(deep, file_mark(), diag));
  EXPECT_FALSE(diag.empty());
  Diagnostics diag2;
  YamlLimits limits;
  limits.max_bytes = 10;
  EXPECT_FALSE(read_yaml("a: 123456789012345\n", file_mark(), diag2, limits));
  ASSERT_EQ(diag2.size(), 1u);
  EXPECT_EQ(diag2.items()[0].code, Code::too_large);
}

}  // namespace
}  // namespace iotwins::tosca
