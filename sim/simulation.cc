#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <vector>

#include "base/random.h"
#include "check/linearizability.h"
#include "consensus/raft/raft.h"
#include "sim/command.h"
#include "sim/disk.h"
#include "sim/kv_machine.h"
#include "sim/trace.h"

namespace cairn::sim {
namespace {

using raft::Index;
using raft::NodeId;
using raft::Term;

// A property violation ends the run; the message names the property.
struct Violation {
  std::string property;
  std::string detail;
};

struct PendingWrite {
  int client;
  uint64_t request_id;
  Term term;
};

struct PendingRead {
  int client;
  uint64_t request_id;
  std::string key;
};

struct Node {
  NodeId id = 0;
  bool up = false;
  bool member = false;  // false once decommissioned after a committed removal
  bool joined = false;  // has been in a leader's configuration
  uint64_t incarnation = 0;
  double tick_scale = 1.0;
  std::unique_ptr<Random> random;
  std::unique_ptr<raft::Raft> raft;
  SimDisk disk;
  KvMachine sm;
  bool syncing = false;
  raft::Ready ready;

  std::map<Index, PendingWrite> pending_writes;
  std::map<uint64_t, PendingRead> pending_reads;  // by request id, awaiting a read state
  std::multimap<Index, PendingRead> reads_waiting_apply;

  Index last_commit = 0;
  raft::Role last_role = raft::Role::kFollower;
  Term isolated_term = 0;  // the term in which it was last cut off as a new leader
};

struct Reply {
  bool definite_failure = false;  // did not and will not take effect
  NodeId leader_hint = 0;
  CommandResult result;
};

struct Client {
  int id = 0;
  NodeId target = 1;
  uint64_t request_id = 0;  // of the operation in progress, 0 when idle
  size_t op = 0;            // index into the history
  uint64_t sequence = 0;
};

class Simulation {
 public:
  explicit Simulation(const SimOptions& options);
  SimResult Run();

 private:
  // Scheduling.
  void At(int64_t time, std::function<void()> fn);
  void After(int64_t delay, std::function<void()> fn) { At(now_ + delay, std::move(fn)); }

  void DrawKnobs();
  raft::Config MakeConfig(NodeId id) const;
  Node& NewNode();
  void StartNode(Node& n, raft::InitialState initial);
  void Crash(Node& n);
  void CrashBriefly(Node& n, uint64_t incarnation);
  bool CanCrashAnother() const;
  void MaybeIsolateNewLeader(Node& n);
  void Restart(Node& n);
  void Decommission(Node& n);
  void ScheduleTick(Node& n);

  void Process(Node& n);
  void FinishReady(Node& n);
  void Apply(Node& n, const raft::Entry& e);
  void ServeReads(Node& n);
  void MaybeSnapshot(Node& n);

  void Send(const raft::Message& m);
  bool LinkUp(NodeId from, NodeId to) const;

  void ClientStart(Client& c);
  void ClientSend(Client& c, const Command& cmd);
  void ClientReply(int client, uint64_t request_id, NodeId from, Reply reply);
  void NodeHandleRequest(NodeId id, int client, Command cmd);
  void ReplyTo(Node& n, int client, uint64_t request_id, Reply reply);

  void InjectFault();
  void Partition();
  void ChangeMembership();
  void HealAll();

  void CheckNode(Node& n);
  void CheckEntriesPersisted(Node& n, const std::vector<raft::Entry>& entries);
  void CheckLeaderCompleteness(Node& n);
  void CheckCommittedEntrySafe(const raft::Entry& e);
  raft::ConfState RecoveredConf(const Node& n);
  void Fail(std::string property, std::string detail);
  Node* Leader();

  SimOptions opt_;
  Knobs k_;
  SeededRandom rng_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  struct Event {
    int64_t time;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  Trace trace_{4096};

  // nodes_[id - 1]. A deque: servers join while references are held. A
  // retired server's id is never reused, as an operator would not reuse one
  // for an empty machine (its amnesia could form a second majority).
  std::deque<Node> nodes_;
  std::vector<Client> clients_;
  std::vector<check::Operation> history_;
  std::vector<bool> discarded_;
  std::set<std::pair<NodeId, NodeId>> cut_;  // directed links that drop everything
  bool faults_on_ = true;
  bool clients_on_ = true;
  int64_t healed_at_ = -1;
  int64_t first_ack_after_heal_ = -1;
  int64_t first_read_after_heal_ = -1;

  // Global knowledge for the invariants.
  std::map<Term, NodeId> leader_of_term_;
  Index latest_conf_index_ = 0;
  std::map<Index, std::pair<Term, uint64_t>> applied_;  // index -> term, data hash
  std::map<Index, uint64_t> digest_at_;
  std::map<std::pair<Index, Term>, std::pair<Term, uint64_t>> log_entries_;  // -> prev term, hash
  std::map<uint64_t, std::pair<Index, Term>> acked_writes_;

  std::optional<Violation> violation_;
  SimResult result_;
};

// ----------------------------------------------------------------- setup ---

Simulation::Simulation(const SimOptions& options) : opt_(options), rng_(options.seed) {
  DrawKnobs();
  result_.knobs = k_;
}

void Simulation::DrawKnobs() {
  k_.voters = opt_.voters ? opt_.voters : (rng_.Chance(0.5) ? 3 : 5);
  k_.spares = static_cast<int>(rng_.Between(1, 2));
  k_.compaction_keep_entries = rng_.Chance(0.5) ? 0 : rng_.Between(1, 100);
  k_.tick_us = 10'000;
  k_.election_ticks = static_cast<int>(rng_.Between(5, 20));
  k_.heartbeat_ticks = static_cast<int>(rng_.Between(1, std::max(1, k_.election_ticks / 4)));
  k_.max_inflight_msgs =
      static_cast<int>(rng_.Chance(0.3) ? rng_.Between(1, 4) : rng_.Between(8, 256));
  k_.max_inflight_bytes = rng_.Chance(0.3) ? rng_.Between(256, 4096) : (8u << 20);
  // One entry per message in some seeds: entries then reach followers one
  // at a time, which is when commit-rule mistakes show.
  const uint64_t msg_roll = rng_.Uniform(100);
  k_.max_msg_bytes = msg_roll < 20   ? 1
                     : msg_roll < 35 ? rng_.Between(2, 512)
                                     : rng_.Between(4096, 1 << 20);
  k_.max_snapshot_chunk_bytes = rng_.Between(16, 4096);
  k_.snapshot_every = rng_.Between(5, 300);
  k_.check_quorum = rng_.Chance(0.8);
  k_.pre_vote = rng_.Chance(0.8);
  k_.lease_reads = k_.check_quorum && rng_.Chance(0.4);
  k_.max_clock_skew =
      rng_.Chance(0.5) ? 0.05 * static_cast<double>(rng_.Uniform(1000)) / 1000.0 : 0;
  // The lease must end, in the leader's ticks, before any follower's
  // protection does in its own: allow for a 5% rate difference either way
  // and one tick of granularity.
  k_.lease_drift_ticks = 2 + static_cast<int>(std::ceil(0.11 * k_.election_ticks));
  k_.reads_through_log = rng_.Chance(0.25);
  k_.latency_min_us = static_cast<int64_t>(rng_.Between(100, 1000));
  k_.latency_max_us = k_.latency_min_us + static_cast<int64_t>(rng_.Between(0, 8000));
  k_.loss = rng_.Chance(0.5) ? 0.05 * static_cast<double>(rng_.Uniform(1000)) / 1000.0 : 0;
  k_.duplicate = rng_.Chance(0.3) ? 0.03 * static_cast<double>(rng_.Uniform(1000)) / 1000.0 : 0;
  k_.fsync_max_us = static_cast<int64_t>(rng_.Between(100, 5000));
  k_.clients = static_cast<int>(rng_.Between(2, 6));
  k_.keys = static_cast<int>(rng_.Between(1, 6));
  k_.fault_every_us = static_cast<int64_t>(rng_.Between(100'000, 800'000));
  k_.kill_new_leader =
      rng_.Chance(0.5) ? 0.1 + 0.4 * static_cast<double>(rng_.Uniform(1000)) / 1000.0 : 0;
}

}  // namespace

std::string Knobs::ToString() const {
  char buf[768];
  std::snprintf(buf, sizeof(buf),
                "voters=%d spares=%d tick=%lldus election=%d heartbeat=%d inflight=%d/%lluB "
                "msg=%lluB chunk=%lluB snapshot_every=%llu prevote=%d checkquorum=%d lease=%d "
                "drift=%d log_reads=%d skew=%.3f latency=%lld..%lldus loss=%.3f dup=%.3f "
                "fsync<=%lldus clients=%d keys=%d fault_every=%lldus kill_new_leader=%.2f "
                "keep=%llu isolate_new_leader=%.2f",
                voters, spares, static_cast<long long>(tick_us), election_ticks, heartbeat_ticks,
                max_inflight_msgs, static_cast<unsigned long long>(max_inflight_bytes),
                static_cast<unsigned long long>(max_msg_bytes),
                static_cast<unsigned long long>(max_snapshot_chunk_bytes),
                static_cast<unsigned long long>(snapshot_every), pre_vote, check_quorum,
                lease_reads, lease_drift_ticks, reads_through_log, max_clock_skew,
                static_cast<long long>(latency_min_us), static_cast<long long>(latency_max_us),
                loss, duplicate, static_cast<long long>(fsync_max_us), clients, keys,
                static_cast<long long>(fault_every_us), kill_new_leader,
                static_cast<unsigned long long>(compaction_keep_entries), isolate_new_leader);
  return buf;
}

namespace {

raft::Config Simulation::MakeConfig(NodeId id) const {
  raft::Config c;
  c.id = id;
  c.election_ticks = k_.election_ticks;
  c.heartbeat_ticks = k_.heartbeat_ticks;
  c.pre_vote = k_.pre_vote;
  c.check_quorum = k_.check_quorum;
  c.max_inflight_msgs = k_.max_inflight_msgs;
  c.max_inflight_bytes = k_.max_inflight_bytes;
  c.max_msg_bytes = k_.max_msg_bytes;
  c.max_snapshot_chunk_bytes = k_.max_snapshot_chunk_bytes;
  c.compaction_keep_entries = k_.compaction_keep_entries;
  c.lease_reads = k_.lease_reads;
  c.lease_drift_ticks = k_.lease_drift_ticks;
  c.planted_bug = opt_.bug;
  return c;
}

void Simulation::At(int64_t time, std::function<void()> fn) {
  events_.push(Event{time, seq_++, std::move(fn)});
}

Node& Simulation::NewNode() {
  Node& n = nodes_.emplace_back();
  n.id = nodes_.size();
  n.member = true;
  n.tick_scale =
      1.0 + k_.max_clock_skew * (2.0 * static_cast<double>(rng_.Uniform(1001)) / 1000.0 - 1.0);
  return n;
}

void Simulation::StartNode(Node& n, raft::InitialState initial) {
  n.up = true;
  n.incarnation++;
  n.random = std::make_unique<SeededRandom>(rng_.Next());
  n.sm = KvMachine();
  if (!initial.snapshot.Empty() && !n.sm.Restore(initial.snapshot.data)) {
    Fail("recovery", "node " + std::to_string(n.id) + " cannot decode its snapshot");
    return;
  }
  n.raft = std::make_unique<raft::Raft>(MakeConfig(n.id), n.random.get(), std::move(initial));
  n.syncing = false;
  n.last_commit = n.raft->commit();
  n.last_role = n.raft->role();
  ScheduleTick(n);
  trace_.Add(now_, "start", n.id, n.raft->term(), n.raft->commit());
}

void Simulation::ScheduleTick(Node& n) {
  const uint64_t inc = n.incarnation;
  const auto period = static_cast<int64_t>(static_cast<double>(k_.tick_us) * n.tick_scale);
  After(period, [this, id = n.id, inc] {
    Node& node = nodes_[id - 1];
    if (!node.up || node.incarnation != inc) return;
    node.raft->Tick();
    Process(node);
    ScheduleTick(node);
  });
}

void Simulation::Crash(Node& n) {
  if (!n.up) return;
  trace_.Add(now_, "crash", n.id, n.raft->term(), n.raft->log().LastIndex());
  n.up = false;
  n.incarnation++;
  n.disk.Crash(*n.random);
  n.raft.reset();
  n.syncing = false;
  n.pending_writes.clear();
  n.pending_reads.clear();
  n.reads_waiting_apply.clear();
  result_.crashes++;
}

void Simulation::MaybeIsolateNewLeader(Node& n) {
  // A leader cut off before its first appends leave holds entries of its
  // term that nobody else has: with a later leader of an older log, that is
  // the situation Raft's commit rule (§5.4.2, Figure 8) exists for.
  if (!faults_on_ || n.raft->role() != raft::Role::kLeader || n.last_role == raft::Role::kLeader ||
      n.isolated_term == n.raft->term() || !rng_.Chance(k_.isolate_new_leader)) {
    return;
  }
  n.isolated_term = n.raft->term();
  for (auto& other : nodes_) {
    if (other.id == n.id) continue;
    cut_.insert({n.id, other.id});
    cut_.insert({other.id, n.id});
  }
  trace_.Add(now_, "partition-new-leader", n.id, n.raft->term(), n.raft->log().LastIndex());
}

bool Simulation::CanCrashAnother() const {
  // At most a minority down at once, so that the rest can make progress.
  size_t down = 0, members = 0;
  for (const auto& n : nodes_) {
    members += n.member;
    down += n.member && !n.up;
  }
  return down + 1 <= (members - 1) / 2;
}

void Simulation::CrashBriefly(Node& n, uint64_t incarnation) {
  if (!faults_on_ || !n.up || n.incarnation != incarnation || !CanCrashAnother()) return;
  Crash(n);
  After(static_cast<int64_t>(rng_.Between(1'000, 200'000)), [this, id = n.id] {
    if (faults_on_) Restart(nodes_[id - 1]);
  });
}

void Simulation::Restart(Node& n) {
  if (n.up || !n.member) return;
  StartNode(n, n.disk.Recover({}));
}

void Simulation::Decommission(Node& n) {
  // An operator retires a removed server; if it joins again it comes back
  // empty, as a new machine would.
  trace_.Add(now_, "decommission", n.id, 0, 0);
  if (n.up) Crash(n);
  n.member = false;
  n.disk = SimDisk();
}

// ---------------------------------------------------------- node driving ---

void Simulation::Process(Node& n) {
  while (!violation_ && n.up && !n.syncing && n.raft->HasReady()) {
    n.ready = n.raft->GetReady();
    raft::Ready& rd = n.ready;
    CheckEntriesPersisted(n, rd.entries);
    MaybeIsolateNewLeader(n);
    for (const auto& m : rd.messages)
      Send(m);
    if (rd.snapshot) n.disk.Write(SimDisk::InstallSnapshot{*rd.snapshot});
    for (const auto& e : rd.entries)
      n.disk.Write(e);
    if (rd.hard_state) n.disk.Write(*rd.hard_state);
    if (rd.MustPersist()) {
      n.syncing = true;
      const uint64_t inc = n.incarnation;
      // Mostly quick, sometimes a slow disk.
      const int64_t latency = rng_.Chance(0.02)
                                  ? k_.fsync_max_us * 10
                                  : static_cast<int64_t>(rng_.Between(50, k_.fsync_max_us));
      After(latency, [this, id = n.id, inc] {
        Node& node = nodes_[id - 1];
        if (!node.up || node.incarnation != inc) return;
        node.disk.Sync();
        FinishReady(node);
        Process(node);
      });
      break;
    }
    FinishReady(n);
  }
  if (n.up && !violation_) CheckNode(n);
}

void Simulation::FinishReady(Node& n) {
  raft::Ready& rd = n.ready;
  for (const auto& m : rd.persisted_messages) {
    // A vote is a promise: it must survive a crash before anyone hears it.
    if (m.type == raft::MessageType::kVoteResp && !m.reject) {
      const raft::HardState& hs = n.disk.synced_hard_state();
      // A later term on disk also keeps the promise: no more votes in m.term.
      if (hs.term < m.term || (hs.term == m.term && hs.vote != m.to)) {
        Fail("vote durability", "node " + std::to_string(n.id) + " granted its term " +
                                    std::to_string(m.term) + " vote to " + std::to_string(m.to) +
                                    " but its disk holds term " + std::to_string(hs.term) +
                                    " vote " + std::to_string(hs.vote));
        return;
      }
    }
    Send(m);
  }
  if (rd.snapshot) {
    if (!n.sm.Restore(rd.snapshot->data) || n.sm.applied() != rd.snapshot->meta.index) {
      Fail("snapshot", "node " + std::to_string(n.id) +
                           " got a snapshot whose data does not "
                           "match its index " +
                           std::to_string(rd.snapshot->meta.index));
      return;
    }
    trace_.Add(now_, "install-snapshot", n.id, rd.snapshot->meta.index, rd.snapshot->meta.term);
    result_.snapshots_sent++;
    // Writes proposed here that the snapshot covers have unknown fate to us.
    n.pending_writes.erase(n.pending_writes.begin(),
                           n.pending_writes.upper_bound(rd.snapshot->meta.index));
  }
  for (const auto& e : rd.committed_entries) {
    if (e.index <= n.sm.applied()) continue;
    if (e.index != n.sm.applied() + 1) {
      Fail("apply order", "node " + std::to_string(n.id) + " asked to apply " +
                              std::to_string(e.index) + " after " + std::to_string(n.sm.applied()));
      return;
    }
    Apply(n, e);
    if (violation_) return;
  }
  for (const auto& rs : rd.read_states) {
    auto it = n.pending_reads.find(rs.context);
    if (it == n.pending_reads.end()) continue;
    n.reads_waiting_apply.emplace(rs.index, it->second);
    n.pending_reads.erase(it);
  }
  for (uint64_t ctx : rd.dropped_reads) {
    auto it = n.pending_reads.find(ctx);
    if (it == n.pending_reads.end()) continue;
    ReplyTo(n, it->second.client, it->second.request_id, Reply{true, n.raft->leader(), {}});
    n.pending_reads.erase(it);
  }
  ServeReads(n);
  n.raft->Advance();
  n.syncing = false;
  n.ready = raft::Ready();
  MaybeSnapshot(n);
}

void Simulation::Apply(Node& n, const raft::Entry& e) {
  auto result = n.sm.Apply(e);
  const uint64_t hash = HashBytes(e.data);
  auto [it, fresh] = applied_.emplace(e.index, std::make_pair(e.term, hash));
  if (!fresh && it->second != std::make_pair(e.term, hash)) {
    Fail("state machine safety", "node " + std::to_string(n.id) + " applied entry " +
                                     std::to_string(e.index) + " term " + std::to_string(e.term) +
                                     " but another node applied term " +
                                     std::to_string(it->second.first) + " there");
    return;
  }
  if (fresh) CheckCommittedEntrySafe(e);
  if (violation_) return;
  auto [dit, dfresh] = digest_at_.emplace(e.index, n.sm.digest());
  if (!dfresh && dit->second != n.sm.digest()) {
    Fail("replica divergence", "node " + std::to_string(n.id) + " state digest at index " +
                                   std::to_string(e.index) + " differs from another replica's");
    return;
  }
  auto pw = n.pending_writes.find(e.index);
  if (pw != n.pending_writes.end()) {
    const PendingWrite w = pw->second;
    n.pending_writes.erase(pw);
    if (w.term == e.term && result) {
      ReplyTo(n, w.client, w.request_id, Reply{false, 0, *result});
      acked_writes_[w.request_id] = {e.index, e.term};
    } else {
      // Another leader's entry took the slot: ours can never commit.
      ReplyTo(n, w.client, w.request_id, Reply{true, n.raft->leader(), {}});
    }
  }
  ServeReads(n);
}

void Simulation::ServeReads(Node& n) {
  while (!n.reads_waiting_apply.empty() && n.reads_waiting_apply.begin()->first <= n.sm.applied()) {
    PendingRead r = n.reads_waiting_apply.begin()->second;
    n.reads_waiting_apply.erase(n.reads_waiting_apply.begin());
    ReplyTo(n, r.client, r.request_id, Reply{false, 0, n.sm.Read(r.key)});
  }
}

void Simulation::MaybeSnapshot(Node& n) {
  const Index applied = n.raft->applied();
  if (applied < n.raft->snapshot().meta.index + k_.snapshot_every) return;
  if (n.sm.applied() != applied) {
    Fail("apply bookkeeping", "node " + std::to_string(n.id) + " core applied " +
                                  std::to_string(applied) + " but state machine " +
                                  std::to_string(n.sm.applied()));
    return;
  }
  Status s = n.raft->CreateSnapshot(applied, n.sm.Serialize());
  if (!s.ok()) {
    Fail("snapshot", "CreateSnapshot(" + std::to_string(applied) + ") failed: " + s.ToString());
    return;
  }
  n.disk.Write(SimDisk::CompactSnapshot{n.raft->snapshot()});
  trace_.Add(now_, "snapshot", n.id, applied, 0);
}

// --------------------------------------------------------------- network ---

bool Simulation::LinkUp(NodeId from, NodeId to) const {
  return cut_.count({from, to}) == 0;
}

void Simulation::Send(const raft::Message& m) {
  if (m.to == 0 || m.to > nodes_.size()) return;
  if (!LinkUp(m.from, m.to) || rng_.Chance(k_.loss)) {
    trace_.Add(now_, "drop", m.from, m.to, static_cast<uint64_t>(m.type));
    return;
  }
  const int copies = rng_.Chance(k_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; i++) {
    int64_t delay = static_cast<int64_t>(rng_.Between(k_.latency_min_us, k_.latency_max_us));
    if (rng_.Chance(0.01)) delay *= 10;  // a long tail
    After(delay, [this, m] {
      Node& n = nodes_[m.to - 1];
      trace_.Add(now_, raft::MessageTypeName(m.type), m.from, m.to, m.term, m.index);
      if (!n.up) return;
      Status s = n.raft->Step(m);
      if (!s.ok()) {
        Fail("step",
             "node " + std::to_string(n.id) + " rejected a well-formed message: " + s.ToString());
        return;
      }
      Process(n);
    });
  }
}

// --------------------------------------------------------------- clients ---

void Simulation::ClientStart(Client& c) {
  if (!clients_on_ || violation_) return;
  Command cmd;
  const uint64_t roll = rng_.Uniform(100);
  cmd.kind = roll < 40   ? check::OpKind::kGet
             : roll < 70 ? check::OpKind::kPut
             : roll < 90 ? check::OpKind::kCas
                         : check::OpKind::kDelete;
  cmd.key = "k" + std::to_string(rng_.Uniform(k_.keys));
  c.sequence++;
  cmd.value = "c" + std::to_string(c.id) + "." + std::to_string(c.sequence);
  if (cmd.kind == check::OpKind::kCas) {
    // Expect a value this or another client may have written recently.
    const int who = static_cast<int>(rng_.Uniform(clients_.size()));
    const uint64_t seq =
        clients_[who].sequence > 0
            ? rng_.Between(clients_[who].sequence > 3 ? clients_[who].sequence - 3 : 1,
                           clients_[who].sequence)
            : 1;
    cmd.expected = "c" + std::to_string(who) + "." + std::to_string(seq);
  }
  ClientSend(c, cmd);
}

void Simulation::ClientSend(Client& c, const Command& base) {
  Command cmd = base;
  cmd.request_id = (static_cast<uint64_t>(c.id) << 40) | ++c.sequence;
  c.request_id = cmd.request_id;
  check::Operation op;
  op.client = c.id;
  op.kind = cmd.kind;
  op.key = cmd.key;
  op.value = cmd.value;
  op.expected = cmd.expected;
  op.call = now_;
  op.known = false;
  c.op = history_.size();
  history_.push_back(op);
  discarded_.push_back(false);
  result_.operations++;
  trace_.Add(now_, "request", static_cast<uint64_t>(c.id), c.target, cmd.request_id,
             static_cast<uint64_t>(cmd.kind));
  const NodeId target = c.target;
  After(static_cast<int64_t>(rng_.Between(k_.latency_min_us, k_.latency_max_us)),
        [this, target, client = c.id, cmd] { NodeHandleRequest(target, client, cmd); });
  // A request with no answer in time has an unknown outcome.
  const uint64_t rid = cmd.request_id;
  After(static_cast<int64_t>(k_.election_ticks) * k_.tick_us * 8, [this, client = c.id, rid] {
    Client& cl = clients_[client];
    if (cl.request_id != rid) return;
    trace_.Add(now_, "timeout", static_cast<uint64_t>(client), rid, 0);
    if (history_[cl.op].kind == check::OpKind::kGet) discarded_[cl.op] = true;
    cl.request_id = 0;
    cl.target = 1 + rng_.Uniform(nodes_.size());
    ClientStart(cl);
  });
}

void Simulation::NodeHandleRequest(NodeId id, int client, Command cmd) {
  Node& n = nodes_[id - 1];
  if (!n.up) return;  // lost; the client times out
  const bool read = cmd.kind == check::OpKind::kGet && !k_.reads_through_log;
  if (read) {
    Status s = n.raft->ReadIndex(cmd.request_id);
    if (!s.ok()) {
      ReplyTo(n, client, cmd.request_id, Reply{true, n.raft->leader(), {}});
    } else {
      n.pending_reads[cmd.request_id] = PendingRead{client, cmd.request_id, cmd.key};
    }
  } else {
    auto p = n.raft->Propose(EncodeCommand(cmd));
    if (!p.ok()) {
      ReplyTo(n, client, cmd.request_id, Reply{true, n.raft->leader(), {}});
    } else {
      n.pending_writes[p->index] = PendingWrite{client, cmd.request_id, p->term};
    }
  }
  Process(n);
}

void Simulation::ReplyTo(Node& n, int client, uint64_t request_id, Reply reply) {
  const NodeId from = n.id;
  After(static_cast<int64_t>(rng_.Between(k_.latency_min_us, k_.latency_max_us)),
        [this, client, request_id, from, reply] { ClientReply(client, request_id, from, reply); });
}

void Simulation::ClientReply(int client, uint64_t request_id, NodeId from, Reply reply) {
  Client& c = clients_[client];
  if (c.request_id != request_id) return;  // already timed out
  trace_.Add(now_, "reply", static_cast<uint64_t>(client), from, request_id,
             reply.definite_failure ? 1 : 0);
  c.request_id = 0;
  check::Operation& op = history_[c.op];
  if (reply.definite_failure) {
    discarded_[c.op] = true;
    c.target = reply.leader_hint ? reply.leader_hint : 1 + rng_.Uniform(nodes_.size());
    After(static_cast<int64_t>(rng_.Between(1000, 20000)),
          [this, client] { ClientStart(clients_[client]); });
    return;
  }
  op.known = true;
  op.ret = now_;
  op.found = reply.result.found;
  op.output = reply.result.output;
  op.cas_ok = reply.result.cas_ok;
  if (op.kind != check::OpKind::kGet) result_.acked_writes++;
  if (healed_at_ >= 0 && op.call >= healed_at_ && op.kind != check::OpKind::kGet &&
      first_ack_after_heal_ < 0) {
    first_ack_after_heal_ = now_;
  }
  if (healed_at_ >= 0 && op.call >= healed_at_ && op.kind == check::OpKind::kGet &&
      first_read_after_heal_ < 0) {
    first_read_after_heal_ = now_;
  }
  // Sometimes read from followers, which forward their ReadIndex.
  if (rng_.Chance(0.2)) c.target = 1 + rng_.Uniform(nodes_.size());
  After(static_cast<int64_t>(rng_.Between(0, 20000)),
        [this, client] { ClientStart(clients_[client]); });
}

// ---------------------------------------------------------------- faults ---

Node* Simulation::Leader() {
  Node* best = nullptr;
  for (auto& n : nodes_) {
    if (n.up && n.raft->role() == raft::Role::kLeader &&
        (!best || n.raft->term() > best->raft->term())) {
      best = &n;
    }
  }
  return best;
}

void Simulation::InjectFault() {
  if (!faults_on_ || violation_) return;
  const uint64_t roll = rng_.Uniform(100);
  std::vector<Node*> up, down;
  for (auto& n : nodes_) {
    if (n.up) up.push_back(&n);
    if (!n.up && n.member) down.push_back(&n);
  }
  if (roll < 25) {
    Partition();
  } else if (roll < 40) {
    HealAll();
  } else if (roll < 55) {
    if (!up.empty() && CanCrashAnother()) {
      // Leaders are the interesting victims: their unreplicated tail and
      // in-flight elections are where safety bugs live.
      Node* victim = up[rng_.Uniform(up.size())];
      if (Node* l = Leader(); l && rng_.Chance(0.5)) victim = l;
      Crash(*victim);
      const NodeId id = victim->id;
      // Sometimes back at once, while the election it took part in runs.
      const int64_t downtime = rng_.Chance(0.3)
                                   ? static_cast<int64_t>(rng_.Between(1'000, 30'000))
                                   : static_cast<int64_t>(rng_.Between(100'000, 3'000'000));
      After(downtime, [this, id] {
        if (faults_on_) Restart(nodes_[id - 1]);
      });
    }
  } else if (roll < 57) {
    // Power loss everywhere: only fsynced data survives.
    for (Node* n : up)
      Crash(*n);
    After(static_cast<int64_t>(rng_.Between(100'000, 1'000'000)), [this] {
      for (auto& n : nodes_)
        Restart(n);
    });
  } else if (roll < 65) {
    for (Node* n : down)
      Restart(*n);
  } else if (roll < 80) {
    ChangeMembership();
  } else if (roll < 90) {
    if (Node* l = Leader()) {
      auto voters = raft::Quorum(l->raft->conf()).AllVoters();
      const NodeId target = voters[rng_.Uniform(voters.size())];
      trace_.Add(now_, "transfer", l->id, target, 0);
      (void)l->raft->TransferLeadership(target);
      Process(*l);
    }
  }
  After(static_cast<int64_t>(rng_.Between(k_.fault_every_us / 2, k_.fault_every_us * 3 / 2)),
        [this] { InjectFault(); });
}

void Simulation::Partition() {
  cut_.clear();
  std::vector<NodeId> ids;
  for (auto& n : nodes_)
    ids.push_back(n.id);
  auto cut_both = [&](NodeId a, NodeId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  };
  const uint64_t kind = rng_.Uniform(5);
  Node* leader = Leader();
  if (kind == 0 && leader) {
    for (NodeId id : ids) {
      if (id != leader->id) cut_both(leader->id, id);
    }
    trace_.Add(now_, "partition-isolate-leader", leader->id, 0, 0);
    return;
  }
  // Shuffle, then split.
  for (size_t i = ids.size() - 1; i > 0; i--)
    std::swap(ids[i], ids[rng_.Uniform(i + 1)]);
  const size_t minority = 1 + rng_.Uniform(ids.size() / 2);
  if (kind <= 2) {
    for (size_t i = 0; i < minority; i++) {
      for (size_t j = minority; j < ids.size(); j++)
        cut_both(ids[i], ids[j]);
    }
    trace_.Add(now_, "partition-split", minority, ids.size() - minority, 0);
  } else if (kind == 3) {
    // Bridge: two sides that only the last node hears both of.
    const NodeId bridge = ids.back();
    for (size_t i = 0; i < minority; i++) {
      for (size_t j = minority; j + 1 < ids.size(); j++)
        cut_both(ids[i], ids[j]);
    }
    trace_.Add(now_, "partition-bridge", bridge, minority, 0);
  } else {
    // One-way: some node's outbound (or inbound) traffic vanishes.
    const NodeId victim = ids[0];
    const bool outbound = rng_.Chance(0.5);
    for (NodeId id : ids) {
      if (id == victim) continue;
      cut_.insert(outbound ? std::make_pair(victim, id) : std::make_pair(id, victim));
    }
    trace_.Add(now_, outbound ? "partition-oneway-out" : "partition-oneway-in", victim, 0, 0);
  }
}

void Simulation::HealAll() {
  cut_.clear();
  trace_.Add(now_, "heal", 0, 0, 0);
}

void Simulation::ChangeMembership() {
  Node* l = Leader();
  if (!l) return;
  const raft::ConfState& conf = l->raft->conf();
  if (conf.Joint()) return;
  std::vector<NodeId> voters = conf.voters, learners = conf.learners, joining;
  size_t servers = 0;
  for (auto& n : nodes_) {
    servers += n.member;
    // Started for an addition that never committed: offer it again.
    if (n.up && n.member && !n.joined) joining.push_back(n.id);
  }
  raft::ConfChange cc;
  const uint64_t roll = rng_.Uniform(5);
  if (roll == 0 && (!joining.empty() || servers < static_cast<size_t>(k_.voters + k_.spares))) {
    NodeId id;
    if (!joining.empty()) {
      id = joining[rng_.Uniform(joining.size())];
    } else {
      // A new, empty server joins.
      Node& n = NewNode();
      StartNode(n, raft::InitialState{});
      id = n.id;
    }
    cc.changes.push_back({raft::ConfChangeType::kAddLearner, id});
  } else if (roll == 1 && !learners.empty()) {
    cc.changes.push_back(
        {raft::ConfChangeType::kAddVoter, learners[rng_.Uniform(learners.size())]});
  } else if (roll == 2 && voters.size() > 3) {
    cc.changes.push_back({raft::ConfChangeType::kRemoveNode, voters[rng_.Uniform(voters.size())]});
  } else if (roll == 3 && !learners.empty()) {
    // Joint consensus: swap a voter for a learner in one change.
    cc.changes.push_back(
        {raft::ConfChangeType::kAddVoter, learners[rng_.Uniform(learners.size())]});
    cc.changes.push_back({raft::ConfChangeType::kRemoveNode, voters[rng_.Uniform(voters.size())]});
  } else if (roll == 4 && voters.size() > 3) {
    cc.changes.push_back({raft::ConfChangeType::kAddLearner, voters[rng_.Uniform(voters.size())]});
    cc.force_joint = true;
  } else {
    return;
  }
  auto p = l->raft->ProposeConfChange(cc);
  trace_.Add(now_, "conf-change", l->id, cc.changes.size(), p.ok() ? p->index : 0,
             static_cast<uint64_t>(cc.changes[0].type));
  if (p.ok()) result_.conf_changes++;
  Process(*l);
}

// ------------------------------------------------------------ invariants ---

void Simulation::Fail(std::string property, std::string detail) {
  if (violation_) return;
  violation_ = Violation{std::move(property), std::move(detail)};
}

void Simulation::CheckEntriesPersisted(Node& n, const std::vector<raft::Entry>& entries) {
  // Log matching, inductively: an entry (index, term) must have the same
  // data and follow an entry of the same term on every node. If that holds
  // for every entry, equal (index, term) implies equal prefixes.
  for (const auto& e : entries) {
    const auto prev = n.raft->log().TermAt(e.index - 1);
    if (!prev) continue;  // follows a snapshot we cannot see into
    const auto value = std::make_pair(*prev, HashBytes(e.data, static_cast<uint64_t>(e.type)));
    auto [it, fresh] = log_entries_.emplace(std::make_pair(e.index, e.term), value);
    if (!fresh && it->second != value) {
      Fail("log matching", "node " + std::to_string(n.id) + " holds entry " +
                               std::to_string(e.index) + "@" + std::to_string(e.term) +
                               " after term " + std::to_string(*prev) +
                               " but another node's copy follows term " +
                               std::to_string(it->second.first) + " or differs in content");
      return;
    }
  }
}

void Simulation::CheckLeaderCompleteness(Node& n) {
  const raft::RaftLog& log = n.raft->log();
  for (auto it = applied_.upper_bound(log.snapshot_index()); it != applied_.end(); ++it) {
    const auto term = log.TermAt(it->first);
    if (!term || *term != it->second.first) {
      Fail("leader completeness",
           "node " + std::to_string(n.id) + " leads term " + std::to_string(n.raft->term()) +
               " without committed entry " + std::to_string(it->first) + "@" +
               std::to_string(it->second.first) +
               (term ? " (has term " + std::to_string(*term) + ")" : " (missing)"));
      return;
    }
  }
}

void Simulation::CheckCommittedEntrySafe(const raft::Entry& e) {
  // Leader completeness, checked before it can fail: no server lacking a
  // committed entry may be able to collect a quorum of votes, judging by
  // logs alone. Voters are judged by their durable logs (what they would
  // have after a crash), candidates by their log in memory and on disk.
  // Raft guarantees this: the quorum that durably holds the entry refuses.
  auto elect = [&](Node& cand, const raft::ConfState& conf, Index last, Term last_term,
                   const char* view) {
    std::map<NodeId, bool> votes;
    for (auto& voter : nodes_) {
      if (!voter.member) continue;
      const auto [v_last, v_term] = voter.disk.SyncedLast();
      votes[voter.id] = last_term > v_term || (last_term == v_term && last >= v_last);
    }
    const raft::Quorum quorum(conf);
    if (!quorum.IsVoter(cand.id) || quorum.Tally(votes) != raft::VoteResult::kWon) return;
    Fail("leader completeness", "committed entry " + std::to_string(e.index) + "@" +
                                    std::to_string(e.term) + " is missing from node " +
                                    std::to_string(cand.id) + "'s " + view + " log (last " +
                                    std::to_string(last) + "@" + std::to_string(last_term) +
                                    "), which a quorum would elect");
  };
  for (auto& cand : nodes_) {
    if (!cand.member) continue;
    if (cand.up) {
      const raft::RaftLog& log = cand.raft->log();
      if (e.index > log.snapshot_index() && !log.Matches(e.index, e.term)) {
        elect(cand, cand.raft->conf(), log.LastIndex(), log.LastTerm(), "in-memory");
      }
    }
    // A server that is down (or crashes now) comes back with its disk, and
    // with the membership its durable commit index gives.
    if (!violation_ && !cand.disk.SyncedHas(e.index, e.term)) {
      const auto [d_last, d_term] = cand.disk.SyncedLast();
      elect(cand, cand.up ? cand.raft->conf() : RecoveredConf(cand), d_last, d_term, "durable");
    }
    if (violation_) return;
  }
}

raft::ConfState Simulation::RecoveredConf(const Node& n) {
  // What recovery would rebuild: a throwaway core over the durable state.
  SeededRandom unused(0);
  raft::Raft recovered(MakeConfig(n.id), &unused, n.disk.Recover({}));
  return recovered.conf();
}

void Simulation::CheckNode(Node& n) {
  raft::Raft& r = *n.raft;
  if (r.role() == raft::Role::kLeader) {
    auto [it, fresh] = leader_of_term_.emplace(r.term(), n.id);
    if (!fresh && it->second != n.id) {
      Fail("election safety", "nodes " + std::to_string(it->second) + " and " +
                                  std::to_string(n.id) + " both lead term " +
                                  std::to_string(r.term()));
      return;
    }
    if (n.last_role != raft::Role::kLeader) {
      result_.leader_changes++;
      trace_.Add(now_, "leader", n.id, r.term(), r.log().LastIndex());
      CheckLeaderCompleteness(n);
      if (faults_on_ && rng_.Chance(k_.kill_new_leader)) {
        const uint64_t inc = n.incarnation;
        After(static_cast<int64_t>(rng_.Between(0, 3 * k_.heartbeat_ticks * k_.tick_us)),
              [this, id = n.id, inc] { CrashBriefly(nodes_[id - 1], inc); });
      }
    }
  }
  if (r.conf_index() > latest_conf_index_) {
    // A newer committed membership: servers it removed are retired.
    latest_conf_index_ = r.conf_index();
    const raft::ConfState c = r.conf();  // a copy: retiring `n` destroys its core
    for (auto& other : nodes_) {
      auto in = [&](const std::vector<NodeId>& v) {
        return std::find(v.begin(), v.end(), other.id) != v.end();
      };
      const bool in_conf =
          in(c.voters) || in(c.voters_outgoing) || in(c.learners) || in(c.learners_next);
      if (in_conf) {
        other.joined = true;
      } else if (other.joined) {
        other.joined = false;
        trace_.Add(now_, "removed-by-conf", other.id, r.conf_index(), n.id);
        Decommission(other);
      }
    }
    if (!n.up) return;  // it removed itself
  }
  n.last_role = r.role();
  if (r.commit() < n.last_commit) {
    Fail("commit monotonic", "node " + std::to_string(n.id) + " commit went from " +
                                 std::to_string(n.last_commit) + " to " +
                                 std::to_string(r.commit()));
    return;
  }
  n.last_commit = r.commit();
  if (r.commit() > r.log().LastIndex()) {
    Fail("commit within log", "node " + std::to_string(n.id) + " commit beyond its last entry");
  }
}

// ------------------------------------------------------------------- run ---

SimResult Simulation::Run() {
  raft::ConfState bootstrap;
  for (int i = 1; i <= k_.voters; i++)
    bootstrap.voters.push_back(i);
  // Every initial member starts from the same genesis snapshot, so that a
  // server joining later learns the initial membership from a snapshot.
  raft::Snapshot genesis;
  genesis.meta = {1, 1, bootstrap};
  {
    KvMachine empty;
    raft::Entry first;
    first.index = 1;
    first.term = 1;
    empty.Apply(first);
    genesis.data = empty.Serialize();
  }
  for (int i = 0; i < k_.voters; i++) {
    Node& n = NewNode();
    n.joined = true;
    n.disk.Write(SimDisk::InstallSnapshot{genesis});
    n.disk.Write(raft::HardState{1, 0, 1});
    n.disk.Sync();
    StartNode(n, n.disk.Recover({}));
  }
  clients_.resize(k_.clients);
  for (int i = 0; i < k_.clients; i++) {
    clients_[i].id = i;
    clients_[i].target = 1 + rng_.Uniform(k_.voters);
    After(static_cast<int64_t>(rng_.Between(0, 100'000)), [this, i] { ClientStart(clients_[i]); });
  }
  After(k_.fault_every_us, [this] { InjectFault(); });
  After(opt_.fault_phase_us, [this] {
    faults_on_ = false;
    HealAll();
    k_.loss = 0;
    k_.duplicate = 0;
    for (auto& n : nodes_)
      Restart(n);
    healed_at_ = now_;
    trace_.Add(now_, "faults-off", 0, 0, 0);
  });
  const int64_t deadline = opt_.fault_phase_us + opt_.liveness_bound_us;
  int64_t quiesce_until = -1;
  while (!events_.empty() && !violation_) {
    Event ev = events_.top();
    events_.pop();
    now_ = ev.time;
    result_.events++;
    ev.fn();
    if (first_ack_after_heal_ >= 0 && first_read_after_heal_ >= 0 && quiesce_until < 0) {
      // Progress after healing: stop the clients and let replicas converge.
      clients_on_ = false;
      quiesce_until = now_ + 2'000'000 + 50 * k_.election_ticks * k_.tick_us;
    }
    if (quiesce_until >= 0 && now_ >= quiesce_until) break;
    if (now_ > deadline && first_ack_after_heal_ < 0) {
      Fail("liveness", "no write committed within " +
                           std::to_string(opt_.liveness_bound_us / 1000) +
                           "ms of healing all faults");
    } else if (now_ > deadline && first_read_after_heal_ < 0) {
      Fail("liveness", "no read answered within " + std::to_string(opt_.liveness_bound_us / 1000) +
                           "ms of healing all faults");
    }
  }
  result_.simulated_us = now_;
  if (!violation_) {
    // Convergence: every member of the final configuration applied the same.
    Node* l = Leader();
    if (!l) {
      Fail("liveness", "no leader after the cluster quiesced");
    } else {
      const auto members = raft::Quorum(l->raft->conf()).AllVoters();
      const auto& learners = l->raft->conf().learners;
      for (auto& n : nodes_) {
        const bool in_conf = std::count(members.begin(), members.end(), n.id) > 0 ||
                             std::count(learners.begin(), learners.end(), n.id) > 0;
        if (!in_conf) continue;
        if (!n.up) {
          Fail("convergence", "member " + std::to_string(n.id) + " is down at the end");
          break;
        }
        if (n.sm.applied() != l->sm.applied() || n.sm.digest() != l->sm.digest()) {
          Fail("convergence", "node " + std::to_string(n.id) + " applied " +
                                  std::to_string(n.sm.applied()) + " but leader " +
                                  std::to_string(l->id) + " applied " +
                                  std::to_string(l->sm.applied()));
          break;
        }
      }
      if (!violation_ && l->raft->conf().Joint()) {
        Fail("liveness", "the cluster is still in a joint configuration at the end: " +
                             raft::ConfStateToString(l->raft->conf()));
      }
      // Acknowledged writes survive: each is still the entry at its index in
      // the leader's log (or under its snapshot) and on a quorum's disks.
      const raft::Quorum quorum(l->raft->conf());
      for (const auto& [rid, pos] : acked_writes_) {
        if (violation_) break;
        const raft::RaftLog& log = l->raft->log();
        const bool in_leader =
            pos.first <= l->raft->snapshot().meta.index || log.Matches(pos.first, pos.second);
        std::map<NodeId, bool> on_disk;
        for (auto& n : nodes_) {
          if (n.member) on_disk[n.id] = n.disk.SyncedHas(pos.first, pos.second);
        }
        if (!in_leader || quorum.Tally(on_disk) != raft::VoteResult::kWon) {
          Fail("durability",
               "acknowledged write " + std::to_string(rid) + " at " + std::to_string(pos.first) +
                   "@" + std::to_string(pos.second) +
                   (in_leader ? " is not on a quorum's disks" : " is not in the leader's log"));
        }
      }
    }
  }
  if (!violation_) {
    std::vector<check::Operation> history;
    for (size_t i = 0; i < history_.size(); i++) {
      if (discarded_[i]) continue;
      if (!history_[i].known && history_[i].kind == check::OpKind::kGet) continue;
      history.push_back(history_[i]);
    }
    check::CheckOptions copt;
    // A state budget, not a time budget: the verdict must not depend on how
    // busy the machine is.
    copt.max_states_per_key = 20'000'000;
    const auto verdict = check::CheckLinearizable(history, copt);
    if (verdict.verdict != check::CheckResult::kOk) {
      Fail(verdict.verdict == check::CheckResult::kViolation ? "linearizability"
                                                             : "linearizability undecided",
           verdict.explanation);
    }
  }
  result_.trace_hash = trace_.hash();
  if (violation_) {
    result_.ok = false;
    result_.property = violation_->property;
    result_.detail = violation_->detail;
    result_.trace_tail = trace_.Tail(opt_.trace_tail);
    for (auto& n : nodes_) {
      result_.trace_tail +=
          "  state: " + (n.up ? n.raft->Describe() : "node " + std::to_string(n.id) + " down") +
          "\n";
    }
  }
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  Simulation sim(options);
  return sim.Run();
}

}  // namespace cairn::sim
