#include "client/diagnosis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace cairn::client {
namespace {

std::string Format(const char* fmt, double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return std::string(buf) + unit;
}

std::string Name(const MemberProbe& p) {
  return p.telemetry.name().empty() ? DisplayName(p.member) : p.telemetry.name();
}

bool IsVoter(const MemberProbe& p) {
  return !p.member.learner;
}

std::string NameOf(const std::vector<MemberProbe>& probes, uint64_t id) {
  for (const MemberProbe& p : probes) {
    if (p.member.id == id) return Name(p);
  }
  return HexId(id);
}

uint64_t HighestCommit(const std::vector<MemberProbe>& probes) {
  uint64_t commit = 0;
  for (const MemberProbe& p : probes) {
    if (p.reachable) commit = std::max(commit, p.telemetry.commit_index());
  }
  return commit;
}

Finding Warn(std::string member, std::string what, std::string cause, std::string remedy,
             Severity severity = Severity::kWarning) {
  return Finding{severity, std::move(member), std::move(what), std::move(cause), std::move(remedy)};
}

Check Reachability(const std::vector<MemberProbe>& probes) {
  Check c{"reachable", "", {}};
  size_t answered = 0, voters = 0, voters_answered = 0;
  for (const MemberProbe& p : probes) {
    answered += p.reachable ? 1 : 0;
    voters += IsVoter(p) ? 1 : 0;
    voters_answered += IsVoter(p) && p.reachable ? 1 : 0;
    if (!p.reachable) {
      c.findings.push_back(Warn(
          Name(p), Name(p) + " does not answer", p.error,
          "check that its cairn process runs (systemctl status cairn, or its log), and that its "
          "client URL is reachable from here"));
    }
  }
  const size_t quorum = voters / 2 + 1;
  c.summary =
      std::to_string(answered) + " of " + std::to_string(probes.size()) + " members answered";
  if (voters > 0 && voters_answered < quorum) {
    c.findings.insert(
        c.findings.begin(),
        Warn("",
             "only " + std::to_string(voters_answered) + " of " + std::to_string(voters) +
                 " voting members answer; a quorum needs " + std::to_string(quorum),
             "without a quorum the cluster cannot elect a leader or commit a write",
             "bring the missing members back (start them, repair the network between them); if "
             "they are lost for good, restore the cluster from a snapshot (docs/OPERATIONS.md)",
             Severity::kCritical));
  }
  return c;
}

Check Leadership(const std::vector<MemberProbe>& probes) {
  Check c{"leader", "", {}};
  // The highest term any member is on, and the leader most of its members
  // name: the cluster's current view.
  uint64_t term = 0;
  for (const MemberProbe& p : probes) {
    if (p.reachable) term = std::max(term, p.telemetry.term());
  }
  std::map<uint64_t, int> votes;
  for (const MemberProbe& p : probes) {
    if (p.reachable && p.telemetry.term() == term && p.telemetry.leader() != 0)
      ++votes[p.telemetry.leader()];
  }
  uint64_t leader = 0;
  int most = 0;
  for (const auto& [id, n] : votes) {
    if (n > most) leader = id, most = n;
  }
  if (leader == 0) {
    c.summary = "no member knows a leader (term " + std::to_string(term) + ")";
    c.findings.push_back(Warn(
        "", "the cluster has no leader",
        "an election has not succeeded: the members cannot reach a quorum of each other, or "
        "elections keep failing (slow disks, an overloaded host, an election timeout too short "
        "for the network)",
        "check the peer network between members (the peer port, 2380 by default), the fsync "
        "latency, and the members' logs for 'leader is now'",
        Severity::kCritical));
    return c;
  }
  const std::string leader_name = NameOf(probes, leader);
  c.summary = leader_name + " leads term " + std::to_string(term);
  for (const MemberProbe& p : probes) {
    if (!p.reachable) continue;
    if (p.member.id == leader && p.telemetry.role() != "leader") {
      c.findings.push_back(
          Warn(Name(p),
               "the others follow " + leader_name + ", which says it is a " + p.telemetry.role(),
               "a leadership change is under way",
               "probe again in a few seconds; if it persists, check the logs"));
    } else if (p.telemetry.term() != term || p.telemetry.leader() != leader) {
      const std::string its = p.telemetry.leader() == 0
                                  ? "knows no leader"
                                  : "follows " + NameOf(probes, p.telemetry.leader());
      c.findings.push_back(Warn(
          Name(p),
          Name(p) + " is on term " + std::to_string(p.telemetry.term()) + " and " + its +
              ", while the cluster is on term " + std::to_string(term) + " led by " + leader_name,
          "it does not hear from the leader: a network partition, a paused or overloaded "
          "process, or it has just restarted",
          "check the network between " + Name(p) + " and " + leader_name +
              " on the peer port; a member that just restarted catches up within an election "
              "timeout"));
    }
  }
  if (c.ok()) c.summary += ", and every member that answered agrees";
  return c;
}

Check ApplyLag(const std::vector<MemberProbe>& probes, const DoctorThresholds& t) {
  Check c{"apply lag", "", {}};
  const uint64_t commit = HighestCommit(probes);
  uint64_t worst = 0;
  for (const MemberProbe& p : probes) {
    if (!p.reachable || !IsVoter(p)) continue;
    const uint64_t applied = p.telemetry.applied_index();
    const uint64_t lag = commit > applied ? commit - applied : 0;
    worst = std::max(worst, lag);
    if (lag > t.apply_lag_entries) {
      c.findings.push_back(Warn(
          Name(p),
          Name(p) + " has applied " + std::to_string(lag) +
              " fewer entries than the cluster "
              "committed (threshold " +
              std::to_string(t.apply_lag_entries) + ")",
          "it applies more slowly than the cluster writes (disk or CPU), or it is catching up "
          "after a restart or a snapshot",
          "watch whether the lag shrinks (cairnctl doctor again, or the dashboard); if not, give "
          "the member a faster disk or reduce the write rate"));
    }
  }
  c.summary = "at most " + std::to_string(worst) + " entries behind the commit index (threshold " +
              std::to_string(t.apply_lag_entries) + ")";
  return c;
}

Check Fsync(const std::vector<MemberProbe>& probes, const DoctorThresholds& t) {
  Check c{"fsync", "", {}};
  double worst = 0;
  for (const MemberProbe& p : probes) {
    if (!p.reachable) continue;
    const double p99 = p.telemetry.fsync_p99_seconds();
    worst = std::max(worst, p99);
    if (p99 > t.fsync_p99_seconds) {
      c.findings.push_back(Warn(
          Name(p),
          Name(p) + "'s WAL fsync p99 is " + FormatSeconds(p99) + " over the last minute (" +
              std::to_string(p.telemetry.fsyncs_last_minute()) + " syncs; threshold " +
              FormatSeconds(t.fsync_p99_seconds) + ")",
          "a slow or shared disk: every write waits for fsync, and a leader stuck in one misses "
          "heartbeats, which is the classic cause of election storms",
          "put the data directory on a dedicated SSD, look for other load on the device "
          "(iostat -x 1), and raise --election-timeout if the disk cannot be made faster"));
    }
  }
  c.summary = "p99 at most " + FormatSeconds(worst) + " over the last minute (threshold " +
              FormatSeconds(t.fsync_p99_seconds) + ")";
  return c;
}

Check ClockSkew(const std::vector<MemberProbe>& probes, const DoctorThresholds& t) {
  Check c{"clock", "", {}};
  // Each member's offset from the prober's clock, known to within half the
  // call's round trip; compared with the median member's.
  struct Offset {
    const MemberProbe* p;
    double ms, error_ms;
  };
  std::vector<Offset> offsets;
  for (const MemberProbe& p : probes) {
    if (!p.reachable || p.telemetry.unix_ms() == 0) continue;
    const double mid = (static_cast<double>(p.sent_unix_ms) + p.received_unix_ms) / 2;
    offsets.push_back({&p, static_cast<double>(p.telemetry.unix_ms()) - mid,
                       (static_cast<double>(p.received_unix_ms) - p.sent_unix_ms) / 2});
  }
  if (offsets.size() < 2) {
    c.summary = "fewer than two members answered: nothing to compare";
    return c;
  }
  std::vector<Offset> sorted = offsets;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.ms < b.ms; });
  const Offset median = sorted[sorted.size() / 2];
  const double spread = sorted.back().ms - sorted.front().ms;
  for (const Offset& o : offsets) {
    const double apart = o.ms - median.ms;
    const double surely = std::abs(apart) - o.error_ms - median.error_ms;
    if (surely > static_cast<double>(t.clock_skew_ms)) {
      c.findings.push_back(
          Warn(Name(*o.p),
               Name(*o.p) + "'s clock is " + FormatSeconds(std::abs(apart) / 1000) +
                   (apart > 0 ? " ahead of" : " behind") + " the other members' (threshold " +
                   FormatSeconds(static_cast<double>(t.clock_skew_ms) / 1000) + ")",
               "its clock is not synchronised: time synchronisation is stopped or not configured. "
               "Raft does not depend on wall clocks, but logs, lease expiry as clients see it and "
               "certificates do",
               "enable time synchronisation (chrony or systemd-timesyncd) on every member's host"));
    }
  }
  c.summary = "members' clocks within " + FormatSeconds(spread / 1000) +
              " of each other (threshold " +
              FormatSeconds(static_cast<double>(t.clock_skew_ms) / 1000) + ")";
  return c;
}

Check Disk(const std::vector<MemberProbe>& probes, const DoctorThresholds& t) {
  Check c{"disk", "", {}};
  double fullest = 0;
  for (const MemberProbe& p : probes) {
    if (!p.reachable) continue;
    const cairnpb::TelemetryResponse& m = p.telemetry;
    if (m.quota_bytes() <= 0) continue;
    const double used = static_cast<double>(m.db_size_bytes()) / m.quota_bytes();
    fullest = std::max(fullest, used);
    if (used > t.quota_used_ratio) {
      c.findings.push_back(Warn(
          Name(p),
          Name(p) + "'s database uses " + std::to_string(static_cast<int>(used * 100)) +
              "% of its quota (" + FormatBytes(m.db_size_bytes()) + " of " +
              FormatBytes(m.quota_bytes()) + ")",
          "old revisions accumulate until compacted; at the quota the cluster raises NOSPACE "
          "and refuses writes",
          "compact old revisions (cairnctl compaction <revision>), then defragment each member "
          "(cairnctl defrag), or raise --quota-backend-bytes"));
    }
    const int64_t room = m.quota_bytes() - m.db_size_bytes();
    if (m.disk_total_bytes() > 0 && room > 0 && m.disk_free_bytes() < room) {
      c.findings.push_back(Warn(
          Name(p),
          Name(p) + "'s disk has " + FormatBytes(m.disk_free_bytes()) + " free, less than the " +
              FormatBytes(room) + " its database may still grow under the quota",
          "the disk will fill before the quota protects it; a full disk stops the WAL",
          "free space on that file system or move the data directory to a bigger disk, or lower "
          "--quota-backend-bytes to what the disk can hold"));
    }
  }
  c.summary = "the fullest database uses " + std::to_string(static_cast<int>(fullest * 100)) +
              "% of its quota";
  return c;
}

Check Alarms(const std::vector<MemberProbe>& probes) {
  Check c{"alarms", "", {}};
  std::set<std::string> raised;
  for (const MemberProbe& p : probes) {
    if (!p.reachable) continue;
    for (const std::string& a : p.telemetry.alarms())
      raised.insert(a);
    if (!p.telemetry.storage_error().empty()) {
      c.findings.push_back(
          Warn(Name(p), Name(p) + "'s WAL failed: " + p.telemetry.storage_error(),
               "a write or fdatasync returned an error (a failing or full disk)",
               "the member exits and, under systemd, restarts and recovers from its disk; check "
               "dmesg and the disk's health",
               Severity::kCritical));
    }
  }
  for (const std::string& a : raised) {
    if (a == "NOSPACE") {
      c.findings.push_back(
          Warn("", "the NOSPACE alarm is raised: the cluster refuses writes",
               "a member's database reached --quota-backend-bytes",
               "compact old revisions (cairnctl compaction <revision>), defragment every member "
               "(cairnctl defrag), then clear the alarm (cairnctl alarm disarm)",
               Severity::kCritical));
    } else if (a == "CORRUPT") {
      c.findings.push_back(Warn(
          "", "the CORRUPT alarm is raised: members' data differ",
          "a member's store no longer matches the others' (a disk or software fault)",
          "find the member whose hash differs (cairnctl endpoint hashkv --cluster), remove it, "
          "wipe its data directory and add it back as a new member",
          Severity::kCritical));
    } else {
      c.findings.push_back(Warn("", "the " + a + " alarm is raised", "", "cairnctl alarm list",
                                Severity::kCritical));
    }
  }
  c.summary = raised.empty() ? "none raised" : std::to_string(raised.size()) + " raised";
  return c;
}

Check Learners(const std::vector<MemberProbe>& now, const std::vector<MemberProbe>& before,
               const DoctorThresholds& t) {
  Check c{"learners", "", {}};
  const uint64_t commit = HighestCommit(now);
  const uint64_t commit_before = HighestCommit(before);
  size_t learners = 0;
  for (const MemberProbe& p : now) {
    if (!p.member.learner || !p.reachable) continue;
    ++learners;
    const uint64_t lag = commit - std::min(commit, p.telemetry.applied_index());
    if (lag <= t.learner_lag_entries) continue;
    const MemberProbe* earlier = nullptr;
    for (const MemberProbe& b : before) {
      if (b.member.id == p.member.id && b.reachable) earlier = &b;
    }
    if (earlier == nullptr) continue;  // no second look: cannot judge progress
    const uint64_t lag_before =
        commit_before - std::min(commit_before, earlier->telemetry.applied_index());
    if (lag < lag_before) continue;  // gaining
    c.findings.push_back(Warn(
        Name(p),
        "learner " + Name(p) + " is not catching up: " + std::to_string(lag) + " entries behind, " +
            std::to_string(lag_before) + " at the previous probe",
        "the cluster commits faster than it applies, or each snapshot it is sent is stale by the "
        "time it is installed",
        "give it a faster disk or lower the write rate until it catches up; promote it "
        "(cairnctl member promote) only then"));
  }
  c.summary = learners == 0 ? "no learner" : std::to_string(learners) + " learner(s) checked";
  return c;
}

}  // namespace

std::vector<Finding> Diagnosis::Findings() const {
  std::vector<Finding> out;
  for (Severity s : {Severity::kCritical, Severity::kWarning}) {
    for (const Check& c : checks) {
      for (const Finding& f : c.findings) {
        if (f.severity == s) out.push_back(f);
      }
    }
  }
  return out;
}

Diagnosis Diagnose(const std::vector<MemberProbe>& now, const std::vector<MemberProbe>& before,
                   const DoctorThresholds& thresholds) {
  Diagnosis d;
  d.checks.push_back(Reachability(now));
  d.checks.push_back(Leadership(now));
  d.checks.push_back(ApplyLag(now, thresholds));
  d.checks.push_back(Fsync(now, thresholds));
  d.checks.push_back(ClockSkew(now, thresholds));
  d.checks.push_back(Disk(now, thresholds));
  d.checks.push_back(Alarms(now));
  d.checks.push_back(Learners(now, before, thresholds));
  for (const Check& c : d.checks) {
    for (const Finding& f : c.findings) {
      const Verdict v =
          f.severity == Severity::kCritical ? Verdict::kUnavailable : Verdict::kDegraded;
      d.verdict = std::max(d.verdict, v);
    }
  }
  return d;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kHealthy:
      return "healthy";
    case Verdict::kDegraded:
      return "degraded";
    case Verdict::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::string FormatSeconds(double seconds) {
  if (seconds >= 1) return Format("%.1f", seconds, " s");
  if (seconds >= 0.01) return Format("%.0f", seconds * 1000, " ms");
  if (seconds >= 0.001) return Format("%.1f", seconds * 1000, " ms");
  if (seconds > 0) return Format("%.0f", seconds * 1e6, " µs");
  return "0 ms";
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return Format("%.1f", b / (1024.0 * 1024 * 1024), " GiB");
  if (b >= 1024.0 * 1024) return Format("%.0f", b / (1024.0 * 1024), " MiB");
  if (b >= 1024.0) return Format("%.0f", b / 1024.0, " KiB");
  return std::to_string(bytes) + " B";
}

}  // namespace cairn::client
