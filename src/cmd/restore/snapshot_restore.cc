#include "cmd/restore/snapshot_restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "base/sha256.h"
#include "cmd/cairn/config.h"
#include "kv/mvcc_store.h"
#include "storage/snapshot_file.h"
#include "storage/state_engine_fs.h"
#include "storage/state_engine_snapshot.h"
#include "storage/wal.h"

namespace cairn::cmd {

namespace {

namespace fsys = std::filesystem;

// The data group (the server's only group so far).
constexpr uint64_t kDataGroup = 1;

Status Errno(const std::string& what) {
  return Status(Code::kInternal, what + ": " + std::strerror(errno));
}

std::vector<std::string> SplitUrls(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Copies the archive inside the saved file to `out`, once the file's
// SHA-256 trailer matches everything before it.
Status CopyVerified(const std::string& path, const std::string& out,
                    const std::function<void(uint64_t, uint64_t)>& progress) {
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  };
  Closer in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return Errno("open " + path);
  const off_t end = ::lseek(in.fd, 0, SEEK_END);
  if (end < 0) return Errno("seek " + path);
  const uint64_t size = static_cast<uint64_t>(end);
  const uint64_t trailer = Sha256::kSize;
  if (size <= trailer + storage::kSnapshotFileFooter) {
    return Status(Code::kDataLoss,
                  path + " is too short to be a snapshot (" + std::to_string(size) + " bytes)");
  }
  Closer dst{::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (dst.fd < 0) return Errno("create " + out);
  Sha256 hash;
  std::string buf(1 << 20, '\0');
  uint64_t offset = 0;
  const uint64_t body = size - trailer;
  while (offset < body) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), body - offset));
    ssize_t n = ::pread(in.fd, buf.data(), want, static_cast<off_t>(offset));
    if (n <= 0) return n == 0 ? Status(Code::kDataLoss, path + ": unexpected end") : Errno(path);
    hash.Update(Slice(buf.data(), static_cast<size_t>(n)));
    if (Status s = storage::fs::WriteAll(dst.fd, buf.data(), static_cast<size_t>(n), out);
        !s.ok()) {
      return s;
    }
    offset += static_cast<uint64_t>(n);
    if (progress) progress(offset, body);
  }
  Sha256::Digest want{};
  if (::pread(in.fd, want.data(), want.size(), static_cast<off_t>(body)) !=
      static_cast<ssize_t>(want.size())) {
    return Errno("read " + path);
  }
  if (hash.Finish() != want) {
    return Status(Code::kDataLoss, path +
                                       ": the SHA-256 at its end does not match its contents "
                                       "(truncated or altered; not saved by `etcdctl snapshot "
                                       "save`?)");
  }
  // Verified: now the padding can be trusted to say where the archive ends.
  std::string footer(storage::kSnapshotFileFooter, '\0');
  if (::pread(in.fd, footer.data(), footer.size(), static_cast<off_t>(body - footer.size())) !=
      static_cast<ssize_t>(footer.size())) {
    return Errno("read " + path);
  }
  Result<uint64_t> length = storage::PaddedArchiveLength(body, footer);
  if (!length.ok()) return Status(Code::kDataLoss, path + ": " + length.status().message());
  if (::ftruncate(dst.fd, static_cast<off_t>(*length)) != 0) return Errno("truncate " + out);
  if (::fsync(dst.fd) != 0) return Errno("fsync " + out);
  return Status::Ok();
}

}  // namespace

Result<RestoreResult> RestoreSnapshot(const RestoreOptions& o) {
  RestoreResult out;
  out.data_dir = o.data_dir.empty() ? o.name + ".cairn" : o.data_dir;
  std::error_code ec;
  if (fsys::exists(out.data_dir, ec)) {
    return Status(Code::kAlreadyExists, "data-dir \"" + out.data_dir + "\" exists");
  }
  const std::string initial =
      o.initial_cluster.empty() ? o.name + "=" + o.initial_advertise_peer_urls : o.initial_cluster;
  Result<std::vector<Member>> members = ParseInitialCluster(initial, o.initial_cluster_token);
  if (!members.ok()) return members.status();
  auto self = std::find_if(members->begin(), members->end(),
                           [&](const Member& m) { return m.name == o.name; });
  if (self == members->end()) {
    return Status(Code::kInvalidArgument,
                  "--initial-cluster has no member named \"" + o.name + "\" (--name)");
  }
  std::vector<std::string> advertised = SplitUrls(o.initial_advertise_peer_urls);
  std::vector<std::string> listed = self->peer_urls;
  std::sort(advertised.begin(), advertised.end());
  std::sort(listed.begin(), listed.end());
  if (advertised != listed) {
    return Status(Code::kInvalidArgument, "--initial-cluster has " + o.name +
                                              " at other peer URLs than "
                                              "--initial-advertise-peer-urls " +
                                              o.initial_advertise_peer_urls);
  }
  out.member_id = self->id;
  out.cluster_id = ClusterId(*members);
  out.members = members->size();

  // Everything is built here and renamed into place last.
  const std::string work = out.data_dir + ".restoring";
  fsys::remove_all(work, ec);
  fsys::create_directories(work, ec);
  if (ec) return Status(Code::kInternal, "create " + work + ": " + ec.message());
  auto fail = [&](Status s) -> Result<RestoreResult> {
    fsys::remove_all(work, ec);
    return s;
  };
  const std::string archive = work + "/snapshot.archive";
  const std::string unpacked = work + "/snapshot";
  if (Status s = CopyVerified(o.snapshot_path, archive, o.progress); !s.ok()) {
    return fail(s);
  }
  if (Status s = storage::ExtractArchive(archive, unpacked); !s.ok()) return fail(s);
  fsys::remove(archive, ec);
  {
    Result<std::unique_ptr<kv::MvccStore>> store =
        kv::MvccStore::Open(work + "/groups/" + std::to_string(kDataGroup));
    if (!store.ok()) return fail(store.status());
    if (Status s = (*store)->RestoreSnapshot(unpacked); !s.ok()) return fail(s);
    // The snapshot's member table is the old cluster's: the new one has
    // other ids and addresses (names and client URLs are published again
    // when the members start).
    cairnpb::MemberTable table;
    for (const Member& m : *members) {
      cairnpb::MemberInfo* info = table.add_members();
      info->set_id(m.id);
      for (const std::string& url : m.peer_urls)
        info->add_peer_urls(url);
    }
    if (Status s = (*store)->ReplaceMemberTable(table); !s.ok()) return fail(s);
    if (Status s = (*store)->Sync(); !s.ok()) return fail(s);
    out.index = (*store)->applied_index();
    out.term = (*store)->applied_term();
  }
  fsys::remove_all(unpacked, ec);

  // The new cluster's log starts right after the store: a snapshot point
  // at its applied index, whose membership is the new cluster's. Every
  // member restored from the same file starts from the same point, so no
  // member needs the old log.
  if (out.index > 0) {
    Result<std::unique_ptr<storage::Wal>> wal = storage::Wal::Open(work + "/wal");
    if (!wal.ok()) return fail(wal.status());
    storage::GroupWrite w;
    w.group = kDataGroup;
    raft::SnapshotMeta meta;
    meta.index = out.index;
    meta.term = out.term;
    for (const Member& m : *members)
      meta.conf.voters.push_back(m.id);
    w.snapshot = meta;
    w.hard_state = raft::HardState{out.term, raft::kNoNode, out.index};
    if (Status s = (*wal)->Write({std::move(w)}); !s.ok()) return fail(s);
  }
  if (Status s = storage::fs::Rename(work, out.data_dir); !s.ok()) return fail(s);
  const std::string parent = fsys::absolute(out.data_dir).parent_path().string();
  if (Status s = storage::fs::SyncDir(parent); !s.ok()) return s;
  return out;
}

}  // namespace cairn::cmd
