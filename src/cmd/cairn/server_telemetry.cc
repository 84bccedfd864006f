// The member's telemetry: one reading a second (api::TelemetryRecorder),
// served as cairnpb.Diagnostics/Telemetry to `cairnctl doctor` and to the
// dashboard of any member.
#include <sys/statvfs.h>

#include "base/logging.h"
#include "cmd/cairn/server.h"

namespace cairn::cmd {
namespace {

int64_t NowMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

int64_t NowMs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

const char* RoleName(raft::Role role, bool learner) {
  if (learner) return "learner";
  switch (role) {
    case raft::Role::kLeader:
      return "leader";
    case raft::Role::kCandidate:
    case raft::Role::kPreCandidate:
      return "candidate";
    case raft::Role::kFollower:
      return "follower";
  }
  return "follower";
}

}  // namespace

void Server::StartTelemetry() {
  telemetry_thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(telemetry_mu_);
    while (!telemetry_stop_) {
      lock.unlock();
      api::TelemetryReading r;
      r.unix_ms = NowMs(std::chrono::system_clock::now());
      r.steady_ms = NowMs(std::chrono::steady_clock::now());
      api::GrpcMetrics::Totals calls = grpc_metrics_->UnaryTotals();
      r.requests = calls.completed;
      r.request_seconds = std::move(calls.handling);
      r.fsync_seconds = wal_fsync_seconds_->snapshot();
      cluster::Replica::Info info = replica_->info();
      r.commit = info.commit;
      r.applied = info.applied;
      r.term = info.term;
      r.leader = info.leader;
      r.is_leader = info.role == raft::Role::kLeader;
      telemetry_.Record(r);
      lock.lock();
      telemetry_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return telemetry_stop_; });
    }
  });
}

void Server::StopTelemetry() {
  {
    std::lock_guard<std::mutex> lock(telemetry_mu_);
    telemetry_stop_ = true;
  }
  telemetry_cv_.notify_all();
  if (telemetry_thread_.joinable()) telemetry_thread_.join();
}

cairnpb::TelemetryResponse Server::Telemetry(uint32_t history_seconds) {
  cairnpb::TelemetryResponse t;
  cluster::Replica::Info info = replica_->info();
  t.set_member_id(member_id_);
  t.set_name(config_.name);
  t.set_unix_ms(NowMs(std::chrono::system_clock::now()));
  t.set_role(RoleName(info.role, learner_.load()));
  t.set_term(info.term);
  t.set_leader(info.leader);
  t.set_commit_index(info.commit);
  t.set_applied_index(info.applied);
  t.set_db_size_bytes(quota_->DbSize());
  t.set_quota_bytes(quota_->quota_bytes());
  struct statvfs fs {};
  if (statvfs(config_.data_dir.c_str(), &fs) == 0) {
    t.set_disk_free_bytes(static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize));
    t.set_disk_total_bytes(static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize));
  }
  api::TelemetryRecorder::Window minute = telemetry_.LastMinute();
  t.set_fsync_p99_seconds(minute.fsync_p99_seconds);
  t.set_fsyncs_last_minute(minute.fsyncs);
  t.set_request_p99_seconds(minute.request_p99_seconds);
  if (Result<kv::Alarms> alarms = replica_->store().RaisedAlarms(); alarms.ok()) {
    for (const etcdserverpb::AlarmMember& a : *alarms)
      t.add_alarms(etcdserverpb::AlarmType_Name(a.alarm()));
  }
  if (Status wal = wal_->health(); !wal.ok()) t.set_storage_error(wal.message());
  t.set_version(api::kServerVersion);
  t.set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - started_at_)
                           .count());
  t.set_leader_changes_seen(info.leader_changes);
  for (cairnpb::TelemetrySample& s :
       telemetry_.History(std::min<uint32_t>(history_seconds, api::TelemetryRecorder::kMaxHistory)))
    *t.add_history() = std::move(s);
  for (cairnpb::LeaderChangeEvent& e : telemetry_.LeaderChanges())
    *t.add_leader_changes() = std::move(e);
  return t;
}

}  // namespace cairn::cmd
