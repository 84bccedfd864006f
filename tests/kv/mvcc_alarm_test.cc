// Alarms as replicated state: raising, clearing, listing, what they refuse,
// and that restarts and snapshots keep them.
#include <gtest/gtest.h>

#include "kv_test_util.h"

namespace cairn::kv::testing {
namespace {

cairnpb::RaftRequest AlarmReq(etcdserverpb::AlarmRequest::AlarmAction action, uint64_t member,
                              etcdserverpb::AlarmType type) {
  cairnpb::RaftRequest r;
  r.mutable_alarm()->set_action(action);
  r.mutable_alarm()->set_memberid(member);
  r.mutable_alarm()->set_alarm(type);
  return r;
}

constexpr auto kGet = etcdserverpb::AlarmRequest::GET;
constexpr auto kActivate = etcdserverpb::AlarmRequest::ACTIVATE;
constexpr auto kDeactivate = etcdserverpb::AlarmRequest::DEACTIVATE;

class AlarmTest : public StoreFixture {
 protected:
  // The alarms an applied AlarmRequest answered with, as "member:type".
  std::vector<std::string> AlarmOf(const cairnpb::RaftRequest& req) {
    ApplyResult r = Apply(req);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    std::vector<std::string> out;
    if (auto* resp = std::get_if<etcdserverpb::AlarmResponse>(&r.response)) {
      for (const auto& a : resp->alarms())
        out.push_back(std::to_string(a.memberid()) + ":" + etcdserverpb::AlarmType_Name(a.alarm()));
    }
    return out;
  }
  std::vector<std::string> Raised() {
    auto alarms = store_->RaisedAlarms();
    EXPECT_TRUE(alarms.ok());
    std::vector<std::string> out;
    for (const auto& a : *alarms)
      out.push_back(std::to_string(a.memberid()) + ":" + etcdserverpb::AlarmType_Name(a.alarm()));
    return out;
  }
};

using V = std::vector<std::string>;

TEST_F(AlarmTest, ActivateDeactivateGetAnswerLikeEtcd) {
  EXPECT_EQ(AlarmOf(AlarmReq(kActivate, 7, etcdserverpb::NOSPACE)), V{"7:NOSPACE"});
  // Raising it again changes nothing and answers with no alarm.
  EXPECT_EQ(AlarmOf(AlarmReq(kActivate, 7, etcdserverpb::NOSPACE)), V{});
  EXPECT_EQ(AlarmOf(AlarmReq(kActivate, 3, etcdserverpb::CORRUPT)), V{"3:CORRUPT"});
  EXPECT_EQ(AlarmOf(AlarmReq(kGet, 0, etcdserverpb::NONE)), (V{"3:CORRUPT", "7:NOSPACE"}));
  EXPECT_EQ(AlarmOf(AlarmReq(kGet, 0, etcdserverpb::NOSPACE)), V{"7:NOSPACE"});
  EXPECT_EQ(Raised(), (V{"3:CORRUPT", "7:NOSPACE"}));
  // Clearing names member and type; a wrong pair clears nothing.
  EXPECT_EQ(AlarmOf(AlarmReq(kDeactivate, 3, etcdserverpb::NOSPACE)), V{});
  EXPECT_EQ(AlarmOf(AlarmReq(kDeactivate, 3, etcdserverpb::CORRUPT)), V{"3:CORRUPT"});
  EXPECT_EQ(AlarmOf(AlarmReq(kDeactivate, 7, etcdserverpb::NOSPACE)), V{"7:NOSPACE"});
  EXPECT_EQ(Raised(), V{});
}

TEST_F(AlarmTest, NoSpaceRefusesWritesThatAddDataOnly) {
  const int64_t rev = MustApply(PutReq("a", "1"));
  MustApply(PutReq("b", "2"));
  MustApply(AlarmReq(kActivate, 1, etcdserverpb::NOSPACE));
  EXPECT_EQ(Apply(PutReq("c", "3")).status, ErrorOf(KvError::kNoSpace));
  etcdserverpb::TxnRequest txn;
  *txn.add_failure() = PutOp("c", "3");  // a put in either branch counts
  EXPECT_EQ(Apply(TxnReq(txn)).status, ErrorOf(KvError::kNoSpace));
  etcdserverpb::TxnRequest nested;
  *nested.add_success() = TxnOp(txn);
  EXPECT_EQ(Apply(TxnReq(nested)).status, ErrorOf(KvError::kNoSpace));
  EXPECT_EQ(Get(RangeReq("c")).kvs_size(), 0);
  // What frees space still works: deletes (also in a txn), compaction.
  etcdserverpb::TxnRequest deletes;
  *deletes.add_success() = DeleteOp("a");
  EXPECT_TRUE(Apply(TxnReq(deletes)).status.ok());
  EXPECT_TRUE(Apply(DeleteReq("b")).status.ok());
  EXPECT_TRUE(Apply(CompactReq(rev)).status.ok());
  EXPECT_EQ(Get(RangeReq("a", "z")).kvs_size(), 0);
  MustApply(AlarmReq(kDeactivate, 1, etcdserverpb::NOSPACE));
  EXPECT_TRUE(Apply(PutReq("c", "3")).status.ok());
}

TEST_F(AlarmTest, CorruptRefusesEveryWrite) {
  const int64_t rev = MustApply(PutReq("a", "1"));
  MustApply(PutReq("a", "2"));
  MustApply(AlarmReq(kActivate, 2, etcdserverpb::CORRUPT));
  EXPECT_EQ(Apply(PutReq("b", "1")).status, ErrorOf(KvError::kCorrupt));
  EXPECT_EQ(Apply(DeleteReq("a")).status, ErrorOf(KvError::kCorrupt));
  EXPECT_EQ(Apply(CompactReq(rev)).status, ErrorOf(KvError::kCorrupt));
  EXPECT_EQ(ErrorOf(KvError::kCorrupt).code(), Code::kDataLoss);
  EXPECT_EQ(ErrorOf(KvError::kCorrupt).message(), "etcdserver: corrupt cluster");
  EXPECT_EQ(ErrorOf(KvError::kNoSpace).code(), Code::kResourceExhausted);
  EXPECT_EQ(ErrorOf(KvError::kNoSpace).message(), "etcdserver: mvcc: database space exceeded");
  MustApply(AlarmReq(kDeactivate, 2, etcdserverpb::CORRUPT));
  EXPECT_TRUE(Apply(DeleteReq("a")).status.ok());
}

TEST_F(AlarmTest, RestartAndSnapshotKeepAlarms) {
  MustApply(PutReq("a", "1"));
  MustApply(AlarmReq(kActivate, 9, etcdserverpb::NOSPACE));
  const uint32_t digest = *store_->Digest();
  Reopen();
  EXPECT_EQ(Raised(), V{"9:NOSPACE"});
  EXPECT_EQ(Apply(PutReq("b", "1")).status, ErrorOf(KvError::kNoSpace));
  ASSERT_TRUE(store_->CreateSnapshot(dir_.Sub("snap")).ok());
  auto other = MvccStore::Open(dir_.Sub("other"));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RestoreSnapshot(dir_.Sub("snap")).ok());
  auto alarms = (*other)->RaisedAlarms();
  ASSERT_TRUE(alarms.ok());
  ASSERT_EQ(alarms->size(), 1u);
  EXPECT_EQ((*alarms)[0].memberid(), 9u);
  // Alarms are not key-value content: HashKV does not change with them.
  EXPECT_EQ(*(*other)->Digest(), digest);
}

TEST_F(AlarmTest, DefragmentDropsWhatCompactionFreed) {
  const std::string big(64 << 10, 'x');
  for (int i = 0; i < 40; ++i)
    MustApply(PutReq("k" + std::to_string(i), big));
  ASSERT_TRUE(store_->Defragment().ok());
  auto size = [&] {
    uintmax_t total = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_.Sub("group")))
      if (e.is_regular_file() && e.path().extension() == ".sst") total += e.file_size();
    return total;
  };
  const uintmax_t full = size();
  const int64_t rev = MustApply(DeleteReq("k", "l"));
  MustApply(CompactReq(rev));
  const uint32_t digest = *store_->Digest();
  ASSERT_TRUE(store_->Defragment().ok());
  EXPECT_LT(size() * 10, full);
  EXPECT_EQ(*store_->Digest(), digest);
  EXPECT_EQ(Get(RangeReq("k", "l")).kvs_size(), 0);
}

}  // namespace
}  // namespace cairn::kv::testing
