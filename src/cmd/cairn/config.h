#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cairn::cmd {

// Deliberate defects for tests/chaos only (--unsafe-planted-bug), so that
// the fault-injection harness can show it catches what it is meant to
// catch. Never for production: each one loses or misreports data.
enum class PlantedServerBug {
  kNone,
  // Linearizable reads skip ReadIndex and are served from local state at
  // once, like serializable ones (a partitioned or lagging member answers
  // stale data).
  kLocalReads,
  // The WAL reports writes durable as soon as they are submitted and writes
  // and syncs them only about once a second: followers acknowledge appends
  // and the leader counts its own copy before anything is on disk.
  kAckBeforeFsync,
};
std::string_view PlantedServerBugName(PlantedServerBug bug);
// "none", "local-reads" or "ack-before-fsync"; anything else is
// kInvalidArgument naming the flag and the accepted values.
Result<PlantedServerBug> ParsePlantedServerBug(std::string_view name);

// The server's settings, named and defaulted as etcd's flags are, so that
// an etcd command line or YAML config file works unchanged where it can.
struct ServerConfig {
  std::string name = "default";
  std::string data_dir;  // default: <name>.cairn
  std::vector<std::string> listen_client_urls = {"http://localhost:2379"};
  std::vector<std::string> advertise_client_urls = {"http://localhost:2379"};
  std::vector<std::string> listen_peer_urls = {"http://localhost:2380"};
  std::vector<std::string> initial_advertise_peer_urls = {"http://localhost:2380"};
  // Plain-HTTP URLs serving /metrics, /health, /livez and /readyz (etcd's
  // --listen-metrics-urls); none by default.
  std::vector<std::string> listen_metrics_urls;
  std::string initial_cluster;  // default: <name>=<initial advertise peer URLs>
  std::string initial_cluster_state = "new";
  std::string initial_cluster_token = "etcd-cluster";
  int heartbeat_interval_ms = 100;
  int election_timeout_ms = 1000;
  uint64_t snapshot_count = 100000;
  // Entries kept behind a snapshot for followers slightly behind (etcd 3.5's
  // --experimental-snapshot-catchup-entries).
  uint64_t snapshot_catchup_entries = 5000;
  uint64_t max_request_bytes = 1572864;  // 1.5 MiB
  int max_txn_ops = 128;
  uint64_t quota_backend_bytes = 2ull << 30;
  // Writes and linearizable reads slower than this are logged with where
  // their time went (etcd's --experimental-warning-apply-duration, "100ms").
  std::string warning_apply_duration = "100ms";
  int warning_apply_duration_ms = 100;  // parsed from the above
  std::string log_format = "text";
  std::string log_level = "info";
  // Test-only (see PlantedServerBug); a command-line flag only, never read
  // from --config-file, so that a production config cannot carry it.
  PlantedServerBug unsafe_planted_bug = PlantedServerBug::kNone;
};

// Parses argv (and the YAML file named by --config-file, whose keys are
// etcd's: name, data-dir, listen-client-urls, ...; flags on the command line
// win). Returns kInvalidArgument with a message naming the bad setting.
// `--help` and `--version` print and exit.
Result<ServerConfig> ParseServerConfig(int argc, char** argv);

// A member of the initial cluster.
struct Member {
  std::string name;
  std::vector<std::string> peer_urls;
  uint64_t id = 0;
};

// "n1=http://a:2380,n1=http://b:2380,n2=http://c:2380" → members in order.
Result<std::vector<Member>> ParseInitialCluster(const std::string& spec, const std::string& token);
// "http://127.0.0.1:2379" → "127.0.0.1:2379"; only http:// (TLS comes with
// the security work).
Result<std::string> HostPort(const std::string& url);
// Ids derived as etcd does in spirit: from the member's peer URLs and the
// cluster token, so that the same cluster definition gives the same ids.
uint64_t MemberId(const std::vector<std::string>& peer_urls, const std::string& token);
uint64_t ClusterId(const std::vector<Member>& members);

}  // namespace cairn::cmd
