#include "api/telemetry_recorder.h"

namespace cairn::api {

void TelemetryRecorder::Record(const TelemetryReading& now) {
  std::lock_guard<std::mutex> lock(mu_);
  const TelemetryReading* prev = readings_.empty() ? nullptr : &readings_.back();
  if (prev == nullptr || prev->term != now.term || prev->leader != now.leader) {
    // The first reading records the leader found at start, as etcd counts
    // the first leader among its leader changes.
    if (prev != nullptr || now.leader != 0) {
      cairnpb::LeaderChangeEvent e;
      e.set_unix_ms(now.unix_ms);
      e.set_term(now.term);
      e.set_leader(now.leader);
      changes_.push_back(e);
      if (changes_.size() > kMaxLeaderChanges) changes_.pop_front();
    }
  }
  if (prev != nullptr) {
    cairnpb::TelemetrySample s;
    s.set_unix_ms(now.unix_ms);
    const int64_t elapsed_ms = now.steady_ms - prev->steady_ms;
    const uint64_t done = now.requests >= prev->requests ? now.requests - prev->requests : 0;
    s.set_requests_per_second(
        elapsed_ms > 0 ? static_cast<double>(done) * 1000.0 / static_cast<double>(elapsed_ms) : 0);
    s.set_request_p50_seconds(
        metrics::QuantileBetween(prev->request_seconds, now.request_seconds, 0.5));
    s.set_request_p99_seconds(
        metrics::QuantileBetween(prev->request_seconds, now.request_seconds, 0.99));
    s.set_fsync_p99_seconds(metrics::QuantileBetween(prev->fsync_seconds, now.fsync_seconds, 0.99));
    s.set_apply_lag(now.commit > now.applied ? now.commit - now.applied : 0);
    s.set_commit_index(now.commit);
    s.set_applied_index(now.applied);
    s.set_term(now.term);
    s.set_is_leader(now.is_leader);
    samples_.push_back(s);
    if (samples_.size() > kMaxHistory) samples_.pop_front();
  }
  readings_.push_back(now);
  if (readings_.size() > kWindow + 1) readings_.pop_front();
}

std::vector<cairnpb::TelemetrySample> TelemetryRecorder::History(size_t seconds) const {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(seconds, samples_.size());
  return {samples_.end() - static_cast<std::ptrdiff_t>(n), samples_.end()};
}

std::vector<cairnpb::LeaderChangeEvent> TelemetryRecorder::LeaderChanges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {changes_.begin(), changes_.end()};
}

TelemetryRecorder::Window TelemetryRecorder::LastMinute() const {
  std::lock_guard<std::mutex> lock(mu_);
  Window w;
  if (readings_.size() < 2) return w;
  const TelemetryReading& from = readings_.front();
  const TelemetryReading& to = readings_.back();
  w.fsync_p99_seconds = metrics::QuantileBetween(from.fsync_seconds, to.fsync_seconds, 0.99);
  w.fsyncs = to.fsync_seconds.count - from.fsync_seconds.count;
  w.request_p99_seconds = metrics::QuantileBetween(from.request_seconds, to.request_seconds, 0.99);
  return w;
}

}  // namespace cairn::api
