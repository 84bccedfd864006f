// The member's metrics registry, its HTTP listeners (--listen-metrics-urls)
// and what they serve: /metrics, /health, /livez and /readyz, with etcd's
// names and answers where etcd has them (docs/OPERATIONS.md).
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "base/logging.h"
#include "client/member_probe.h"
#include "cmd/cairn/server.h"

namespace cairn::cmd {
namespace {

// /proc/self/stat fields after the command name: utime, stime (clock
// ticks), starttime (ticks after boot), vsize, rss (pages).
struct ProcessStat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
};

ProcessStat ReadProcessStat() {
  ProcessStat out;
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return out;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string x; fields >> x;)
    f.push_back(x);
  // f[0] is field 3 (state): field n is f[n - 3].
  if (f.size() < 22) return out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.virtual_bytes = std::stod(f[20]);
  out.resident_bytes = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  double boot = 0;
  std::ifstream stat("/proc/stat");
  for (std::string line; std::getline(stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
  }
  out.start_time_seconds = boot + std::stod(f[19]) / ticks;
  return out;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory being read
}

HttpResponse Text(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

bool HasQueryFlag(const std::string& query, const std::string& name) {
  std::istringstream parts(query);
  for (std::string p; std::getline(parts, p, '&');) {
    if (p == name || p.rfind(name + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

void Server::InitMetrics() {
  metrics_ = std::make_unique<metrics::Registry>();
  // etcd's buckets: 1 ms to 8.192 s.
  wal_fsync_seconds_ = metrics_->AddHistogram("etcd_disk_wal_fsync_duration_seconds",
                                              "The latency distributions of fsync called by WAL.",
                                              metrics::ExponentialBuckets(0.001, 2, 14));
  backend_commit_seconds_ =
      metrics_->AddHistogram("etcd_disk_backend_commit_duration_seconds",
                             "The latency distributions of commit called by backend.",
                             metrics::ExponentialBuckets(0.001, 2, 14));
  wal_batch_records_ = metrics_->AddHistogram(
      "cairn_wal_batch_records", "Records per WAL batch (one write and one fdatasync each).",
      metrics::ExponentialBuckets(1, 2, 14));
}

void Server::RegisterScrapedMetrics() {
  metrics::Registry& r = *metrics_;
  // Read when scraped; the listeners stop before any of these objects go.
  r.AddGaugeFunction("etcd_server_has_leader",
                     "Whether or not a leader exists. 1 is existence, 0 is not.",
                     [this] { return replica_->info().leader != raft::kNoNode ? 1.0 : 0.0; });
  r.AddGaugeFunction("etcd_server_is_leader", "Whether or not this member is a leader.",
                     [this] { return replica_->info().role == raft::Role::kLeader ? 1.0 : 0.0; });
  r.AddGaugeFunction("etcd_server_is_learner", "Whether or not this member is a learner.",
                     [this] { return learner_.load() ? 1.0 : 0.0; });
  r.AddCounterFunction("etcd_server_leader_changes_seen_total",
                       "The number of leader changes seen.",
                       [this] { return static_cast<double>(replica_->info().leader_changes); });
  r.AddGaugeFunction("etcd_server_proposals_committed_total",
                     "The total number of consensus proposals committed (the commit index).",
                     [this] { return static_cast<double>(replica_->info().commit); });
  r.AddGaugeFunction("etcd_server_proposals_applied_total",
                     "The total number of consensus proposals applied (the applied index).",
                     [this] { return static_cast<double>(replica_->info().applied); });
  r.AddGaugeFunction("etcd_server_proposals_pending",
                     "The current number of pending proposals to commit.",
                     [this] { return static_cast<double>(replica_->info().pending); });
  auto count = [](const std::atomic<uint64_t>& c) {
    return [&c] { return static_cast<double>(c.load(std::memory_order_relaxed)); };
  };
  const cluster::Replica::Counters& rc = replica_->counters();
  r.AddCounterFunction("etcd_server_proposals_failed_total",
                       "The total number of failed proposals seen.", count(rc.proposals_failed));
  r.AddCounterFunction("cairn_server_read_index_rounds_total",
                       "ReadIndex rounds started (each serves every read queued with it).",
                       count(rc.read_index_rounds));
  r.AddCounterFunction("cairn_snapshots_saved_total",
                       "Snapshots taken of this member's store (--snapshot-count).",
                       count(rc.snapshots_saved));
  r.AddCounterFunction("cairn_snapshots_sent_total", "Snapshot transfers to followers completed.",
                       count(rc.snapshots_sent));
  r.AddCounterFunction("cairn_snapshot_sent_bytes_total", "Snapshot bytes sent to followers.",
                       count(rc.snapshot_sent_bytes));
  r.AddCounterFunction("cairn_snapshots_received_total", "Snapshots received from the leader.",
                       count(rc.snapshots_received));
  r.AddCounterFunction("cairn_snapshot_received_bytes_total",
                       "Snapshot bytes received from the leader.",
                       count(rc.snapshot_received_bytes));
  r.AddGaugeFunction("cairn_server_term", "The current Raft term of this member.",
                     [this] { return static_cast<double>(replica_->info().term); });
  r.AddGaugeFunction("cairn_server_apply_lag_entries",
                     "Committed entries this member has not applied yet.", [this] {
                       cluster::Replica::Info i = replica_->info();
                       return i.commit > i.applied ? static_cast<double>(i.commit - i.applied)
                                                   : 0.0;
                     });
  r.AddGaugeFunction("etcd_server_quota_backend_bytes",
                     "Current backend storage quota size in bytes.",
                     [this] { return static_cast<double>(quota_->quota_bytes()); });
  r.AddGaugeFunction("etcd_mvcc_db_total_size_in_bytes",
                     "Total size of the underlying database physically allocated in bytes.",
                     [this] { return static_cast<double>(quota_->DbSize()); });
  r.AddGaugeFunction("etcd_debugging_mvcc_keys_total", "Total number of keys.",
                     [this] { return static_cast<double>(replica_->store().key_count()); });
  r.AddGaugeFunction("etcd_debugging_mvcc_current_revision", "The current revision of the store.",
                     [this] { return static_cast<double>(replica_->store().current_revision()); });
  r.AddGaugeFunction(
      "etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in the store.",
      [this] { return static_cast<double>(replica_->store().compacted_revision()); });
  r.AddGaugeFunction("cairn_server_alarms", "Alarms raised in the cluster (NOSPACE, CORRUPT).",
                     [this] {
                       Result<kv::Alarms> a = replica_->store().RaisedAlarms();
                       return a.ok() ? static_cast<double>(a->size()) : 0.0;
                     });
  r.AddCounterFunction("etcd_disk_wal_write_bytes_total", "Total number of bytes written in WAL.",
                       [this] { return static_cast<double>(wal_->stats().bytes); });
  r.AddCounterFunction("cairn_wal_syncs_total", "fdatasync calls made by the WAL.",
                       [this] { return static_cast<double>(wal_->stats().syncs); });
  r.AddGaugeFunction("cairn_wal_segments", "WAL segment files on disk.",
                     [this] { return static_cast<double>(wal_->segment_count()); });
  r.AddGaugeFunction("cairn_wal_waiting_for_space",
                     "1 while the WAL waits for free disk space, else 0.",
                     [this] { return wal_->waiting_for_space().empty() ? 0.0 : 1.0; });
  r.AddCounterFunction("cairn_network_peer_sent_messages_total", "Raft messages sent to peers.",
                       [this] { return static_cast<double>(transport_->stats().messages_sent); });
  r.AddCounterFunction(
      "cairn_network_peer_dropped_messages_total",
      "Raft messages dropped (queue full, peer unreachable, failed write).", [this] {
        cluster::GrpcTransport::Stats s = transport_->stats();
        return static_cast<double>(s.dropped_queue_full + s.dropped_unreachable +
                                   s.dropped_failed_write + s.dropped_unknown_peer);
      });
  r.AddLabeledCounterFunction("etcd_network_peer_sent_bytes_total",
                              "The total number of bytes sent to peers.", "To", [this] {
                                metrics::Registry::LabeledValues out;
                                for (const auto& [id, bytes] : transport_->SentBytesByPeer())
                                  out.emplace_back(client::HexId(id), static_cast<double>(bytes));
                                return out;
                              });
  r.AddLabeledCounterFunction(
      "etcd_network_peer_received_bytes_total", "The total number of bytes received from peers.",
      "From", [this] {
        // Only current members: the sender id comes from the peer.
        std::set<uint64_t> members;
        for (const api::NodeInfo::Member& m : this->members())
          members.insert(m.id);
        metrics::Registry::LabeledValues out;
        for (const auto& [id, bytes] : peer_service_->ReceivedBytesByPeer()) {
          if (members.count(id) > 0)
            out.emplace_back(client::HexId(id), static_cast<double>(bytes));
        }
        return out;
      });
  r.AddGaugeFunction("etcd_debugging_mvcc_watch_stream_total", "Total number of watch streams.",
                     [this] { return static_cast<double>(watch_hub_->counts().streams); });
  r.AddGaugeFunction("etcd_debugging_mvcc_watcher_total", "Total number of watchers.",
                     [this] { return static_cast<double>(watch_hub_->counts().watchers); });
  r.AddGaugeFunction("etcd_debugging_mvcc_slow_watcher_total",
                     "Total number of unsynced slow watchers.",
                     [this] { return static_cast<double>(watch_hub_->counts().unsynced); });
  r.AddGaugeFunction("cairn_lease_active", "Leases in the lease table.",
                     [this] { return static_cast<double>(lease_keeper_->active_leases()); });
  r.AddCounterFunction("etcd_debugging_server_lease_expired_total",
                       "The total number of expired leases (revoked while this member led).",
                       [this] { return static_cast<double>(lease_keeper_->expired_leases()); });
  r.AddGaugeFunction("process_resident_memory_bytes", "Resident memory size in bytes.",
                     [] { return ReadProcessStat().resident_bytes; });
  r.AddGaugeFunction("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                     [] { return ReadProcessStat().virtual_bytes; });
  r.AddCounterFunction("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                       [] { return ReadProcessStat().cpu_seconds; });
  r.AddGaugeFunction("process_start_time_seconds",
                     "Start time of the process since unix epoch in seconds.",
                     [] { return ReadProcessStat().start_time_seconds; });
  r.AddGaugeFunction("process_open_fds", "Number of open file descriptors.",
                     [] { return OpenFds(); });
  r.AddGaugeFunction("process_max_fds", "Maximum number of open file descriptors.", [] {
    rlimit l{};
    getrlimit(RLIMIT_NOFILE, &l);
    return static_cast<double>(l.rlim_cur);
  });
}

Status Server::StartMetricsListeners() {
  for (const std::string& url : config_.listen_metrics_urls) {
    Result<std::string> hp = HostPort(url);
    if (!hp.ok()) return hp.status();
    Result<std::unique_ptr<HttpServer>> http =
        HttpServer::Start(*hp, [this](const HttpRequest& r) { return ServeHttp(r); });
    if (!http.ok()) {
      return Status(Code::kUnavailable,
                    "cannot listen for metrics on " + url + ": " + http.status().message());
    }
    metrics_http_.push_back(std::move(*http));
  }
  return Status::Ok();
}

Status Server::LocalReadCheck() {
  // What etcd's checks read: one key, keys only, from this member's store.
  etcdserverpb::RangeRequest r;
  r.set_key("health");
  r.set_keys_only(true);
  r.set_limit(1);
  Result<etcdserverpb::RangeResponse> got = replica_->store().Range(r);
  return got.ok() ? Status::Ok() : got.status();
}

Status Server::LinearizableReadCheck() {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
  };
  auto wait = std::make_shared<Wait>();
  ReadBarrier([wait](Status s) {
    std::lock_guard<std::mutex> lock(wait->mu);
    wait->done = true;
    wait->status = std::move(s);
    wait->cv.notify_all();
  });
  // etcd's request timeout: 5 s plus two election timeouts.
  auto limit = std::chrono::seconds(5) + 2 * std::chrono::milliseconds(config_.election_timeout_ms);
  std::unique_lock<std::mutex> lock(wait->mu);
  if (!wait->cv.wait_for(lock, limit, [&] { return wait->done; })) {
    return Status(Code::kDeadlineExceeded, "etcdserver: request timed out");
  }
  return wait->status.ok() ? LocalReadCheck() : wait->status;
}

HttpResponse Server::ServeHttp(const HttpRequest& request) {
  if (request.path == "/metrics") {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics_->Render(), {}};
  }
  if (request.path == "/health") {
    // etcd 3.5's checks in its order: alarms, a leader, a linearizable read
    // (which needs a quorum: the ReadIndex round hears from a majority).
    std::string reason;
    Result<kv::Alarms> alarms = replica_->store().RaisedAlarms();
    if (alarms.ok() && !alarms->empty()) {
      const auto& a = alarms->front();
      reason = a.alarm() == etcdserverpb::NOSPACE   ? "ALARM NOSPACE"
               : a.alarm() == etcdserverpb::CORRUPT ? "ALARM CORRUPT"
                                                    : "ALARM UNKNOWN";
    } else if (!HasQueryFlag(request.query, "serializable") &&
               replica_->info().leader == raft::kNoNode) {
      reason = "RAFT NO LEADER";
    } else {
      Status s =
          HasQueryFlag(request.query, "serializable") ? LocalReadCheck() : LinearizableReadCheck();
      if (!s.ok()) reason = "RANGE ERROR:" + s.message();
    }
    if (reason.empty()) return Text(200, "{\"health\":\"true\",\"reason\":\"\"}");
    return Text(503, "{\"health\":\"false\",\"reason\":\"" + reason + "\"}\n");
  }
  if (request.path == "/livez" || request.path == "/readyz") {
    // livez: this process can serve from its own store (restart it if not);
    // readyz: it can serve linearizable requests (route to it or not).
    // Neither depends on the rest of the cluster for livez, on purpose.
    std::vector<std::pair<std::string, Status>> checks;
    checks.emplace_back("wal", wal_->health());
    checks.emplace_back("serializable_read", LocalReadCheck());
    if (request.path == "/readyz") {
      Result<kv::Alarms> alarms = replica_->store().RaisedAlarms();
      Status corrupt = Status::Ok();
      if (alarms.ok()) {
        for (const auto& a : *alarms) {
          if (a.alarm() == etcdserverpb::CORRUPT)
            corrupt = Status(Code::kDataLoss, "alarm CORRUPT");
        }
      }
      checks.emplace_back("data_corruption", corrupt);
      checks.emplace_back("linearizable_read", LinearizableReadCheck());
    }
    bool ok = true;
    std::string verbose;
    for (const auto& [name, s] : checks) {
      ok = ok && s.ok();
      verbose +=
          (s.ok() ? "[+]" : "[-]") + name + (s.ok() ? " ok\n" : " failed: " + s.message() + "\n");
    }
    if (ok) return Text(200, HasQueryFlag(request.query, "verbose") ? verbose + "ok\n" : "ok\n");
    return Text(503, verbose + request.path.substr(1) + " check failed\n");
  }
  if (request.path == "/" || request.path == "/index.html" || request.path == "/api/v1/cluster") {
    return ServeDashboard(request);
  }
  return Text(404, "404 page not found\n");
}

}  // namespace cairn::cmd
