// The dashboard on the metrics listener: the page at / (embedded at build
// time from dashboard/index.html) and /api/v1/cluster, the whole cluster as
// this member sees it: every member's telemetry and the doctor's findings.
#include <nlohmann/json.hpp>
#include <string_view>

#include "client/diagnosis.h"
#include "client/diagnosis_json.h"
#include "client/member_probe.h"
#include "cmd/cairn/server.h"

namespace cairn::cmd {

extern const std::string_view kDashboardHtml;  // generated: dashboard_html.cc

namespace {

using nlohmann::json;

uint32_t HistoryParameter(const std::string& query) {
  constexpr uint32_t kDefault = 120;
  const std::string key = "history=";
  size_t at = query.find(key);
  if (at == std::string::npos || (at > 0 && query[at - 1] != '&')) return kDefault;
  uint32_t n = 0;
  for (size_t i = at + key.size(); i < query.size() && isdigit(query[i]) && n < 100000; ++i)
    n = n * 10 + static_cast<uint32_t>(query[i] - '0');
  return std::min<uint32_t>(n, api::TelemetryRecorder::kMaxHistory);
}

json MemberJson(const client::MemberProbe& p) {
  const cairnpb::TelemetryResponse& t = p.telemetry;
  json history = json::array();
  for (const cairnpb::TelemetrySample& s : t.history()) {
    history.push_back({{"t", s.unix_ms()},
                       {"rps", s.requests_per_second()},
                       {"p50", s.request_p50_seconds()},
                       {"p99", s.request_p99_seconds()},
                       {"fsync_p99", s.fsync_p99_seconds()},
                       {"apply_lag", s.apply_lag()},
                       {"commit", s.commit_index()},
                       {"applied", s.applied_index()},
                       {"term", s.term()},
                       {"leader", s.is_leader()}});
  }
  return {{"id", client::HexId(p.member.id)},
          {"name", t.name().empty() ? client::DisplayName(p.member) : t.name()},
          {"client_urls", p.member.client_urls},
          {"learner", p.member.learner},
          {"reachable", p.reachable},
          {"error", p.error},
          {"role", t.role()},
          {"term", t.term()},
          {"leader", t.leader() == 0 ? "" : client::HexId(t.leader())},
          {"commit_index", t.commit_index()},
          {"applied_index", t.applied_index()},
          {"db_size_bytes", t.db_size_bytes()},
          {"quota_bytes", t.quota_bytes()},
          {"disk_free_bytes", t.disk_free_bytes()},
          {"disk_total_bytes", t.disk_total_bytes()},
          {"fsync_p99_seconds", t.fsync_p99_seconds()},
          {"request_p99_seconds", t.request_p99_seconds()},
          {"version", t.version()},
          {"uptime_seconds", t.uptime_seconds()},
          {"leader_changes_seen", t.leader_changes_seen()},
          {"history", history}};
}

}  // namespace

std::string Server::ClusterJson(uint32_t history_seconds) {
  std::vector<client::MemberRef> refs;
  for (const api::NodeInfo::Member& m : members())
    refs.push_back({m.id, m.name, m.client_urls, m.is_learner});
  client::ProbeOptions options;
  options.history_seconds = history_seconds;
  options.timeout = std::chrono::milliseconds(800);
  options.local = [this,
                   history_seconds](uint64_t id) -> std::optional<cairnpb::TelemetryResponse> {
    if (id != member_id_) return std::nullopt;
    return Telemetry(history_seconds);
  };
  std::vector<client::MemberProbe> probes =
      client::ProbeMembers(refs, options, &dashboard_channels_);
  client::Diagnosis d = client::Diagnose(probes, {}, client::DoctorThresholds{});

  json out;
  out["now_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  out["served_by"] = config_.name;
  out["verdict"] = client::VerdictName(d.verdict);
  json findings = json::array();
  for (const client::Finding& f : d.Findings()) {
    findings.push_back(client::FindingJson(f));
  }
  out["findings"] = findings;
  std::set<std::string> alarms;
  json members = json::array();
  // Leader changes from every member, one entry per (term, leader): each
  // member notices the same election.
  std::map<std::pair<uint64_t, uint64_t>, int64_t> changes;
  std::map<uint64_t, std::string> names;
  for (const client::MemberProbe& p : probes) {
    members.push_back(MemberJson(p));
    names[p.member.id] = client::DisplayName(p.member);
    for (const std::string& a : p.telemetry.alarms())
      alarms.insert(a);
    for (const cairnpb::LeaderChangeEvent& e : p.telemetry.leader_changes()) {
      auto key = std::make_pair(e.term(), e.leader());
      auto [it, fresh] = changes.emplace(key, e.unix_ms());
      if (!fresh) it->second = std::min(it->second, e.unix_ms());
    }
  }
  out["alarms"] = alarms;
  out["members"] = members;
  std::vector<std::tuple<int64_t, uint64_t, uint64_t>> timeline;
  for (const auto& [key, at] : changes)
    timeline.emplace_back(at, key.first, key.second);
  std::sort(timeline.begin(), timeline.end());
  json leader_changes = json::array();
  for (const auto& [at, term, leader] : timeline) {
    leader_changes.push_back({{"t", at},
                              {"term", term},
                              {"leader", leader == 0 ? "" : client::HexId(leader)},
                              {"leader_name", leader == 0           ? ""
                                              : names.count(leader) ? names[leader]
                                                                    : client::HexId(leader)}});
  }
  out["leader_changes"] = leader_changes;
  return out.dump();
}

HttpResponse Server::ServeDashboard(const HttpRequest& request) {
  if (request.path == "/" || request.path == "/index.html") {
    return HttpResponse{200,
                        "text/html; charset=utf-8",
                        std::string(kDashboardHtml),
                        {{"Cache-Control", "no-cache"}}};
  }
  return HttpResponse{200,
                      "application/json",
                      ClusterJson(HistoryParameter(request.query)),
                      {{"Cache-Control", "no-store"}}};
}

}  // namespace cairn::cmd
