// ConfChange: its encoding, and which membership transitions it allows.

#include "consensus/raft/conf_change.h"

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft {
namespace {

using test::Voters;

ConfChange Of(std::vector<ConfChangeItem> items) {
  ConfChange cc;
  cc.changes = std::move(items);
  return cc;
}

TEST(ConfChangeTest, EncodingRoundTrips) {
  ConfChange cc = Of({{ConfChangeType::kAddVoter, 4}, {ConfChangeType::kRemoveNode, 1ull << 40}});
  cc.explicit_leave = true;
  auto back = DecodeConfChange(EncodeConfChange(cc));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cc);
  auto leave = DecodeConfChange(EncodeConfChange(ConfChange{}));
  ASSERT_TRUE(leave.ok());
  EXPECT_TRUE(leave->LeaveJoint());
}

TEST(ConfChangeTest, ContextRoundTripsAndOldEncodingsStillDecode) {
  ConfChange cc = Of({{ConfChangeType::kAddLearner, 7}});
  const std::string without = EncodeConfChange(cc);
  cc.context = std::string("member\0metadata", 15);
  const std::string with = EncodeConfChange(cc);
  auto back = DecodeConfChange(with);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cc);
  // An entry written before contexts existed is the same bytes as one
  // without a context.
  auto old = DecodeConfChange(without);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->context.empty());
  // A cut context, or a length that disagrees with what follows, is corrupt.
  for (size_t n = without.size() + 1; n < with.size(); n++) {
    EXPECT_EQ(DecodeConfChange(with.substr(0, n)).status().code(), Code::kDataLoss) << n;
  }
  EXPECT_EQ(DecodeConfChange(with + "x").status().code(), Code::kDataLoss);
}

TEST(ConfChangeTest, MalformedEncodingsAreDataLoss) {
  std::string good = EncodeConfChange(Of({{ConfChangeType::kAddVoter, 4}}));
  for (size_t n = 0; n < good.size(); n++) {
    EXPECT_EQ(DecodeConfChange(good.substr(0, n)).status().code(), Code::kDataLoss) << n;
  }
  EXPECT_EQ(DecodeConfChange(good + "x").status().code(), Code::kDataLoss);
  std::string bad_type = good;
  bad_type[10] = 9;
  EXPECT_EQ(DecodeConfChange(bad_type).status().code(), Code::kDataLoss);
  // A huge count must not make the decoder allocate or read past the end.
  std::string huge = good;
  for (int i = 2; i < 10; i++)
    huge[i] = '\xff';
  EXPECT_EQ(DecodeConfChange(huge).status().code(), Code::kDataLoss);
}

TEST(ConfChangeTest, SingleStepChangesOneVoter) {
  auto next = ApplyConfChange(Voters({1, 2, 3}), Of({{ConfChangeType::kAddVoter, 4}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, Voters({1, 2, 3, 4}));
  next = ApplyConfChange(Voters({1, 2, 3}), Of({{ConfChangeType::kRemoveNode, 2}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, Voters({1, 3}));
  next = ApplyConfChange(Voters({1, 2, 3}), Of({{ConfChangeType::kAddLearner, 4}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, Voters({1, 2, 3}, {4}));
  // Promoting a learner.
  next = ApplyConfChange(Voters({1, 2, 3}, {4}), Of({{ConfChangeType::kAddVoter, 4}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, Voters({1, 2, 3, 4}));
}

TEST(ConfChangeTest, SeveralVotersAtOnceGoThroughJoint) {
  auto next = ApplyConfChange(
      Voters({1, 2, 3}), Of({{ConfChangeType::kAddVoter, 4}, {ConfChangeType::kRemoveNode, 1}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->voters, (std::vector<NodeId>{2, 3, 4}));
  EXPECT_EQ(next->voters_outgoing, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_TRUE(next->auto_leave);
  // Only leaving is allowed from here.
  EXPECT_FALSE(ApplyConfChange(*next, Of({{ConfChangeType::kAddVoter, 5}})).ok());
  auto left = ApplyConfChange(*next, ConfChange{});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, Voters({2, 3, 4}));
}

TEST(ConfChangeTest, DemotionInJointTakesEffectOnLeaving) {
  ConfChange cc = Of({{ConfChangeType::kAddLearner, 3}});
  cc.force_joint = true;
  auto joint = ApplyConfChange(Voters({1, 2, 3}), cc);
  ASSERT_TRUE(joint.ok());
  // Node 3 still votes in the outgoing half.
  EXPECT_EQ(joint->voters_outgoing, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(joint->learners_next, (std::vector<NodeId>{3}));
  EXPECT_TRUE(joint->learners.empty());
  auto left = ApplyConfChange(*joint, ConfChange{});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, Voters({1, 2}, {3}));
}

TEST(ConfChangeTest, InvalidChangesAreRefused) {
  EXPECT_FALSE(ApplyConfChange(Voters({1}), Of({{ConfChangeType::kRemoveNode, 1}})).ok());
  EXPECT_FALSE(ApplyConfChange(Voters({1, 2}), Of({{ConfChangeType::kAddVoter, 0}})).ok());
  EXPECT_FALSE(ApplyConfChange(Voters({1, 2}), ConfChange{}).ok()) << "not joint";
}

}  // namespace
}  // namespace cairn::raft
