// cairnctl doctor's and the dashboard's rules, on made-up probes.
#include "client/diagnosis.h"

#include <gtest/gtest.h>

namespace cairn::client {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

MemberProbe Member(uint64_t id, const std::string& role, uint64_t term = 5, uint64_t leader = 1) {
  MemberProbe p;
  p.member.id = id;
  p.member.name = "m" + std::to_string(id);
  p.member.client_urls = {"http://127.0.0.1:" + std::to_string(2369 + 10 * id)};
  p.reachable = true;
  p.sent_unix_ms = kNow;
  p.received_unix_ms = kNow + 2;
  cairnpb::TelemetryResponse& t = p.telemetry;
  t.set_member_id(id);
  t.set_name(p.member.name);
  t.set_unix_ms(kNow + 1);
  t.set_role(role);
  t.set_term(term);
  t.set_leader(leader);
  t.set_commit_index(1000);
  t.set_applied_index(1000);
  t.set_db_size_bytes(10 << 20);
  t.set_quota_bytes(2LL << 30);
  t.set_disk_free_bytes(50LL << 30);
  t.set_disk_total_bytes(100LL << 30);
  t.set_fsync_p99_seconds(0.004);
  return p;
}

std::vector<MemberProbe> Healthy() {
  return {Member(1, "leader"), Member(2, "follower"), Member(3, "follower")};
}

MemberProbe Unreachable(MemberProbe p) {
  p.reachable = false;
  p.error = "failed to connect to all addresses (127.0.0.1:2399)";
  p.telemetry.Clear();
  return p;
}

const Check& Named(const Diagnosis& d, const std::string& name) {
  for (const Check& c : d.checks) {
    if (c.name == name) return c;
  }
  static Check none;
  ADD_FAILURE() << "no check named " << name;
  return none;
}

TEST(Diagnosis, AHealthyClusterPassesEveryCheck) {
  Diagnosis d = Diagnose(Healthy(), {}, {});
  EXPECT_EQ(d.verdict, Verdict::kHealthy);
  EXPECT_TRUE(d.Findings().empty());
  EXPECT_EQ(Named(d, "reachable").summary, "3 of 3 members answered");
  EXPECT_EQ(Named(d, "leader").summary, "m1 leads term 5, and every member that answered agrees");
  EXPECT_EQ(d.checks.size(), 8u);
}

TEST(Diagnosis, OneMemberDownIsDegradedAndNamesIt) {
  std::vector<MemberProbe> probes = Healthy();
  probes[2] = Unreachable(probes[2]);
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kDegraded);
  ASSERT_EQ(d.Findings().size(), 1u);
  EXPECT_EQ(d.Findings()[0].member, "m3");
  EXPECT_EQ(d.Findings()[0].what, "m3 does not answer");
  EXPECT_NE(d.Findings()[0].cause.find("127.0.0.1:2399"), std::string::npos);
}

TEST(Diagnosis, TwoOfThreeDownIsUnavailable) {
  std::vector<MemberProbe> probes = Healthy();
  probes[0] = Unreachable(probes[0]);
  probes[2] = Unreachable(probes[2]);
  probes[1].telemetry.set_leader(0);
  probes[1].telemetry.set_role("candidate");
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kUnavailable);
  std::vector<Finding> f = d.Findings();
  ASSERT_GE(f.size(), 2u);
  EXPECT_EQ(f[0].severity, Severity::kCritical);
  EXPECT_EQ(f[0].what, "only 1 of 3 voting members answer; a quorum needs 2");
  EXPECT_EQ(f[1].what, "the cluster has no leader");
}

TEST(Diagnosis, AMemberOnAnOldTermOrWithoutALeaderIsFlagged) {
  std::vector<MemberProbe> probes = Healthy();
  probes[2].telemetry.set_term(4);
  probes[2].telemetry.set_leader(0);
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kDegraded);
  ASSERT_EQ(Named(d, "leader").findings.size(), 1u);
  EXPECT_EQ(Named(d, "leader").findings[0].what,
            "m3 is on term 4 and knows no leader, while the cluster is on term 5 led by m1");
}

TEST(Diagnosis, ALearnerDoesNotCountTowardsTheQuorum) {
  std::vector<MemberProbe> probes = Healthy();
  MemberProbe learner = Member(4, "learner");
  learner.member.learner = true;
  probes.push_back(learner);
  probes[1] = Unreachable(probes[1]);
  probes[2] = Unreachable(probes[2]);
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kUnavailable) << "2 of 4 answer, but only 1 of 3 voters";
}

TEST(Diagnosis, ASlowDiskIsFoundAboveTheThresholdOnly) {
  std::vector<MemberProbe> probes = Healthy();
  probes[1].telemetry.set_fsync_p99_seconds(0.82);
  probes[1].telemetry.set_fsyncs_last_minute(300);
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kDegraded);
  ASSERT_EQ(Named(d, "fsync").findings.size(), 1u);
  EXPECT_EQ(Named(d, "fsync").findings[0].what,
            "m2's WAL fsync p99 is 820 ms over the last minute (300 syncs; threshold 500 ms)");
  EXPECT_NE(Named(d, "fsync").findings[0].cause.find("election storms"), std::string::npos);
  DoctorThresholds lenient;
  lenient.fsync_p99_seconds = 1;
  EXPECT_EQ(Diagnose(probes, {}, lenient).verdict, Verdict::kHealthy);
}

TEST(Diagnosis, ClockSkewBeyondTheRoundTripsUncertaintyIsFlagged) {
  std::vector<MemberProbe> probes = Healthy();
  probes[2].telemetry.set_unix_ms(kNow + 3201);
  Diagnosis d = Diagnose(probes, {}, {});
  ASSERT_EQ(Named(d, "clock").findings.size(), 1u);
  EXPECT_EQ(Named(d, "clock").findings[0].what,
            "m3's clock is 3.2 s ahead of the other members' (threshold 1.0 s)");
  // The same offset measured over a 5 s round trip proves nothing.
  probes[2].received_unix_ms = kNow + 5000;
  probes[2].telemetry.set_unix_ms(kNow + 2500 + 3200);
  EXPECT_TRUE(Named(Diagnose(probes, {}, {}), "clock").ok());
}

TEST(Diagnosis, AnAlarmMakesTheClusterUnavailableWithARemedy) {
  std::vector<MemberProbe> probes = Healthy();
  for (MemberProbe& p : probes)
    p.telemetry.add_alarms("NOSPACE");
  Diagnosis d = Diagnose(probes, {}, {});
  EXPECT_EQ(d.verdict, Verdict::kUnavailable);
  ASSERT_EQ(Named(d, "alarms").findings.size(), 1u) << "one finding, not one per member";
  EXPECT_NE(Named(d, "alarms").findings[0].remedy.find("alarm disarm"), std::string::npos);
}

TEST(Diagnosis, ApplyLagAndDiskSpaceAgainstTheQuota) {
  std::vector<MemberProbe> probes = Healthy();
  probes[0].telemetry.set_commit_index(20000);
  probes[1].telemetry.set_applied_index(9000);  // 11000 behind
  probes[2].telemetry.set_applied_index(20000);
  probes[2].telemetry.set_disk_free_bytes(100 << 20);  // 100 MiB, quota allows 2 GiB - 10 MiB more
  Diagnosis d = Diagnose(probes, {}, {});
  ASSERT_EQ(Named(d, "apply lag").findings.size(), 2u) << "m1 (applied 1000) and m2";
  EXPECT_EQ(Named(d, "apply lag").findings[1].member, "m2");
  ASSERT_EQ(Named(d, "disk").findings.size(), 1u);
  EXPECT_EQ(Named(d, "disk").findings[0].what,
            "m3's disk has 100 MiB free, less than the 2.0 GiB its database may still grow under "
            "the quota");
  probes = Healthy();
  probes[0].telemetry.set_db_size_bytes(1900LL << 20);
  EXPECT_EQ(Named(Diagnose(probes, {}, {}), "disk").findings[0].what,
            "m1's database uses 92% of its quota (1.9 GiB of 2.0 GiB)");
}

TEST(Diagnosis, ALearnerIsJudgedByItsProgressBetweenTwoProbes) {
  auto with_learner = [](uint64_t commit, uint64_t learner_applied) {
    std::vector<MemberProbe> probes = Healthy();
    for (MemberProbe& p : probes)
      p.telemetry.set_commit_index(commit), p.telemetry.set_applied_index(commit);
    MemberProbe l = Member(4, "learner");
    l.member.learner = true;
    l.telemetry.set_commit_index(learner_applied);
    l.telemetry.set_applied_index(learner_applied);
    probes.push_back(l);
    return probes;
  };
  // Falling further behind: flagged.
  Diagnosis stuck = Diagnose(with_learner(60000, 10000), with_learner(50000, 9000), {});
  ASSERT_EQ(Named(stuck, "learners").findings.size(), 1u);
  EXPECT_EQ(Named(stuck, "learners").findings[0].what,
            "learner m4 is not catching up: 50000 entries behind, 41000 at the previous probe");
  // Behind but gaining: fine. One probe only: no judgement.
  EXPECT_TRUE(
      Named(Diagnose(with_learner(60000, 30000), with_learner(50000, 10000), {}), "learners").ok());
  EXPECT_TRUE(Named(Diagnose(with_learner(60000, 10000), {}, {}), "learners").ok());
  // A learner's lag is not the voters' apply lag.
  EXPECT_TRUE(Named(Diagnose(with_learner(60000, 10000), {}, {}), "apply lag").ok());
}

TEST(Diagnosis, FormatsForPeople) {
  EXPECT_EQ(FormatSeconds(0.82), "820 ms");
  EXPECT_EQ(FormatSeconds(0.0041), "4.1 ms");
  EXPECT_EQ(FormatSeconds(3.2), "3.2 s");
  EXPECT_EQ(FormatBytes(300LL << 20), "300 MiB");
  EXPECT_EQ(FormatBytes(1536LL << 20), "1.5 GiB");
}

}  // namespace
}  // namespace cairn::client
