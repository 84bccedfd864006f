// Leases in the replicated store: grant, attach on put, move between
// leases, detach on delete, revoke deleting the keys in one revision, and
// the errors etcd gives.
#include <gtest/gtest.h>

#include "kv_test_util.h"
#include "storage/state_engine.h"

namespace cairn::kv::testing {
namespace {

using etcdserverpb::LeaseGrantResponse;
using etcdserverpb::LeaseRevokeResponse;

class LeaseTest : public StoreFixture {
 protected:
  std::vector<std::string> KeysOf(int64_t id) {
    auto keys = store_->LeaseKeys(id);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }
  std::vector<int64_t> LeaseIds() {
    auto leases = store_->Leases();
    EXPECT_TRUE(leases.ok()) << leases.status().ToString();
    std::vector<int64_t> ids;
    if (leases.ok()) {
      for (const auto& l : *leases)
        ids.push_back(l.id);
    }
    return ids;
  }
  bool Exists(const std::string& key) { return Get(RangeReq(key)).kvs_size() == 1; }
};

TEST_F(LeaseTest, GrantAnswersWithIdTtlAndTheCurrentRevision) {
  MustApply(PutReq("x", "1"));
  const int64_t rev = store_->current_revision();
  ApplyResult r = Apply(GrantReq(77, 30));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const auto& resp = std::get<LeaseGrantResponse>(r.response);
  EXPECT_EQ(resp.id(), 77);
  EXPECT_EQ(resp.ttl(), 30);
  EXPECT_EQ(resp.header().revision(), rev);
  EXPECT_EQ(store_->current_revision(), rev) << "a grant takes no revision";
  auto leases = store_->Leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].id, 77);
  EXPECT_EQ((*leases)[0].ttl, 30);
}

TEST_F(LeaseTest, RevokeDeletesEveryAttachedKeyInOneRevision) {
  MustApply(GrantReq(1));
  MustApply(PutReq("a", "1", 1));
  MustApply(PutReq("b", "2", 1));
  MustApply(PutReq("c", "3"));
  EXPECT_EQ(KeysOf(1), (std::vector<std::string>{"a", "b"}));
  const int64_t before = store_->current_revision();
  ApplyResult r = Apply(RevokeReq(1));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const int64_t rev = last_revision_;
  EXPECT_EQ(std::get<LeaseRevokeResponse>(r.response).header().revision(), rev);
  EXPECT_EQ(store_->current_revision(), rev);
  EXPECT_FALSE(Exists("a"));
  EXPECT_FALSE(Exists("b"));
  EXPECT_TRUE(Exists("c"));
  EXPECT_TRUE(LeaseIds().empty());
  EXPECT_TRUE(KeysOf(1).empty());
  // Watchers see one DELETE per key, all at the revoke's revision.
  auto events = store_->Changes(before + 1, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  for (const auto& ev : *events) {
    EXPECT_EQ(ev.type(), mvccpb::Event::DELETE);
    EXPECT_EQ(ev.kv().mod_revision(), rev);
  }
}

TEST_F(LeaseTest, RevokingALeaseWithoutKeysTakesNoRevision) {
  MustApply(PutReq("k", "v"));
  MustApply(GrantReq(3));
  const int64_t rev = store_->current_revision();
  ApplyResult r = Apply(RevokeReq(3));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(std::get<LeaseRevokeResponse>(r.response).header().revision(), rev);
  EXPECT_EQ(store_->current_revision(), rev);
}

TEST_F(LeaseTest, ErrorsAreEtcdsAndChangeNothing) {
  MustApply(GrantReq(9));
  MustApply(PutReq("k", "v", 9));
  const int64_t rev = store_->current_revision();

  EXPECT_EQ(Apply(PutReq("k", "other", 10)).status, ErrorOf(KvError::kLeaseNotFound));
  EXPECT_EQ(Apply(PutReq("k", "other", 10)).status.message(),
            "etcdserver: requested lease not found");
  EXPECT_EQ(Apply(RevokeReq(10)).status, ErrorOf(KvError::kLeaseNotFound));
  ApplyResult again = Apply(GrantReq(9, 500));
  EXPECT_EQ(again.status.code(), Code::kFailedPrecondition);
  EXPECT_EQ(again.status.message(), "etcdserver: lease already exists");
  ApplyResult huge = Apply(GrantReq(11, kMaxLeaseTtl + 1));
  EXPECT_EQ(huge.status.code(), Code::kOutOfRange);
  EXPECT_EQ(huge.status.message(), "etcdserver: too large lease TTL");
  EXPECT_EQ(Apply(GrantReq(0)).status.code(), Code::kInvalidArgument);

  EXPECT_EQ(store_->current_revision(), rev);
  EXPECT_EQ(Get(RangeReq("k")).kvs(0).value(), "v");
  EXPECT_EQ(LeaseIds(), (std::vector<int64_t>{9}));
  EXPECT_EQ(store_->Leases()->at(0).ttl, 60) << "the failed grant kept the old TTL";
}

TEST_F(LeaseTest, ATxnPuttingWithAMissingLeaseFailsWhole) {
  etcdserverpb::TxnRequest t;
  *t.add_success() = PutOp("a", "1");
  *t.add_success() = PutOp("b", "2");
  t.mutable_success(1)->mutable_request_put()->set_lease(404);
  EXPECT_EQ(Apply(TxnReq(t)).status, ErrorOf(KvError::kLeaseNotFound));
  EXPECT_FALSE(Exists("a"));
  MustApply(GrantReq(404));
  MustApply(TxnReq(t));
  EXPECT_EQ(KeysOf(404), (std::vector<std::string>{"b"}));
}

TEST_F(LeaseTest, AKeyFollowsItsLatestLease) {
  MustApply(GrantReq(1));
  MustApply(GrantReq(2));
  MustApply(PutReq("k", "v", 1));
  MustApply(PutReq("k", "v", 2));
  EXPECT_TRUE(KeysOf(1).empty());
  EXPECT_EQ(KeysOf(2), (std::vector<std::string>{"k"}));

  // ignore_lease keeps it on lease 2.
  cairnpb::RaftRequest keep = PutReq("k", "w");
  keep.mutable_put()->set_ignore_lease(true);
  MustApply(keep);
  EXPECT_EQ(KeysOf(2), (std::vector<std::string>{"k"}));

  MustApply(RevokeReq(1));
  EXPECT_TRUE(Exists("k")) << "revoking a lease the key left must not delete it";
  MustApply(PutReq("k", "x"));  // no lease: detached
  EXPECT_TRUE(KeysOf(2).empty());
  MustApply(RevokeReq(2));
  EXPECT_TRUE(Exists("k"));
}

TEST_F(LeaseTest, DeletingAKeyDetachesIt) {
  MustApply(GrantReq(1));
  MustApply(PutReq("k1", "v", 1));
  MustApply(PutReq("k2", "v", 1));
  MustApply(DeleteReq("k1", "k3"));
  EXPECT_TRUE(KeysOf(1).empty());
  MustApply(PutReq("k1", "again"));
  const int64_t rev = store_->current_revision();
  MustApply(RevokeReq(1));
  EXPECT_TRUE(Exists("k1"));
  EXPECT_EQ(store_->current_revision(), rev) << "nothing left to delete";
}

TEST_F(LeaseTest, GrantPutAndRevokeInOneBatchSeeEachOther) {
  cairnpb::RaftRequest grant = GrantReq(5);
  cairnpb::RaftRequest put = PutReq("k", "v", 5);
  cairnpb::RaftRequest revoke = RevokeReq(5);
  std::vector<LogEntry> batch = {{next_index_, 1, next_revision_, &grant},
                                 {next_index_ + 1, 1, next_revision_ + 1, &put},
                                 {next_index_ + 2, 1, next_revision_ + 2, &revoke}};
  const uint64_t generation = store_->lease_generation();
  auto results = store_->ApplyBatch(batch);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  for (const ApplyResult& r : *results)
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(Exists("k"));
  EXPECT_TRUE(LeaseIds().empty());
  EXPECT_NE(store_->lease_generation(), generation);
}

TEST_F(LeaseTest, LeasesSurviveRestartAndTravelInSnapshots) {
  MustApply(GrantReq(21, 45));
  MustApply(PutReq("k", "v", 21));
  Reopen();
  EXPECT_EQ(LeaseIds(), (std::vector<int64_t>{21}));
  EXPECT_EQ(KeysOf(21), (std::vector<std::string>{"k"}));

  ASSERT_TRUE(store_->CreateSnapshot(dir_.Sub("snap")).ok());
  auto other = MvccStore::Open(dir_.Sub("other"));
  ASSERT_TRUE(other.ok());
  const uint64_t generation = (*other)->lease_generation();
  ASSERT_TRUE((*other)->RestoreSnapshot(dir_.Sub("snap")).ok());
  EXPECT_NE((*other)->lease_generation(), generation);
  auto leases = (*other)->Leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].ttl, 45);
  EXPECT_EQ(*(*other)->LeaseKeys(21), (std::vector<std::string>{"k"}));
}

}  // namespace
}  // namespace cairn::kv::testing
