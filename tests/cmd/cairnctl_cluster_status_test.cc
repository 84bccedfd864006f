#include <gtest/gtest.h>

#include <map>

#include "cmd/cairnctl/cluster_status.h"

namespace cairn::ctl {
namespace {

etcdserverpb::Member Member(uint64_t id, const std::string& name, const std::string& client_url,
                            bool learner = false) {
  etcdserverpb::Member m;
  m.set_id(id);
  m.set_name(name);
  if (!client_url.empty()) m.add_clienturls(client_url);
  m.set_islearner(learner);
  return m;
}

etcdserverpb::StatusResponse Answer(uint64_t self, uint64_t leader, uint64_t term, uint64_t index) {
  etcdserverpb::StatusResponse s;
  s.mutable_header()->set_member_id(self);
  s.set_leader(leader);
  s.set_raftterm(term);
  s.set_raftindex(index);
  s.set_raftappliedindex(index - 1);
  s.set_dbsize(20480);
  return s;
}

// Endpoints that answer as given; any other endpoint is unreachable.
struct FakeCluster {
  std::map<std::string, etcdserverpb::StatusResponse> answers;
  std::vector<std::string> asked;
  StatusFetcher fetcher() {
    return [this](const std::string& e) -> Result<etcdserverpb::StatusResponse> {
      asked.push_back(e);
      auto it = answers.find(e);
      if (it == answers.end()) return Status(Code::kUnavailable, "connection refused");
      return it->second;
    };
  }
};

TEST(ClusterStatusTest, EveryMemberWithItsRoleAndRaftState) {
  etcdserverpb::MemberListResponse members;
  *members.add_members() = Member(1, "n1", "http://127.0.0.1:1");
  *members.add_members() = Member(2, "n2", "http://127.0.0.1:2");
  *members.add_members() = Member(3, "n3", "http://127.0.0.1:3", /*learner=*/true);
  FakeCluster fake;
  fake.answers["127.0.0.1:1"] = Answer(1, 2, 5, 100);
  fake.answers["127.0.0.1:2"] = Answer(2, 2, 5, 101);
  fake.answers["127.0.0.1:3"] = Answer(3, 2, 5, 90);
  auto rows = CollectClusterStatus(members, {"127.0.0.1:1"}, fake.fetcher());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].role, "follower");
  EXPECT_EQ(rows[1].role, "leader");
  EXPECT_EQ(rows[2].role, "learner");
  EXPECT_EQ(rows[1].commit_index, 101u);
  EXPECT_EQ(rows[1].applied_index, 100u);
  EXPECT_EQ(rows[2].endpoint, "127.0.0.1:3");
  for (const auto& r : rows)
    EXPECT_TRUE(r.reachable) << r.name;
  // Each endpoint is asked once, even when it is also in --endpoints.
  EXPECT_EQ(fake.asked.size(), 3u);
}

TEST(ClusterStatusTest, MembersWithoutClientUrlsAreFoundThroughEndpoints) {
  // Cairn lists client URLs only for the member answering MemberList.
  etcdserverpb::MemberListResponse members;
  *members.add_members() = Member(1, "n1", "http://127.0.0.1:1");
  *members.add_members() = Member(2, "n2", "");
  *members.add_members() = Member(3, "n3", "");
  FakeCluster fake;
  fake.answers["127.0.0.1:1"] = Answer(1, 3, 7, 10);
  fake.answers["127.0.0.1:9"] = Answer(3, 3, 7, 10);  // n3 behind a given endpoint
  auto rows =
      CollectClusterStatus(members, {"127.0.0.1:1", "127.0.0.1:8", "127.0.0.1:9"}, fake.fetcher());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].endpoint, "127.0.0.1:9");
  EXPECT_EQ(rows[2].role, "leader");
  EXPECT_TRUE(rows[2].reachable);
  EXPECT_FALSE(rows[1].reachable);  // n2: no URL, and 127.0.0.1:8 did not answer
  EXPECT_NE(rows[1].error, "");
}

TEST(ClusterStatusTest, AnUnreachableMemberKeepsItsErrorAndTheTableSaysSo) {
  etcdserverpb::MemberListResponse members;
  *members.add_members() = Member(1, "n1", "http://127.0.0.1:1");
  *members.add_members() = Member(2, "n2", "http://127.0.0.1:2");
  FakeCluster fake;
  fake.answers["127.0.0.1:1"] = Answer(1, 1, 3, 10);
  auto rows = CollectClusterStatus(members, {}, fake.fetcher());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[1].reachable);
  EXPECT_EQ(rows[1].error, "connection refused");
  std::string table = ClusterStatusTable(rows);
  EXPECT_NE(table.find("| n1   | 1  | 127.0.0.1:1 | leader   | 3 "), std::string::npos) << table;
  EXPECT_NE(table.find("connection refused"), std::string::npos) << table;
  EXPECT_EQ(ClusterStatusSimple(rows),
            "n1, 1, 127.0.0.1:1, leader, 3, 10, 9, 20 kB, ok\n"
            "n2, 2, 127.0.0.1:2, follower, , , , , connection refused\n");
}

TEST(ClusterStatusTest, TheNewestTermNamesTheLeader) {
  etcdserverpb::MemberListResponse members;
  *members.add_members() = Member(1, "n1", "http://127.0.0.1:1");
  *members.add_members() = Member(2, "n2", "http://127.0.0.1:2");
  FakeCluster fake;
  fake.answers["127.0.0.1:1"] = Answer(1, 1, 3, 10);  // stale: thinks it still leads
  fake.answers["127.0.0.1:2"] = Answer(2, 2, 4, 12);
  auto rows = CollectClusterStatus(members, {}, fake.fetcher());
  EXPECT_EQ(rows[0].role, "follower");
  EXPECT_EQ(rows[1].role, "leader");
}

}  // namespace
}  // namespace cairn::ctl
