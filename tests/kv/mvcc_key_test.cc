#include "kv/mvcc_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "base/random.h"
#include "kv/mvcc_value.h"

namespace cairn::kv {
namespace {

std::string RandomBytes(Random& rng, size_t max_len) {
  std::string s(rng.Uniform(max_len + 1), '\0');
  // Mostly 0x00, 0x01, 0xFF and 'a': the bytes the escaping cares about.
  static const char kAlphabet[] = {'\0', '\x01', '\x02', '\xff', 'a', 'b'};
  for (char& c : s)
    c = kAlphabet[rng.Uniform(sizeof(kAlphabet))];
  return s;
}

TEST(MvccKey, RoundTrips) {
  for (const std::string& key : {std::string("a"), std::string("\0", 1), std::string("\0\x01", 2),
                                 std::string("\xff\0\xff", 3), std::string()}) {
    for (int64_t rev : {int64_t{1}, int64_t{2}, int64_t{1} << 40, kMaxRevision}) {
      auto parts = DecodeDataKey(DataKey(key, rev));
      ASSERT_TRUE(parts.ok()) << parts.status().ToString();
      EXPECT_EQ(parts->user_key, key);
      EXPECT_EQ(parts->revision, rev);
      EXPECT_EQ(*DataKeyRevision(DataKey(key, rev)), rev);
    }
  }
}

// Bytewise order of encodings: user keys ascending, then revisions
// descending. That is what lets one Seek find the newest version <= R.
TEST(MvccKey, OrderMatchesKeyThenNewestFirst) {
  SeededRandom rng(7);
  struct V {
    std::string key;
    int64_t rev;
  };
  std::vector<V> versions;
  for (int i = 0; i < 3000; ++i)
    versions.push_back({RandomBytes(rng, 6), static_cast<int64_t>(rng.Between(1, 1000))});
  std::vector<std::pair<std::string, size_t>> encoded;
  for (size_t i = 0; i < versions.size(); ++i)
    encoded.emplace_back(DataKey(versions[i].key, versions[i].rev), i);
  std::sort(encoded.begin(), encoded.end());
  for (size_t i = 1; i < encoded.size(); ++i) {
    const V& a = versions[encoded[i - 1].second];
    const V& b = versions[encoded[i].second];
    ASSERT_TRUE(a.key < b.key || (a.key == b.key && a.rev >= b.rev))
        << "order broken between versions " << encoded[i - 1].second << " and "
        << encoded[i].second;
  }
}

TEST(MvccKey, PrefixBoundsEncloseExactlyTheKeysVersions) {
  SeededRandom rng(11);
  for (int i = 0; i < 2000; ++i) {
    const std::string a = RandomBytes(rng, 5);
    const std::string b = RandomBytes(rng, 5);
    const int64_t rev = static_cast<int64_t>(rng.Between(1, kMaxRevision));
    const std::string kb = DataKey(b, rev);
    const bool inside = kb >= DataKeyPrefix(a) && kb < DataKeyPrefixEnd(a);
    EXPECT_EQ(inside, a == b);
    // A user-key bound on encodings is exact: b < a iff b's versions sort
    // below a's prefix.
    EXPECT_EQ(kb < DataKeyPrefix(a), b < a);
  }
}

TEST(MvccKey, DecoderRejectsMalformed) {
  const std::string good = DataKey("ab", 5);
  EXPECT_FALSE(DecodeDataKey("").ok());
  EXPECT_FALSE(DecodeDataKey(good.substr(0, good.size() - 1)).ok());
  std::string wrong_tag = good;
  wrong_tag[0] = 'x';
  EXPECT_FALSE(DecodeDataKey(wrong_tag).ok());
  // Escape followed by neither 0xFF nor the terminator.
  std::string bad_escape = std::string("k") + std::string("a\0\x05", 3) + std::string("\0\x01", 2) +
                           good.substr(good.size() - 8);
  EXPECT_FALSE(DecodeDataKey(bad_escape).ok());
  // Bytes between terminator and revision.
  std::string extra = DataKeyPrefix("a") + "z" + good.substr(good.size() - 8);
  EXPECT_FALSE(DecodeDataKey(extra).ok());
  // Revision 0 and revisions above int64 max.
  std::string rev0 = DataKeyPrefix("a") + std::string(8, '\xff');
  EXPECT_FALSE(DecodeDataKey(rev0).ok());
  std::string negative = DataKeyPrefix("a") + std::string(8, '\0');
  EXPECT_FALSE(DecodeDataKey(negative).ok());
  EXPECT_EQ(DecodeDataKey(rev0).status().code(), Code::kDataLoss);
}

TEST(MvccKey, DecoderNeverCrashesOnRandomBytes) {
  SeededRandom rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string s = RandomBytes(rng, 24);
    if (rng.Chance(0.5)) s.insert(0, 1, 'k');
    auto parts = DecodeDataKey(s);
    if (parts.ok()) {
      // Whatever decodes re-encodes to the same bytes: one value, one encoding.
      EXPECT_EQ(DataKey(parts->user_key, parts->revision), s);
    }
    (void)DataKeyRevision(s);
    (void)DecodeChangeKey(s);
  }
}

TEST(MvccKey, ChangeKeysSortByRevisionThenSub) {
  EXPECT_LT(ChangeKey(5, 9), ChangeKey(6, 0));
  EXPECT_LT(ChangeKey(6, 0), ChangeKey(6, 1));
  EXPECT_LT(ChangeKey(255, 0), ChangeKey(256, 0));
  auto p = DecodeChangeKey(ChangeKey(123456789, 77));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->revision, 123456789);
  EXPECT_EQ(p->sub, 77u);
  EXPECT_FALSE(DecodeChangeKey(ChangeKey(0, 1)).ok());
  EXPECT_FALSE(DecodeChangeKey(ChangeKey(5, 1) + "x").ok());
}

TEST(MvccValue, RoundTripsAndRejectsMalformed) {
  std::string enc;
  EncodeVersion(&enc, 3, 7, -5, std::string("v\0x", 3));
  bool tomb = true;
  VersionRecord rec;
  ASSERT_TRUE(DecodeVersion(enc, &tomb, &rec).ok());
  EXPECT_FALSE(tomb);
  EXPECT_EQ(rec.create_revision, 3);
  EXPECT_EQ(rec.version, 7);
  EXPECT_EQ(rec.lease, -5);
  EXPECT_EQ(rec.value.ToString(), std::string("v\0x", 3));
  EXPECT_FALSE(IsTombstone(enc));

  EncodeTombstone(&enc);
  ASSERT_TRUE(DecodeVersion(enc, &tomb, &rec).ok());
  EXPECT_TRUE(tomb);
  EXPECT_TRUE(IsTombstone(enc));

  EXPECT_FALSE(DecodeVersion("", &tomb, &rec).ok());
  EXPECT_FALSE(DecodeVersion("\x01x", &tomb, &rec).ok());  // tombstone with a body
  EXPECT_FALSE(DecodeVersion("\x02", &tomb, &rec).ok());   // unknown flag
  EXPECT_FALSE(DecodeVersion(std::string("\0\0\x01\0", 4), &tomb, &rec).ok());  // create 0
  EXPECT_FALSE(DecodeVersion(std::string("\0\x01\0\0", 4), &tomb, &rec).ok());  // version 0
  EXPECT_FALSE(DecodeVersion(std::string("\0\x01\x01", 3), &tomb, &rec).ok());  // truncated

  ChangeType type;
  Slice key;
  EncodeChange(&enc, ChangeType::kDelete, "abc");
  ASSERT_TRUE(DecodeChange(enc, &type, &key).ok());
  EXPECT_EQ(type, ChangeType::kDelete);
  EXPECT_EQ(key.ToString(), "abc");
  EXPECT_FALSE(DecodeChange("\x02"
                            "abc",
                            &type, &key)
                   .ok());
  EXPECT_FALSE(DecodeChange("\x00", &type, &key).ok());
}

}  // namespace
}  // namespace cairn::kv
