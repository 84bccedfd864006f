// snapshot save, alarm list | disarm, defrag, move-leader.
#include <cstdio>
#include <memory>
#include <sstream>

#include "base/progress.h"
#include "client/maintenance.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/requests.h"
#include "cmd/cairnctl/table.h"
#include "cmd/restore/snapshot_restore.h"

namespace cairn::ctl {

namespace {

Status SnapshotSave(const Cli& cli, const std::string& path) {
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  // A snapshot is one member's database: which member must be clear.
  if (options->endpoints.size() != 1)
    return Status(Code::kInvalidArgument,
                  "snapshot must be requested to one selected node, not multiple");
  client::Connection connection(*options);
  // On stderr, so that stdout stays etcdctl's.
  Progress progress("snapshot save", 0,
                    [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  Result<uint64_t> bytes =
      client::Maintenance(connection).SaveSnapshot(path, [&](uint64_t saved, uint64_t total) {
        progress.set_total(total);
        progress.Update(saved);
      });
  if (!bytes.ok()) return bytes.status();
  // A save that took a second or more says how it went; a quick one stays
  // quiet, as etcdctl's does.
  if (progress.lines() > 0) progress.Finish(*bytes);
  Print("Snapshot saved at " + path + "\n");
  return Status::Ok();
}

Status Alarms(const Cli& cli, bool disarm) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  client::Maintenance maintenance(connection);
  Result<etcdserverpb::AlarmResponse> r =
      disarm ? maintenance.AlarmDisarmAll() : maintenance.AlarmList();
  if (!r.ok()) return r.status();
  Print(*format == OutputFormat::kJson ? JsonLine(*r) : SimpleAlarms(*r));
  return Status::Ok();
}

Status Defrag(const Cli& cli) {
  Result<std::vector<client::ConnectionOptions>> targets = cli.PerEndpointOptions();
  if (!targets.ok()) return targets.status();
  size_t failed = 0;
  for (const client::ConnectionOptions& target : *targets) {
    client::Connection connection(target);
    Result<etcdserverpb::DefragmentResponse> r = client::Maintenance(connection).Defragment();
    if (r.ok()) {
      Print("Finished defragmenting etcd member[" + target.endpoints[0] + "]\n");
    } else {
      std::fprintf(stderr, "Failed to defragment etcd member[%s] (%s)\n",
                   target.endpoints[0].c_str(), r.status().message().c_str());
      ++failed;
    }
  }
  if (failed > 0)
    return Status(Code::kUnavailable, std::to_string(failed) + " of " +
                                          std::to_string(targets->size()) +
                                          " members were not defragmented");
  return Status::Ok();
}

// Leadership can only be handed over by the leader: find which endpoint is
// the leader, then ask it.
Status MoveLeader(const Cli& cli, const std::string& target_hex) {
  Result<uint64_t> target = ParseHexId(target_hex);
  if (!target.ok()) return target.status();
  Result<std::vector<client::ConnectionOptions>> endpoints = cli.PerEndpointOptions();
  if (!endpoints.ok()) return endpoints.status();
  for (const client::ConnectionOptions& e : *endpoints) {
    client::Connection connection(e);
    client::Maintenance maintenance(connection);
    Result<etcdserverpb::StatusResponse> s = maintenance.MemberStatus();
    if (!s.ok() || s->leader() != s->header().member_id()) continue;
    Result<etcdserverpb::MoveLeaderResponse> r = maintenance.MoveLeader(*target);
    if (!r.ok()) return r.status();
    Print("Leadership transferred from " + HexId(s->leader()) + " to " + HexId(*target) + "\n");
    return Status::Ok();
  }
  std::string list;
  for (const client::ConnectionOptions& e : *endpoints)
    list += (list.empty() ? "" : " ") + e.endpoints[0];
  return Status(Code::kNotFound, "no leader endpoint given at [" + list + "]");
}

}  // namespace

void AddMaintenanceCommands(CLI::App& app, Cli& cli) {
  CLI::App* snapshot = app.add_subcommand("snapshot", "Snapshot commands");
  snapshot->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  CLI::App* save = snapshot->add_subcommand("save", "Saves a member's snapshot to a file");
  save->add_option("file", *path, "Where to write the snapshot")->required();
  cli.Runs(save, [&cli, path] { return SnapshotSave(cli, *path); });

  // Local: builds a new member's data directory; talks to no server.
  auto restore = std::make_shared<cmd::RestoreOptions>();
  CLI::App* rs = snapshot->add_subcommand(
      "restore", "Makes a new member's data directory from a saved snapshot (offline)");
  rs->add_option("file", restore->snapshot_path, "The saved snapshot")->required();
  rs->add_option("--name", restore->name, "This member's name in --initial-cluster");
  rs->add_option("--initial-cluster", restore->initial_cluster,
                 "name=peer URL,... of the new cluster");
  rs->add_option("--initial-cluster-token", restore->initial_cluster_token,
                 "The new cluster's token");
  rs->add_option("--initial-advertise-peer-urls", restore->initial_advertise_peer_urls,
                 "This member's peer URLs");
  rs->add_option("--data-dir", restore->data_dir, "Where to create it (must not exist)");
  cli.Runs(rs, [restore]() -> Status {
    Progress progress("snapshot restore: verifying and copying", 0,
                      [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
    restore->progress = [&progress](uint64_t done, uint64_t total) {
      progress.set_total(total);
      progress.Update(done);
    };
    Result<cmd::RestoreResult> r = cmd::RestoreSnapshot(*restore);
    restore->progress = nullptr;
    if (!r.ok()) return r.status();
    std::ostringstream out;
    out << "restored the snapshot at index " << r->index << " into " << r->data_dir << " as member "
        << restore->name << " (id " << std::hex << r->member_id << ")\n";
    Print(out.str());
    return Status::Ok();
  });

  CLI::App* alarm = app.add_subcommand("alarm", "Alarm commands");
  alarm->require_subcommand(1);
  cli.Runs(alarm->add_subcommand("list", "Lists the raised alarms"),
           [&cli] { return Alarms(cli, /*disarm=*/false); });
  cli.Runs(alarm->add_subcommand("disarm", "Disarms every alarm"),
           [&cli] { return Alarms(cli, /*disarm=*/true); });

  cli.Runs(app.add_subcommand("defrag", "Defragments each endpoint's database"),
           [&cli] { return Defrag(cli); });

  auto target = std::make_shared<std::string>();
  CLI::App* move = app.add_subcommand("move-leader", "Hands leadership to another member");
  move->add_option("id", *target, "The new leader's member ID (hexadecimal)")->required();
  cli.Runs(move, [&cli, target] { return MoveLeader(cli, *target); });
}

}  // namespace cairn::ctl
