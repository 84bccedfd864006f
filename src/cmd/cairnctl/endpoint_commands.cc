// endpoint status | health | hashkv: each asks every endpoint on its own.
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "client/cluster.h"
#include "client/kv.h"
#include "client/maintenance.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/proto_json.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {

namespace {

// --endpoints, or with --cluster every member's client URLs.
Result<std::vector<client::ConnectionOptions>> Targets(const Cli& cli, bool whole_cluster) {
  Result<std::vector<client::ConnectionOptions>> each = cli.PerEndpointOptions();
  if (!each.ok() || !whole_cluster) return each;
  Result<client::ConnectionOptions> all = cli.Options();
  client::Connection connection(*all);
  Result<etcdserverpb::MemberListResponse> members = client::Cluster(connection).List();
  if (!members.ok()) return members.status();
  std::vector<client::ConnectionOptions> out;
  for (const etcdserverpb::Member& m : members->members())
    for (const std::string& url : m.clienturls())
      out.push_back(
          {.endpoints = {client::EndpointTarget(url)}, .command_timeout = all->command_timeout});
  if (out.empty()) return Status(Code::kNotFound, "no member lists a client URL");
  return out;
}

std::string JoinErrors(const etcdserverpb::StatusResponse& s) {
  std::string out;
  for (const std::string& e : s.errors())
    out += (out.empty() ? "" : ", ") + e;
  return out;
}

Status RunStatus(const Cli& cli, bool whole_cluster) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<std::vector<client::ConnectionOptions>> targets = Targets(cli, whole_cluster);
  if (!targets.ok()) return targets.status();
  Table table({"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM",
               "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"});
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::string simple;
  size_t failed = 0;
  for (const client::ConnectionOptions& target : *targets) {
    const std::string& endpoint = target.endpoints[0];
    client::Connection connection(target);
    Result<etcdserverpb::StatusResponse> s = client::Maintenance(connection).MemberStatus();
    if (!s.ok()) {
      std::fprintf(stderr, "Failed to get the status of endpoint %s (%s)\n", endpoint.c_str(),
                   s.status().message().c_str());
      ++failed;
      continue;
    }
    std::vector<std::string> cells = {endpoint,
                                      HexId(s->header().member_id()),
                                      s->version(),
                                      HumanBytes(static_cast<uint64_t>(s->dbsize())),
                                      s->leader() == s->header().member_id() ? "true" : "false",
                                      s->islearner() ? "true" : "false",
                                      std::to_string(s->raftterm()),
                                      std::to_string(s->raftindex()),
                                      std::to_string(s->raftappliedindex()),
                                      JoinErrors(*s)};
    std::string line;
    for (const std::string& c : cells)
      line += (line.empty() ? "" : ", ") + c;
    simple += line + "\n";
    table.AddRow(cells);
    json.push_back({{"Endpoint", endpoint}, {"Status", ProtoToJson(*s)}});
  }
  if (*format == OutputFormat::kJson)
    Print(json.dump() + "\n");
  else
    Print(*format == OutputFormat::kTable ? table.Render() : simple);
  if (failed > 0)
    return Status(Code::kUnavailable, std::to_string(failed) + " of " +
                                          std::to_string(targets->size()) + " endpoints failed");
  return Status::Ok();
}

struct Health {
  std::string endpoint;
  bool healthy = false;
  std::string took;
  std::string error;
};

// etcdctl's check: a linearizable read (it needs a leader and a quorum)
// answered in time, and no alarm raised.
Health CheckHealth(const client::ConnectionOptions& target) {
  Health h;
  h.endpoint = target.endpoints[0];
  client::Connection connection(target);
  etcdserverpb::RangeRequest read;
  read.set_key("health");
  auto start = std::chrono::steady_clock::now();
  Result<etcdserverpb::RangeResponse> r = client::Kv(connection).Range(read);
  auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6gms", took.count());
  h.took = buf;
  // A member that refuses the read for lack of permission is up.
  if (!r.ok() && r.status().code() != Code::kPermissionDenied) {
    h.error = "failed to commit proposal: " + r.status().message();
    return h;
  }
  Result<etcdserverpb::AlarmResponse> alarms = client::Maintenance(connection).AlarmList();
  if (alarms.ok() && !alarms->alarms().empty()) {
    h.error = "Active Alarm(s): ";
    for (const etcdserverpb::AlarmMember& a : alarms->alarms())
      h.error += "memberID:" + std::to_string(a.memberid()) +
                 " alarm:" + etcdserverpb::AlarmType_Name(a.alarm()) + " ";
    return h;
  }
  // (A server without the Alarm RPC cannot have raised one.)
  h.healthy = true;
  return h;
}

Status RunHealth(const Cli& cli, bool whole_cluster) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<std::vector<client::ConnectionOptions>> targets = Targets(cli, whole_cluster);
  if (!targets.ok()) return targets.status();
  Table table({"ENDPOINT", "HEALTH", "TOOK", "ERROR"});
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::string simple;
  bool all_healthy = true;
  for (const client::ConnectionOptions& target : *targets) {
    Health h = CheckHealth(target);
    all_healthy = all_healthy && h.healthy;
    simple +=
        h.healthy
            ? h.endpoint + " is healthy: successfully committed proposal: took = " + h.took + "\n"
            : h.endpoint + " is unhealthy: " + h.error + "\n";
    table.AddRow({h.endpoint, h.healthy ? "true" : "false", h.took, h.error});
    nlohmann::ordered_json j = {{"endpoint", h.endpoint}, {"health", h.healthy}, {"took", h.took}};
    if (!h.error.empty()) j["error"] = h.error;
    json.push_back(std::move(j));
  }
  if (*format == OutputFormat::kJson)
    Print(json.dump() + "\n");
  else
    Print(*format == OutputFormat::kTable ? table.Render() : simple);
  if (!all_healthy) return Status(Code::kUnavailable, "unhealthy cluster");
  return Status::Ok();
}

Status RunHashKv(const Cli& cli, bool whole_cluster, int64_t revision) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<std::vector<client::ConnectionOptions>> targets = Targets(cli, whole_cluster);
  if (!targets.ok()) return targets.status();
  Table table({"ENDPOINT", "HASH"});
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  std::string simple;
  size_t failed = 0;
  for (const client::ConnectionOptions& target : *targets) {
    client::Connection connection(target);
    Result<etcdserverpb::HashKVResponse> h = client::Maintenance(connection).HashKv(revision);
    if (!h.ok()) {
      std::fprintf(stderr, "Failed to get the hash of endpoint %s (%s)\n",
                   target.endpoints[0].c_str(), h.status().message().c_str());
      ++failed;
      continue;
    }
    simple += target.endpoints[0] + ", " + std::to_string(h->hash()) + "\n";
    table.AddRow({target.endpoints[0], std::to_string(h->hash())});
    json.push_back({{"Endpoint", target.endpoints[0]}, {"HashKV", ProtoToJson(*h)}});
  }
  if (*format == OutputFormat::kJson)
    Print(json.dump() + "\n");
  else
    Print(*format == OutputFormat::kTable ? table.Render() : simple);
  if (failed > 0)
    return Status(Code::kUnavailable, std::to_string(failed) + " of " +
                                          std::to_string(targets->size()) + " endpoints failed");
  return Status::Ok();
}

}  // namespace

void AddEndpointCommands(CLI::App& app, Cli& cli) {
  CLI::App* endpoint = app.add_subcommand("endpoint", "Commands about each endpoint");
  endpoint->require_subcommand(1);
  auto whole_cluster = std::make_shared<bool>(false);
  endpoint->add_flag("--cluster", *whole_cluster,
                     "Use every member's client URLs instead of --endpoints");

  CLI::App* status = endpoint->add_subcommand("status", "Status of each endpoint");
  cli.Runs(status, [&cli, whole_cluster] { return RunStatus(cli, *whole_cluster); });
  CLI::App* health = endpoint->add_subcommand("health", "Health of each endpoint");
  cli.Runs(health, [&cli, whole_cluster] { return RunHealth(cli, *whole_cluster); });
  auto revision = std::make_shared<int64_t>(0);
  CLI::App* hashkv = endpoint->add_subcommand("hashkv", "Hash of each endpoint's key space");
  hashkv->add_option("--rev", *revision, "Revision to hash up to (0: the latest)");
  cli.Runs(hashkv,
           [&cli, whole_cluster, revision] { return RunHashKv(cli, *whole_cluster, *revision); });
}

}  // namespace cairn::ctl
