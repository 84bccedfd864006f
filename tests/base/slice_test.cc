#include "base/slice.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

TEST(SliceTest, ViewsWithoutCopying) {
  std::string s = "hello";
  Slice v(s);
  EXPECT_EQ(v.data(), s.data());
  EXPECT_EQ(v.size(), 5u);
  EXPECT_FALSE(v.empty());
  EXPECT_TRUE(Slice().empty());
  EXPECT_EQ(v.ToString(), "hello");
}

TEST(SliceTest, HoldsEmbeddedNulsAndHighBytes) {
  const char raw[] = {'a', '\0', '\xff', 'b'};
  Slice v(raw, sizeof(raw));
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(v.byte(2), 0xffu);
  EXPECT_EQ(v.ToString(), std::string(raw, 4));
}

TEST(SliceTest, PrefixAndSuffix) {
  Slice v("key/123");
  EXPECT_TRUE(v.starts_with("key/"));
  EXPECT_TRUE(v.starts_with(""));
  EXPECT_FALSE(v.starts_with("kez"));
  EXPECT_FALSE(Slice("ke").starts_with("key"));
  v.remove_prefix(4);
  EXPECT_EQ(v, "123");
  v.remove_suffix(1);
  EXPECT_EQ(v, "12");
}

TEST(SliceTest, ComparesAsUnsignedBytes) {
  // 0xff must sort after 'a': a signed-char comparison would get this wrong.
  EXPECT_LT(Slice("a"), Slice("\xff"));
  EXPECT_GT(Slice("\xff").compare("a"), 0);
  EXPECT_LT(Slice("ab").compare("abc"), 0);
  EXPECT_EQ(Slice("abc").compare(std::string("abc")), 0);
  EXPECT_NE(Slice("abc"), Slice("abd"));
}

}  // namespace
}  // namespace cairn
