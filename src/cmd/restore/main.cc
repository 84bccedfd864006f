// cairn-restore: `etcdctl snapshot restore` for Cairn (docs/OPERATIONS.md,
// "Snapshots and restore"). cairnctl will offer the same as
// `cairnctl snapshot restore`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cmd/restore/snapshot_restore.h"

int main(int argc, char** argv) {
  cairn::cmd::RestoreOptions o;
  CLI::App app{"cairn-restore: make a new member's data directory from a saved snapshot"};
  app.add_option("snapshot", o.snapshot_path, "file saved with `etcdctl snapshot save`")
      ->required();
  app.add_option("--name", o.name, "this member's name in --initial-cluster");
  app.add_option("--initial-cluster", o.initial_cluster, "name=peer URL,... of the new cluster");
  app.add_option("--initial-cluster-token", o.initial_cluster_token, "the new cluster's token");
  app.add_option("--initial-advertise-peer-urls", o.initial_advertise_peer_urls,
                 "this member's peer URLs");
  app.add_option("--data-dir", o.data_dir, "where to create the data directory (must not exist)");
  CLI11_PARSE(app, argc, argv);
  cairn::Result<cairn::cmd::RestoreResult> r = cairn::cmd::RestoreSnapshot(o);
  if (!r.ok()) {
    std::cerr << "cairn-restore: " << r.status().message() << "\n";
    return 1;
  }
  std::cout << "restored the snapshot at index " << r->index << " (term " << r->term << ") into "
            << r->data_dir << " as member " << o.name << " (id " << std::hex << r->member_id
            << ", cluster " << r->cluster_id << std::dec << ") of a new " << r->members
            << "-member cluster\n";
  return 0;
}
