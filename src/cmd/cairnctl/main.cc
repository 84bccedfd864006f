// cairnctl: etcdctl's commands on Cairn's client library. Exit status 0 on
// success, 1 with "Error: <message>" on stderr otherwise (etcdctl's rule).
#include <cstdio>

#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/interrupt.h"

int main(int argc, char** argv) {
  // Before anything starts a thread (gRPC does when a channel is made).
  cairn::ctl::InstallInterrupts();

  CLI::App app("cairnctl: a command-line client for Cairn (and etcd) on the etcd v3 API",
               "cairnctl");
  app.require_subcommand(1);
  // Global flags may follow the command, as with etcdctl.
  app.fallthrough();
  app.set_help_all_flag("--help-all", "Every command's help");
  cairn::ctl::Cli cli;
  app.add_option("--endpoints", cli.endpoints, "gRPC endpoints, comma-separated")
      ->capture_default_str();
  app.add_option("--command-timeout", cli.command_timeout,
                 "Timeout of one request, e.g. 5s or 500ms")
      ->capture_default_str();
  app.add_option(
      "-w,--write-out", cli.output,
      "Output format: simple, json or table (default: simple; table for cluster status)");
  cairn::ctl::AddKvCommands(app, cli);
  cairn::ctl::AddWatchCommand(app, cli);
  cairn::ctl::AddLeaseCommands(app, cli);
  cairn::ctl::AddLockCommand(app, cli);
  cairn::ctl::AddElectCommand(app, cli);
  cairn::ctl::AddMemberCommands(app, cli);
  cairn::ctl::AddEndpointCommands(app, cli);
  cairn::ctl::AddClusterStatusCommand(app, cli);
  cairn::ctl::AddMaintenanceCommands(app, cli);
  cairn::ctl::AddDoctorCommand(app, cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    std::fprintf(stderr, "Run '%s --help' for usage.\n", argv[0]);
    return 1;
  }
  cairn::Status status = cli.action ? cli.action() : cairn::Status::Ok();
  std::fflush(stdout);
  if (!status.ok()) {
    std::fprintf(stderr, "Error: %s\n", status.message().c_str());
    return 1;
  }
  return cli.exit_status;
}
