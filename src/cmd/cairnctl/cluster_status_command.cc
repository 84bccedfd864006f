// cluster status: one table with every member and its Raft state.
#include "client/cluster.h"
#include "client/maintenance.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/cluster_status.h"

namespace cairn::ctl {

namespace {

Status RunClusterStatus(const Cli& cli) {
  Result<OutputFormat> format = cli.Format(OutputFormat::kTable);
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  Result<etcdserverpb::MemberListResponse> members = client::Cluster(connection).List();
  if (!members.ok()) return members.status();

  auto fetch = [&](const std::string& endpoint) {
    client::Connection one({.endpoints = {endpoint}, .command_timeout = options->command_timeout});
    return client::Maintenance(one).MemberStatus();
  };
  std::vector<MemberStatusRow> rows = CollectClusterStatus(*members, options->endpoints, fetch);
  switch (*format) {
    case OutputFormat::kTable:
      Print(ClusterStatusTable(rows));
      break;
    case OutputFormat::kJson:
      Print(ClusterStatusJson(rows));
      break;
    case OutputFormat::kSimple:
      Print(ClusterStatusSimple(rows));
      break;
  }
  size_t unreachable = 0;
  for (const MemberStatusRow& r : rows)
    unreachable += r.reachable ? 0 : 1;
  if (unreachable > 0)
    return Status(Code::kUnavailable, std::to_string(unreachable) + " of " +
                                          std::to_string(rows.size()) + " members did not answer");
  return Status::Ok();
}

}  // namespace

void AddClusterStatusCommand(CLI::App& app, Cli& cli) {
  CLI::App* cluster = app.add_subcommand("cluster", "Commands about the whole cluster");
  cluster->require_subcommand(1);
  CLI::App* status = cluster->add_subcommand(
      "status",
      "Every member with its role, Raft term, commit and applied index, db size, reachability "
      "(default -w table)");
  cli.Runs(status, [&cli] { return RunClusterStatus(cli); });
}

}  // namespace cairn::ctl
