#include <gtest/gtest.h>

#include "scheduler/quantity.h"
#include "scheduler/types.h"

namespace iotwins::scheduler {
namespace {

using Op = LabelRequirement::Op;

TEST(LabelRequirement, ParsesEveryOperator) {
  EXPECT_EQ(*parse_label_requirement("zone=a"), (LabelRequirement{"zone", Op::eq, {"a"}}));
  EXPECT_EQ(*parse_label_requirement("zone == a"), (LabelRequirement{"zone", Op::eq, {"a"}}));
  EXPECT_EQ(*parse_label_requirement(" zone != a "), (LabelRequirement{"zone", Op::ne, {"a"}}));
  EXPECT_EQ(*parse_label_requirement("zone in (a, b)"), (LabelRequirement{"zone", Op::in, {"a", "b"}}));
  EXPECT_EQ(*parse_label_requirement("zone notin (a)"), (LabelRequirement{"zone", Op::not_in, {"a"}}));
  EXPECT_EQ(*parse_label_requirement("gpu"), (LabelRequirement{"gpu", Op::exists, {}}));
  EXPECT_EQ(*parse_label_requirement("!maintenance"), (LabelRequirement{"maintenance", Op::not_exists, {}}));
  EXPECT_EQ(*parse_label_requirement("iotwins.io/site=plant-1"),
            (LabelRequirement{"iotwins.io/site", Op::eq, {"plant-1"}}));
}

TEST(LabelRequirement, RoundTripsThroughText) {
  for (const char* text : {"zone=a", "zone!=a", "zone in (a,b)", "zone notin (a,b)", "gpu", "!gpu"}) {
    auto r = parse_label_requirement(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(to_string(*r), text);
  }
}

TEST(LabelRequirement, BadTextIsAnErrorThatQuotesIt) {
  for (const char* text : {"", "zone=", "zone in a,b", "zone of (a)", "zone in (a,)", "zo ne", "=a", "zone in (a"}) {
    auto r = parse_label_requirement(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message().find("'" + std::string(text) + "'"), std::string::npos) << r.error().message();
  }
}

TEST(Enums, ParseAndPrint) {
  for (Level l : {Level::iot, Level::edge, Level::cloud}) EXPECT_EQ(*parse_level(to_string(l)), l);
  for (NodeState s : {NodeState::ready, NodeState::unreachable, NodeState::draining, NodeState::down}) {
    EXPECT_EQ(*parse_node_state(to_string(s)), s);
  }
  EXPECT_EQ(*parse_strategy("spread"), Strategy::spread);
  EXPECT_FALSE(parse_level("fog"));
  EXPECT_FALSE(parse_node_state("sleeping"));
  EXPECT_FALSE(parse_strategy("random"));
}

TEST(Quantity, Cpu) {
  EXPECT_EQ(*parse_cpu_millis("500m"), 500);
  EXPECT_EQ(*parse_cpu_millis("2"), 2000);
  EXPECT_EQ(*parse_cpu_millis("0.25"), 250);
  EXPECT_FALSE(parse_cpu_millis("0.0005"));
  EXPECT_FALSE(parse_cpu_millis("-1"));
  EXPECT_FALSE(parse_cpu_millis("two"));
  EXPECT_FALSE(parse_cpu_millis("m"));
}

TEST(Quantity, Bytes) {
  EXPECT_EQ(*parse_bytes("1024"), 1024);
  EXPECT_EQ(*parse_bytes("256Mi"), 256ll << 20);
  EXPECT_EQ(*parse_bytes("1.5Gi"), 3ll << 29);
  EXPECT_EQ(*parse_bytes("2G"), 2'000'000'000);
  EXPECT_EQ(*parse_bytes("17163091968"), 17163091968ll);
  EXPECT_FALSE(parse_bytes("1Qi"));
  EXPECT_FALSE(parse_bytes("0.5"));
  EXPECT_FALSE(parse_bytes("100Ei"));
}

}  // namespace
}  // namespace iotwins::scheduler
