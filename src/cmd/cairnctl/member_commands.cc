// member list | add | remove | update | promote.
#include <functional>
#include <memory>

#include "client/cluster.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/requests.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {

namespace {

std::vector<std::string> SplitUrls(const std::string& list) {
  std::vector<std::string> urls;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string url = list.substr(start, comma - start);
    if (!url.empty()) urls.push_back(url);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return urls;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

// Runs one Cluster call and prints its answer: JSON, or `simple`'s text.
template <typename Response, typename Call, typename Simple>
Status RunMember(const Cli& cli, Call call, Simple simple) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  client::Cluster cluster(connection);
  Result<Response> r = call(cluster);
  if (!r.ok()) return r.status();
  Print(*format == OutputFormat::kJson ? JsonLine(*r) : simple(*r, *format));
  return Status::Ok();
}

std::string MemberListText(const etcdserverpb::MemberListResponse& r, OutputFormat format) {
  if (format != OutputFormat::kTable) {
    std::string out;
    for (const etcdserverpb::Member& m : r.members())
      out += SimpleMember(m);
    return out;
  }
  Table t({"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"});
  for (const etcdserverpb::Member& m : r.members())
    t.AddRow({HexId(m.id()), m.name().empty() ? "unstarted" : "started", m.name(),
              Join(m.peerurls()), Join(m.clienturls()), m.islearner() ? "true" : "false"});
  return t.Render();
}

// etcdctl's answer to `member add`: the new member's id and the settings
// to start it with.
std::string MemberAddText(const etcdserverpb::MemberAddResponse& r, const std::string& name) {
  std::string out = "Member " + PaddedHexId(r.member().id()) + " added to cluster " +
                    PaddedHexId(r.header().cluster_id()) + "\n\n";
  std::string initial;
  for (const etcdserverpb::Member& m : r.members()) {
    std::string member_name = m.id() == r.member().id() ? name : m.name();
    if (member_name.empty()) continue;  // another member that has not started yet
    for (const std::string& url : m.peerurls())
      initial += (initial.empty() ? "" : ",") + member_name + "=" + url;
  }
  out += "ETCD_NAME=\"" + name + "\"\n";
  out += "ETCD_INITIAL_CLUSTER=\"" + initial + "\"\n";
  out += "ETCD_INITIAL_ADVERTISE_PEER_URLS=\"" + Join(r.member().peerurls()) + "\"\n";
  out += "ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n";
  return out;
}

// remove, update and promote: a member id in hexadecimal, one call, and
// etcdctl's "Member <id> <verb> cluster <id>" answer.
template <typename Response>
void AddIdCommand(CLI::App* sub, Cli& cli,
                  std::function<Result<Response>(client::Cluster&, uint64_t)> call,
                  const char* verb) {
  auto id_text = std::make_shared<std::string>();
  sub->add_option("id", *id_text, "Member ID (hexadecimal)")->required();
  cli.Runs(sub, [&cli, id_text, call, verb]() -> Status {
    Result<uint64_t> id = ParseHexId(*id_text);
    if (!id.ok()) return id.status();
    return RunMember<Response>(
        cli, [&](client::Cluster& c) { return call(c, *id); },
        [&](const Response& r, OutputFormat) {
          return "Member " + PaddedHexId(*id) + " " + verb + " cluster " +
                 PaddedHexId(r.header().cluster_id()) + "\n";
        });
  });
}

}  // namespace

void AddMemberCommands(CLI::App& app, Cli& cli) {
  CLI::App* member = app.add_subcommand("member", "Membership commands");
  member->require_subcommand(1);

  CLI::App* list = member->add_subcommand("list", "Lists the members");
  cli.Runs(list, [&cli] {
    return RunMember<etcdserverpb::MemberListResponse>(
        cli, [](client::Cluster& c) { return c.List(); }, MemberListText);
  });

  auto name = std::make_shared<std::string>();
  auto add_urls = std::make_shared<std::string>();
  auto learner = std::make_shared<bool>(false);
  CLI::App* add = member->add_subcommand("add", "Adds a member");
  add->add_option("name", *name, "The new member's name")->required();
  add->add_option("--peer-urls", *add_urls, "The new member's peer URLs, comma-separated")
      ->required();
  add->add_flag("--learner", *learner, "Add as a learner (non-voting)");
  cli.Runs(add, [&cli, name, add_urls, learner] {
    return RunMember<etcdserverpb::MemberAddResponse>(
        cli, [&](client::Cluster& c) { return c.Add(SplitUrls(*add_urls), *learner); },
        [&](const etcdserverpb::MemberAddResponse& r, OutputFormat) {
          return MemberAddText(r, *name);
        });
  });

  AddIdCommand<etcdserverpb::MemberRemoveResponse>(
      member->add_subcommand("remove", "Removes a member"), cli,
      [](client::Cluster& c, uint64_t id) { return c.Remove(id); }, "removed from");
  auto update_urls = std::make_shared<std::string>();
  CLI::App* update = member->add_subcommand("update", "Changes a member's peer URLs");
  update->add_option("--peer-urls", *update_urls, "The member's new peer URLs, comma-separated")
      ->required();
  AddIdCommand<etcdserverpb::MemberUpdateResponse>(
      update, cli,
      [update_urls](client::Cluster& c, uint64_t id) {
        return c.Update(id, SplitUrls(*update_urls));
      },
      "updated in");
  AddIdCommand<etcdserverpb::MemberPromoteResponse>(
      member->add_subcommand("promote", "Promotes a learner to a voting member"), cli,
      [](client::Cluster& c, uint64_t id) { return c.Promote(id); }, "promoted in");
}

}  // namespace cairn::ctl
