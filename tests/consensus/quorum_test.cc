// Quorum arithmetic: majorities of one voter set, or of both during joint
// consensus.

#include "consensus/raft/quorum.h"

#include <gtest/gtest.h>

#include <map>

namespace cairn::raft {
namespace {

std::function<uint64_t(NodeId)> Values(std::map<NodeId, uint64_t> v) {
  return [v](NodeId id) {
    auto it = v.find(id);
    return it == v.end() ? 0 : it->second;
  };
}

TEST(QuorumTest, CommittedIsWhatAMajorityReached) {
  Quorum q({1, 2, 3}, {});
  EXPECT_EQ(q.Committed(Values({{1, 5}, {2, 3}, {3, 1}})), 3u);
  EXPECT_EQ(q.Committed(Values({{1, 5}, {2, 5}, {3, 1}})), 5u);
  EXPECT_EQ(q.Committed(Values({{1, 5}})), 0u) << "missing voters count as 0";
  Quorum five({1, 2, 3, 4, 5}, {});
  EXPECT_EQ(five.Committed(Values({{1, 9}, {2, 8}, {3, 7}, {4, 1}, {5, 1}})), 7u);
  Quorum four({1, 2, 3, 4}, {});
  // Four voters need three.
  EXPECT_EQ(four.Committed(Values({{1, 9}, {2, 8}, {3, 7}, {4, 1}})), 7u);
  EXPECT_EQ(four.Committed(Values({{1, 9}, {2, 8}, {3, 1}, {4, 1}})), 1u);
}

TEST(QuorumTest, JointCommittedNeedsBothMajorities) {
  Quorum q({1, 4, 5}, {1, 2, 3});
  // The old set reached 9, the new one only 1.
  EXPECT_EQ(q.Committed(Values({{1, 9}, {2, 9}, {3, 9}, {4, 1}, {5, 1}})), 1u);
  EXPECT_EQ(q.Committed(Values({{1, 9}, {2, 9}, {3, 9}, {4, 6}, {5, 1}})), 6u);
  EXPECT_EQ(q.Committed(Values({{1, 9}, {2, 2}, {3, 1}, {4, 9}, {5, 9}})), 2u);
}

TEST(QuorumTest, EmptyQuorumCommitsNothing) {
  EXPECT_EQ(Quorum().Committed(Values({{1, 5}})), 0u);
}

TEST(QuorumTest, TallyWinsLosesOrWaits) {
  Quorum q({1, 2, 3}, {});
  EXPECT_EQ(q.Tally({{1, true}}), VoteResult::kPending);
  EXPECT_EQ(q.Tally({{1, true}, {2, true}}), VoteResult::kWon);
  EXPECT_EQ(q.Tally({{1, true}, {2, false}}), VoteResult::kPending);
  EXPECT_EQ(q.Tally({{1, true}, {2, false}, {3, false}}), VoteResult::kLost);
  // Votes of non-voters do not count.
  EXPECT_EQ(q.Tally({{1, true}, {7, true}, {8, true}}), VoteResult::kPending);
}

TEST(QuorumTest, JointTallyNeedsBothHalves) {
  Quorum q({1, 4, 5}, {1, 2, 3});
  EXPECT_EQ(q.Tally({{1, true}, {2, true}, {3, true}}), VoteResult::kPending);
  EXPECT_EQ(q.Tally({{1, true}, {2, true}, {4, true}}), VoteResult::kWon);
  EXPECT_EQ(q.Tally({{1, true}, {2, true}, {4, false}, {5, false}}), VoteResult::kLost);
}

TEST(QuorumTest, Membership) {
  Quorum q({3, 1, 4}, {1, 2, 3});
  EXPECT_TRUE(q.IsVoter(2));
  EXPECT_TRUE(q.IsVoter(4));
  EXPECT_FALSE(q.IsVoter(5));
  EXPECT_EQ(q.AllVoters(), (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_FALSE(q.SingleVoter());
  EXPECT_TRUE(Quorum({7}, {}).SingleVoter());
  EXPECT_TRUE(Quorum({7}, {7}).SingleVoter());
}

}  // namespace
}  // namespace cairn::raft
