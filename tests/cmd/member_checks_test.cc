// etcd's strict reconfiguration checks, on views of a leader's peers.
#include "cmd/cairn/member_checks.h"

#include <gtest/gtest.h>

#include "kv/members.h"

namespace cairn::cmd {
namespace {

cairnpb::MembershipChange Change(cairnpb::MembershipChange::Kind kind, uint64_t id,
                                 const std::string& url = "") {
  cairnpb::MembershipChange c;
  c.set_kind(kind);
  c.mutable_member()->set_id(id);
  if (!url.empty()) c.mutable_member()->add_peer_urls(url);
  return c;
}

// Voters 1..3 (1 leads), optionally learner 4; `down` are not heard from,
// `unstarted` never published their name.
struct Fixture {
  cairnpb::MemberTable table;
  cluster::MembershipView view;
  Fixture(bool learner, std::set<uint64_t> down = {}, raft::Index learner_match = 100,
          std::set<uint64_t> unstarted = {}) {
    view.leader = 1;
    for (uint64_t id : {1, 2, 3}) {
      cairnpb::MemberInfo* m = table.add_members();
      m->set_id(id);
      if (unstarted.count(id) == 0) m->set_name("n" + std::to_string(id));
      m->add_peer_urls("http://h:" + std::to_string(id));
      view.peers[id] = cluster::PeerStatus{100, false, down.count(id) == 0};
    }
    if (learner) {
      cairnpb::MemberInfo* m = table.add_members();
      m->set_id(4);
      m->set_is_learner(true);
      m->add_peer_urls("http://h:4");
      view.peers[4] = cluster::PeerStatus{learner_match, true, down.count(4) == 0};
    }
  }
  std::string Check(const cairnpb::MembershipChange& c) const {
    Status s = CheckMembershipChange(c, view, table);
    return s.ok() ? "ok" : s.message();
  }
};

TEST(MemberChecksTest, AddRefusesTakenUrlsASecondLearnerAndUnhealthyClusters) {
  EXPECT_EQ(Fixture(false).Check(Change(cairnpb::MembershipChange::ADD_VOTER, 9, "http://h:9")),
            "ok");
  EXPECT_EQ(Fixture(false).Check(Change(cairnpb::MembershipChange::ADD_VOTER, 9, "http://h:2")),
            "etcdserver: Peer URLs already exists");
  EXPECT_EQ(Fixture(true).Check(Change(cairnpb::MembershipChange::ADD_LEARNER, 9, "http://h:9")),
            "etcdserver: too many learner members in cluster");
  // One voter down: a fourth voter would still have a quorum of started
  // members (3 of 4), but not every voter is connected.
  EXPECT_EQ(
      Fixture(false, {3}).Check(Change(cairnpb::MembershipChange::ADD_VOTER, 9, "http://h:9")),
      "etcdserver: unhealthy cluster");
  EXPECT_EQ(Fixture(false, {}, 100, {2, 3})
                .Check(Change(cairnpb::MembershipChange::ADD_VOTER, 9, "http://h:9")),
            "etcdserver: re-configuration failed due to not enough started members");
  // A learner does not change the quorum: no health check.
  EXPECT_EQ(
      Fixture(false, {3}).Check(Change(cairnpb::MembershipChange::ADD_LEARNER, 9, "http://h:9")),
      "ok");
}

TEST(MemberChecksTest, RemoveKeepsAnActiveQuorum) {
  EXPECT_EQ(Fixture(false).Check(Change(cairnpb::MembershipChange::REMOVE, 2)), "ok");
  EXPECT_EQ(Fixture(false).Check(Change(cairnpb::MembershipChange::REMOVE, 1)), "ok");
  EXPECT_EQ(Fixture(false).Check(Change(cairnpb::MembershipChange::REMOVE, 7)),
            "etcdserver: member not found");
  // Removing a member that is down is always safe for the active quorum.
  EXPECT_EQ(Fixture(false, {3}).Check(Change(cairnpb::MembershipChange::REMOVE, 3)), "ok");
  // With 3 down, removing the live 2 would leave one connected voter of two.
  EXPECT_EQ(Fixture(false, {3}).Check(Change(cairnpb::MembershipChange::REMOVE, 2)),
            "etcdserver: unhealthy cluster");
  // Removing 2 when 3 never started leaves one started voter of two.
  EXPECT_EQ(Fixture(false, {}, 100, {3}).Check(Change(cairnpb::MembershipChange::REMOVE, 2)),
            "etcdserver: re-configuration failed due to not enough started members");
  EXPECT_EQ(Fixture(true, {4}).Check(Change(cairnpb::MembershipChange::REMOVE, 4)), "ok");
}

TEST(MemberChecksTest, PromoteNeedsALearnerInSyncWithTheLeader) {
  EXPECT_EQ(Fixture(true).Check(Change(cairnpb::MembershipChange::PROMOTE, 4)), "ok");
  EXPECT_EQ(Fixture(true).Check(Change(cairnpb::MembershipChange::PROMOTE, 2)),
            "etcdserver: can only promote a learner member");
  EXPECT_EQ(Fixture(true).Check(Change(cairnpb::MembershipChange::PROMOTE, 8)),
            "etcdserver: member not found");
  // 90% of the leader's log is in sync (etcd's readyPercent); below is not.
  EXPECT_EQ(Fixture(true, {}, 90).Check(Change(cairnpb::MembershipChange::PROMOTE, 4)), "ok");
  EXPECT_EQ(Fixture(true, {}, 89).Check(Change(cairnpb::MembershipChange::PROMOTE, 4)),
            "etcdserver: can only promote a learner member which is in sync with leader");
  EXPECT_EQ(Fixture(true, {}, 100, {2, 3}).Check(Change(cairnpb::MembershipChange::PROMOTE, 4)),
            "etcdserver: re-configuration failed due to not enough started members");
}

}  // namespace
}  // namespace cairn::cmd
