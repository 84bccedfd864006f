#include "cluster/replica_snapshot.h"

#include <filesystem>

#include "storage/state_engine_fs.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::cluster {

namespace fsys = std::filesystem;

SnapshotPaths::SnapshotPaths(const std::string& state_dir)
    : scratch(state_dir + ".snapshot-scratch"),
      legacy_pending(state_dir + ".snapshot-pending"),
      state_dir_(state_dir) {}

std::string SnapshotPaths::Pending(uint64_t index) const {
  return state_dir_ + ".snapshot-pending-" + std::to_string(index);
}

namespace {

// Removes the pending snapshots at or below `index` (and the legacy file).
void RemovePendingUpTo(uint64_t index, const SnapshotPaths& paths) {
  std::error_code ec;
  fsys::remove(paths.legacy_pending, ec);
  const fsys::path prefix(paths.Pending(0).substr(0, paths.Pending(0).size() - 1));
  const std::string name_prefix = prefix.filename().string();
  for (const auto& entry : fsys::directory_iterator(prefix.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(name_prefix, 0) != 0) continue;
    const std::string digits = name.substr(name_prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoull(digits) <= index) fsys::remove(entry.path(), ec);
  }
}

}  // namespace

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

Status SavePending(const std::string& data, uint64_t index, const SnapshotPaths& paths) {
  std::error_code ec;
  const std::string file = paths.Pending(index);
  fsys::remove(file, ec);
  const std::string tmp = file + ".tmp";
  fsys::remove(tmp, ec);
  if (Status s = storage::fs::WriteNewFile(tmp, data); !s.ok()) return s;
  if (Status s = storage::fs::SyncFile(tmp); !s.ok()) return s;
  if (Status s = storage::fs::Rename(tmp, file); !s.ok()) return s;
  return storage::fs::SyncDir(fsys::path(file).parent_path().string());
}

Status RestorePending(kv::MvccStore& store, const std::string& file, uint64_t index,
                      const SnapshotPaths& paths) {
  std::error_code ec;
  fsys::remove_all(paths.scratch, ec);
  fsys::create_directories(paths.scratch, ec);
  const std::string dir = paths.scratch + "/in";
  if (Status s = storage::ExtractArchive(file, dir); !s.ok()) return s;
  if (Status s = store.RestoreSnapshot(dir); !s.ok()) return s;
  fsys::remove_all(paths.scratch, ec);
  RemovePendingUpTo(index, paths);
  return Status::Ok();
}

}  // namespace cairn::cluster
