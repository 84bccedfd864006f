// The leader's lease clock, driven with made-up time.
#include "api/lessor.h"

#include <gtest/gtest.h>

namespace cairn::api {
namespace {

using namespace std::chrono_literals;
using Lease = kv::MvccStore::Lease;

class LessorTest : public ::testing::Test {
 protected:
  Lessor::TimePoint At(std::chrono::milliseconds ms) { return t0_ + ms; }
  Lessor::TimePoint t0_ = std::chrono::steady_clock::time_point{} + 1000s;
  Lessor lessor_;
};

TEST_F(LessorTest, APrimaryExpiresALeaseAfterItsTtlAndNotBefore) {
  lessor_.Promote(At(0ms), 0s);
  lessor_.Sync({Lease{1, 5}, Lease{2, 10}}, At(0ms));
  EXPECT_TRUE(lessor_.Expired(At(4999ms), 10, 30s).empty());
  EXPECT_EQ(lessor_.Expired(At(5000ms), 10, 30s), std::vector<int64_t>{1});
  EXPECT_EQ(lessor_.Expired(At(10000ms), 10, 30s), std::vector<int64_t>{2})
      << "lease 1 was handed out already";
}

TEST_F(LessorTest, RenewRestartsTheClockUntilTheLeaseHasExpired) {
  lessor_.Promote(At(0ms), 0s);
  lessor_.Sync({Lease{1, 5}}, At(0ms));
  EXPECT_EQ(lessor_.Renew(1, At(4000ms)), 5);
  EXPECT_TRUE(lessor_.Expired(At(8999ms), 10, 1s).empty());
  EXPECT_EQ(lessor_.TimeToLive(1, At(6500ms))->remaining, 2) << "rounded down";
  EXPECT_EQ(lessor_.TimeToLive(1, At(6500ms))->granted, 5);
  EXPECT_EQ(lessor_.Renew(1, At(9000ms)), std::nullopt) << "expired: its revoke is coming";
  EXPECT_EQ(lessor_.TimeToLive(1, At(9500ms))->remaining, 0);
  EXPECT_EQ(lessor_.Renew(7, At(0ms)), std::nullopt) << "unknown lease";
}

TEST_F(LessorTest, ANewLeaderGivesEveryLeaseItsWholeTtlPlusTheElection) {
  lessor_.Sync({Lease{1, 5}}, At(0ms));  // learnt while following
  // Leading 4 s later: the old leader may have renewed just before falling.
  lessor_.Promote(At(4000ms), 1s);
  EXPECT_TRUE(lessor_.Expired(At(9999ms), 10, 1s).empty());
  EXPECT_EQ(lessor_.Expired(At(10000ms), 10, 1s), std::vector<int64_t>{1});
}

TEST_F(LessorTest, AFollowerNeitherRenewsNorExpires) {
  lessor_.Sync({Lease{1, 1}}, At(0ms));
  EXPECT_FALSE(lessor_.primary());
  EXPECT_EQ(lessor_.Renew(1, At(0ms)), std::nullopt);
  EXPECT_TRUE(lessor_.Expired(At(3600s), 10, 1s).empty());
  EXPECT_EQ(lessor_.TimeToLive(1, At(3600s))->remaining, 1);
  // Demoted, a former leader stops expiring too.
  lessor_.Promote(At(0ms), 0s);
  lessor_.Demote();
  EXPECT_TRUE(lessor_.Expired(At(3600s), 10, 1s).empty());
}

TEST_F(LessorTest, AnExpiredLeaseIsHandedOutAgainOnlyAfterTheRetryDelay) {
  lessor_.Promote(At(0ms), 0s);
  lessor_.Sync({Lease{1, 1}, Lease{2, 1}, Lease{3, 1}}, At(0ms));
  EXPECT_EQ(lessor_.Expired(At(1000ms), 2, 3s), (std::vector<int64_t>{1, 2})) << "at most 2";
  EXPECT_EQ(lessor_.Expired(At(1100ms), 2, 3s), std::vector<int64_t>{3});
  EXPECT_TRUE(lessor_.Expired(At(3999ms), 2, 3s).empty());
  EXPECT_EQ(lessor_.Expired(At(4000ms), 2, 3s), (std::vector<int64_t>{1, 2}));
}

TEST_F(LessorTest, SyncDropsRevokedLeasesAndKeepsTheOthersClocks) {
  lessor_.Promote(At(0ms), 0s);
  lessor_.Sync({Lease{1, 5}, Lease{2, 5}}, At(0ms));
  lessor_.Renew(1, At(3000ms));
  lessor_.Sync({Lease{1, 5}, Lease{3, 5}}, At(4000ms));  // 2 revoked, 3 granted
  EXPECT_EQ(lessor_.size(), 2u);
  EXPECT_EQ(lessor_.TimeToLive(2, At(4000ms)), std::nullopt);
  EXPECT_EQ(lessor_.TimeToLive(1, At(4000ms))->remaining, 4);
  EXPECT_EQ(lessor_.TimeToLive(3, At(4000ms))->remaining, 5);
}

}  // namespace
}  // namespace cairn::api
