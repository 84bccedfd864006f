// elect <name> <proposal>: campaigns and holds leadership until interrupted,
// then resigns. elect --listen <name>: prints each leader's proposal.
#include <memory>

#include "client/election.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/interrupt.h"
#include "cmd/cairnctl/session.h"

namespace cairn::ctl {

namespace {

struct ElectOptions {
  std::string name;
  std::string proposal;
  bool listen = false;
  int64_t ttl = Session::kDefaultTtlSeconds;
};

Status Listen(const Cli& cli, client::Connection& connection, const std::string& name) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  client::Cancellation cancellation;
  OnInterrupt([&cancellation] { cancellation.Cancel(); });
  client::ObserveStream stream(connection, &cancellation);
  Status status = stream.Open(name);
  v3electionpb::LeaderResponse response;
  while (status.ok()) {
    status = stream.Next(&response);
    if (status.ok())
      Print(*format == OutputFormat::kJson ? JsonLine(response) : SimpleKv(response.kv()));
  }
  OnInterrupt(nullptr);
  if (cancellation.cancelled()) return Status::Ok();
  return status;
}

Status Campaign(const Cli& cli, client::Connection& connection,
                const client::ConnectionOptions& options, const ElectOptions& o) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Session session(connection, options);
  if (Status s = session.Start(o.ttl); !s.ok()) return s;
  client::Election election(connection);
  Result<v3electionpb::CampaignResponse> won =
      election.Campaign(o.name, session.lease_id(), o.proposal, session.cancellation());
  if (!won.ok()) {
    Status lost = session.lost();
    if (won.status().code() == Code::kCancelled && lost.ok()) return Status::Ok();
    return lost.ok() ? won.status() : lost;
  }
  Print(*format == OutputFormat::kJson ? JsonLine(*won)
                                       : won->leader().key() + "\n" + o.proposal + "\n");
  Status result = session.WaitUntilDone();
  Result<v3electionpb::ResignResponse> resigned = election.Resign(won->leader());
  if (result.ok() && !resigned.ok()) return resigned.status();
  return result;
}

}  // namespace

void AddElectCommand(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ElectOptions>();
  CLI::App* sub = app.add_subcommand(
      "elect",
      "Campaigns in a named election (holding leadership until interrupted) or observes it");
  sub->add_option("name", o->name, "Election name")->required();
  sub->add_option("proposal", o->proposal, "This candidate's proposal (value)");
  sub->add_flag("-l,--listen", o->listen, "Observe the election instead of campaigning");
  sub->add_option("--ttl", o->ttl, "Timeout of the session's lease, in seconds")
      ->capture_default_str();
  cli.Runs(sub, [&cli, o]() -> Status {
    if (o->listen != o->proposal.empty())
      return Status(Code::kInvalidArgument, o->listen ? "--listen takes no proposal"
                                                      : "elect needs a proposal (or --listen)");
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    if (o->listen) return Listen(cli, connection, o->name);
    return Campaign(cli, connection, *options, *o);
  });
}

}  // namespace cairn::ctl
