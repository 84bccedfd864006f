// Compact: what it removes, what it keeps, its errors.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::RangeRequest;

class CompactTest : public StoreFixture {
 protected:
  std::vector<std::string> ValuesAt(const std::string& key, int64_t rev) {
    RangeRequest req = RangeReq(key);
    req.set_revision(rev);
    auto r = store_->Range(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& kv : r->kvs())
        out.push_back(kv.value());
    return out;
  }
};

TEST_F(CompactTest, KeepsWhatReadsAtAndAfterTheRevisionSee) {
  const int64_t a1 = MustApply(PutReq("a", "1"));
  const int64_t a2 = MustApply(PutReq("a", "2"));
  MustApply(PutReq("gone", "x"));
  const int64_t del = MustApply(DeleteReq("gone"));
  const int64_t a3 = MustApply(PutReq("a", "3"));
  MustApply(PutReq("late", "x"));
  // Compact between a2 and a3: a2 must stay readable at the revision.
  const int64_t at = a3 - 1;
  ApplyResult r = Apply(CompactReq(at));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(std::get<etcdserverpb::CompactionResponse>(r.response).header().revision(),
            store_->current_revision());
  EXPECT_EQ(store_->compacted_revision(), at);
  EXPECT_EQ(ValuesAt("a", at), (std::vector<std::string>{"2"}));
  EXPECT_EQ(ValuesAt("a", 0), (std::vector<std::string>{"3"}));
  EXPECT_TRUE(ValuesAt("gone", at).empty());
  // Version and create revision survive the removal of older versions.
  auto kv = Get(RangeReq("a")).kvs(0);
  EXPECT_EQ(kv.version(), 3);
  EXPECT_EQ(kv.create_revision(), a1);
  (void)a2;
  (void)del;
  // Below the compacted revision: the compacted error.
  RangeRequest req = RangeReq("a");
  req.set_revision(at - 1);
  EXPECT_EQ(store_->Range(req).status(), ErrorOf(KvError::kCompacted));
  // The change log keeps events from the compacted revision on.
  EXPECT_EQ(store_->Changes(at - 1, 10).status(), ErrorOf(KvError::kCompacted));
  auto events = store_->Changes(at, 10);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 2u);  // a3, late
}

TEST_F(CompactTest, DeletedKeysDisappearAndRecreateFresh) {
  MustApply(PutReq("k", "1"));
  MustApply(PutReq("k", "2"));
  MustApply(DeleteReq("k"));
  MustApply(CompactReq(store_->current_revision()));
  EXPECT_EQ(Get(RangeReq("k")).kvs_size(), 0);
  const int64_t again = MustApply(PutReq("k", "3"));
  auto kv = Get(RangeReq("k")).kvs(0);
  EXPECT_EQ(kv.version(), 1);
  EXPECT_EQ(kv.create_revision(), again);
}

TEST_F(CompactTest, Errors) {
  MustApply(PutReq("k", "1"));
  const int64_t rev = MustApply(PutReq("k", "2"));
  ApplyResult r = Apply(CompactReq(rev + 1));
  EXPECT_EQ(r.status.message(), "etcdserver: mvcc: required revision is a future revision");
  EXPECT_EQ(r.status.code(), Code::kOutOfRange);
  EXPECT_TRUE(Apply(CompactReq(rev)).status.ok());
  r = Apply(CompactReq(rev));
  EXPECT_EQ(r.status.message(), "etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(Apply(CompactReq(rev - 1)).status, ErrorOf(KvError::kCompacted));
  EXPECT_EQ(Apply(CompactReq(-5)).status, ErrorOf(KvError::kCompacted));
  // Compaction takes no revision.
  EXPECT_EQ(store_->current_revision(), rev);
}

// Same history in three stores: never compacted, compacted once at R, and
// compacted in two steps to R. Every read at or after R agrees; the two
// compacted stores have equal digests.
TEST(CompactEquivalence, ReadsAtAndAfterTheRevisionAreUnchanged) {
  TempDir dir;
  std::unique_ptr<MvccStore> stores[3];
  for (int i = 0; i < 3; ++i) {
    auto s = MvccStore::Open(dir.Sub("s" + std::to_string(i)));
    ASSERT_TRUE(s.ok());
    stores[i] = std::move(*s);
  }
  uint64_t index = 0;
  int64_t rev = 0;
  auto apply_all = [&](const cairnpb::RaftRequest& req) {
    ++index;
    rev += 3;
    for (auto& s : stores)
      ASSERT_TRUE(s->Apply(req, index, 1, rev).ok());
  };
  for (int i = 0; i < 60; ++i) {
    apply_all(PutReq("k" + std::to_string(i % 7), std::to_string(i)));
    if (i % 5 == 0) apply_all(DeleteReq("k" + std::to_string(i % 3)));
  }
  const int64_t mid = stores[0]->current_revision() / 2;
  ++index;
  ASSERT_TRUE(stores[1]->Apply(CompactReq(mid), index, 1, rev + 1).ok());
  ASSERT_TRUE(stores[2]->Apply(CompactReq(mid / 2), index, 1, rev + 1).ok());
  ++index;
  ASSERT_TRUE(stores[2]->Apply(CompactReq(mid), index, 1, rev + 1).ok());
  EXPECT_EQ(*stores[1]->Digest(), *stores[2]->Digest());
  for (int64_t at = mid; at <= stores[0]->current_revision(); ++at) {
    RangeRequest req = RangeReq("k", "l");
    req.set_revision(at);
    auto want = stores[0]->Range(req);
    ASSERT_TRUE(want.ok());
    for (int i = 1; i < 3; ++i) {
      auto got = stores[i]->Range(req);
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(got->SerializeAsString(), want->SerializeAsString()) << "at " << at;
    }
    EXPECT_EQ(*stores[1]->Digest(at), *stores[2]->Digest(at));
  }
}

}  // namespace
}  // namespace cairn::kv::testing
