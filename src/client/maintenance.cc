#include "client/maintenance.h"

namespace cairn::client {

using MaintenanceService = etcdserverpb::Maintenance;

Result<etcdserverpb::StatusResponse> Maintenance::MemberStatus() {
  return connection_.Call<MaintenanceService>(&MaintenanceService::Stub::Status,
                                              etcdserverpb::StatusRequest());
}

Result<etcdserverpb::HashKVResponse> Maintenance::HashKv(int64_t revision) {
  etcdserverpb::HashKVRequest request;
  request.set_revision(revision);
  return connection_.Call<MaintenanceService>(&MaintenanceService::Stub::HashKV, request);
}

Result<etcdserverpb::DefragmentResponse> Maintenance::Defragment() {
  return connection_.Call<MaintenanceService>(&MaintenanceService::Stub::Defragment,
                                              etcdserverpb::DefragmentRequest());
}

Result<etcdserverpb::AlarmResponse> Maintenance::AlarmList() {
  etcdserverpb::AlarmRequest request;
  request.set_action(etcdserverpb::AlarmRequest::GET);
  return connection_.Call<MaintenanceService>(&MaintenanceService::Stub::Alarm, request);
}

Result<etcdserverpb::AlarmResponse> Maintenance::AlarmDisarmAll() {
  Result<etcdserverpb::AlarmResponse> raised = AlarmList();
  if (!raised.ok()) return raised;
  etcdserverpb::AlarmResponse disarmed;
  *disarmed.mutable_header() = raised->header();
  for (const etcdserverpb::AlarmMember& alarm : raised->alarms()) {
    etcdserverpb::AlarmRequest request;
    request.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
    request.set_memberid(alarm.memberid());
    request.set_alarm(alarm.alarm());
    Result<etcdserverpb::AlarmResponse> r =
        connection_.Call<MaintenanceService>(&MaintenanceService::Stub::Alarm, request);
    if (!r.ok()) return r;
    for (const etcdserverpb::AlarmMember& a : r->alarms())
      *disarmed.add_alarms() = a;
  }
  return disarmed;
}

Result<etcdserverpb::MoveLeaderResponse> Maintenance::MoveLeader(uint64_t target_id) {
  etcdserverpb::MoveLeaderRequest request;
  request.set_targetid(target_id);
  return connection_.Call<MaintenanceService>(&MaintenanceService::Stub::MoveLeader, request,
                                              {.idempotent = false});
}

}  // namespace cairn::client
