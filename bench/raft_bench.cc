// The Raft core alone: a 3-node cluster in memory, messages delivered
// instantly, persistence free. Measures what the core costs per committed
// entry and how batching amortises it.
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

#include "base/random.h"
#include "consensus/raft/raft.h"

namespace cairn::raft {
namespace {

class Cluster {
 public:
  explicit Cluster(int n) {
    ConfState conf;
    for (int i = 1; i <= n; i++)
      conf.voters.push_back(i);
    for (int i = 1; i <= n; i++) {
      Config c;
      c.id = i;
      c.max_inflight_msgs = 256;
      // Only node 1 may campaign first: the others wait much longer.
      c.election_ticks = i == 1 ? 10 : 1000;
      randoms_.push_back(std::make_unique<SeededRandom>(i));
      InitialState st;
      st.conf = conf;
      nodes_.push_back(std::make_unique<Raft>(c, randoms_.back().get(), st));
    }
    // Every node ticks (a fresh node ignores vote requests for its first
    // election timeout), node 1 first so that it wins.
    while (nodes_[0]->role() != Role::kLeader) {
      for (auto& node : nodes_)
        node->Tick();
      Pump();
    }
  }

  Raft& leader() { return *nodes_[0]; }
  uint64_t applied() const { return applied_; }

  // Runs every node's Ready loop and delivers messages until quiet.
  void Pump() {
    bool progress = true;
    while (progress) {
      progress = false;
      for (auto& n : nodes_) {
        while (n->HasReady()) {
          progress = true;
          Ready rd = n->GetReady();
          for (auto& m : rd.messages)
            queue_.push_back(std::move(m));
          for (auto& m : rd.persisted_messages)
            queue_.push_back(std::move(m));
          if (n.get() == nodes_[0].get()) applied_ += rd.committed_entries.size();
          n->Advance();
        }
      }
      while (!queue_.empty()) {
        progress = true;
        Message m = std::move(queue_.front());
        queue_.pop_front();
        (void)nodes_[m.to - 1]->Step(m);
      }
    }
  }

 private:
  std::vector<std::unique_ptr<SeededRandom>> randoms_;
  std::vector<std::unique_ptr<Raft>> nodes_;
  std::deque<Message> queue_;
  uint64_t applied_ = 0;
};

void BM_CommitThroughput(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  Cluster cluster(3);
  const std::string payload(100, 'x');
  uint64_t start = cluster.applied();
  uint64_t compacted = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; i++)
      (void)cluster.leader().Propose(payload);
    cluster.Pump();
    // Keep memory flat: compact as a node would after snapshotting.
    const Index applied = cluster.leader().applied();
    if (applied - compacted > 100'000) {
      (void)cluster.leader().CreateSnapshot(applied, "");
      compacted = applied;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(cluster.applied() - start));
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(cluster.applied() - start),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(16)->Arg(256);

}  // namespace
}  // namespace cairn::raft
