#pragma once

// A hand-driven cluster of in-memory Raft cores for unit tests. Nothing moves
// unless a test says so: ticks, Ready handling and message delivery are all
// explicit, so every test can stop the protocol at the exact point it wants
// to inspect.

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/random.h"
#include "consensus/raft/raft.h"

namespace cairn::raft {

// Readable gtest failure messages for the core's value types.
void PrintTo(const Entry& e, std::ostream* os);
void PrintTo(const ConfState& c, std::ostream* os);
void PrintTo(const SnapshotMeta& m, std::ostream* os);
void PrintTo(const ReadState& r, std::ostream* os);
void PrintTo(const Message& m, std::ostream* os);

}  // namespace cairn::raft

namespace cairn::raft::test {

// Small timeouts keep tests short; everything else is the production default.
Config TestConfig();

ConfState Voters(std::vector<NodeId> voters, std::vector<NodeId> learners = {});
// Entries [first, last] of one term, each carrying its index as data, so that
// tests can build divergent logs in one line.
std::vector<Entry> Entries(Index first, Index last, Term term);

// What one node has on "disk". Written only from Ready, read only on restart.
struct MemStorage {
  HardState hard_state;
  Snapshot snapshot;
  std::vector<Entry> entries;  // contiguous, after the snapshot

  Index LastIndex() const;
  void Persist(const Ready& rd);
};

struct TestNode {
  NodeId id = kNoNode;
  Config config;
  ConfState bootstrap;
  MemStorage storage;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<Raft> raft;
  // The state machine. It survives restarts, like an engine that stores its
  // applied index with its data.
  Index applied_index = 0;
  std::vector<Entry> applied;
  std::vector<Snapshot> installed;
  std::vector<ReadState> read_states;
  std::vector<uint64_t> dropped_reads;
};

class Cluster {
 public:
  using Pred = std::function<bool(const Message&)>;

  // Nodes 1..voters vote and the next `learners` ids are learners; all start
  // empty at term 0.
  explicit Cluster(int voters, int learners = 0, Config base = TestConfig(), uint64_t seed = 1);
  // Starts empty: the test adds each node with the state it wants.
  Cluster(Config base, uint64_t seed);

  // A node recovered from `initial` (its storage starts as that state).
  void AddNode(NodeId id, InitialState initial);
  void AddNode(NodeId id, InitialState initial, Config config);

  Raft& raft(NodeId id) { return *node(id).raft; }
  TestNode& node(NodeId id);
  std::vector<NodeId> ids() const;

  // --- Ready -----------------------------------------------------------
  // One Ready handled exactly as raft.h's contract says. False if none.
  bool ProcessReady(NodeId id);
  void ProcessAllReady();
  // The same contract in pieces, for tests that stop halfway through it.
  Ready TakeReady(NodeId id) { return raft(id).GetReady(); }
  void Send(const std::vector<Message>& msgs);
  void Persist(NodeId id, const Ready& rd) { node(id).storage.Persist(rd); }
  void Apply(NodeId id, const Ready& rd);
  void Advance(NodeId id) { raft(id).Advance(); }

  // --- network ---------------------------------------------------------
  std::vector<Message>& in_flight() { return in_flight_; }
  // Every message ever handed to the network, dropped ones included.
  const std::vector<Message>& sent() const { return sent_; }
  void ClearSent() { sent_.clear(); }
  size_t CountSent(const Pred& p) const;
  size_t CountInFlight(const Pred& p) const;

  void Cut(NodeId from, NodeId to) { cuts_.insert({from, to}); }
  void Isolate(NodeId id);
  // Removes cuts and drop filters (messages already dropped stay lost).
  void Heal();
  // Messages matching `drop` are lost when sent.
  void AddDropFilter(Pred drop) { filters_.push_back(std::move(drop)); }

  // Steps every in-flight message matching `p` (all if null) into its
  // recipient, in send order. Returns how many were delivered.
  int Deliver(const Pred& p = nullptr);
  int DropInFlight(const Pred& p);
  // Handles Readys and delivers messages until nothing moves. Messages
  // matching `hold` stay in flight (delayed, not lost).
  void Stabilize(const Pred& hold = nullptr);

  // --- time ------------------------------------------------------------
  void Tick(NodeId id, int n = 1);
  // n times: tick every node once, then stabilize.
  void TickAll(int n = 1);
  // Ticks everyone until a leader exists; kNoNode if none within max_ticks.
  NodeId TickUntilLeader(int max_ticks = 500);
  // The leader of the highest term, or kNoNode.
  NodeId Leader() const;
  // Makes `id` campaign at once by handing it a TimeoutNow, as a
  // leadership transfer would. Its votes override followers' leases.
  void ForceCampaign(NodeId id);
  // ForceCampaign + Stabilize; the node is leader afterwards.
  void Elect(NodeId id);

  // The state machine snapshots itself at `index`: the core compacts, and
  // the node stores the snapshot and drops the entries it covers, as a real
  // node does (the core hands locally taken snapshots to no Ready).
  Status CreateSnapshot(NodeId id, Index index, std::string data);

  // Rebuilds the node from what it persisted; in-memory state is lost.
  void Restart(NodeId id);

  // Data of applied normal entries that carry data (skips leader no-ops).
  std::vector<std::string> AppliedData(NodeId id);

 private:
  bool Dropped(const Message& m) const;
  void StepInto(const Message& m);
  void CheckLeader(NodeId id);

  Config base_;
  uint64_t seed_;
  std::map<NodeId, TestNode> nodes_;
  std::vector<Message> in_flight_;
  std::vector<Message> sent_;
  std::set<std::pair<NodeId, NodeId>> cuts_;
  std::set<NodeId> isolated_;
  std::vector<Pred> filters_;
  // Invariants checked as the test runs: one leader per term, and every node
  // applies the same entry at each index.
  std::map<Term, NodeId> leader_of_term_;
  std::map<Index, Entry> applied_at_;
};

// Message predicates, to keep delivery rules one line long.
inline Cluster::Pred OfType(MessageType t) {
  return [t](const Message& m) { return m.type == t; };
}
inline Cluster::Pred To(NodeId id) {
  return [id](const Message& m) { return m.to == id; };
}
inline Cluster::Pred From(NodeId id) {
  return [id](const Message& m) { return m.from == id; };
}
inline Cluster::Pred Touches(NodeId id) {
  return [id](const Message& m) { return m.to == id || m.from == id; };
}
inline Cluster::Pred And(Cluster::Pred a, Cluster::Pred b) {
  return [a, b](const Message& m) { return a(m) && b(m); };
}
inline Cluster::Pred Or(Cluster::Pred a, Cluster::Pred b) {
  return [a, b](const Message& m) { return a(m) || b(m); };
}
inline Cluster::Pred Not(Cluster::Pred a) {
  return [a](const Message& m) { return !a(m); };
}
// An append that carries at least one entry (not a bare commit notice).
inline Cluster::Pred AppWithEntries() {
  return [](const Message& m) { return m.type == MessageType::kApp && !m.entries.empty(); };
}

}  // namespace cairn::raft::test
