// Maintenance::SaveSnapshot: the Snapshot stream written to a file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "client/maintenance.h"

namespace cairn::client {

namespace {

Status ErrnoStatus(const std::string& what) {
  return Status(Code::kInternal, what + ": " + std::strerror(errno));
}

// Writes `data` to fd completely (write(2) may write less than asked).
bool WriteFully(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<uint64_t> Maintenance::SaveSnapshot(
    const std::string& path, std::function<void(uint64_t saved, uint64_t total)> progress) {
  const std::string part = path + ".part";
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("could not create " + part);
  auto fail = [&](Status s) -> Result<uint64_t> {
    ::close(fd);
    ::unlink(part.c_str());
    return s;
  };

  // A snapshot of a large store takes longer than a command timeout: the
  // stream has no deadline, like etcdctl's.
  grpc::ClientContext ctx;
  auto stub = etcdserverpb::Maintenance::NewStub(connection_.channel(connection_.preferred()));
  auto stream = stub->Snapshot(&ctx, etcdserverpb::SnapshotRequest());
  etcdserverpb::SnapshotResponse chunk;
  uint64_t bytes = 0;
  while (stream->Read(&chunk)) {
    if (!WriteFully(fd, chunk.blob())) {
      ctx.TryCancel();
      (void)stream->Finish();
      return fail(ErrnoStatus("could not write " + part));
    }
    bytes += chunk.blob().size();
    if (progress) progress(bytes, bytes + chunk.remaining_bytes());
  }
  if (Status s = FromGrpc(stream->Finish()); !s.ok()) return fail(s);
  if (bytes == 0) return fail(Status(Code::kDataLoss, "the server sent an empty snapshot"));
  if (::fsync(fd) != 0) return fail(ErrnoStatus("could not sync " + part));
  ::close(fd);
  if (::rename(part.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("could not rename " + part + " to " + path);
    ::unlink(part.c_str());
    return s;
  }
  return bytes;
}

}  // namespace cairn::client
