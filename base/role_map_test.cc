#include "base/role_map.h"

#include <gtest/gtest.h>

namespace triad::access {
namespace {

std::string errorOf(std::string_view text) {
  auto parsed = RoleMap::parse(text, "operators.conf");
  if (auto* error = std::get_if<RoleMapError>(&parsed)) return error->message;
  return "";
}

TEST(RoleMapTest, GivesEachOperatorTheirRoles) {
  auto parsed = RoleMap::parse(
      "# the desk\n[alice]\nroles = viewer, treasury\n\n[dave]\nroles = viewer\n"
      "revoked = 2024-06-01 laptop lost\n",
      "operators.conf");
  ASSERT_TRUE(std::holds_alternative<RoleMap>(parsed)) << std::get<RoleMapError>(parsed).message;
  const RoleMap& map = std::get<RoleMap>(parsed);
  ASSERT_NE(map.find("alice"), nullptr);
  EXPECT_TRUE(map.find("alice")->roles.has(Role::kTreasury));
  EXPECT_FALSE(map.find("alice")->roles.has(Role::kAdmin));
  EXPECT_EQ(map.find("alice")->roles.toString(), "viewer, treasury");
  EXPECT_EQ(map.find("dave")->revoked, "2024-06-01 laptop lost");
  EXPECT_EQ(map.find("mallory"), nullptr);
  EXPECT_EQ(map.digest().size(), 16u);
}

TEST(RoleMapTest, DigestIgnoresCommentsButNotContent) {
  auto a = std::get<RoleMap>(RoleMap::parse("[alice]\nroles = viewer\n", "a"));
  auto b = std::get<RoleMap>(RoleMap::parse("# x\n[alice]\n  roles=viewer # y\n", "b"));
  auto c = std::get<RoleMap>(RoleMap::parse("[alice]\nroles = viewer, admin\n", "c"));
  EXPECT_EQ(a.digest(), b.digest());
  EXPECT_NE(a.digest(), c.digest());
}

TEST(RoleMapTest, RefusesABadFileNamingTheLine) {
  EXPECT_EQ(errorOf("[alice]\nroles = viewer, boss\n"),
            "operators.conf:2: unknown role 'boss' (expected viewer, operator, treasury or admin)");
  EXPECT_EQ(errorOf("[alice]\nroles = viewer\n[alice]\nroles = admin\n"),
            "operators.conf:3: operator 'alice' again (first at line 1)");
  EXPECT_EQ(errorOf("[alice]\nrole = viewer\n"),
            "operators.conf:2: unknown key 'role' (expected roles or revoked)");
  EXPECT_EQ(errorOf("roles = viewer\n"),
            "operators.conf:1: key 'roles' is outside any [operator] section");
  EXPECT_EQ(errorOf("[alice]\n\njust words\n"),
            "operators.conf:3: syntax error: 'just words' is neither an [operator] header nor "
            "key = value");
  EXPECT_EQ(errorOf("[bob smith]\nroles = viewer\n").substr(0, 18), "operators.conf:1: ");
  EXPECT_EQ(errorOf("[bob]\n"), "operators.conf:1: operator 'bob' has no roles");
  EXPECT_EQ(errorOf("[bob]\nroles = viewer,,admin\n"),
            "operators.conf:2: an empty role in 'roles'");
}

TEST(RoleMapTest, AMissingFileIsRefused) {
  auto loaded = RoleMap::load("/nonexistent/operators.conf");
  ASSERT_TRUE(std::holds_alternative<RoleMapError>(loaded));
  EXPECT_EQ(std::get<RoleMapError>(loaded).message, "/nonexistent/operators.conf: cannot be read");
}

}  // namespace
}  // namespace triad::access
