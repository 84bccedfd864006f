#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client/member_probe.h"

namespace cairn::client {

// What `cairnctl doctor` and the dashboard judge a cluster by: the members'
// telemetry, checked against thresholds, as findings in plain words with a
// cause and a remedy. One implementation, so both always agree.

struct DoctorThresholds {
  // etcd's slow-fsync alert fires at a p99 of 0.5 s; past about the
  // heartbeat interval a slow disk starts costing elections.
  double fsync_p99_seconds = 0.5;
  // etcd warns at 1 s of clock difference between peers.
  int64_t clock_skew_ms = 1000;
  // etcd refuses new proposals past 5,000 committed but unapplied entries.
  uint64_t apply_lag_entries = 5000;
  // Warn when the database has used this share of its quota.
  double quota_used_ratio = 0.8;
  // A learner this far behind that did not gain between two probes.
  uint64_t learner_lag_entries = 1000;
};

enum class Severity { kWarning, kCritical };

struct Finding {
  Severity severity = Severity::kWarning;
  std::string member;  // a member's name, or empty for the whole cluster
  std::string what;
  std::string cause;
  std::string remedy;
};

struct Check {
  std::string name;     // "reachable", "leader", ...
  std::string summary;  // one line, also when it passed
  std::vector<Finding> findings;
  bool ok() const { return findings.empty(); }
};

// healthy: nothing found; degraded: it serves, but something is wrong;
// unavailable: it cannot commit writes (no quorum, no leader, an alarm
// that refuses them). The numbers are cairnctl doctor's exit statuses.
enum class Verdict { kHealthy = 0, kDegraded = 1, kUnavailable = 2 };

struct Diagnosis {
  Verdict verdict = Verdict::kHealthy;
  std::vector<Check> checks;
  std::vector<Finding> Findings() const;  // every check's, critical first
};

// `now`: the latest probe of every member. `before`: an earlier probe of the
// same members (empty if none), which lets progress be judged (learners).
Diagnosis Diagnose(const std::vector<MemberProbe>& now, const std::vector<MemberProbe>& before,
                   const DoctorThresholds& thresholds);

const char* VerdictName(Verdict v);  // "healthy", "degraded", "unavailable"

// "820 ms", "3.2 s", "41 µs"; "1.5 GiB", "300 MiB".
std::string FormatSeconds(double seconds);
std::string FormatBytes(int64_t bytes);

}  // namespace cairn::client
