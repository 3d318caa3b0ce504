#include "iam/authorizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace iotwins::iam {
namespace {

Principal with(std::vector<Grant> grants) {
  return Principal{Subject{SubjectKind::user, "u"}, {}, std::move(grants)};
}

TEST(Authorizer, ScopedGrantOnlyReachesItsGroup) {
  Principal p = with({{Role::operator_, "plant-a", "user:u"}});
  EXPECT_TRUE(Authorizer::decide(p, Verb::write, ResourceKind::twins, "plant-a").allowed);
  EXPECT_FALSE(Authorizer::decide(p, Verb::read, ResourceKind::twins, "plant-b").allowed);
  // No group on the resource: only "*" grants reach it.
  EXPECT_FALSE(Authorizer::decide(p, Verb::read, ResourceKind::twins, "").allowed);
  // Global kinds ignore group scopes, even when the caller names the same group.
  EXPECT_FALSE(Authorizer::decide(p, Verb::read, ResourceKind::iam, "plant-a").allowed);
  Principal global = with({{Role::operator_, "*", "group:ops"}});
  Decision d = Authorizer::decide(global, Verb::read, ResourceKind::iam, "");
  EXPECT_TRUE(d.allowed);
  EXPECT_NE(d.reason.find("role operator bound to group:ops in all groups"), std::string::npos) << d.reason;
}

TEST(Authorizer, AgentCannotCallAdminRoutes) {
  Principal agent = with({{Role::agent, "*", "service-account:edge-1"}});
  for (ResourceKind k : kAllResourceKinds) {
    EXPECT_FALSE(Authorizer::decide(agent, Verb::admin, k, "g").allowed) << to_string(k);
  }
  EXPECT_FALSE(Authorizer::decide(agent, Verb::read, ResourceKind::iam, "").allowed);
  EXPECT_FALSE(Authorizer::decide(agent, Verb::write, ResourceKind::deployments, "g").allowed);
  EXPECT_TRUE(Authorizer::decide(agent, Verb::write, ResourceKind::series, "g").allowed);
  // It acts for its tasks (a store reads samples) but deletes nothing.
  EXPECT_TRUE(Authorizer::decide(agent, Verb::read, ResourceKind::series, "g").allowed);
  for (ResourceKind k : kAllResourceKinds) {
    EXPECT_FALSE(Authorizer::decide(agent, Verb::delete_, k, "g").allowed) << to_string(k);
  }
  EXPECT_FALSE(Authorizer::decide(agent, Verb::write, ResourceKind::templates, "g").allowed);
  // A trainer uploads the model bytes it registers.
  EXPECT_TRUE(Authorizer::decide(agent, Verb::write, ResourceKind::artifacts, "g").allowed);
}

TEST(Authorizer, NoGrantsNoAccessWithAReason) {
  Decision d = Authorizer::decide(with({}), Verb::read, ResourceKind::nodes, "g");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "user:u may not read nodes in group g (no role bindings)");
}

TEST(Authorizer, VisibleGroupsForListFiltering) {
  Principal p = with({{Role::viewer, "a", "user:u"}, {Role::developer, "b", "group:dev"}});
  GroupFilter read = Authorizer::visible_groups(p, Verb::read, ResourceKind::templates);
  EXPECT_FALSE(read.all);
  EXPECT_EQ(read.groups, (std::set<std::string>{"a", "b"}));
  GroupFilter del = Authorizer::visible_groups(p, Verb::delete_, ResourceKind::templates);
  EXPECT_EQ(del.groups, (std::set<std::string>{"b"}));
  EXPECT_TRUE(Authorizer::visible_groups(with({{Role::viewer, "*", "x"}}), Verb::read, ResourceKind::twins).all);
  EXPECT_TRUE(Authorizer::visible_groups(p, Verb::read, ResourceKind::audit).groups.empty());
}

TEST(Authorizer, AdminMayDoEverythingEverywhere) {
  Principal admin = with({{Role::admin, "*", "user:root"}});
  for (ResourceKind k : kAllResourceKinds) {
    for (Verb v : kAllVerbs) EXPECT_TRUE(Authorizer::decide(admin, v, k, "any").allowed);
  }
}

TEST(Authorizer, NamesRoundTrip) {
  for (Role r : kAllRoles) EXPECT_EQ(*parse_role(to_string(r)), r);
  for (Verb v : kAllVerbs) EXPECT_EQ(*parse_verb(to_string(v)), v);
  for (ResourceKind k : kAllResourceKinds) EXPECT_EQ(*parse_resource_kind(to_string(k)), k);
  EXPECT_FALSE(parse_role("root"));
  EXPECT_FALSE(parse_resource_kind("twin_models"));
  auto s = parse_subject("service-account:ci");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, SubjectKind::service_account);
  EXPECT_FALSE(parse_subject("robot:x"));
  EXPECT_FALSE(parse_subject("alice"));
}

// docs/security.md carries the matrix for people; it must say what the code does.
TEST(Authorizer, DocumentedMatrixMatchesTheCode) {
  std::ifstream in(std::string(IOTWINS_SOURCE_DIR) + "/docs/security.md");
  ASSERT_TRUE(in) << "docs/security.md is missing";
  std::string line;
  bool inside = false;
  std::vector<Role> columns;
  size_t rows = 0;
  auto cells = [](const std::string& l) {
    std::vector<std::string> out;
    std::stringstream ss(l);
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      size_t b = cell.find_first_not_of(" `");
      size_t e = cell.find_last_not_of(" `");
      out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    return std::vector<std::string>(out.begin() + 1, out.end());  // text before the first '|'
  };
  while (std::getline(in, line)) {
    if (line.find("<!-- role-matrix:begin -->") != std::string::npos) { inside = true; continue; }
    if (line.find("<!-- role-matrix:end -->") != std::string::npos) break;
    if (!inside || !line.starts_with("|")) continue;
    auto c = cells(line);
    if (columns.empty()) {
      for (size_t i = 1; i < c.size(); ++i) columns.push_back(*parse_role(c[i]));
      continue;
    }
    if (c[0].starts_with("-")) continue;  // the separator row
    auto kind = parse_resource_kind(c[0]);
    ASSERT_TRUE(kind) << line;
    ++rows;
    for (size_t i = 0; i < columns.size(); ++i) {
      const std::string& cell = c[i + 1];
      for (Verb v : kAllVerbs) {
        char letter = to_string(v)[0];
        bool documented = cell.find(letter) != std::string::npos;
        EXPECT_EQ(documented, role_allows(columns[i], v, *kind))
            << to_string(columns[i]) << " " << to_string(v) << " " << c[0] << ": docs say '" << cell << "'";
      }
    }
  }
  EXPECT_EQ(columns.size(), std::size(kAllRoles));
  EXPECT_EQ(rows, std::size(kAllResourceKinds));
}

}  // namespace
}  // namespace iotwins::iam
