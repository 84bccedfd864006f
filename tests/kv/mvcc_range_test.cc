// Range, option by option, against etcd v3.4's documented behaviour.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::RangeRequest;
using etcdserverpb::RangeResponse;

std::vector<std::string> Keys(const RangeResponse& r) {
  std::vector<std::string> out;
  for (const auto& kv : r.kvs())
    out.push_back(kv.key());
  return out;
}

class RangeTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    // a(1 version) b(2) c(3) d(1), deleted x
    rev_a_ = MustApply(PutReq("a", "va"));
    rev_b1_ = MustApply(PutReq("b", "vb1"));
    rev_b2_ = MustApply(PutReq("b", "vb2"));
    MustApply(PutReq("c", "vc1"));
    MustApply(PutReq("c", "vc2"));
    rev_c3_ = MustApply(PutReq("c", "vc3"));
    rev_d_ = MustApply(PutReq("d", "a-smallest-value"));
    MustApply(PutReq("x", "vx"));
    MustApply(DeleteReq("x"));
  }
  int64_t rev_a_ = 0, rev_b1_ = 0, rev_b2_ = 0, rev_c3_ = 0, rev_d_ = 0;
};

TEST_F(RangeTest, SingleKeyReturnsItsLatestVersion) {
  RangeResponse r = Get(RangeReq("b"));
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).key(), "b");
  EXPECT_EQ(r.kvs(0).value(), "vb2");
  EXPECT_EQ(r.kvs(0).create_revision(), rev_b1_);
  EXPECT_EQ(r.kvs(0).mod_revision(), rev_b2_);
  EXPECT_EQ(r.kvs(0).version(), 2);
  EXPECT_EQ(r.count(), 1);
  EXPECT_FALSE(r.more());
  EXPECT_EQ(r.header().revision(), store_->current_revision());
}

TEST_F(RangeTest, MissingAndDeletedKeysAreAbsent) {
  EXPECT_EQ(Get(RangeReq("zz")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("x")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("x")).count(), 0);
}

TEST_F(RangeTest, RangeEndForms) {
  EXPECT_EQ(Keys(Get(RangeReq("a", "c"))), (std::vector<std::string>{"a", "b"}));
  // "\0": every key >= key.
  EXPECT_EQ(Keys(Get(RangeReq("b", std::string(1, '\0')))),
            (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(Keys(Get(RangeReq(std::string(1, '\0'), std::string(1, '\0')))),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  // Prefix form: range_end is the prefix with its last byte incremented.
  MustApply(PutReq("pre/1", "1"));
  MustApply(PutReq("pre/2", "2"));
  MustApply(PutReq("pre0", "not in prefix"));
  EXPECT_EQ(Keys(Get(RangeReq("pre/", "pre0"))), (std::vector<std::string>{"pre/1", "pre/2"}));
  // range_end at or below key: nothing.
  EXPECT_EQ(Get(RangeReq("c", "b")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("c", "c")).kvs_size(), 0);
}

TEST_F(RangeTest, LimitSetsMoreAndCountsEverything) {
  RangeRequest req = RangeReq("a", "z");
  req.set_limit(2);
  RangeResponse r = Get(req);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.more());
  EXPECT_EQ(r.count(), 4);
  req.set_limit(4);
  r = Get(req);
  EXPECT_EQ(r.kvs_size(), 4);
  EXPECT_FALSE(r.more());
  req.set_limit(100);
  EXPECT_FALSE(Get(req).more());
  req.set_limit(-3);  // negative: no limit
  EXPECT_EQ(Get(req).kvs_size(), 4);
  req.set_limit(INT64_MAX);
  EXPECT_EQ(Get(req).kvs_size(), 4);
}

TEST_F(RangeTest, CountOnlyAndKeysOnly) {
  RangeRequest req = RangeReq("a", "z");
  req.set_count_only(true);
  RangeResponse r = Get(req);
  EXPECT_EQ(r.kvs_size(), 0);
  EXPECT_EQ(r.count(), 4);
  EXPECT_FALSE(r.more());
  req.set_limit(1);
  EXPECT_EQ(Get(req).count(), 4);

  req = RangeReq("a", "z");
  req.set_keys_only(true);
  r = Get(req);
  ASSERT_EQ(r.kvs_size(), 4);
  for (const auto& kv : r.kvs()) {
    EXPECT_TRUE(kv.value().empty());
    EXPECT_GT(kv.mod_revision(), 0);
  }
}

TEST_F(RangeTest, HistoricalRevisions) {
  RangeRequest req = RangeReq("b");
  req.set_revision(rev_b1_);
  RangeResponse r = Get(req);
  ASSERT_EQ(r.kvs_size(), 1);
  EXPECT_EQ(r.kvs(0).value(), "vb1");
  EXPECT_EQ(r.kvs(0).version(), 1);
  // The header carries the current revision, not the one asked for.
  EXPECT_EQ(r.header().revision(), store_->current_revision());
  // A revision between writes reads the state as of the write below it.
  req.set_revision(rev_b1_ + 5);
  EXPECT_EQ(Get(req).kvs(0).value(), "vb1");
  req.set_revision(rev_a_);
  EXPECT_EQ(Get(req).kvs_size(), 0);
  // Deleted key visible before its delete.
  RangeRequest x = RangeReq("x");
  x.set_revision(store_->current_revision() - 10);
  EXPECT_EQ(Get(x).kvs_size(), 1);
}

TEST_F(RangeTest, FutureAndCompactedRevisionsFail) {
  RangeRequest req = RangeReq("b");
  req.set_revision(store_->current_revision() + 1);
  auto r = store_->Range(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), ErrorOf(KvError::kFutureRev));
  EXPECT_EQ(r.status().code(), Code::kOutOfRange);
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision is a future revision");

  MustApply(CompactReq(rev_b2_));
  req.set_revision(rev_b2_ - 1);
  r = store_->Range(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(r.status().code(), Code::kOutOfRange);
  req.set_revision(rev_b2_);  // the compacted revision itself is readable
  EXPECT_EQ(Get(req).kvs(0).value(), "vb2");
}

TEST_F(RangeTest, EmptyKeyFails) {
  auto r = store_->Range(RangeReq(""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: key is not provided");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST_F(RangeTest, SortOrdersAndTargets) {
  RangeRequest req = RangeReq("a", "z");
  req.set_sort_order(RangeRequest::DESCEND);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"d", "c", "b", "a"}));
  req.set_sort_target(RangeRequest::VERSION);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"c", "b", "a", "d"}));  // ties: key order
  req.set_sort_order(RangeRequest::ASCEND);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"a", "d", "b", "c"}));
  req.set_sort_target(RangeRequest::MOD);
  req.set_sort_order(RangeRequest::DESCEND);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"d", "c", "b", "a"}));
  req.set_sort_target(RangeRequest::CREATE);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"d", "c", "b", "a"}));
  req.set_sort_target(RangeRequest::VALUE);
  req.set_sort_order(RangeRequest::ASCEND);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"d", "a", "b", "c"}));
  // A target other than KEY with order NONE sorts ascending.
  req.set_sort_order(RangeRequest::NONE);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"d", "a", "b", "c"}));
}

TEST_F(RangeTest, SortWithLimitSortsEverythingFirst) {
  RangeRequest req = RangeReq("a", "z");
  req.set_sort_order(RangeRequest::DESCEND);
  req.set_limit(2);
  RangeResponse r = Get(req);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"d", "c"}));
  EXPECT_TRUE(r.more());
  EXPECT_EQ(r.count(), 4);
  // etcd quirk, kept: target VALUE with order NONE fetches limit+1 keys in
  // key order and sorts only those.
  req.set_sort_order(RangeRequest::NONE);
  req.set_sort_target(RangeRequest::VALUE);
  req.set_limit(2);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"a", "b"}));
}

TEST_F(RangeTest, UnknownSortTargetIsRefusedAndUnknownOrderIgnored) {
  RangeRequest req = RangeReq("a", "z");
  req.set_sort_target(static_cast<RangeRequest::SortTarget>(42));
  auto r = store_->Range(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), ErrorOf(KvError::kBadSortTarget));
  req.set_sort_target(RangeRequest::KEY);
  req.set_sort_order(static_cast<RangeRequest::SortOrder>(9));
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_F(RangeTest, ModAndCreateRevisionFilters) {
  RangeRequest req = RangeReq("a", "z");
  req.set_min_mod_revision(rev_b2_);
  req.set_max_mod_revision(rev_c3_);
  RangeResponse r = Get(req);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(r.count(), 4);  // count ignores the filters, as in etcd
  req = RangeReq("a", "z");
  req.set_min_create_revision(rev_b1_);
  req.set_max_create_revision(rev_c3_);
  EXPECT_EQ(Keys(Get(req)), (std::vector<std::string>{"b", "c"}));
  // Filters with limit: filtered first, then cut.
  req = RangeReq("a", "z");
  req.set_min_mod_revision(rev_b2_);
  req.set_limit(1);
  r = Get(req);
  EXPECT_EQ(Keys(r), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(r.more());
}

TEST_F(RangeTest, KeysWithZeroAndHighBytes) {
  const std::string k1("z\0", 2), k2("z\0\0", 3), k3("z\xff", 2), k4("z\x01", 2);
  for (const auto& k : {k1, k2, k3, k4})
    MustApply(PutReq(k, "v"));
  EXPECT_EQ(Keys(Get(RangeReq("z", std::string(1, '\0')))),
            (std::vector<std::string>{k1, k2, k4, k3}));
  EXPECT_EQ(Keys(Get(RangeReq(k1))), (std::vector<std::string>{k1}));
  EXPECT_EQ(Keys(Get(RangeReq(k1, k4))), (std::vector<std::string>{k1, k2}));
}

}  // namespace
}  // namespace cairn::kv::testing
