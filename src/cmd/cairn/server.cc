#include "cmd/cairn/server.h"

#include <grpcpp/health_check_service_interface.h>

#include <filesystem>

#include "api/etcd_errors.h"
#include "base/logging.h"

namespace cairn::cmd {

Result<std::unique_ptr<Server>> Server::Start(const ServerConfig& config) {
  std::unique_ptr<Server> s(new Server(config));
  if (Status st = s->Init(); !st.ok()) return st;
  return s;
}

Status Server::Init() {
  started_at_ = std::chrono::steady_clock::now();
  Result<std::vector<cmd::Member>> members =
      ParseInitialCluster(config_.initial_cluster, config_.initial_cluster_token);
  if (!members.ok()) return members.status();
  members_ = std::move(*members);

  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return Status(Code::kInternal, "create " + config_.data_dir + ": " + ec.message());
  if (config_.unsafe_planted_bug != PlantedServerBug::kNone) {
    CAIRN_LOG(WARN) << "UNSAFE: planted bug \"" << PlantedServerBugName(config_.unsafe_planted_bug)
                    << "\" is ON (--unsafe-planted-bug): this member is deliberately broken "
                       "and will lose or misreport data; for tests/chaos only, never in "
                       "production";
  }
  InitMetrics();
  storage::WalOptions wal_options;
  // The replica's WAL callback only posts a notice to its loop.
  wal_options.callbacks_on_wal_thread = true;
  wal_options.fsync_seconds = wal_fsync_seconds_;
  wal_options.batch_records = wal_batch_records_;
  if (config_.unsafe_planted_bug == PlantedServerBug::kAckBeforeFsync) {
    wal_options.unsafe_ack_before_sync = kPlantedWritePeriod;
  }
  Result<std::unique_ptr<storage::Wal>> wal =
      storage::Wal::Open(config_.data_dir + "/wal", wal_options);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  std::filesystem::remove_all(SnapshotStreamDir(), ec);  // a crash's leftovers
  quota_ = std::make_unique<SpaceQuota>(config_.data_dir + "/groups/" + std::to_string(kDataGroup),
                                        config_.quota_backend_bytes);
  if (!wal_->recovery_note().empty()) CAIRN_LOG(WARN) << "wal: " << wal_->recovery_note();

  // Peers to start with; the applied member table takes over (SyncMembers).
  cluster::GrpcTransportOptions topts;
  if (Status s = ResolveIdentity(wal_->Group(kDataGroup).has_value(), &topts.peers); !s.ok()) {
    return s;
  }
  topts.node_id = member_id_;
  topts.cluster_id = cluster_id_;
  topts.on_removed = [this] { NoticeRemoval("a peer refused it as removed"); };
  transport_ = std::make_unique<cluster::GrpcTransport>(topts);
  for (const auto& [id, address] : topts.peers)
    peer_ids_.insert(id);

  peer_service_ = std::make_unique<cluster::PeerService>(cluster_id_, member_id_);
  grpc::ServerBuilder peer_builder;
  for (const std::string& url : config_.listen_peer_urls) {
    Result<std::string> hp = HostPort(url);
    if (!hp.ok()) return hp.status();
    peer_builder.AddListeningPort(*hp, grpc::InsecureServerCredentials());
  }
  cluster::PeerService::ConfigureServer(&peer_builder);
  peer_builder.RegisterService(peer_service_.get());
  peer_server_ = peer_builder.BuildAndStart();
  if (!peer_server_) {
    return Status(Code::kUnavailable, "cannot listen for peers on " +
                                          config_.listen_peer_urls.front() + " (address in use?)");
  }

  cluster::ReplicaOptions ropts;
  ropts.group = kDataGroup;
  ropts.id = member_id_;
  ropts.bootstrap = bootstrap_;
  ropts.check_membership = [this](const cairnpb::RaftRequest& request,
                                  const cluster::MembershipView& view) {
    return CheckMembership(request, view);
  };
  ropts.on_members_changed = [this](const kv::MvccStore& store) { SyncMembers(store); };
  ropts.state_dir = config_.data_dir + "/groups/" + std::to_string(kDataGroup);
  ropts.backend_commit_seconds = backend_commit_seconds_;
  ropts.slow_request = std::chrono::milliseconds(config_.warning_apply_duration_ms);
  ropts.tick = std::chrono::milliseconds(config_.heartbeat_interval_ms);
  ropts.election_ticks = std::max(2, config_.election_timeout_ms / config_.heartbeat_interval_ms);
  ropts.snapshot_count = config_.snapshot_count;
  ropts.compaction_keep_entries = config_.snapshot_catchup_entries;
  ropts.on_applied = [this](int64_t /*revision*/) {
    if (api::WatchHub* hub = watch_hub_ptr_.load(std::memory_order_acquire)) hub->Notify();
  };
  ropts.seed = member_id_ ^
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  Result<std::unique_ptr<cluster::Replica>> replica =
      cluster::Replica::Open(ropts, wal_.get(), transport_.get());
  if (!replica.ok()) return replica.status();
  replica_ = std::move(*replica);
  read_pool_ = std::make_unique<WorkerPool>(2);
  peer_service_->SetReceiver([this](uint64_t group, std::vector<raft::Message> messages) {
    if (group == kDataGroup) replica_->Receive(std::move(messages));
  });
  peer_service_->SetForwardHandler(
      [this](uint64_t group, const cairnpb::RaftRequest& request, cluster::ForwardDone done) {
        if (group != kDataGroup) {
          done(Status(Code::kNotFound, "no such group"));
          return;
        }
        if (request.has_lease_keep_alive() || request.has_lease_time_to_live()) {
          done(AnswerQuery(request));
          return;
        }
        replica_->Propose(request, std::move(done));
      });
  peer_service_->SetRemovedCheck([this](raft::NodeId node) {
    std::lock_guard<std::mutex> lock(removed_ids_mu_);
    return removed_ids_.count(node) > 0;
  });
  peer_service_->SetMembersHandler([this]() -> Result<cairnpb::MembersResponse> {
    Result<cairnpb::MemberTable> table = replica_->store().Members();
    if (!table.ok()) return table.status();
    cairnpb::MembersResponse response;
    response.set_cluster_id(cluster_id_);
    *response.mutable_table() = std::move(*table);
    return response;
  });
  SyncMembers(replica_->store());

  kv_service_ = std::make_unique<api::KvService>(this);
  api::LeaseKeeperOptions lopts;
  lopts.store = &replica_->store();
  // Leading in etcd's sense: the leader has applied its own term's first
  // entry, so every lease granted or revoked before it is in the table.
  lopts.is_leader = [this] {
    cluster::Replica::Info info = replica_->info();
    return info.role == raft::Role::kLeader && replica_->store().applied_term() == info.term;
  };
  lopts.revoke = [this](int64_t id) {
    cairnpb::RaftRequest r;
    r.mutable_lease_revoke()->set_id(id);
    Write(r, [id](Result<kv::ApplyResult> result) {
      Status s = result.ok() ? result->status : result.status();
      if (!s.ok() && s.code() != Code::kNotFound) {
        CAIRN_LOG(WARN) << "leases: revoking expired lease " << std::hex << id << std::dec
                        << " failed (" << s.ToString() << "); it will be tried again";
      }
    });
  };
  lopts.extend = std::chrono::milliseconds(config_.election_timeout_ms);
  // IDs this member picks: its id's low bits, then the time it started.
  last_lease_id_ = (static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()) &
                    ((uint64_t{1} << 40) - 1))
                   << 8;
  lease_keeper_ = std::make_unique<api::LeaseKeeper>(lopts);
  lease_service_ = std::make_unique<api::LeaseService>(this);
  api::WatchHubOptions wopts;
  wopts.max_response_bytes = config_.max_request_bytes;
  watch_hub_ = std::make_unique<api::WatchHub>(
      &replica_->store(), [this] { return header(); }, wopts);
  watch_hub_ptr_.store(watch_hub_.get(), std::memory_order_release);
  watch_service_ = std::make_unique<api::WatchService>(watch_hub_.get());
  lock_service_ = std::make_unique<api::LockService>(this, watch_hub_.get());
  election_service_ = std::make_unique<api::ElectionService>(this, watch_hub_.get());
  maintenance_service_ = std::make_unique<api::MaintenanceService>(this, this, this);
  cluster_service_ = std::make_unique<api::ClusterService>(this, this);
  auth_service_ = std::make_unique<api::AuthService>();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder client_builder;
  for (const std::string& url : config_.listen_client_urls) {
    Result<std::string> hp = HostPort(url);
    if (!hp.ok()) return hp.status();
    client_builder.AddListeningPort(*hp, grpc::InsecureServerCredentials());
    client_addresses_.push_back(*hp);
  }
  // Room above --max-request-bytes for the envelope; the exact limit is
  // checked per request with etcd's error.
  client_builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_request_bytes) +
                                          (512 << 10));
  client_builder.RegisterService(kv_service_.get());
  client_builder.RegisterService(lease_service_.get());
  client_builder.RegisterService(lock_service_.get());
  client_builder.RegisterService(election_service_.get());
  client_builder.RegisterService(watch_service_.get());
  client_builder.RegisterService(maintenance_service_.get());
  client_builder.RegisterService(cluster_service_.get());
  client_builder.RegisterService(auth_service_.get());
  diagnostics_service_ = std::make_unique<api::DiagnosticsService>(
      [this](const cairnpb::TelemetryRequest& r) { return Telemetry(r.history_seconds()); });
  client_builder.RegisterService(diagnostics_service_.get());
  grpc_metrics_ = std::make_unique<api::GrpcMetrics>(
      metrics_.get(),
      std::vector<std::string>{"etcdserverpb.KV", "etcdserverpb.Watch", "etcdserverpb.Lease",
                               "etcdserverpb.Cluster", "etcdserverpb.Maintenance",
                               "etcdserverpb.Auth", "v3lockpb.Lock", "v3electionpb.Election"});
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(grpc_metrics_->Factory());
  client_builder.experimental().SetInterceptorCreators(std::move(interceptors));
  client_server_ = client_builder.BuildAndStart();
  if (!client_server_) {
    return Status(Code::kUnavailable, "cannot listen for clients on " +
                                          config_.listen_client_urls.front() +
                                          " (address in use?)");
  }
  if (grpc::HealthCheckServiceInterface* health = client_server_->GetHealthCheckService()) {
    health->SetServingStatus(true);
  }
  StartTelemetry();
  RegisterScrapedMetrics();
  if (Status s = StartMetricsListeners(); !s.ok()) return s;
  publisher_ = std::thread([this] { PublishLoop(); });
  CAIRN_LOG(INFO) << "cairn member " << config_.name << " (id " << std::hex << member_id_
                  << ", cluster " << cluster_id_ << std::dec << ") serving clients on "
                  << config_.listen_client_urls.front() << ", peers on "
                  << config_.listen_peer_urls.front();
  return Status::Ok();
}

Server::~Server() {
  Shutdown();
}

void Server::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  // Probes and scrapes read everything below: they stop first.
  metrics_http_.clear();
  StopTelemetry();
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    publish_stop_ = true;
  }
  publish_cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  // A leader hands over first, so clients wait for a transfer (a round
  // trip or two), not for an election timeout.
  if (replica_) {
    auto timeout = std::chrono::milliseconds(2 * config_.election_timeout_ms);
    if (replica_->info().role == raft::Role::kLeader) {
      bool moved = replica_->HandOverLeadership(timeout);
      CAIRN_LOG(INFO) << "cairn member " << config_.name
                      << (moved ? ": leadership handed over before stopping"
                                : ": could not hand leadership over; stopping anyway");
    }
  }
  // Maintenance jobs use the replica: they finish while it still runs.
  if (maintenance_service_) maintenance_service_->Stop();
  // Client calls in flight get a moment to finish (the replica still runs);
  // peer streams never end on their own, so the peer server stops at once.
  if (client_server_) {
    client_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (peer_server_) peer_server_->Shutdown(std::chrono::system_clock::now());
  if (lease_keeper_) lease_keeper_->Stop();
  // The hub reads the replica's store: it stops before the replica goes.
  watch_hub_ptr_.store(nullptr, std::memory_order_release);
  if (watch_hub_) watch_hub_->Stop();
  // Stopped before it is reset: callbacks failed by Stop (a lock waiter's
  // cleanup, say) still find replica_ and are refused, not crashed.
  if (replica_) replica_->Stop();
  // Reads the replica failed or let through still run, on a live store.
  if (read_pool_) read_pool_->Stop();
  replica_.reset();
  transport_.reset();
  client_server_.reset();
  watch_service_.reset();
  watch_hub_.reset();
  peer_server_.reset();
  wal_.reset();
}

void Server::Write(const cairnpb::RaftRequest& request,
                   std::function<void(Result<kv::ApplyResult>)> done) {
  // etcd serves learners only serializable reads and status.
  if (learner_.load()) {
    done(api::EtcdStatus(api::EtcdError::kNotSupportedForLearner));
    return;
  }
  if (Status s = CheckSpace(request); !s.ok()) {
    done(s);
    return;
  }
  ProposeOrForward(request, std::move(done));
}

void Server::ProposeOrForward(const cairnpb::RaftRequest& request,
                              std::function<void(Result<kv::ApplyResult>)> done) {
  // Try here first; a follower hands the write to the leader it knows.
  // The callback may run on the replica's threads while it is being
  // destroyed (replica_ is already null then): it uses the pointer it has.
  cluster::Replica* replica = replica_.get();
  replica->Propose(request,
                   [this, replica, request, done = std::move(done)](Result<kv::ApplyResult> r) {
                     if (r.ok() || r.status().code() != Code::kFailedPrecondition) {
                       done(std::move(r));
                       return;
                     }
                     ForwardToLeader(replica, request, std::move(done));
                   });
}

void Server::ForwardToLeader(cluster::Replica* replica, const cairnpb::RaftRequest& request,
                             std::function<void(Result<kv::ApplyResult>)> done) {
  raft::NodeId leader = replica->info().leader;
  if (leader == raft::kNoNode || leader == member_id_) {
    done(api::EtcdStatus(api::EtcdError::kNoLeader));
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(7);
  transport_->Forward(leader, kDataGroup, request, deadline, std::move(done));
}

void Server::LeaderQuery(const cairnpb::RaftRequest& request,
                         std::function<void(Result<kv::ApplyResult>)> done) {
  if (learner_.load()) {
    done(api::EtcdStatus(api::EtcdError::kNotSupportedForLearner));
    return;
  }
  if (replica_->info().role == raft::Role::kLeader) {
    done(AnswerQuery(request));
    return;
  }
  ForwardToLeader(replica_.get(), request, std::move(done));
}

Result<kv::ApplyResult> Server::AnswerQuery(const cairnpb::RaftRequest& request) {
  kv::ApplyResult out;
  if (request.has_lease_keep_alive()) {
    Result<etcdserverpb::LeaseKeepAliveResponse> r =
        lease_keeper_->KeepAlive(request.lease_keep_alive());
    if (!r.ok()) return api::EtcdStatus(api::EtcdError::kNotLeader);
    out.response = std::move(*r);
  } else if (request.has_lease_time_to_live()) {
    Result<etcdserverpb::LeaseTimeToLiveResponse> r =
        lease_keeper_->TimeToLive(request.lease_time_to_live());
    if (!r.ok()) {
      if (r.status().code() == Code::kFailedPrecondition) {
        return api::EtcdStatus(api::EtcdError::kNotLeader);
      }
      return r.status();
    }
    out.response = std::move(*r);
  } else {
    out.status = Status(Code::kInvalidArgument, "not a leader query");
  }
  return out;
}

int64_t Server::min_lease_ttl() const {
  // etcd: 1.5 election timeouts, in whole seconds rounded up.
  const int64_t ms = 3 * int64_t{config_.election_timeout_ms} / 2;
  return (ms + 999) / 1000;
}

int64_t Server::NewLeaseId() {
  // Unique across members (their id's low 15 bits lead) and across restarts
  // (the counter starts from the clock, in units finer than restarts).
  for (;;) {
    const uint64_t n = last_lease_id_.fetch_add(1) + 1;
    const uint64_t id = (((member_id_ & 0xFFFF) << 48) | (n & ((uint64_t{1} << 48) - 1))) &
                        static_cast<uint64_t>(INT64_MAX);
    if (id != 0) return static_cast<int64_t>(id);
  }
}

Status Server::storage_health() const {
  if (wal_ && !wal_->health().ok()) return wal_->health();
  return replica_ ? replica_->storage_failure() : Status::Ok();
}

void Server::ReadBarrier(std::function<void(Status)> done) {
  if (learner_.load()) {
    done(api::EtcdStatus(api::EtcdError::kNotSupportedForLearner));
    return;
  }
  if (config_.unsafe_planted_bug == PlantedServerBug::kLocalReads) {
    // The planted bug: no ReadIndex, no leader; whatever this member has
    // applied is served, as for a serializable read.
    done(Status::Ok());
    return;
  }
  replica_->ReadBarrier([this, done = std::move(done)](Status s) mutable {
    read_pool_->Run([done = std::move(done), s = std::move(s)] { done(s); });
  });
}

api::NodeInfo::State Server::state() const {
  cluster::Replica::Info info = replica_->info();
  State s;
  s.cluster_id = cluster_id_;
  s.member_id = member_id_;
  s.leader = info.leader;
  s.term = info.term;
  s.commit_index = info.commit;
  s.applied_index = info.applied;
  s.is_learner = learner_.load();
  std::error_code ec;
  const std::string db = config_.data_dir + "/groups/" + std::to_string(kDataGroup);
  for (auto it = std::filesystem::recursive_directory_iterator(db, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) s.db_size += static_cast<int64_t>(it->file_size(ec));
  }
  return s;
}

api::KvBackend::Header Server::header() const {
  return Header{cluster_id_, member_id_, replica_->info().term};
}

}  // namespace cairn::cmd
