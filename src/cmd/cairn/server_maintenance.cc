// The node's side of etcd's Maintenance service: space quota and alarms
// before a write, defragment, moving the leader, cutting a snapshot.
#include <filesystem>
#include <future>
#include <thread>

#include "api/etcd_errors.h"
#include "base/logging.h"
#include "cmd/cairn/server.h"
#include "kv/alarms.h"
#include "kv/errors.h"
#include "storage/snapshot_file.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::cmd {

namespace {

// Longest the apply thread may take to reach a snapshot request (it
// finishes the batch in hand first).
constexpr auto kCheckpointWait = std::chrono::seconds(60);

}  // namespace

Status Server::CheckSpace(const cairnpb::RaftRequest& request) {
  if (!kv::AddsData(request)) return Status::Ok();
  // A cheap early answer; applying checks again, for every replica alike.
  Result<kv::Alarms> alarms = replica_->store().RaisedAlarms();
  if (!alarms.ok()) return alarms.status();
  if (Status s = kv::CheckAlarms(*alarms, request); !s.ok()) return s;
  if (!quota_->Exceeded(request.ByteSizeLong())) return Status::Ok();
  cairnpb::RaftRequest raise;
  raise.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
  raise.mutable_alarm()->set_memberid(member_id_);
  raise.mutable_alarm()->set_alarm(etcdserverpb::NOSPACE);
  CAIRN_LOG(WARN) << "database size " << quota_->DbSize() << " is over --quota-backend-bytes "
                  << quota_->quota_bytes() << ": raising the NOSPACE alarm";
  Write(raise, [](Result<kv::ApplyResult> r) {
    if (!r.ok()) CAIRN_LOG(WARN) << "could not raise NOSPACE: " << r.status().message();
  });
  return kv::KvStatus(kv::KvError::kNoSpace);
}

Status Server::Defragment() {
  CAIRN_LOG(INFO) << "defragment: compacting the data group's database";
  Status s = replica_->store().Defragment();
  CAIRN_LOG(INFO) << "defragment: " << (s.ok() ? "done" : s.message());
  return s;
}

Status Server::MoveLeader(uint64_t target, std::chrono::steady_clock::time_point deadline) {
  if (replica_->info().role != raft::Role::kLeader) {
    return api::EtcdStatus(api::EtcdError::kNotLeader);
  }
  auto member = std::find_if(members_.begin(), members_.end(),
                             [&](const cmd::Member& m) { return m.id == target; });
  if (member == members_.end()) return api::EtcdStatus(api::EtcdError::kBadLeaderTransferee);
  auto started = std::make_shared<std::promise<Status>>();
  std::future<Status> result = started->get_future();
  replica_->TransferLeadership(target, [started](Status s) { started->set_value(s); });
  if (result.wait_until(deadline) != std::future_status::ready) {
    return api::EtcdStatus(api::EtcdError::kTimeoutLeaderTransfer);
  }
  Status s = result.get();
  if (s.code() == Code::kFailedPrecondition) return api::EtcdStatus(api::EtcdError::kNotLeader);
  // The Raft core's own check: a learner, or a member it does not know.
  if (s.code() == Code::kInvalidArgument) {
    return api::EtcdStatus(api::EtcdError::kBadLeaderTransferee);
  }
  if (!s.ok()) return s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (replica_->info().leader == target) {
      CAIRN_LOG(INFO) << "leadership moved to " << std::hex << target;
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return api::EtcdStatus(api::EtcdError::kTimeoutLeaderTransfer);
}

std::string Server::SnapshotStreamDir() const {
  return config_.data_dir + "/groups/" + std::to_string(kDataGroup) + ".snapshot-stream";
}

Result<std::string> Server::CreateSnapshotFile() {
  const std::string dir = SnapshotStreamDir() + "/" + std::to_string(++snapshot_seq_);
  const std::string checkpoint = dir + "/checkpoint";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kInternal, "create " + dir + ": " + ec.message());
  // On the apply thread, between batches: the checkpoint is exactly the
  // state after one applied batch (and hard-links, so it is cheap).
  auto cut = std::make_shared<std::promise<Status>>();
  std::future<Status> done = cut->get_future();
  replica_->RunOnApplyThread([cut, checkpoint](kv::MvccStore& store) {
    cut->set_value(store.CreateSnapshot(checkpoint).status());
  });
  Status s = done.wait_for(kCheckpointWait) == std::future_status::ready
                 ? done.get()
                 : api::EtcdStatus(api::EtcdError::kTimeout);
  const std::string archive = dir + "/snapshot.archive";
  if (s.ok()) s = storage::WriteArchive(checkpoint, archive);
  if (s.ok()) s = storage::PadSnapshotArchive(archive);
  std::filesystem::remove_all(checkpoint, ec);
  if (!s.ok()) {
    std::filesystem::remove_all(dir, ec);
    return s;
  }
  CAIRN_LOG(INFO) << "snapshot: streaming " << std::filesystem::file_size(archive, ec)
                  << " bytes to a client";
  return archive;
}

void Server::RemoveSnapshotFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
}

}  // namespace cairn::cmd
