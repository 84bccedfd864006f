// Maintenance.Snapshot: the data group's state streamed as etcd streams its
// backend. Chunks carry the bytes left after them; one last message carries
// the SHA-256 of everything before it, which `etcdctl snapshot save` writes
// at the end of the file and a restore checks (docs/OPERATIONS.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "api/applied_reply.h"
#include "api/etcd_errors.h"
#include "api/info_services.h"
#include "api/kv_service.h"
#include "base/sha256.h"

namespace cairn::api {

namespace {

// Bytes per message: big enough that a large store is few messages, small
// enough that memory per stream stays flat whatever the store's size.
constexpr size_t kChunkBytes = 64 << 10;

class SnapshotStream final : public grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse> {
 public:
  explicit SnapshotStream(MaintenanceBackend* maint) : maint_(maint) {}

  // On a job thread once the archive is cut (or cutting it failed).
  void Begin(Result<std::string> path) {
    if (!path.ok()) {
      Finish(ToGrpc(path.status()));
      return;
    }
    path_ = *path;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0) {
      Finish(ToGrpc(Status(Code::kInternal, "open " + path_ + ": " + std::strerror(errno))));
      return;
    }
    size_ = static_cast<uint64_t>(st.st_size);
    SendNext();
  }

  void Fail(const Status& s) { Finish(ToGrpc(s)); }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "snapshot stream closed"));
      return;
    }
    SendNext();
  }

  void OnDone() override {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) maint_->RemoveSnapshotFile(path_);
    delete this;
  }

 private:
  void SendNext() {
    response_.Clear();
    if (sent_hash_) {
      Finish(grpc::Status::OK);
      return;
    }
    if (offset_ == size_) {
      Sha256::Digest digest = hash_.Finish();
      response_.set_blob(digest.data(), digest.size());
      response_.set_remaining_bytes(0);
      sent_hash_ = true;
      StartWrite(&response_);
      return;
    }
    std::string* blob = response_.mutable_blob();
    blob->resize(std::min<uint64_t>(kChunkBytes, size_ - offset_));
    ssize_t n = ::pread(fd_, blob->data(), blob->size(), static_cast<off_t>(offset_));
    if (n <= 0) {
      Finish(
          ToGrpc(Status(Code::kInternal, "read " + path_ + ": " +
                                             (n == 0 ? "unexpected end" : std::strerror(errno)))));
      return;
    }
    blob->resize(static_cast<size_t>(n));
    hash_.Update(*blob);
    offset_ += static_cast<uint64_t>(n);
    response_.set_remaining_bytes(size_ - offset_);
    StartWrite(&response_);
  }

  MaintenanceBackend* const maint_;
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t offset_ = 0;
  Sha256 hash_;
  bool sent_hash_ = false;
  etcdserverpb::SnapshotResponse response_;
};

}  // namespace

grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* MaintenanceService::Snapshot(
    grpc::CallbackServerContext*, const etcdserverpb::SnapshotRequest*) {
  auto* stream = new SnapshotStream(maint_);
  if (kv_ == nullptr || maint_ == nullptr) {
    stream->Fail(cairn::Status(Code::kUnimplemented, ""));
    return stream;
  }
  // Cutting the snapshot waits for the apply thread and copies files.
  if (!jobs_.Run([this, stream] { stream->Begin(maint_->CreateSnapshotFile()); })) {
    stream->Fail(EtcdStatus(EtcdError::kStopped));
  }
  return stream;
}

}  // namespace cairn::api
