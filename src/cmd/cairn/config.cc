#include "cmd/cairn/config.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace cairn::cmd {

namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string part = s.substr(start, comma - start);
    if (!part.empty()) out.push_back(part);
    start = comma + 1;
  }
  return out;
}

uint64_t Fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Status Invalid(const std::string& what) {
  return Status(Code::kInvalidArgument, what);
}

}  // namespace

std::string_view PlantedServerBugName(PlantedServerBug bug) {
  switch (bug) {
    case PlantedServerBug::kNone:
      return "none";
    case PlantedServerBug::kLocalReads:
      return "local-reads";
    case PlantedServerBug::kAckBeforeFsync:
      return "ack-before-fsync";
  }
  return "?";
}

Result<PlantedServerBug> ParsePlantedServerBug(std::string_view name) {
  for (PlantedServerBug bug : {PlantedServerBug::kNone, PlantedServerBug::kLocalReads,
                               PlantedServerBug::kAckBeforeFsync}) {
    if (name == PlantedServerBugName(bug)) return bug;
  }
  return Invalid("--unsafe-planted-bug: expected none, local-reads or ack-before-fsync, got \"" +
                 std::string(name) + "\"");
}

Result<std::string> HostPort(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return Invalid("URL " + url + ": only http:// is supported (TLS is not implemented yet)");
  }
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return Invalid("URL " + url + ": expected http://host:port");
  }
  for (size_t i = colon + 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') return Invalid("URL " + url + ": bad port");
  }
  return rest;
}

uint64_t MemberId(const std::vector<std::string>& peer_urls, const std::string& token) {
  std::vector<std::string> sorted = peer_urls;
  std::sort(sorted.begin(), sorted.end());
  uint64_t h = Fnv1a(token);
  for (const std::string& u : sorted)
    h = Fnv1a(u, h);
  return h == 0 ? 1 : h;
}

uint64_t ClusterId(const std::vector<Member>& members) {
  std::vector<uint64_t> ids;
  for (const Member& m : members)
    ids.push_back(m.id);
  std::sort(ids.begin(), ids.end());
  uint64_t h = 1469598103934665603ull;
  for (uint64_t id : ids)
    h = Fnv1a(std::to_string(id), h);
  return h == 0 ? 1 : h;
}

Result<std::vector<Member>> ParseInitialCluster(const std::string& spec, const std::string& token) {
  std::vector<Member> members;
  for (const std::string& item : SplitCommas(spec)) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return Invalid("--initial-cluster: expected name=url, got \"" + item + "\"");
    }
    std::string name = item.substr(0, eq);
    std::string url = item.substr(eq + 1);
    if (Result<std::string> hp = HostPort(url); !hp.ok()) return hp.status();
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const Member& m) { return m.name == name; });
    if (it == members.end()) {
      members.push_back(Member{name, {url}, 0});
    } else {
      it->peer_urls.push_back(url);
    }
  }
  if (members.empty()) return Invalid("--initial-cluster is empty");
  for (Member& m : members)
    m.id = MemberId(m.peer_urls, token);
  return members;
}

Result<ServerConfig> ParseServerConfig(int argc, char** argv) {
  ServerConfig c;
  std::string listen_client, advertise_client, listen_peer, advertise_peer, config_file;
  std::string listen_metrics;
  std::string planted_bug = "none";
  CLI::App app{"cairn: a strongly consistent key-value store speaking the etcd v3 API"};
  app.set_version_flag("--version", "cairn 0.1");
  app.add_option("--config-file", config_file, "YAML file with the same settings (etcd's keys)");
  app.add_option("--name", c.name, "human-readable name of this member");
  app.add_option("--data-dir", c.data_dir,
                 "where this member keeps its data (default <name>.cairn)");
  app.add_option("--listen-client-urls", listen_client, "URLs to serve clients on");
  app.add_option("--advertise-client-urls", advertise_client, "client URLs told to others");
  app.add_option("--listen-peer-urls", listen_peer, "URLs to serve peers on");
  app.add_option("--listen-metrics-urls", listen_metrics,
                 "URLs to serve /metrics, /health, /livez and /readyz on (plain HTTP)");
  app.add_option("--initial-advertise-peer-urls", advertise_peer, "peer URLs told to others");
  app.add_option("--initial-cluster", c.initial_cluster,
                 "name=peer-url,... of the initial members");
  app.add_option("--initial-cluster-state", c.initial_cluster_state, "new or existing")
      ->check(CLI::IsMember({"new", "existing"}));
  app.add_option("--initial-cluster-token", c.initial_cluster_token, "distinguishes clusters");
  app.add_option("--heartbeat-interval", c.heartbeat_interval_ms, "milliseconds");
  app.add_option("--election-timeout", c.election_timeout_ms, "milliseconds");
  app.add_option("--snapshot-count", c.snapshot_count, "applied entries between snapshots");
  app.add_option("--experimental-snapshot-catchup-entries", c.snapshot_catchup_entries,
                 "entries kept behind a snapshot for slow followers");
  app.add_option("--max-request-bytes", c.max_request_bytes, "largest client request");
  app.add_option("--max-txn-ops", c.max_txn_ops, "most operations in one txn");
  app.add_option("--quota-backend-bytes", c.quota_backend_bytes, "NOSPACE alarm past this size");
  app.add_option("--experimental-warning-apply-duration", c.warning_apply_duration,
                 "log requests slower than this, with where they waited (e.g. 100ms, 1s)");
  app.add_option("--log-format", c.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", c.log_level, "debug, info, warn or error");
  // Checked below rather than with CLI::IsMember, so that a bad value is an
  // error returned to the caller (and tested) instead of an exit.
  app.add_option("--unsafe-planted-bug", planted_bug,
                 "TESTS ONLY, loses data: none, local-reads or ack-before-fsync");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  // Settings from the file apply where the command line left the default.
  if (!config_file.empty()) {
    YAML::Node y;
    try {
      y = YAML::LoadFile(config_file);
    } catch (const std::exception& e) {
      return Invalid("--config-file " + config_file + ": " + e.what());
    }
    auto str = [&](const char* key, std::string* out) {
      if (y[key] && app.count(std::string("--") + key) == 0) *out = y[key].as<std::string>();
    };
    auto num = [&](const char* key, auto* out) {
      if (y[key] && app.count(std::string("--") + key) == 0) {
        *out = y[key].as<std::remove_pointer_t<decltype(out)>>();
      }
    };
    try {
      str("name", &c.name);
      str("data-dir", &c.data_dir);
      str("listen-client-urls", &listen_client);
      str("advertise-client-urls", &advertise_client);
      str("listen-peer-urls", &listen_peer);
      str("listen-metrics-urls", &listen_metrics);
      str("initial-advertise-peer-urls", &advertise_peer);
      str("initial-cluster", &c.initial_cluster);
      str("initial-cluster-state", &c.initial_cluster_state);
      str("initial-cluster-token", &c.initial_cluster_token);
      num("heartbeat-interval", &c.heartbeat_interval_ms);
      num("election-timeout", &c.election_timeout_ms);
      num("snapshot-count", &c.snapshot_count);
      num("experimental-snapshot-catchup-entries", &c.snapshot_catchup_entries);
      num("max-request-bytes", &c.max_request_bytes);
      num("max-txn-ops", &c.max_txn_ops);
      num("quota-backend-bytes", &c.quota_backend_bytes);
      str("experimental-warning-apply-duration", &c.warning_apply_duration);
      str("log-format", &c.log_format);
      str("log-level", &c.log_level);
    } catch (const std::exception& e) {
      return Invalid("--config-file " + config_file + ": " + e.what());
    }
  }
  Result<PlantedServerBug> bug = ParsePlantedServerBug(planted_bug);
  if (!bug.ok()) return bug.status();
  c.unsafe_planted_bug = *bug;
  if (!listen_client.empty()) c.listen_client_urls = SplitCommas(listen_client);
  if (!advertise_client.empty()) c.advertise_client_urls = SplitCommas(advertise_client);
  if (!listen_peer.empty()) c.listen_peer_urls = SplitCommas(listen_peer);
  if (!listen_metrics.empty()) c.listen_metrics_urls = SplitCommas(listen_metrics);
  if (!advertise_peer.empty()) c.initial_advertise_peer_urls = SplitCommas(advertise_peer);
  if (c.data_dir.empty()) c.data_dir = c.name + ".cairn";
  if (c.initial_cluster.empty()) {
    for (const std::string& u : c.initial_advertise_peer_urls) {
      c.initial_cluster += (c.initial_cluster.empty() ? "" : ",") + c.name + "=" + u;
    }
  }
  if (c.heartbeat_interval_ms <= 0) return Invalid("--heartbeat-interval must be positive");
  if (c.election_timeout_ms < 5 * c.heartbeat_interval_ms) {
    return Invalid("--election-timeout should be at least 5 times --heartbeat-interval");
  }
  if (c.max_txn_ops <= 0) return Invalid("--max-txn-ops must be positive");
  {
    // "100ms", "1s", "1.5s": Go's duration syntax, in the units that make sense here.
    const std::string& d = c.warning_apply_duration;
    char* end = nullptr;
    const double v = std::strtod(d.c_str(), &end);
    const std::string unit = end == nullptr ? "" : std::string(end);
    if (end == d.c_str() || v <= 0 || (unit != "ms" && unit != "s")) {
      return Invalid(
          "--experimental-warning-apply-duration: want a duration such as 100ms or 1s, "
          "not \"" +
          d + "\"");
    }
    c.warning_apply_duration_ms = static_cast<int>(unit == "s" ? v * 1000 : v);
    if (c.warning_apply_duration_ms <= 0) c.warning_apply_duration_ms = 1;
  }
  for (const auto* urls : {&c.listen_client_urls, &c.listen_peer_urls, &c.listen_metrics_urls}) {
    for (const std::string& u : *urls) {
      if (Result<std::string> hp = HostPort(u); !hp.ok()) return hp.status();
    }
  }
  return c;
}

}  // namespace cairn::cmd
