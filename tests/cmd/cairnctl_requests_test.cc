#include <gtest/gtest.h>

#include "cmd/cairnctl/requests.h"

namespace cairn::ctl {
namespace {

// Options for `key` changed by `edit` (designated initializers would do,
// but GCC warns about the fields they leave out).
template <typename Options, typename Edit>
Options With(const std::string& key, Edit edit) {
  Options o;
  o.key = key;
  edit(o);
  return o;
}

TEST(RequestsTest, PrefixAndFromKeyBecomeRangeEnds) {
  auto prefix = BuildRange(With<GetOptions>("ab", [](auto& o) { o.prefix = true; }));
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->range_end(), "ac");
  auto all_from = BuildRange(With<GetOptions>("ab", [](auto& o) { o.from_key = true; }));
  ASSERT_TRUE(all_from.ok());
  EXPECT_EQ(all_from->range_end(), std::string(1, '\0'));
  // A prefix of 0xff bytes has no successor: everything from the key on.
  auto ff = BuildRange(With<GetOptions>("\xff\xff", [](auto& o) { o.prefix = true; }));
  ASSERT_TRUE(ff.ok());
  EXPECT_EQ(ff->range_end(), std::string(1, '\0'));
}

TEST(RequestsTest, GetFlagsReachTheRequest) {
  auto r = BuildRange(With<GetOptions>("k", [](auto& o) {
    o.limit = 5;
    o.revision = 9;
    o.keys_only = true;
    o.consistency = "s";
  }));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->limit(), 5);
  EXPECT_EQ(r->revision(), 9);
  EXPECT_TRUE(r->keys_only());
  EXPECT_TRUE(r->serializable());
}

TEST(RequestsTest, ConflictingGetFlagsAreErrors) {
  EXPECT_FALSE(BuildRange(With<GetOptions>("k", [](auto& o) {
                 o.prefix = true;
                 o.from_key = true;
               })).ok());
  EXPECT_FALSE(BuildRange(With<GetOptions>("k", [](auto& o) {
                 o.range_end = "z";
                 o.prefix = true;
               })).ok());
  EXPECT_FALSE(BuildRange(With<GetOptions>("k", [](auto& o) { o.consistency = "x"; })).ok());
  EXPECT_FALSE(BuildRange(With<GetOptions>("k", [](auto& o) { o.revision = -1; })).ok());
  EXPECT_FALSE(BuildDelete(With<DeleteOptions>("k", [](auto& o) {
                 o.range_end = "z";
                 o.from_key = true;
               })).ok());
  EXPECT_TRUE(BuildDelete(With<DeleteOptions>("k", [](auto& o) { o.range_end = "z"; })).ok());
}

TEST(RequestsTest, HexIds) {
  EXPECT_EQ(*ParseHexId("1e98a21d494bde07"), 0x1e98a21d494bde07u);
  EXPECT_EQ(*ParseHexId("FF"), 255u);
  EXPECT_FALSE(ParseHexId("").ok());
  EXPECT_FALSE(ParseHexId("0x12").ok());
  EXPECT_FALSE(ParseHexId("12345678901234567").ok());  // more than 64 bits
}

TEST(RequestsTest, GoStyleDurations) {
  EXPECT_EQ(*ParseDurationMillis("5s"), 5000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_EQ(*ParseDurationMillis("1.5s"), 1500);
  EXPECT_EQ(*ParseDurationMillis("2m"), 120000);
  EXPECT_EQ(*ParseDurationMillis("3"), 3000);
  EXPECT_FALSE(ParseDurationMillis("soon").ok());
  EXPECT_FALSE(ParseDurationMillis("5 parsecs").ok());
  EXPECT_FALSE(ParseDurationMillis("-1s").ok());
}

}  // namespace
}  // namespace cairn::ctl
