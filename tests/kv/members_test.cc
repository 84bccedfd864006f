// The member table: each membership request's effect and etcd's errors,
// agreement with the Raft core's verdict, and persistence in the store.
#include "kv/members.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "kv/mvcc_store.h"

namespace cairn::kv {
namespace {

cairnpb::RaftRequest Change(cairnpb::MembershipChange::Kind kind, uint64_t id,
                            const std::string& url = "") {
  cairnpb::RaftRequest req;
  req.mutable_membership()->set_kind(kind);
  req.mutable_membership()->mutable_member()->set_id(id);
  if (!url.empty()) req.mutable_membership()->mutable_member()->add_peer_urls(url);
  return req;
}

cairnpb::MemberTable ThreeVoters() {
  cairnpb::MemberTable t;
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_TRUE(
        ApplyMemberRequest(
            Change(cairnpb::MembershipChange::ADD_VOTER, id, "http://h:" + std::to_string(id)), &t)
            .ok());
  }
  return t;
}

TEST(MembersTest, AddPromoteAndRemoveFollowTheRaftConfiguration) {
  cairnpb::MemberTable t = ThreeVoters();
  ASSERT_TRUE(
      ApplyMemberRequest(Change(cairnpb::MembershipChange::ADD_LEARNER, 4, "http://h:4"), &t).ok());
  EXPECT_EQ(ConfOf(t).voters, (std::vector<raft::NodeId>{1, 2, 3}));
  EXPECT_EQ(ConfOf(t).learners, (std::vector<raft::NodeId>{4}));
  ASSERT_TRUE(ApplyMemberRequest(Change(cairnpb::MembershipChange::PROMOTE, 4), &t).ok());
  EXPECT_EQ(ConfOf(t).voters, (std::vector<raft::NodeId>{1, 2, 3, 4}));
  EXPECT_TRUE(ConfOf(t).learners.empty());
  // Promote keeps what the member had (its URLs).
  EXPECT_EQ(FindMember(t, 4)->peer_urls(0), "http://h:4");
  ASSERT_TRUE(ApplyMemberRequest(Change(cairnpb::MembershipChange::REMOVE, 1), &t).ok());
  EXPECT_EQ(ConfOf(t).voters, (std::vector<raft::NodeId>{2, 3, 4}));
  EXPECT_EQ(t.removed(0), 1u);
}

TEST(MembersTest, RefusalsUseEtcdsErrorsAndChangeNothing) {
  cairnpb::MemberTable t = ThreeVoters();
  const std::string before = t.SerializeAsString();
  Status s = ApplyMemberRequest(Change(cairnpb::MembershipChange::REMOVE, 9), &t);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "etcdserver: member not found");
  s = ApplyMemberRequest(Change(cairnpb::MembershipChange::PROMOTE, 2), &t);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "etcdserver: can only promote a learner member");
  s = ApplyMemberRequest(Change(cairnpb::MembershipChange::ADD_VOTER, 2, "http://x:1"), &t);
  EXPECT_EQ(s.message(), "etcdserver: member ID already exist");
  cairnpb::RaftRequest update;
  update.mutable_member_peer_update()->set_id(3);
  update.mutable_member_peer_update()->add_peer_urls("http://h:1");
  s = ApplyMemberRequest(update, &t);
  EXPECT_EQ(s.message(), "etcdserver: Peer URLs already exists");
  update.mutable_member_peer_update()->set_id(7);
  EXPECT_EQ(ApplyMemberRequest(update, &t).message(), "etcdserver: member not found");
  EXPECT_EQ(t.SerializeAsString(), before);
  // The core refuses removing the last voter; so does the table.
  cairnpb::MemberTable one;
  ASSERT_TRUE(ApplyMemberRequest(Change(cairnpb::MembershipChange::ADD_VOTER, 1, "u"), &one).ok());
  EXPECT_EQ(
      ApplyMemberRequest(Change(cairnpb::MembershipChange::REMOVE, 1), &one).ok(),
      raft::ApplyConfChange(ConfOf(one),
                            ConfChangeOf(Change(cairnpb::MembershipChange::REMOVE, 1).membership()))
          .ok());
}

TEST(MembersTest, AttributesAndPeerUpdatesChangeOneMember) {
  cairnpb::MemberTable t = ThreeVoters();
  cairnpb::RaftRequest attrs;
  attrs.mutable_member_attributes()->set_id(2);
  attrs.mutable_member_attributes()->set_name("n2");
  attrs.mutable_member_attributes()->add_client_urls("http://h:2379");
  ASSERT_TRUE(ApplyMemberRequest(attrs, &t).ok());
  cairnpb::RaftRequest update;
  update.mutable_member_peer_update()->set_id(2);
  update.mutable_member_peer_update()->add_peer_urls("http://new:2380");
  ASSERT_TRUE(ApplyMemberRequest(update, &t).ok());
  const cairnpb::MemberInfo* m = FindMember(t, 2);
  EXPECT_EQ(m->name(), "n2");
  EXPECT_EQ(m->client_urls(0), "http://h:2379");
  ASSERT_EQ(m->peer_urls_size(), 1);
  EXPECT_EQ(m->peer_urls(0), "http://new:2380");
  EXPECT_EQ(FindMember(t, 1)->name(), "");
}

TEST(MembersTest, TheStoreKeepsTheTableWithTheAppliedIndex) {
  std::string dir = (std::filesystem::temp_directory_path() / "cairn-members-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  {
    auto store = MvccStore::Open(dir);
    ASSERT_TRUE(store.ok());
    auto r =
        (*store)->Apply(Change(cairnpb::MembershipChange::ADD_VOTER, 5, "http://h:5"), 1, 1, 1);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->status.ok());
    // A refused change is an ok Result with etcd's status; the entry still
    // counts as applied.
    r = (*store)->Apply(Change(cairnpb::MembershipChange::PROMOTE, 5), 2, 1, 2);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status.message(), "etcdserver: can only promote a learner member");
    EXPECT_EQ((*store)->applied_index(), 2u);
    EXPECT_EQ((*store)->current_revision(), 0);  // membership writes no revision
  }
  auto store = MvccStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto table = (*store)->Members();
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->members_size(), 1);
  EXPECT_EQ(table->members(0).id(), 5u);
  EXPECT_FALSE(table->members(0).is_learner());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::kv
