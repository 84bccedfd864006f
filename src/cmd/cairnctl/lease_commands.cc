// lease grant | revoke | timetolive | list | keep-alive.
#include <chrono>
#include <memory>
#include <thread>

#include "client/lease.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/interrupt.h"
#include "cmd/cairnctl/requests.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {

namespace {

// Runs `call` on a connection over --endpoints and prints its answer as
// JSON or as the simple text `simple` makes of it.
template <typename Response, typename Call, typename Simple>
Status RunLease(const Cli& cli, Call call, Simple simple) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  client::Lease lease(connection);
  Result<Response> r = call(lease);
  if (!r.ok()) return r.status();
  Print(*format == OutputFormat::kJson ? JsonLine(*r) : simple(*r));
  return Status::Ok();
}

Result<int64_t> LeaseId(const std::string& hex) {
  Result<uint64_t> id = ParseHexId(hex);
  if (!id.ok()) return id.status();
  return static_cast<int64_t>(*id);
}

std::string TimeToLiveText(const etcdserverpb::LeaseTimeToLiveResponse& r, bool keys) {
  if (r.ttl() == -1) return "lease " + LeaseHex(r.id()) + " already expired\n";
  std::string out = "lease " + LeaseHex(r.id()) + " granted with TTL(" +
                    std::to_string(r.grantedttl()) + "s), remaining(" + std::to_string(r.ttl()) +
                    "s)";
  if (keys) {
    std::string list;
    for (const std::string& k : r.keys())
      list += (list.empty() ? "" : " ") + k;
    out += ", attached keys([" + list + "])";
  }
  return out + "\n";
}

Status KeepAlive(const Cli& cli, const std::string& hex, bool once) {
  Result<int64_t> id = LeaseId(hex);
  if (!id.ok()) return id.status();
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  client::Cancellation cancellation;
  OnInterrupt([&cancellation] { cancellation.Cancel(); });
  client::KeepAliveStream stream(connection, &cancellation);
  Status status;
  while (true) {
    Result<etcdserverpb::LeaseKeepAliveResponse> r = stream.Send(*id);
    if (!r.ok()) {
      status = r.status();
      break;
    }
    if (r->ttl() <= 0) {
      Print("lease " + LeaseHex(*id) + " expired or revoked.\n");
      break;
    }
    Print(*format == OutputFormat::kJson ? JsonLine(*r)
                                         : "lease " + LeaseHex(r->id()) + " keepalived with TTL(" +
                                               std::to_string(r->ttl()) + ")\n");
    if (once) break;
    // A keep-alive every third of the TTL, as etcd's client does.
    auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(r->ttl() * 1000 / 3);
    while (!cancellation.cancelled() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (cancellation.cancelled()) break;
  }
  OnInterrupt(nullptr);
  if (cancellation.cancelled()) return Status::Ok();
  return status;
}

}  // namespace

void AddLeaseCommands(CLI::App& app, Cli& cli) {
  CLI::App* lease = app.add_subcommand("lease", "Lease commands");
  lease->require_subcommand(1);

  auto ttl = std::make_shared<int64_t>(0);
  CLI::App* grant = lease->add_subcommand("grant", "Creates a lease with a TTL in seconds");
  grant->add_option("ttl", *ttl, "TTL in seconds")->required();
  cli.Runs(grant, [&cli, ttl] {
    return RunLease<etcdserverpb::LeaseGrantResponse>(
        cli, [&](client::Lease& l) { return l.Grant(*ttl); },
        [](const etcdserverpb::LeaseGrantResponse& r) {
          if (!r.error().empty()) return r.error() + "\n";
          return "lease " + LeaseHex(r.id()) + " granted with TTL(" + std::to_string(r.ttl()) +
                 "s)\n";
        });
  });

  auto revoke_id = std::make_shared<std::string>();
  CLI::App* revoke = lease->add_subcommand("revoke", "Revokes a lease (its keys are deleted)");
  revoke->add_option("id", *revoke_id, "Lease ID (hexadecimal)")->required();
  cli.Runs(revoke, [&cli, revoke_id]() -> Status {
    Result<int64_t> id = LeaseId(*revoke_id);
    if (!id.ok()) return id.status();
    return RunLease<etcdserverpb::LeaseRevokeResponse>(
        cli, [&](client::Lease& l) { return l.Revoke(*id); },
        [&](const etcdserverpb::LeaseRevokeResponse&) {
          return "lease " + LeaseHex(*id) + " revoked\n";
        });
  });

  auto ttl_id = std::make_shared<std::string>();
  auto keys = std::make_shared<bool>(false);
  CLI::App* timetolive = lease->add_subcommand("timetolive", "Shows a lease's remaining TTL");
  timetolive->add_option("id", *ttl_id, "Lease ID (hexadecimal)")->required();
  timetolive->add_flag("--keys", *keys, "Also list the keys attached to the lease");
  cli.Runs(timetolive, [&cli, ttl_id, keys]() -> Status {
    Result<int64_t> id = LeaseId(*ttl_id);
    if (!id.ok()) return id.status();
    return RunLease<etcdserverpb::LeaseTimeToLiveResponse>(
        cli, [&](client::Lease& l) { return l.TimeToLive(*id, *keys); },
        [&](const etcdserverpb::LeaseTimeToLiveResponse& r) { return TimeToLiveText(r, *keys); });
  });

  CLI::App* list = lease->add_subcommand("list", "Lists every lease");
  cli.Runs(list, [&cli] {
    return RunLease<etcdserverpb::LeaseLeasesResponse>(
        cli, [](client::Lease& l) { return l.Leases(); },
        [](const etcdserverpb::LeaseLeasesResponse& r) {
          std::string out = "found " + std::to_string(r.leases_size()) + " leases\n";
          for (const etcdserverpb::LeaseStatus& s : r.leases())
            out += LeaseHex(s.id()) + "\n";
          return out;
        });
  });

  auto keep_id = std::make_shared<std::string>();
  auto once = std::make_shared<bool>(false);
  CLI::App* keep = lease->add_subcommand("keep-alive", "Keeps a lease alive until interrupted");
  keep->add_option("id", *keep_id, "Lease ID (hexadecimal)")->required();
  keep->add_flag("--once", *once, "Send one keep-alive and exit");
  cli.Runs(keep, [&cli, keep_id, once] { return KeepAlive(cli, *keep_id, *once); });
}

}  // namespace cairn::ctl
