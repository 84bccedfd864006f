// Txn: compares, branches, nesting, atomicity, validation.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::TxnRequest;
using etcdserverpb::TxnResponse;

class TxnTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    MustApply(GrantReq(5));
    create_a_ = MustApply(PutReq("a", "1", 5));
    mod_a_ = MustApply(PutReq("a", "2", 5));
    MustApply(PutReq("b", "x"));
  }

  // Whether a txn with this one compare takes its success branch.
  bool Holds(const Compare& c) {
    TxnRequest t;
    *t.add_compare() = c;
    ApplyResult r = Apply(TxnReq(t));
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return std::get<TxnResponse>(r.response).succeeded();
  }

  Compare Cmp(const std::string& key, Compare::CompareTarget target,
              Compare::CompareResult result) {
    Compare c;
    c.set_key(key);
    c.set_target(target);
    c.set_result(result);
    return c;
  }

  int64_t create_a_ = 0, mod_a_ = 0;
};

TEST_F(TxnTest, ComparesOnEveryTarget) {
  EXPECT_TRUE(Holds(VersionCmp("a", Compare::EQUAL, 2)));
  EXPECT_TRUE(Holds(VersionCmp("a", Compare::GREATER, 1)));
  EXPECT_FALSE(Holds(VersionCmp("a", Compare::LESS, 2)));
  EXPECT_TRUE(Holds(VersionCmp("a", Compare::NOT_EQUAL, 3)));

  Compare c = Cmp("a", Compare::CREATE, Compare::EQUAL);
  c.set_create_revision(create_a_);
  EXPECT_TRUE(Holds(c));
  c = Cmp("a", Compare::MOD, Compare::EQUAL);
  c.set_mod_revision(mod_a_);
  EXPECT_TRUE(Holds(c));
  c.set_result(Compare::GREATER);
  EXPECT_FALSE(Holds(c));
  c = Cmp("a", Compare::VALUE, Compare::EQUAL);
  c.set_value("2");
  EXPECT_TRUE(Holds(c));
  c.set_value("1");
  c.set_result(Compare::GREATER);
  EXPECT_TRUE(Holds(c));
  c = Cmp("a", Compare::LEASE, Compare::EQUAL);
  c.set_lease(5);
  EXPECT_TRUE(Holds(c));
  c.set_lease(6);
  EXPECT_FALSE(Holds(c));
}

TEST_F(TxnTest, MissingKeysCompareAsZeroExceptValue) {
  EXPECT_TRUE(Holds(VersionCmp("nope", Compare::EQUAL, 0)));
  Compare c = Cmp("nope", Compare::CREATE, Compare::EQUAL);
  c.set_create_revision(0);
  EXPECT_TRUE(Holds(c));
  c = Cmp("nope", Compare::VALUE, Compare::EQUAL);
  c.set_value("");
  EXPECT_FALSE(Holds(c));  // a missing value is not the empty value
  c.set_result(Compare::NOT_EQUAL);
  EXPECT_FALSE(Holds(c));
}

TEST_F(TxnTest, CompareWithRangeEndNeedsEveryKey) {
  MustApply(PutReq("b", "y"));  // a at version 2, b at version 2
  Compare c = VersionCmp("a", Compare::EQUAL, 2);
  c.set_range_end("c");
  EXPECT_TRUE(Holds(c));
  MustApply(PutReq("b", "z"));  // b at 3
  EXPECT_FALSE(Holds(c));
  c.set_result(Compare::GREATER);
  c.set_version(1);
  EXPECT_TRUE(Holds(c));
  c.set_range_end(std::string(1, '\0'));
  EXPECT_TRUE(Holds(c));
  // An empty range compares a zero KeyValue.
  Compare none = VersionCmp("q", Compare::EQUAL, 0);
  none.set_range_end("r");
  EXPECT_TRUE(Holds(none));
}

TEST_F(TxnTest, BranchesApplyAtOneRevision) {
  TxnRequest t;
  *t.add_compare() = VersionCmp("a", Compare::EQUAL, 2);
  *t.add_success() = PutOp("s1", "v");
  *t.add_success() = PutOp("s2", "v");
  *t.add_success() = DeleteOp("b");
  *t.add_success() = RangeOp("s1", "s3");
  *t.add_failure() = PutOp("f", "v");
  ApplyResult r = Apply(TxnReq(t));
  ASSERT_TRUE(r.status.ok());
  const auto& resp = std::get<TxnResponse>(r.response);
  EXPECT_TRUE(resp.succeeded());
  EXPECT_EQ(resp.header().revision(), last_revision_);
  ASSERT_EQ(resp.responses_size(), 4);
  EXPECT_EQ(resp.responses(0).response_put().header().revision(), last_revision_);
  EXPECT_EQ(resp.responses(2).response_delete_range().deleted(), 1);
  // A range after writes in the same txn sees them, at the txn's revision.
  EXPECT_EQ(resp.responses(3).response_range().count(), 2);
  EXPECT_EQ(resp.responses(3).response_range().header().revision(), last_revision_);
  EXPECT_EQ(Get(RangeReq("s1")).kvs(0).mod_revision(), last_revision_);
  EXPECT_EQ(Get(RangeReq("s2")).kvs(0).mod_revision(), last_revision_);
  EXPECT_EQ(Get(RangeReq("f")).kvs_size(), 0);
  EXPECT_EQ(store_->current_revision(), last_revision_);
  // Three changes, one revision, sub-indices 0..2.
  auto events = store_->Changes(last_revision_, 10);
  ASSERT_EQ(events->size(), 3u);

  // The failure branch.
  t.mutable_compare(0)->set_version(99);
  r = Apply(TxnReq(t));
  EXPECT_FALSE(std::get<TxnResponse>(r.response).succeeded());
  EXPECT_EQ(Get(RangeReq("f")).kvs_size(), 1);
}

TEST_F(TxnTest, RangeBeforeAWriteReadsTheOldRevision) {
  const int64_t before = store_->current_revision();
  TxnRequest t;
  *t.add_success() = RangeOp("a");
  *t.add_success() = PutOp("a", "3");
  ApplyResult r = Apply(TxnReq(t));
  const auto& resp = std::get<TxnResponse>(r.response);
  EXPECT_EQ(resp.responses(0).response_range().header().revision(), before);
  EXPECT_EQ(resp.responses(0).response_range().kvs(0).value(), "2");
}

TEST_F(TxnTest, ReadOnlyAndNoChangeTxnsTakeNoRevision) {
  const int64_t rev = store_->current_revision();
  TxnRequest t;
  *t.add_success() = RangeOp("a");
  ApplyResult r = Apply(TxnReq(t));
  EXPECT_EQ(std::get<TxnResponse>(r.response).header().revision(), rev);
  TxnRequest d;
  *d.add_success() = DeleteOp("not-there");
  r = Apply(TxnReq(d));
  EXPECT_EQ(std::get<TxnResponse>(r.response).header().revision(), rev);
  EXPECT_EQ(store_->current_revision(), rev);
}

TEST_F(TxnTest, NestedTxnsFollowTheirOwnCompares) {
  TxnRequest inner;
  *inner.add_compare() = VersionCmp("b", Compare::EQUAL, 1);
  *inner.add_success() = PutOp("inner-yes", "v");
  *inner.add_failure() = PutOp("inner-no", "v");
  TxnRequest inner2 = inner;
  inner2.mutable_compare(0)->set_version(7);
  inner2.mutable_success(0)->mutable_request_put()->set_key("inner2-yes");
  inner2.mutable_failure(0)->mutable_request_put()->set_key("inner2-no");
  TxnRequest outer;
  *outer.add_compare() = VersionCmp("a", Compare::EQUAL, 2);
  *outer.add_success() = TxnOp(inner);
  *outer.add_success() = TxnOp(inner2);
  *outer.add_success() = PutOp("outer", "v");
  ApplyResult r = Apply(TxnReq(outer));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const auto& resp = std::get<TxnResponse>(r.response);
  ASSERT_EQ(resp.responses_size(), 3);
  EXPECT_TRUE(resp.responses(0).response_txn().succeeded());
  EXPECT_FALSE(resp.responses(1).response_txn().succeeded());
  // etcd leaves nested headers without a revision.
  EXPECT_EQ(resp.responses(0).response_txn().header().revision(), 0);
  EXPECT_EQ(Get(RangeReq("inner-yes")).kvs_size(), 1);
  EXPECT_EQ(Get(RangeReq("inner-no")).kvs_size(), 0);
  EXPECT_EQ(Get(RangeReq("inner2-no")).kvs_size(), 1);
  EXPECT_EQ(Get(RangeReq("outer")).kvs(0).mod_revision(), last_revision_);
}

TEST_F(TxnTest, AFailingCheckWritesNothing) {
  const uint32_t digest = *store_->Digest();
  const int64_t rev = store_->current_revision();
  // A put on an existing key, then an ignore_value put on a missing one.
  TxnRequest t;
  *t.add_success() = PutOp("a", "changed");
  etcdserverpb::RequestOp bad = PutOp("missing", "");
  bad.mutable_request_put()->set_ignore_value(true);
  *t.add_success() = bad;
  EXPECT_EQ(Apply(TxnReq(t)).status, ErrorOf(KvError::kKeyNotFound));
  // A range at a future revision.
  TxnRequest f;
  *f.add_success() = PutOp("a", "changed");
  etcdserverpb::RequestOp future = RangeOp("a");
  future.mutable_request_range()->set_revision(rev + 1);
  *f.add_success() = future;
  EXPECT_EQ(Apply(TxnReq(f)).status, ErrorOf(KvError::kFutureRev));
  // Checks only look at the branch that runs.
  TxnRequest other;
  *other.add_compare() = VersionCmp("a", Compare::EQUAL, 2);
  *other.add_failure() = bad;
  EXPECT_TRUE(Apply(TxnReq(other)).status.ok());
  EXPECT_EQ(*store_->Digest(), digest);
  EXPECT_EQ(store_->current_revision(), rev);
}

TEST_F(TxnTest, CompactedRangeInTxn) {
  const int64_t old = store_->current_revision();
  MustApply(PutReq("c", "1"));
  MustApply(CompactReq(store_->current_revision()));
  TxnRequest t;
  etcdserverpb::RequestOp r = RangeOp("a");
  r.mutable_request_range()->set_revision(old);
  *t.add_success() = r;
  EXPECT_EQ(Apply(TxnReq(t)).status, ErrorOf(KvError::kCompacted));
}

TEST_F(TxnTest, ValidationErrors) {
  TxnRequest dup;
  *dup.add_success() = PutOp("k", "1");
  *dup.add_success() = PutOp("k", "2");
  ApplyResult r = Apply(TxnReq(dup));
  EXPECT_EQ(r.status.message(), "etcdserver: duplicate key given in txn request");
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument);

  TxnRequest put_in_delete;
  *put_in_delete.add_success() = DeleteOp("a", "z");
  *put_in_delete.add_success() = PutOp("k", "1");
  EXPECT_EQ(Apply(TxnReq(put_in_delete)).status, ErrorOf(KvError::kDuplicateKey));

  // The same key in both branches of a nested txn is fine; in a nested
  // txn and its parent it is not.
  TxnRequest inner;
  *inner.add_success() = PutOp("k", "1");
  *inner.add_failure() = PutOp("k", "2");
  TxnRequest ok;
  *ok.add_success() = TxnOp(inner);
  EXPECT_TRUE(Apply(TxnReq(ok)).status.ok());
  TxnRequest clash = ok;
  *clash.add_success() = PutOp("k", "3");
  EXPECT_EQ(Apply(TxnReq(clash)).status, ErrorOf(KvError::kDuplicateKey));
  TxnRequest inner_del;
  *inner_del.add_success() = PutOp("m", "1");
  TxnRequest del_over_nested;
  *del_over_nested.add_success() = DeleteOp("l", "n");
  *del_over_nested.add_success() = TxnOp(inner_del);
  EXPECT_EQ(Apply(TxnReq(del_over_nested)).status, ErrorOf(KvError::kDuplicateKey));
  // Overlapping deletes are allowed; "\0" deletes never clash (as in etcd).
  TxnRequest dels;
  *dels.add_success() = DeleteOp("a", "c");
  *dels.add_success() = DeleteOp("b", "d");
  *dels.add_success() = DeleteOp("x", std::string(1, '\0'));
  *dels.add_success() = PutOp("y", "1");
  EXPECT_TRUE(Apply(TxnReq(dels)).status.ok());

  TxnRequest empty_cmp;
  *empty_cmp.add_compare() = VersionCmp("", Compare::EQUAL, 0);
  EXPECT_EQ(Apply(TxnReq(empty_cmp)).status, ErrorOf(KvError::kEmptyKey));
  TxnRequest empty_op;
  empty_op.add_success();
  EXPECT_EQ(Apply(TxnReq(empty_op)).status, ErrorOf(KvError::kKeyNotFound));
  TxnRequest empty_key;
  *empty_key.add_failure() = RangeOp("");
  EXPECT_EQ(Apply(TxnReq(empty_key)).status, ErrorOf(KvError::kEmptyKey));
}

TEST_F(TxnTest, TooManyOperationsIsRefusedBeforeProposing) {
  auto validate = [](const TxnRequest& t, int limit = kDefaultMaxTxnOps) {
    return ValidateRaftRequest(TxnReq(t), limit);
  };
  TxnRequest t;
  for (int i = 0; i < 128; ++i)
    *t.add_success() = PutOp("k" + std::to_string(i), "v");
  EXPECT_TRUE(validate(t).ok());
  *t.add_success() = PutOp("k-extra", "v");
  Status s = validate(t);
  EXPECT_EQ(s.message(), "etcdserver: too many operations in txn request");
  // Compares count too; and the limit shrinks for nested txns.
  TxnRequest cmps;
  for (int i = 0; i < 129; ++i)
    *cmps.add_compare() = VersionCmp("a", Compare::GREATER, 0);
  EXPECT_EQ(validate(cmps), ErrorOf(KvError::kTooManyOps));
  TxnRequest inner;
  for (int i = 0; i < 100; ++i)
    *inner.add_success() = RangeOp("a");
  TxnRequest outer;
  for (int i = 0; i < 30; ++i)
    *outer.add_success() = TxnOp(inner);  // 30 + 100 > 128
  EXPECT_EQ(validate(outer), ErrorOf(KvError::kTooManyOps));
  TxnRequest three;
  for (int i = 0; i < 3; ++i)
    *three.add_success() = RangeOp("a");
  EXPECT_EQ(validate(three, 2), ErrorOf(KvError::kTooManyOps));
}

TEST_F(TxnTest, ApplyingACommittedTxnDoesNotRecheckTheMembersOpLimit) {
  // The limit is per member: a txn one member accepted and committed must
  // apply on every replica, whatever its own limit.
  MvccOptions small;
  small.max_txn_ops = 2;
  Reopen(small);
  TxnRequest three;
  for (int i = 0; i < 3; ++i)
    *three.add_success() = PutOp("k" + std::to_string(i), "v");
  EXPECT_TRUE(Apply(TxnReq(three)).status.ok());
}

}  // namespace
}  // namespace cairn::kv::testing
