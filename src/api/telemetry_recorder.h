#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "base/metrics.h"
#include "cairn/diagnostics.pb.h"

namespace cairn::api {

// What the server reads once a second for its telemetry. Counts and
// histograms are cumulative since start; the recorder takes differences.
struct TelemetryReading {
  int64_t unix_ms = 0;    // wall clock: the sample's timestamp
  int64_t steady_ms = 0;  // monotonic: the rates (immune to clock jumps)
  uint64_t requests = 0;  // unary gRPC calls completed
  metrics::Histogram::Snapshot request_seconds;
  metrics::Histogram::Snapshot fsync_seconds;
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t term = 0;
  uint64_t leader = 0;  // 0: none known
  bool is_leader = false;
};

// A member's recent history for the dashboard and `cairnctl doctor`: one
// sample per reading (rates and latency quantiles of that second), the
// leader changes it saw, and figures over the last minute. Thread-safe.
class TelemetryRecorder {
 public:
  static constexpr size_t kMaxHistory = 300;  // samples kept (5 minutes)
  static constexpr size_t kMaxLeaderChanges = 64;
  static constexpr size_t kWindow = 60;  // readings behind "last minute"

  void Record(const TelemetryReading& now);

  // The last `seconds` samples, oldest first.
  std::vector<cairnpb::TelemetrySample> History(size_t seconds) const;
  std::vector<cairnpb::LeaderChangeEvent> LeaderChanges() const;

  struct Window {
    double fsync_p99_seconds = 0;
    uint64_t fsyncs = 0;
    double request_p99_seconds = 0;
  };
  // Since the reading kWindow readings ago (or the oldest one kept).
  Window LastMinute() const;

 private:
  mutable std::mutex mu_;
  std::deque<TelemetryReading> readings_;  // the last kWindow + 1
  std::deque<cairnpb::TelemetrySample> samples_;
  std::deque<cairnpb::LeaderChangeEvent> changes_;
};

}  // namespace cairn::api
