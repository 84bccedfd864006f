#include "tests/consensus/test_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cairn::raft {

void PrintTo(const Entry& e, std::ostream* os) {
  *os << "{term " << e.term << ", index " << e.index
      << (e.type == EntryType::kConfChange ? ", conf" : "") << ", \"" << e.data << "\"}";
}

void PrintTo(const ConfState& c, std::ostream* os) {
  *os << ConfStateToString(c) << (c.auto_leave ? " auto_leave" : "");
}

void PrintTo(const SnapshotMeta& m, std::ostream* os) {
  *os << "{index " << m.index << ", term " << m.term << ", " << ConfStateToString(m.conf) << "}";
}

void PrintTo(const ReadState& r, std::ostream* os) {
  *os << "{context " << r.context << ", index " << r.index << "}";
}

void PrintTo(const Message& m, std::ostream* os) {
  *os << MessageTypeName(m.type) << " " << m.from << "->" << m.to << " term " << m.term << " index "
      << m.index << " entries " << m.entries.size() << (m.reject ? " reject" : "");
}

}  // namespace cairn::raft

namespace cairn::raft::test {

Config TestConfig() {
  Config c;
  c.election_ticks = 10;
  c.heartbeat_ticks = 1;
  return c;
}

ConfState Voters(std::vector<NodeId> voters, std::vector<NodeId> learners) {
  ConfState conf;
  conf.voters = std::move(voters);
  conf.learners = std::move(learners);
  return conf;
}

std::vector<Entry> Entries(Index first, Index last, Term term) {
  std::vector<Entry> out;
  for (Index i = first; i <= last; i++) {
    out.push_back(Entry{term, i, EntryType::kNormal, "e" + std::to_string(i)});
  }
  return out;
}

Index MemStorage::LastIndex() const {
  return entries.empty() ? snapshot.meta.index : entries.back().index;
}

void MemStorage::Persist(const Ready& rd) {
  if (rd.snapshot) {
    // Installing a snapshot replaces the core's whole log; the disk follows.
    snapshot = *rd.snapshot;
    entries.clear();
  }
  if (rd.hard_state) hard_state = *rd.hard_state;
  if (rd.entries.empty()) return;
  const Index first = rd.entries.front().index;
  EXPECT_GT(first, snapshot.meta.index) << "Ready entry inside the snapshot";
  EXPECT_LE(first, LastIndex() + 1) << "Ready entries leave a gap in the log";
  // An entry at index i replaces any persisted entry at i or later.
  while (!entries.empty() && entries.back().index >= first)
    entries.pop_back();
  entries.insert(entries.end(), rd.entries.begin(), rd.entries.end());
}

Cluster::Cluster(int voters, int learners, Config base, uint64_t seed) : base_(base), seed_(seed) {
  ConfState conf;
  for (int i = 1; i <= voters; i++)
    conf.voters.push_back(i);
  for (int i = voters + 1; i <= voters + learners; i++)
    conf.learners.push_back(i);
  for (int i = 1; i <= voters + learners; i++) {
    InitialState init;
    init.conf = conf;
    AddNode(i, init);
  }
}

Cluster::Cluster(Config base, uint64_t seed) : base_(base), seed_(seed) {}

void Cluster::AddNode(NodeId id, InitialState initial) {
  AddNode(id, std::move(initial), base_);
}

void Cluster::AddNode(NodeId id, InitialState initial, Config config) {
  TestNode& n = nodes_[id];
  n.id = id;
  n.config = config;
  n.config.id = id;
  n.bootstrap = initial.conf;
  n.storage.hard_state = initial.hard_state;
  n.storage.snapshot = initial.snapshot;
  n.storage.entries = initial.entries;
  n.applied_index = std::max(initial.applied, initial.snapshot.meta.index);
  // Each node its own stream, so that election timeouts differ.
  n.random = std::make_unique<SeededRandom>(seed_ * 1000 + id);
  n.raft = std::make_unique<Raft>(n.config, n.random.get(), std::move(initial));
}

TestNode& Cluster::node(NodeId id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    ADD_FAILURE() << "no node " << id;
    std::abort();
  }
  return it->second;
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_)
    out.push_back(id);
  return out;
}

bool Cluster::ProcessReady(NodeId id) {
  Raft& r = raft(id);
  if (!r.HasReady()) return false;
  Ready rd = r.GetReady();
  // Sendable before the write: leader traffic for entries it already holds.
  Send(rd.messages);
  Persist(id, rd);
  // These may vouch for what was just written.
  Send(rd.persisted_messages);
  Apply(id, rd);
  r.Advance();
  return true;
}

void Cluster::ProcessAllReady() {
  for (auto& [id, n] : nodes_)
    ProcessReady(id);
}

void Cluster::Apply(NodeId id, const Ready& rd) {
  TestNode& n = node(id);
  if (rd.snapshot) {
    EXPECT_GT(rd.snapshot->meta.index, n.applied_index) << "node " << id << " snapshot goes back";
    n.installed.push_back(*rd.snapshot);
    n.applied_index = rd.snapshot->meta.index;
  }
  for (const Entry& e : rd.committed_entries) {
    EXPECT_EQ(e.index, n.applied_index + 1) << "node " << id << " applies out of order";
    auto [it, fresh] = applied_at_.emplace(e.index, e);
    if (!fresh) {
      EXPECT_EQ(it->second, e) << "node " << id << " applied a different entry at " << e.index;
    }
    n.applied.push_back(e);
    n.applied_index = e.index;
  }
  n.read_states.insert(n.read_states.end(), rd.read_states.begin(), rd.read_states.end());
  n.dropped_reads.insert(n.dropped_reads.end(), rd.dropped_reads.begin(), rd.dropped_reads.end());
}

void Cluster::Send(const std::vector<Message>& msgs) {
  for (const Message& m : msgs) {
    sent_.push_back(m);
    if (!Dropped(m)) in_flight_.push_back(m);
  }
}

bool Cluster::Dropped(const Message& m) const {
  if (isolated_.count(m.from) || isolated_.count(m.to)) return true;
  if (cuts_.count({m.from, m.to})) return true;
  for (const auto& f : filters_) {
    if (f(m)) return true;
  }
  return false;
}

size_t Cluster::CountSent(const Pred& p) const {
  return std::count_if(sent_.begin(), sent_.end(), p);
}

size_t Cluster::CountInFlight(const Pred& p) const {
  return std::count_if(in_flight_.begin(), in_flight_.end(), p);
}

void Cluster::Isolate(NodeId id) {
  isolated_.insert(id);
}

void Cluster::Heal() {
  isolated_.clear();
  cuts_.clear();
  filters_.clear();
}

int Cluster::Deliver(const Pred& p) {
  std::vector<Message> now;
  std::vector<Message> keep;
  for (auto& m : in_flight_)
    (p == nullptr || p(m) ? now : keep).push_back(std::move(m));
  in_flight_ = std::move(keep);
  for (const Message& m : now)
    StepInto(m);
  return static_cast<int>(now.size());
}

int Cluster::DropInFlight(const Pred& p) {
  const size_t before = in_flight_.size();
  std::erase_if(in_flight_, p);
  return static_cast<int>(before - in_flight_.size());
}

void Cluster::StepInto(const Message& m) {
  auto it = nodes_.find(m.to);
  if (it == nodes_.end()) return;  // nobody there: lost
  const Status s = it->second.raft->Step(m);
  EXPECT_TRUE(s.ok()) << "node " << m.to << " refused " << MessageTypeName(m.type) << ": "
                      << s.ToString();
  CheckLeader(m.to);
}

void Cluster::Stabilize(const Pred& hold) {
  for (int round = 0; round < 10000; round++) {
    bool moved = false;
    for (auto& [id, n] : nodes_)
      moved |= ProcessReady(id);
    if (Deliver(hold == nullptr ? Pred(nullptr) : Not(hold)) > 0) moved = true;
    if (!moved) return;
  }
  ADD_FAILURE() << "cluster never stabilized";
}

void Cluster::Tick(NodeId id, int n) {
  for (int i = 0; i < n; i++) {
    raft(id).Tick();
    CheckLeader(id);
  }
}

void Cluster::TickAll(int n) {
  for (int i = 0; i < n; i++) {
    for (auto& [id, node] : nodes_)
      Tick(id);
    Stabilize();
  }
}

NodeId Cluster::TickUntilLeader(int max_ticks) {
  for (int i = 0; i < max_ticks; i++) {
    if (Leader() != kNoNode) return Leader();
    TickAll();
  }
  return Leader();
}

NodeId Cluster::Leader() const {
  NodeId leader = kNoNode;
  Term term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.raft->role() == Role::kLeader && n.raft->term() >= term) {
      leader = id;
      term = n.raft->term();
    }
  }
  return leader;
}

void Cluster::ForceCampaign(NodeId id) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = id;
  m.from = id == 1 ? 2 : 1;
  m.term = raft(id).term();
  StepInto(m);
}

void Cluster::Elect(NodeId id) {
  ForceCampaign(id);
  Stabilize();
  ASSERT_EQ(raft(id).role(), Role::kLeader) << raft(id).Describe();
}

Status Cluster::CreateSnapshot(NodeId id, Index index, std::string data) {
  TestNode& n = node(id);
  Status s = n.raft->CreateSnapshot(index, std::move(data));
  if (!s.ok()) return s;
  n.storage.snapshot = n.raft->snapshot();
  std::erase_if(n.storage.entries, [&](const Entry& e) { return e.index <= index; });
  return s;
}

void Cluster::Restart(NodeId id) {
  TestNode& n = node(id);
  InitialState init;
  init.hard_state = n.storage.hard_state;
  init.snapshot = n.storage.snapshot;
  init.entries = n.storage.entries;
  init.conf = n.bootstrap;
  init.applied = n.applied_index;
  n.raft = std::make_unique<Raft>(n.config, n.random.get(), std::move(init));
}

std::vector<std::string> Cluster::AppliedData(NodeId id) {
  std::vector<std::string> out;
  for (const Entry& e : node(id).applied) {
    if (e.type == EntryType::kNormal && !e.data.empty()) out.push_back(e.data);
  }
  return out;
}

void Cluster::CheckLeader(NodeId id) {
  const Raft& r = raft(id);
  if (r.role() != Role::kLeader) return;
  auto [it, fresh] = leader_of_term_.emplace(r.term(), id);
  EXPECT_EQ(it->second, id) << "two leaders in term " << r.term();
  if (!fresh) return;
  // Leader completeness: a new leader holds every entry applied anywhere.
  for (const auto& [index, e] : applied_at_) {
    if (index <= r.log().snapshot_index()) continue;
    EXPECT_EQ(r.log().TermAt(index), std::optional<Term>(e.term))
        << "leader " << id << " of term " << r.term() << " lacks applied entry " << index;
  }
}

}  // namespace cairn::raft::test
