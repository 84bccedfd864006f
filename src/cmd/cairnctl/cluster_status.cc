#include "cmd/cairnctl/cluster_status.h"

#include <map>
#include <nlohmann/json.hpp>

#include "client/endpoints.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {

std::vector<MemberStatusRow> CollectClusterStatus(const etcdserverpb::MemberListResponse& members,
                                                  const std::vector<std::string>& endpoints,
                                                  const StatusFetcher& fetch) {
  // What each answering endpoint says, by the member id it reports.
  std::map<uint64_t, std::pair<std::string, etcdserverpb::StatusResponse>> by_member;
  std::map<std::string, Status> failed;  // endpoint -> error
  auto ask = [&](const std::string& endpoint) {
    if (failed.contains(endpoint)) return;
    for (const auto& [id, answer] : by_member)
      if (answer.first == endpoint) return;
    Result<etcdserverpb::StatusResponse> s = fetch(endpoint);
    if (s.ok())
      by_member[s->header().member_id()] = {endpoint, *s};
    else
      failed[endpoint] = s.status();
  };
  for (const etcdserverpb::Member& m : members.members())
    if (!m.clienturls().empty()) ask(client::EndpointTarget(m.clienturls(0)));
  for (const std::string& e : endpoints)
    ask(e);

  uint64_t leader = 0, leader_term = 0;
  for (const auto& [id, answer] : by_member) {
    const etcdserverpb::StatusResponse& s = answer.second;
    if (s.leader() != 0 && s.raftterm() >= leader_term) {
      leader = s.leader();
      leader_term = s.raftterm();
    }
  }

  std::vector<MemberStatusRow> rows;
  for (const etcdserverpb::Member& m : members.members()) {
    MemberStatusRow row;
    row.name = m.name();
    row.id = m.id();
    row.role = m.islearner() ? "learner" : m.id() == leader ? "leader" : "follower";
    if (auto it = by_member.find(m.id()); it != by_member.end()) {
      const etcdserverpb::StatusResponse& s = it->second.second;
      row.endpoint = it->second.first;
      row.reachable = true;
      row.raft_term = s.raftterm();
      row.commit_index = s.raftindex();
      row.applied_index = s.raftappliedindex();
      row.db_size = s.dbsize();
      for (const std::string& e : s.errors())
        row.error += (row.error.empty() ? "" : "; ") + e;
    } else if (!m.clienturls().empty()) {
      row.endpoint = client::EndpointTarget(m.clienturls(0));
      auto f = failed.find(row.endpoint);
      row.error = f != failed.end() ? f->second.message() : "answered as another member";
    } else {
      row.error = "no client URL known (not in --endpoints?)";
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

std::vector<std::string> Cells(const MemberStatusRow& r) {
  bool ok = r.reachable;
  auto number = [&](uint64_t v) { return ok ? std::to_string(v) : std::string(); };
  return {r.name,
          HexId(r.id),
          r.endpoint,
          r.role,
          number(r.raft_term),
          number(r.commit_index),
          number(r.applied_index),
          ok ? HumanBytes(static_cast<uint64_t>(r.db_size)) : "",
          r.error.empty() ? "ok" : r.error};
}

}  // namespace

std::string ClusterStatusTable(const std::vector<MemberStatusRow>& rows) {
  Table t({"NAME", "ID", "ENDPOINT", "ROLE", "RAFT TERM", "COMMIT INDEX", "APPLIED INDEX",
           "DB SIZE", "STATUS"});
  for (const MemberStatusRow& r : rows)
    t.AddRow(Cells(r));
  return t.Render();
}

std::string ClusterStatusSimple(const std::vector<MemberStatusRow>& rows) {
  std::string out;
  for (const MemberStatusRow& r : rows) {
    std::string line;
    for (const std::string& cell : Cells(r))
      line += (line.empty() ? "" : ", ") + cell;
    out += line + "\n";
  }
  return out;
}

std::string ClusterStatusJson(const std::vector<MemberStatusRow>& rows) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const MemberStatusRow& r : rows) {
    nlohmann::ordered_json j = {{"name", r.name},
                                {"id", r.id},
                                {"endpoint", r.endpoint},
                                {"role", r.role},
                                {"reachable", r.reachable}};
    if (r.reachable) {
      j["raft_term"] = r.raft_term;
      j["commit_index"] = r.commit_index;
      j["applied_index"] = r.applied_index;
      j["db_size"] = r.db_size;
    }
    if (!r.error.empty()) j["error"] = r.error;
    list.push_back(std::move(j));
  }
  return list.dump() + "\n";
}

}  // namespace cairn::ctl
