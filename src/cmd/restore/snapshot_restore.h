#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"

// `etcdctl snapshot restore` for Cairn: turns a file saved from
// Maintenance.Snapshot (`etcdctl snapshot save`) into the data directory of
// one member of a NEW cluster. Run it once per member, each with its own
// name and peer URLs and the same --initial-cluster and token; then start
// every member with those same flags.
namespace cairn::cmd {

struct RestoreOptions {
  std::string snapshot_path;
  // This member's name in initial_cluster.
  std::string name = "default";
  // name=peer URL,...; empty means name=initial_advertise_peer_urls.
  std::string initial_cluster;
  std::string initial_cluster_token = "etcd-cluster";
  // Comma-separated; must equal this member's URLs in initial_cluster.
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  // Must not exist; empty means <name>.cairn.
  std::string data_dir;
  // Hears the bytes of the file checked and copied so far, and its size.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct RestoreResult {
  std::string data_dir;
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  uint64_t index = 0;  // the restored store's applied index: the new log starts after it
  uint64_t term = 0;
  size_t members = 0;
};

// Checks the file's SHA-256 trailer (format: storage/snapshot_file.h), unpacks the store into
// <data-dir>/groups/1 and writes a WAL that starts at a snapshot point at
// the store's applied index with the new cluster's members as voters.
// Works in <data-dir>.restoring and renames it into place at the end, so
// <data-dir> appears complete or not at all.
Result<RestoreResult> RestoreSnapshot(const RestoreOptions& options);

}  // namespace cairn::cmd
