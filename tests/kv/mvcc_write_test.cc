// Put and DeleteRange: options, errors, revisions.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::DeleteRangeResponse;
using etcdserverpb::PutResponse;

// Leases the tests' puts name exist (granting takes no revision).
class WriteTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    for (int64_t id : {5, 7, 9, 42})
      MustApply(GrantReq(id));
  }
};

TEST_F(WriteTest, PutCreatesThenVersions) {
  const int64_t r1 = MustApply(PutReq("k", "v1", 7));
  const int64_t r2 = MustApply(PutReq("k", "v2"));
  auto kv = Get(RangeReq("k")).kvs(0);
  EXPECT_EQ(kv.create_revision(), r1);
  EXPECT_EQ(kv.mod_revision(), r2);
  EXPECT_EQ(kv.version(), 2);
  EXPECT_EQ(kv.lease(), 0);
  EXPECT_EQ(store_->current_revision(), r2);
}

TEST_F(WriteTest, PutResponseHeaderAndPrevKv) {
  MustApply(PutReq("k", "old", 5));
  cairnpb::RaftRequest req = PutReq("k", "new");
  req.mutable_put()->set_prev_kv(true);
  ApplyResult r = Apply(req);
  ASSERT_TRUE(r.status.ok());
  const auto& resp = std::get<PutResponse>(r.response);
  EXPECT_EQ(resp.header().revision(), last_revision_);
  ASSERT_TRUE(resp.has_prev_kv());
  EXPECT_EQ(resp.prev_kv().value(), "old");
  EXPECT_EQ(resp.prev_kv().lease(), 5);
  // No prev_kv for a new key.
  cairnpb::RaftRequest fresh = PutReq("fresh", "v");
  fresh.mutable_put()->set_prev_kv(true);
  EXPECT_FALSE(std::get<PutResponse>(Apply(fresh).response).has_prev_kv());
}

TEST_F(WriteTest, IgnoreValueAndIgnoreLeaseKeepTheOldOnes) {
  MustApply(PutReq("k", "value", 42));
  cairnpb::RaftRequest req = PutReq("k", "");
  req.mutable_put()->set_ignore_value(true);
  req.mutable_put()->set_lease(9);
  MustApply(req);
  auto kv = Get(RangeReq("k")).kvs(0);
  EXPECT_EQ(kv.value(), "value");
  EXPECT_EQ(kv.lease(), 9);
  EXPECT_EQ(kv.version(), 2);

  req = PutReq("k", "changed");
  req.mutable_put()->set_ignore_lease(true);
  MustApply(req);
  kv = Get(RangeReq("k")).kvs(0);
  EXPECT_EQ(kv.value(), "changed");
  EXPECT_EQ(kv.lease(), 9);
}

TEST_F(WriteTest, PutErrorsChangeNothingAndTakeNoRevision) {
  MustApply(PutReq("k", "v"));
  const int64_t rev = store_->current_revision();
  const uint32_t digest = *store_->Digest();

  cairnpb::RaftRequest missing = PutReq("absent", "");
  missing.mutable_put()->set_ignore_value(true);
  EXPECT_EQ(Apply(missing).status, ErrorOf(KvError::kKeyNotFound));
  missing.mutable_put()->set_ignore_value(false);
  missing.mutable_put()->set_ignore_lease(true);
  EXPECT_EQ(Apply(missing).status, ErrorOf(KvError::kKeyNotFound));

  cairnpb::RaftRequest value = PutReq("k", "x");
  value.mutable_put()->set_ignore_value(true);
  ApplyResult r = Apply(value);
  EXPECT_EQ(r.status, ErrorOf(KvError::kValueProvided));
  EXPECT_EQ(r.status.message(), "etcdserver: value is provided");

  cairnpb::RaftRequest lease = PutReq("k", "", 3);
  lease.mutable_put()->set_ignore_lease(true);
  EXPECT_EQ(Apply(lease).status.message(), "etcdserver: lease is provided");

  EXPECT_EQ(Apply(PutReq("", "v")).status.message(), "etcdserver: key is not provided");
  EXPECT_EQ(Apply(PutReq("", "v")).status.code(), Code::kInvalidArgument);

  EXPECT_EQ(store_->current_revision(), rev);
  EXPECT_EQ(*store_->Digest(), digest);
  // The failed entries were still applied (as failures).
  EXPECT_EQ(store_->applied_index(), next_index_ - 1);
}

TEST_F(WriteTest, DeleteSingleRangeAndPrevKvs) {
  for (const char* k : {"a", "b", "c", "d"})
    MustApply(PutReq(k, std::string("v") + k));
  ApplyResult r = Apply(DeleteReq("b", "d", /*prev_kv=*/true));
  ASSERT_TRUE(r.status.ok());
  const auto& resp = std::get<DeleteRangeResponse>(r.response);
  EXPECT_EQ(resp.deleted(), 2);
  ASSERT_EQ(resp.prev_kvs_size(), 2);
  EXPECT_EQ(resp.prev_kvs(0).key(), "b");
  EXPECT_EQ(resp.prev_kvs(1).value(), "vc");
  EXPECT_EQ(resp.header().revision(), last_revision_);
  EXPECT_EQ(store_->current_revision(), last_revision_);
  EXPECT_EQ(Get(RangeReq("a", "z")).count(), 2);

  r = Apply(DeleteReq("a"));
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.response).deleted(), 1);
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.response).prev_kvs_size(), 0);

  r = Apply(DeleteReq("a", std::string(1, '\0')));
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.response).deleted(), 1);  // only d left
  EXPECT_EQ(Get(RangeReq("a", "z")).count(), 0);
}

TEST_F(WriteTest, DeletingNothingTakesNoRevision) {
  MustApply(PutReq("k", "v"));
  const int64_t rev = store_->current_revision();
  ApplyResult r = Apply(DeleteReq("nothing-here"));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.response).deleted(), 0);
  EXPECT_EQ(std::get<DeleteRangeResponse>(r.response).header().revision(), rev);
  EXPECT_EQ(store_->current_revision(), rev);
  EXPECT_EQ(Apply(DeleteReq("")).status, ErrorOf(KvError::kEmptyKey));
}

TEST_F(WriteTest, RecreatedKeyStartsANewGeneration) {
  MustApply(PutReq("k", "1"));
  MustApply(PutReq("k", "2"));
  MustApply(DeleteReq("k"));
  const int64_t again = MustApply(PutReq("k", "3"));
  auto kv = Get(RangeReq("k")).kvs(0);
  EXPECT_EQ(kv.version(), 1);
  EXPECT_EQ(kv.create_revision(), again);
}

// Counts indexes from 1: no leases granted first.
using PlainWriteTest = StoreFixture;

TEST_F(PlainWriteTest, RevisionsAreOpaqueAndMustIncrease) {
  // Large gaps are fine.
  ASSERT_TRUE(store_->Apply(PutReq("a", "1"), 1, 1, 1000).ok());
  ASSERT_TRUE(store_->Apply(PutReq("b", "1"), 2, 1, 1'000'000'000'000).ok());
  EXPECT_EQ(store_->current_revision(), 1'000'000'000'000);
  // A write at a revision not above the current one is refused outright.
  auto r = store_->Apply(PutReq("c", "1"), 3, 1, 1'000'000'000'000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(store_->applied_index(), 2u);
  // Index must go up, term must not go down.
  EXPECT_FALSE(store_->Apply(PutReq("c", "1"), 2, 1, 2'000'000'000'000).ok());
  EXPECT_FALSE(store_->Apply(PutReq("c", "1"), 3, 0, 2'000'000'000'000).ok());
  EXPECT_TRUE(store_->Apply(PutReq("c", "1"), 7, 3, 2'000'000'000'000).ok());
  EXPECT_EQ(store_->applied_index(), 7u);
  EXPECT_EQ(store_->applied_term(), 3u);
}

TEST_F(WriteTest, EntriesWithoutRequestsOnlyAdvanceTheIndex) {
  MustApply(PutReq("k", "v"));
  const uint32_t digest = *store_->Digest();
  LogEntry noop{next_index_, 1, 0, nullptr};
  auto r = store_->ApplyBatch(std::span<const LogEntry>(&noop, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>((*r)[0].response));
  EXPECT_EQ(store_->applied_index(), next_index_);
  EXPECT_EQ(*store_->Digest(), digest);
  cairnpb::RaftRequest empty;
  ++next_index_;
  EXPECT_TRUE(Apply(empty).status.ok());
}

TEST_F(WriteTest, ChangeLogRecordsEveryChangeInOrder) {
  const int64_t r1 = MustApply(PutReq("a", "1"));
  const int64_t r2 = MustApply(PutReq("b", "2"));
  const int64_t r3 = MustApply(DeleteReq("a", "c"));
  auto events = store_->Changes(1, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].type(), mvccpb::Event::PUT);
  EXPECT_EQ((*events)[0].kv().value(), "1");
  EXPECT_EQ((*events)[0].kv().mod_revision(), r1);
  EXPECT_EQ((*events)[1].kv().mod_revision(), r2);
  EXPECT_EQ((*events)[2].type(), mvccpb::Event::DELETE);
  EXPECT_EQ((*events)[2].kv().key(), "a");
  EXPECT_EQ((*events)[3].kv().key(), "b");
  EXPECT_EQ((*events)[3].kv().mod_revision(), r3);
  EXPECT_EQ(store_->Changes(r2, 100)->size(), 3u);
  EXPECT_EQ(store_->Changes(r2 + 1, 100)->size(), 2u);
  EXPECT_EQ(store_->Changes(1, 1)->size(), 1u);
}

}  // namespace
}  // namespace cairn::kv::testing
