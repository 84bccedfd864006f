#include "kv/alarms.h"

#include <rocksdb/utilities/write_batch_with_index.h>

#include <algorithm>
#include <tuple>

#include "kv/errors.h"
#include "kv/mvcc_key.h"

namespace cairn::kv {
namespace {

bool Less(const etcdserverpb::AlarmMember& a, const etcdserverpb::AlarmMember& b) {
  return std::tuple(a.memberid(), static_cast<int>(a.alarm())) <
         std::tuple(b.memberid(), static_cast<int>(b.alarm()));
}

bool Same(const etcdserverpb::AlarmMember& a, uint64_t member, etcdserverpb::AlarmType type) {
  return a.memberid() == member && a.alarm() == type;
}

bool OpsAddData(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) {
  for (const etcdserverpb::RequestOp& op : ops) {
    if (op.request_case() == etcdserverpb::RequestOp::kRequestPut) return true;
    if (op.request_case() == etcdserverpb::RequestOp::kRequestTxn &&
        (OpsAddData(op.request_txn().success()) || OpsAddData(op.request_txn().failure()))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string MetaAlarmsKey() {
  return std::string(1, kMetaTag) + "alarms";
}

Result<Alarms> LoadAlarms(RawReader* reader) {
  std::string value;
  bool found = false;
  if (Status s = reader->Get(MetaAlarmsKey(), &value, &found); !s.ok()) return s;
  Alarms out;
  if (!found) return out;
  etcdserverpb::AlarmResponse stored;
  if (!stored.ParseFromString(value)) {
    return Status(Code::kDataLoss, "malformed meta record " + MetaAlarmsKey());
  }
  out.assign(stored.alarms().begin(), stored.alarms().end());
  return out;
}

Result<etcdserverpb::AlarmResponse> ApplyAlarm(const etcdserverpb::AlarmRequest& request,
                                               RawReader* reader,
                                               rocksdb::WriteBatchWithIndex* batch) {
  Result<Alarms> alarms = LoadAlarms(reader);
  if (!alarms.ok()) return alarms.status();
  etcdserverpb::AlarmResponse resp;
  const uint64_t member = request.memberid();
  const etcdserverpb::AlarmType type = request.alarm();
  auto it = std::find_if(alarms->begin(), alarms->end(),
                         [&](const etcdserverpb::AlarmMember& a) { return Same(a, member, type); });
  switch (request.action()) {
    case etcdserverpb::AlarmRequest::GET:
      for (const etcdserverpb::AlarmMember& a : *alarms) {
        if (type == etcdserverpb::NONE || a.alarm() == type) *resp.add_alarms() = a;
      }
      return resp;
    case etcdserverpb::AlarmRequest::ACTIVATE: {
      // NONE names no alarm: raising it would be an alarm nobody can read.
      if (it != alarms->end() || type == etcdserverpb::NONE) return resp;
      etcdserverpb::AlarmMember added;
      added.set_memberid(member);
      added.set_alarm(type);
      *resp.add_alarms() = added;
      alarms->insert(std::upper_bound(alarms->begin(), alarms->end(), added, Less), added);
      break;
    }
    case etcdserverpb::AlarmRequest::DEACTIVATE:
      if (it == alarms->end()) return resp;
      *resp.add_alarms() = *it;
      alarms->erase(it);
      break;
    default:  // an action from a newer client: nothing to do
      return resp;
  }
  etcdserverpb::AlarmResponse stored;
  for (const etcdserverpb::AlarmMember& a : *alarms)
    *stored.add_alarms() = a;
  rocksdb::Status s = alarms->empty() ? batch->Delete(MetaAlarmsKey())
                                      : batch->Put(MetaAlarmsKey(), stored.SerializeAsString());
  if (Status st = FromRocks(s, "alarms"); !st.ok()) return st;
  return resp;
}

bool AddsData(const cairnpb::RaftRequest& request) {
  switch (request.request_case()) {
    case cairnpb::RaftRequest::kPut:
    case cairnpb::RaftRequest::kLeaseGrant:
      return true;
    case cairnpb::RaftRequest::kTxn:
      return OpsAddData(request.txn().success()) || OpsAddData(request.txn().failure());
    default:
      return false;
  }
}

Status CheckAlarms(const Alarms& alarms, const cairnpb::RaftRequest& request) {
  // Alarms and membership always apply: a membership entry mirrors a
  // configuration change the Raft core has already made, so refusing it
  // here would leave the member table and Raft disagreeing.
  switch (request.request_case()) {
    case cairnpb::RaftRequest::kAlarm:
    case cairnpb::RaftRequest::kMembership:
    case cairnpb::RaftRequest::kMemberAttributes:
    case cairnpb::RaftRequest::kMemberPeerUpdate:
    case cairnpb::RaftRequest::REQUEST_NOT_SET:
      return Status::Ok();
    default:
      break;
  }
  if (alarms.empty()) return Status::Ok();
  bool nospace = false;
  for (const etcdserverpb::AlarmMember& a : alarms) {
    if (a.alarm() == etcdserverpb::CORRUPT) return KvStatus(KvError::kCorrupt);
    nospace = nospace || a.alarm() == etcdserverpb::NOSPACE;
  }
  if (nospace && AddsData(request)) return KvStatus(KvError::kNoSpace);
  return Status::Ok();
}

}  // namespace cairn::kv
