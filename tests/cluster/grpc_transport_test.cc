// Three replicas of one group in one process, each with its own WAL, state
// directory, GrpcTransport and PeerService on 127.0.0.1 (ports chosen by the
// OS): elections, replication, forwarding from followers, a peer restarted
// on the same port, and a server fed batches from another cluster and
// garbage. Waits are bounded liveness checks (a generous deadline), never
// timing measurements.
#include "cluster/grpc_transport.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <thread>

#include "cluster/grpc_transport_service.h"
#include "cluster/replica.h"
#include "replica_checks.h"

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kClusterId = 0xCA1C;
constexpr uint64_t kGroup = 1;

std::string Address(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

GrpcTransportOptions TransportOptions(raft::NodeId id, std::map<raft::NodeId, std::string> peers,
                                      uint64_t cluster_id = kClusterId,
                                      std::chrono::milliseconds grpc_backoff = 0ms) {
  GrpcTransportOptions o;
  o.grpc_reconnect_backoff = grpc_backoff;
  o.node_id = id;
  o.cluster_id = cluster_id;
  o.peers = std::move(peers);
  // Short, so that the restart test reconnects quickly; still exponential.
  o.backoff.initial = 20ms;
  o.backoff.max = 200ms;
  return o;
}

// A PeerService on its own server. Port 0 lets the OS choose; the port
// actually bound is read back.
struct PeerServer {
  std::unique_ptr<PeerService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  bool Start(raft::NodeId id, int want_port) {
    service = std::make_unique<PeerService>(kClusterId, id);
    grpc::ServerBuilder builder;
    PeerService::ConfigureServer(&builder);
    builder.AddListeningPort(Address(want_port), grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    return server != nullptr && port > 0;
  }
  void Stop() {
    // Cancels the long-lived streams at once instead of waiting for them.
    if (server != nullptr) server->Shutdown(std::chrono::system_clock::now());
    server.reset();
  }
};

class GrpcCluster {
 public:
  // `grpc_backoff`: gRPC's own reconnect back-off (0: the transport's).
  explicit GrpcCluster(std::chrono::milliseconds grpc_backoff = 0ms) : grpc_backoff_(grpc_backoff) {
    for (raft::NodeId id : ids_)
      StartServer(id, 0);
    for (raft::NodeId id : ids_)
      StartReplica(id);
  }
  ~GrpcCluster() {
    for (raft::NodeId id : ids_)
      Stop(id);
  }

  void Stop(raft::NodeId id) {
    Node& n = nodes_[id];
    // Inbound first (the service calls into the replica), then the replica
    // (its loop sends through the transport), then the transport.
    n.peer.Stop();
    n.replica.reset();
    n.transport.reset();
    n.wal.reset();
    n.peer.service.reset();
  }

  // On the port the node had: its peers' address books stay valid.
  void Restart(raft::NodeId id) {
    StartServer(id, nodes_[id].peer.port);
    StartReplica(id);
  }

  Replica* replica(raft::NodeId id) { return nodes_[id].replica.get(); }
  testing::ReplicaOf Lookup() {
    return [this](raft::NodeId id) { return replica(id); };
  }
  GrpcTransport* transport(raft::NodeId id) { return nodes_[id].transport.get(); }
  PeerService* service(raft::NodeId id) { return nodes_[id].peer.service.get(); }
  int port(raft::NodeId id) { return nodes_[id].peer.port; }
  const std::vector<raft::NodeId>& ids() const { return ids_; }

  raft::NodeId WaitForLeader() { return testing::WaitForLeader(ids_, Lookup()); }

  Result<kv::ApplyResult> Propose(raft::NodeId via, const cairnpb::RaftRequest& request) {
    std::promise<Result<kv::ApplyResult>> p;
    replica(via)->Propose(request, [&](Result<kv::ApplyResult> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  Result<kv::ApplyResult> Forward(raft::NodeId from, raft::NodeId to,
                                  const cairnpb::RaftRequest& request) {
    std::promise<Result<kv::ApplyResult>> p;
    transport(from)->Forward(to, kGroup, request, Clock::now() + 10s,
                             [&](Result<kv::ApplyResult> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  // Writes through the current leader, retrying while leadership moves
  // (a loaded machine may see an election mid-test).
  Status PutViaLeader(const std::string& key, const std::string& value) {
    auto deadline = Clock::now() + 20s;
    Status last(Code::kUnavailable, "no leader");
    while (Clock::now() < deadline) {
      raft::NodeId leader = WaitForLeader();
      if (leader == raft::kNoNode) break;
      Result<kv::ApplyResult> r = Propose(leader, PutRequest(key, value));
      if (r.ok()) return r->status;
      last = r.status();
      std::this_thread::sleep_for(10ms);
    }
    return last;
  }

  Status Barrier(raft::NodeId via) { return testing::Barrier(replica(via)); }

  std::string Get(raft::NodeId id, const std::string& key) {
    return testing::Get(replica(id), key);
  }

  bool Converged(raft::Index index) { return testing::Converged(ids_, Lookup(), index); }

  static cairnpb::RaftRequest PutRequest(const std::string& key, const std::string& value) {
    cairnpb::RaftRequest req;
    req.mutable_put()->set_key(key);
    req.mutable_put()->set_value(value);
    return req;
  }

 private:
  struct Node {
    PeerServer peer;
    std::unique_ptr<storage::Wal> wal;
    std::unique_ptr<GrpcTransport> transport;
    std::unique_ptr<Replica> replica;
  };

  void StartServer(raft::NodeId id, int port) {
    ASSERT_TRUE(nodes_[id].peer.Start(id, port)) << "node " << id << " port " << port;
  }

  void StartReplica(raft::NodeId id) {
    Node& n = nodes_[id];
    std::map<raft::NodeId, std::string> peers;
    for (raft::NodeId other : ids_)
      peers[other] = Address(nodes_[other].peer.port);
    n.transport =
        std::make_unique<GrpcTransport>(TransportOptions(id, peers, kClusterId, grpc_backoff_));
    std::string dir = tmp_.path() + "/node" + std::to_string(id);
    auto wal = storage::Wal::Open(dir + "/wal");
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    n.wal = std::move(*wal);
    ReplicaOptions o;
    o.id = id;
    o.initial_voters = ids_;
    o.state_dir = dir + "/group1";
    o.tick = 10ms;
    o.seed = id * 7 + restarts_++;
    auto r = Replica::Open(o, n.wal.get(), n.transport.get());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    n.replica = std::move(*r);
    Replica* replica = n.replica.get();
    n.peer.service->SetReceiver([replica](uint64_t group, std::vector<raft::Message> messages) {
      if (group == kGroup) replica->Receive(std::move(messages));
    });
    n.peer.service->SetForwardHandler(
        [replica](uint64_t group, const cairnpb::RaftRequest& request, ForwardDone done) {
          if (group != kGroup) {
            done(Status(Code::kNotFound, "no group " + std::to_string(group)));
            return;
          }
          replica->Propose(request, std::move(done));
        });
  }

  TempDir tmp_;
  std::vector<raft::NodeId> ids_{1, 2, 3};
  std::map<raft::NodeId, Node> nodes_;
  uint64_t restarts_ = 0;
  std::chrono::milliseconds grpc_backoff_{0};
};

raft::NodeId OtherThan(raft::NodeId a, raft::NodeId b = raft::kNoNode) {
  for (raft::NodeId id : {1, 2, 3}) {
    if (id != a && id != b) return id;
  }
  return raft::kNoNode;
}

TEST(GrpcTransportTest, ElectsALeaderAndReplicatesOverGrpc) {
  GrpcCluster c;
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  for (int i = 0; i < 30; ++i) {
    Status s = c.PutViaLeader("key" + std::to_string(i), "value" + std::to_string(i));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
  for (raft::NodeId id : c.ids())
    EXPECT_EQ(c.Get(id, "key29"), "value29") << "node " << id;
  GrpcTransport::Stats stats = c.transport(leader)->stats();
  EXPECT_GT(stats.messages_sent, 0u);
  EXPECT_GT(stats.batches_sent, 0u);
  EXPECT_EQ(stats.dropped_unknown_peer, 0u);
  EXPECT_GT(c.service(OtherThan(leader))->stats().messages, 0u);
  EXPECT_EQ(c.service(OtherThan(leader))->stats().malformed, 0u);
}

TEST(GrpcTransportTest, AFollowerForwardsWritesToTheLeader) {
  GrpcCluster c;
  auto deadline = Clock::now() + 20s;
  bool done = false;
  raft::NodeId follower = raft::kNoNode;
  while (!done && Clock::now() < deadline) {
    raft::NodeId leader = c.WaitForLeader();
    ASSERT_NE(leader, raft::kNoNode);
    follower = OtherThan(leader);
    // The Raft core refuses proposals on a follower, naming the leader...
    Result<kv::ApplyResult> local = c.Propose(follower, GrpcCluster::PutRequest("fwd", "local"));
    ASSERT_FALSE(local.ok());
    // ...which is what forwarding is for.
    Result<kv::ApplyResult> r =
        c.Forward(follower, leader, GrpcCluster::PutRequest("fwd", "forwarded"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status.code() == Code::kFailedPrecondition || r->status.code() == Code::kUnavailable) {
      continue;  // leadership moved in between: ask again
    }
    ASSERT_TRUE(r->status.ok()) << r->status.ToString();
    ASSERT_TRUE(std::holds_alternative<etcdserverpb::PutResponse>(r->response));
    EXPECT_GT(std::get<etcdserverpb::PutResponse>(r->response).header().revision(), 0);
    done = true;
  }
  ASSERT_TRUE(done);
  ASSERT_TRUE(c.Barrier(follower).ok());
  EXPECT_EQ(c.Get(follower, "fwd"), "forwarded");
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_GT(c.service(leader)->stats().forwards, 0u);
}

TEST(GrpcTransportTest, ForwardCarriesTheLeadersAnswerUnchanged) {
  GrpcCluster c;
  ASSERT_TRUE(c.PutViaLeader("a", "1").ok());
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId follower = OtherThan(leader);

  // An etcd error from the leader's apply: same code, same message.
  cairnpb::RaftRequest compact;
  compact.mutable_compaction()->set_revision(int64_t{1} << 40);
  Result<kv::ApplyResult> local = c.Propose(leader, compact);
  Result<kv::ApplyResult> forwarded = c.Forward(follower, leader, compact);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_TRUE(forwarded.ok()) << forwarded.status().ToString();
  if (local->status.code() != Code::kFailedPrecondition) {  // unless leadership moved
    EXPECT_EQ(local->status.code(), Code::kOutOfRange) << local->status.ToString();
    EXPECT_EQ(forwarded->status, local->status);
  }

  // A refusal from a node that is not the leader comes back as it was given.
  raft::NodeId other = OtherThan(leader, follower);
  Result<kv::ApplyResult> refused = c.Forward(follower, other, GrpcCluster::PutRequest("b", "2"));
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status.code(), Code::kFailedPrecondition) << refused->status.ToString();
  EXPECT_NE(refused->status.message().find("not leader"), std::string::npos)
      << refused->status.ToString();

  // No answer at all (nobody at that id) is the outer error.
  Result<kv::ApplyResult> nowhere = c.Forward(follower, 42, GrpcCluster::PutRequest("c", "3"));
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.status().code(), Code::kUnavailable);
}

// Writes forwarded while earlier ones are on their way leave together, in
// one ForwardBatch call: fifty writes take a few calls, and each caller gets
// its own answer.
TEST(GrpcTransportTest, ForwardsWaitingBehindACallLeaveTogether) {
  PeerServer leader;
  ASSERT_TRUE(leader.Start(1, 0));
  std::mutex mu;
  std::condition_variable cv;
  bool holding = true;
  std::vector<std::pair<int64_t, ForwardDone>> held;
  auto answer = [](int64_t n, const ForwardDone& done) {
    kv::ApplyResult r;
    etcdserverpb::PutResponse put;
    put.mutable_header()->set_revision(n);
    r.response = put;
    done(r);
  };
  leader.service->SetForwardHandler(
      [&](uint64_t, const cairnpb::RaftRequest& request, ForwardDone done) {
        const int64_t n = std::stoll(request.put().key());
        std::lock_guard<std::mutex> lock(mu);
        if (!holding) {
          answer(n, done);
          return;
        }
        held.emplace_back(n, std::move(done));
        cv.notify_all();
      });
  {
    GrpcTransport follower(TransportOptions(2, {{1, Address(leader.port)}}));
    constexpr int kWrites = 50;
    std::vector<std::future<Result<kv::ApplyResult>>> answers;
    for (int i = 0; i < kWrites; ++i) {
      auto p = std::make_shared<std::promise<Result<kv::ApplyResult>>>();
      answers.push_back(p->get_future());
      follower.Forward(1, kGroup, GrpcCluster::PutRequest(std::to_string(i), "v"),
                       Clock::now() + 20s,
                       [p](Result<kv::ApplyResult> r) { p->set_value(std::move(r)); });
    }
    {
      // The first calls carry one write each; the rest wait behind them.
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, 10s, [&] {
        return held.size() == static_cast<size_t>(GrpcTransport::kForwardBatchesInFlight);
      }));
      holding = false;
      for (auto& [n, done] : held)
        answer(n, done);
    }
    for (int i = 0; i < kWrites; ++i) {
      ASSERT_EQ(answers[i].wait_for(20s), std::future_status::ready);
      Result<kv::ApplyResult> r = answers[i].get();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_TRUE(r->status.ok()) << r->status.ToString();
      EXPECT_EQ(std::get<etcdserverpb::PutResponse>(r->response).header().revision(), i);
    }
    EXPECT_EQ(leader.service->stats().forwards, static_cast<uint64_t>(kWrites));
    EXPECT_LE(leader.service->stats().forward_batches,
              static_cast<uint64_t>(GrpcTransport::kForwardBatchesInFlight + 2));
  }
  // The client goes before the server it called.
  leader.Stop();
}

// A leader of an older version, which knows Forward but not ForwardBatch:
// each write is forwarded again on its own, and answered.
TEST(GrpcTransportTest, ALeaderWithoutForwardBatchGetsSingleForwards) {
  // Answers ForwardBatch UNIMPLEMENTED, as a server built before it existed
  // does. (Left to gRPC's defaults, a callback service returns no reactor
  // and a sync one aborts at shutdown in gRPC 1.51: both seen here.)
  class OldPeer final : public cairnpb::RaftPeer::CallbackService {
   public:
    grpc::ServerUnaryReactor* Forward(grpc::CallbackServerContext* ctx,
                                      const cairnpb::ForwardRequest* request,
                                      cairnpb::ForwardResponse* response) override {
      response->set_code(0);
      response->mutable_put()->mutable_header()->set_revision(
          std::stoll(request->request().put().key()));
      auto* reactor = ctx->DefaultReactor();
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    grpc::ServerUnaryReactor* ForwardBatch(grpc::CallbackServerContext* ctx,
                                           const cairnpb::ForwardBatchRequest*,
                                           cairnpb::ForwardBatchResponse*) override {
      auto* reactor = ctx->DefaultReactor();
      reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
      return reactor;
    }
  } old;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(Address(0), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&old);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server != nullptr && port > 0);
  {
    GrpcTransport follower(TransportOptions(2, {{1, Address(port)}}));
    std::vector<std::future<Result<kv::ApplyResult>>> answers;
    for (int i = 0; i < 5; ++i) {
      auto p = std::make_shared<std::promise<Result<kv::ApplyResult>>>();
      answers.push_back(p->get_future());
      follower.Forward(1, kGroup, GrpcCluster::PutRequest(std::to_string(i), "v"),
                       Clock::now() + 20s,
                       [p](Result<kv::ApplyResult> r) { p->set_value(std::move(r)); });
    }
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(answers[i].wait_for(20s), std::future_status::ready);
      Result<kv::ApplyResult> r = answers[i].get();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_TRUE(r->status.ok()) << r->status.ToString();
      EXPECT_EQ(std::get<etcdserverpb::PutResponse>(r->response).header().revision(), i);
    }
  }
  server->Shutdown(std::chrono::system_clock::now());
}

TEST(GrpcTransportTest, APeerRestartedOnTheSamePortIsReconnected) {
  GrpcCluster c;
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  ASSERT_TRUE(c.PutViaLeader("before", "1").ok());
  raft::NodeId down = OtherThan(leader);
  const int port = c.port(down);
  c.Stop(down);

  // Two of three still commit; the leader's lanes to the stopped peer fail
  // and back off meanwhile.
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(c.PutViaLeader("while-down-" + std::to_string(i), "2").ok());
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  GrpcTransport::Stats during = c.transport(leader)->stats();
  EXPECT_GT(during.dropped_unreachable + during.dropped_failed_write, 0u);

  c.Restart(down);
  EXPECT_EQ(c.port(down), port);
  ASSERT_TRUE(c.PutViaLeader("after", "3").ok());
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_EQ(c.Get(down, "while-down-19"), "2");
  EXPECT_EQ(c.Get(down, "after"), "3");
  EXPECT_GT(c.transport(leader)->stats().streams_started, during.streams_started);
}

// gRPC's own reconnect back-off (a minute here) must not keep a restarted
// peer cut off: the lane resets it whenever its own back-off says to retry.
// Without that, the peer would wait out gRPC's timer and Converged (20 s)
// would fail; with gRPC's timers stalled by a clock step it waited forever.
TEST(GrpcTransportTest, GrpcsOwnReconnectBackoffDoesNotDelayARestartedPeer) {
  GrpcCluster c(60000ms);
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId down = OtherThan(leader);
  c.Stop(down);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(c.PutViaLeader("while-down-" + std::to_string(i), "2").ok());
  // Long enough for the leader's lanes to fail a connection attempt (and
  // gRPC to enter its back-off) at least once.
  std::this_thread::sleep_for(300ms);
  c.Restart(down);
  ASSERT_TRUE(c.PutViaLeader("after", "3").ok());
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_EQ(c.Get(down, "after"), "3");
}

TEST(GrpcTransportTest, HeartbeatsDoNotWaitBehindStuckAppends) {
  PeerServer server;
  ASSERT_TRUE(server.Start(2, 0));
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> appends{0};
  std::atomic<int> heartbeats{0};
  // The receiver stalls on appends, as a peer busy writing them would: the
  // bulk stream backs up into gRPC's flow control and the sender's queue.
  server.service->SetReceiver([&](uint64_t, std::vector<raft::Message> messages) {
    for (const raft::Message& m : messages) {
      if (m.type == raft::MessageType::kApp) {
        ++appends;
        released.wait_for(30s);
      } else if (m.type == raft::MessageType::kHeartbeat) {
        ++heartbeats;
      }
    }
  });
  {
    GrpcTransport transport(TransportOptions(1, {{2, Address(server.port)}}));
    for (int i = 0; i < 64; ++i) {
      raft::Message app;
      app.type = raft::MessageType::kApp;
      app.from = 1;
      app.to = 2;
      app.entries.push_back(raft::Entry{1, static_cast<raft::Index>(i + 1),
                                        raft::EntryType::kNormal, std::string(256 << 10, 'x')});
      transport.Send(kGroup, {std::move(app)});
    }
    constexpr int kHeartbeats = 50;
    for (int i = 0; i < kHeartbeats; ++i) {
      raft::Message hb;
      hb.type = raft::MessageType::kHeartbeat;
      hb.from = 1;
      hb.to = 2;
      transport.Send(kGroup, {hb});
      std::this_thread::sleep_for(2ms);
    }
    auto deadline = Clock::now() + 20s;
    while (heartbeats < kHeartbeats && Clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    EXPECT_EQ(heartbeats, kHeartbeats);
    EXPECT_GE(appends, 1);
    release.set_value();
  }
  server.Stop();
}

cairnpb::RaftMessage Heartbeat(raft::NodeId from, raft::NodeId to) {
  cairnpb::RaftMessage m;
  m.set_type(cairnpb::MSG_HEARTBEAT);
  m.set_from(from);
  m.set_to(to);
  return m;
}

TEST(GrpcTransportTest, ABatchFromAnotherClusterIsRefused) {
  GrpcCluster c;
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId target = OtherThan(leader);
  const uint64_t delivered = c.service(target)->stats().messages;

  auto channel = grpc::CreateChannel(Address(c.port(target)), grpc::InsecureChannelCredentials());
  auto stub = cairnpb::RaftPeer::NewStub(channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    cairnpb::SendResponse response;
    auto writer = stub->Send(&ctx, &response);
    cairnpb::MessageBatch batch;
    batch.set_cluster_id(kClusterId + 1);
    batch.set_group_id(kGroup);
    batch.set_from_node(99);
    *batch.add_messages() = Heartbeat(99, target);
    writer->Write(batch);  // may fail once the server has refused
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    cairnpb::ForwardRequest req;
    req.set_cluster_id(kClusterId + 1);
    req.set_group_id(kGroup);
    *req.mutable_request() = GrpcCluster::PutRequest("x", "y");
    cairnpb::ForwardResponse resp;
    grpc::Status s = stub->Forward(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    cairnpb::ForwardBatchRequest req;
    req.set_cluster_id(kClusterId + 1);
    req.set_group_id(kGroup);
    *req.add_requests() = GrpcCluster::PutRequest("x", "y");
    cairnpb::ForwardBatchResponse resp;
    grpc::Status s = stub->ForwardBatch(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  }
  // A whole transport configured for another cluster gets nowhere, and backs
  // off instead of reconnecting for every message.
  {
    GrpcTransport stranger(TransportOptions(99, {{target, Address(c.port(target))}}, 7));
    for (int i = 0; i < 300; ++i) {
      raft::Message m;
      m.type = raft::MessageType::kHeartbeat;
      m.from = 99;
      m.to = target;
      stranger.Send(kGroup, {m});
      std::this_thread::sleep_for(2ms);
    }
    EXPECT_LT(stranger.stats().streams_started, 100u);
  }
  PeerService::Stats stats = c.service(target)->stats();
  EXPECT_GE(stats.refused_streams, 2u);
  EXPECT_EQ(stats.refused_forwards, 2u);  // the Forward and the ForwardBatch
  EXPECT_EQ(c.Get(target, "x"), "<missing>");
  // Whatever the target received meanwhile came from its own cluster.
  EXPECT_GE(stats.messages, delivered);
  ASSERT_TRUE(c.PutViaLeader("still", "fine").ok());
}

// Writes raw bytes, not a MessageBatch, on a Send stream.
grpc::Status SendRawBytes(const std::shared_ptr<grpc::Channel>& channel, const std::string& bytes) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  auto call = stub.PrepareCall(&ctx, "/cairnpb.RaftPeer/Send", &cq);
  auto wait = [&cq](intptr_t want) {
    void* tag;
    bool ok = false;
    while (cq.Next(&tag, &ok)) {
      if (reinterpret_cast<intptr_t>(tag) == want) return ok;
    }
    return false;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  wait(1);
  grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  wait(2);
  call->WritesDone(reinterpret_cast<void*>(3));
  wait(3);
  // A response, if any, must be read before the status arrives.
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  wait(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  wait(5);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TEST(GrpcTransportTest, GarbageInABatchDoesNotCrashAndTheClusterCarriesOn) {
  GrpcCluster c;
  raft::NodeId leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  raft::NodeId target = OtherThan(leader);
  auto channel = grpc::CreateChannel(Address(c.port(target)), grpc::InsecureChannelCredentials());

  // Well-formed protobuf whose Raft messages are not: every one is dropped
  // and counted, the stream stays up, and nothing reaches the replica.
  {
    auto stub = cairnpb::RaftPeer::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    cairnpb::SendResponse response;
    auto writer = stub->Send(&ctx, &response);
    cairnpb::MessageBatch batch;
    batch.set_cluster_id(kClusterId);
    batch.set_group_id(kGroup);
    batch.set_from_node(99);
    cairnpb::RaftMessage unknown_type = Heartbeat(99, target);
    unknown_type.set_type(static_cast<cairnpb::RaftMessageType>(999));
    *batch.add_messages() = unknown_type;
    cairnpb::RaftMessage no_type = Heartbeat(99, target);
    no_type.set_type(cairnpb::MSG_UNSPECIFIED);
    *batch.add_messages() = no_type;
    cairnpb::RaftMessage bad_entry = Heartbeat(99, target);
    bad_entry.set_type(cairnpb::MSG_APP);
    bad_entry.add_entries()->set_type(static_cast<cairnpb::RaftEntryType>(77));
    *batch.add_messages() = bad_entry;
    EXPECT_TRUE(writer->Write(batch));
    EXPECT_TRUE(writer->Write(batch));  // still accepted: the stream lives on
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(c.service(target)->stats().malformed, 6u);

  // Bytes that are not a MessageBatch at all: gRPC cannot parse them; the
  // stream ends, the server does not.
  std::string garbage = "\x0f\xff\xfe garbage that is no protobuf";
  garbage.append(1000, '\xa5');
  (void)SendRawBytes(channel, garbage);
  (void)SendRawBytes(channel, std::string("\x0a\xff\xff\xff\xff\x0f", 6));  // huge length

  ASSERT_TRUE(c.PutViaLeader("after-garbage", "ok").ok());
  leader = c.WaitForLeader();
  ASSERT_NE(leader, raft::kNoNode);
  EXPECT_TRUE(c.Converged(c.replica(leader)->info().applied));
  EXPECT_EQ(c.Get(target, "after-garbage"), "ok");
}

}  // namespace
}  // namespace cairn::cluster
