#include "cluster/replica_snapshot.h"

#include <filesystem>

#include "storage/state_engine_fs.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::cluster {

namespace fsys = std::filesystem;

SnapshotPaths::SnapshotPaths(const std::string& state_dir)
    : scratch(state_dir + ".snapshot-scratch"), pending(state_dir + ".snapshot-pending") {}

Result<std::string> PackStore(kv::MvccStore& store, const SnapshotPaths& paths) {
  std::error_code ec;
  fsys::remove_all(paths.scratch, ec);
  fsys::create_directories(paths.scratch, ec);
  if (ec) return Status(Code::kInternal, "create " + paths.scratch + ": " + ec.message());
  const std::string dir = paths.scratch + "/out";
  const std::string archive = paths.scratch + "/out.archive";
  Result<storage::SnapshotManifest> m = store.CreateSnapshot(dir);
  if (!m.ok()) return m.status();
  Status s = storage::WriteArchive(dir, archive);
  Result<std::string> data =
      s.ok() ? storage::fs::ReadSmallFile(archive, UINT64_MAX) : Result<std::string>(s);
  fsys::remove_all(paths.scratch, ec);
  return data;
}

Status SavePending(const std::string& data, const SnapshotPaths& paths) {
  std::error_code ec;
  fsys::remove(paths.pending, ec);
  const std::string tmp = paths.pending + ".tmp";
  fsys::remove(tmp, ec);
  if (Status s = storage::fs::WriteNewFile(tmp, data); !s.ok()) return s;
  if (Status s = storage::fs::SyncFile(tmp); !s.ok()) return s;
  if (Status s = storage::fs::Rename(tmp, paths.pending); !s.ok()) return s;
  return storage::fs::SyncDir(fsys::path(paths.pending).parent_path().string());
}

Status RestorePending(kv::MvccStore& store, const SnapshotPaths& paths) {
  std::error_code ec;
  fsys::remove_all(paths.scratch, ec);
  fsys::create_directories(paths.scratch, ec);
  const std::string dir = paths.scratch + "/in";
  if (Status s = storage::ExtractArchive(paths.pending, dir); !s.ok()) return s;
  if (Status s = store.RestoreSnapshot(dir); !s.ok()) return s;
  fsys::remove_all(paths.scratch, ec);
  fsys::remove(paths.pending, ec);
  return Status::Ok();
}

}  // namespace cairn::cluster
