// Power loss at random moments while many writes are in flight. After each
// loss the recovered log must be exactly what the acknowledged writes made it,
// plus at most a prefix of the records that were in flight: nothing
// acknowledged is lost, nothing is reordered, and no record comes back
// corrupted.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "base/random.h"
#include "mem_fs.h"
#include "storage/wal.h"
#include "wal_testing.h"

namespace cairn::storage {
namespace {

using testing::MakeEntry;
using testing::MemFs;

constexpr char kDir[] = "/wal";
constexpr int kSeeds = 150;
constexpr int kRoundsPerSeed = 6;

// A deliberately simple model of what the WAL must report for one group.
struct ModelGroup {
  raft::Index snap_index = 0;
  raft::Term snap_term = 0;
  std::vector<raft::Term> terms;  // terms[i]: term of entry snap_index + 1 + i
  raft::HardState hs;

  raft::Index last() const { return snap_index + terms.size(); }
  std::optional<raft::Term> TermAt(raft::Index i) const {
    if (i == snap_index) return snap_term;
    if (i <= snap_index || i > last()) return std::nullopt;
    return terms[i - snap_index - 1];
  }
  bool operator==(const ModelGroup&) const = default;
};
using Model = std::map<uint64_t, ModelGroup>;

// One record's effect, in the order the WAL writes them.
struct Step {
  uint64_t group;
  std::optional<raft::SnapshotMeta> snapshot;
  std::optional<raft::Entry> entry;
  std::optional<raft::HardState> hs;
};

void Apply(Model& m, const Step& s) {
  ModelGroup& g = m[s.group];
  if (s.snapshot) {
    const raft::SnapshotMeta& meta = *s.snapshot;
    if (meta.index <= g.snap_index) return;
    if (g.TermAt(meta.index) == meta.term) {
      g.terms.erase(g.terms.begin(),
                    g.terms.begin() + static_cast<long>(meta.index - g.snap_index));
    } else {
      g.terms.clear();
    }
    g.snap_index = meta.index;
    g.snap_term = meta.term;
  } else if (s.entry) {
    if (s.entry->index <= g.snap_index) return;
    g.terms.resize(s.entry->index - g.snap_index - 1);
    g.terms.push_back(s.entry->term);
  } else {
    g.hs = *s.hs;
  }
}

std::vector<Step> StepsOf(const std::vector<GroupWrite>& writes) {
  std::vector<Step> out;
  for (const GroupWrite& w : writes) {
    if (w.snapshot) out.push_back({w.group, w.snapshot, {}, {}});
    for (const raft::Entry& e : w.entries)
      out.push_back({w.group, {}, e, {}});
    if (w.hard_state) out.push_back({w.group, {}, {}, w.hard_state});
  }
  return out;
}

// A random Ready-like write against the log as the writer believes it is.
std::vector<GroupWrite> RandomWrites(Random& rng, Model& believed) {
  std::vector<GroupWrite> out;
  int groups = 1 + static_cast<int>(rng.Uniform(2));
  for (int k = 0; k < groups; ++k) {
    uint64_t group = 1 + rng.Uniform(3);
    ModelGroup& g = believed[group];
    raft::Term term = std::max<raft::Term>(1, g.hs.term);
    GroupWrite w;
    w.group = group;
    uint64_t dice = rng.Uniform(100);
    if (dice < 10 && g.last() > g.snap_index) {
      raft::Index at = rng.Between(g.snap_index + 1, g.last());
      w.snapshot = raft::SnapshotMeta{at, *g.TermAt(at), {}};
    } else if (dice < 18 && g.last() > g.snap_index + 1) {
      // A new leader overwrites an uncommitted suffix.
      raft::Index from = rng.Between(g.snap_index + 1, g.last());
      term += 1;
      for (raft::Index i = from; i < from + 1 + rng.Uniform(4); ++i) {
        w.entries.push_back(MakeEntry(group, i, term));
      }
    } else {
      raft::Index from = g.last() + 1;
      for (raft::Index i = from; i < from + 1 + rng.Uniform(8); ++i) {
        w.entries.push_back(MakeEntry(group, i, term));
      }
    }
    if (rng.Chance(0.3) || !w.entries.empty()) {
      w.hard_state = raft::HardState{term, 1 + rng.Uniform(3), g.snap_index};
    }
    for (const Step& s : StepsOf({w}))
      Apply(believed, s);
    out.push_back(std::move(w));
  }
  return out;
}

// What the WAL reports, in the model's terms; entries are checked for
// integrity on the way.
Model Observe(const Wal& wal, std::string* error) {
  Model m;
  for (const auto& [group, st] : wal.Groups()) {
    ModelGroup& g = m[group];
    g.snap_index = st.snapshot.index;
    g.snap_term = st.snapshot.term;
    g.hs = st.hard_state;
    if (st.last_index >= st.first_index) {
      Result<std::vector<raft::Entry>> entries =
          wal.Entries(group, st.first_index, st.last_index + 1);
      if (!entries.ok()) {
        *error = entries.status().ToString();
        return m;
      }
      for (const raft::Entry& e : *entries) {
        if (e != MakeEntry(group, e.index, e.term)) *error = "corrupt entry returned";
        g.terms.push_back(e.term);
      }
    }
  }
  // Groups the WAL has never heard of look like empty ones.
  return m;
}

bool SameState(Model a, Model b) {
  for (auto* m : {&a, &b}) {
    for (auto it = m->begin(); it != m->end();) {
      it = it->second == ModelGroup{} ? m->erase(it) : std::next(it);
    }
  }
  return a == b;
}

TEST(WalPowerLossTest, AcknowledgedWritesSurviveAndNothingElseAppearsOutOfOrder) {
  uint64_t crashes = 0, acked_total = 0, torn_repairs = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: --gtest_filter=*PowerLoss*)");
    SeededRandom rng(seed);
    MemFs fs(seed * 7919);
    WalOptions options;
    options.segment_bytes = 2048 + rng.Uniform(6000);
    options.cache_bytes = rng.Uniform(4096);
    Model durable;  // acknowledged state
    for (int round = 0; round < kRoundsPerSeed; ++round) {
      std::unique_ptr<FileSystem> process = fs.NewProcess();
      Result<std::unique_ptr<Wal>> opened = Wal::Open(kDir, options, process.get());
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      std::unique_ptr<Wal> wal = std::move(*opened);
      std::string error;
      Model recovered = Observe(*wal, &error);
      ASSERT_EQ(error, "");
      // The recovered state is `durable` plus some prefix of the in-flight
      // records (checked at the end of the previous round); carry it on.
      durable = recovered;
      Model believed = recovered;

      std::vector<std::vector<Step>> submitted;
      std::mutex mu;
      std::vector<size_t> acked;
      int n = 1 + static_cast<int>(rng.Uniform(40));
      // Half the rounds lose power right after a write reached the page
      // cache (torn tails); the others at an arbitrary moment.
      bool after_write = rng.Chance(0.5);
      int crash_after = after_write ? -1 : static_cast<int>(rng.Uniform(n + 1));
      if (after_write) fs.PowerLossAfterWrites(1 + rng.Uniform(2 * n));
      for (int i = 0; i < n; ++i) {
        if (i == crash_after) fs.PowerLoss();
        std::vector<GroupWrite> writes = RandomWrites(rng, believed);
        submitted.push_back(StepsOf(writes));
        size_t id = submitted.size() - 1;
        wal->Submit(std::move(writes), [&, id](Status s) {
          if (!s.ok()) return;
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(id);
        });
        if (rng.Chance(0.2)) std::this_thread::yield();
      }
      if (crash_after == n || after_write) fs.PowerLoss();  // if it has not happened yet
      wal.reset();  // the old process is gone; its thread saw only errors
      ++crashes;

      // Acknowledgements come in submission order.
      for (size_t i = 0; i < acked.size(); ++i)
        ASSERT_EQ(acked[i], i);
      acked_total += acked.size();
      Model after_acked = durable;
      std::vector<Step> in_flight;
      for (size_t i = 0; i < submitted.size(); ++i) {
        for (const Step& s : submitted[i]) {
          if (i < acked.size()) {
            Apply(after_acked, s);
          } else {
            in_flight.push_back(s);
          }
        }
      }
      std::unique_ptr<FileSystem> checker = fs.NewProcess();
      opened = Wal::Open(kDir, options, checker.get());
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      if (!(*opened)->recovery_note().empty()) ++torn_repairs;
      Model now = Observe(**opened, &error);
      ASSERT_EQ(error, "");
      opened->reset();
      Model candidate = after_acked;
      bool matched = SameState(candidate, now);
      for (size_t k = 0; k < in_flight.size() && !matched; ++k) {
        Apply(candidate, in_flight[k]);
        matched = SameState(candidate, now);
      }
      ASSERT_TRUE(matched) << "recovered log is not the acknowledged log plus a prefix of the "
                              "in-flight records (round "
                           << round << ", " << acked.size() << " of " << submitted.size()
                           << " writes acknowledged)";
      durable = now;
    }
  }
  std::printf(
      "power losses: %llu, writes acknowledged: %llu, recoveries that cut a torn tail: %llu\n",
      static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(acked_total),
      static_cast<unsigned long long>(torn_repairs));
  EXPECT_GT(torn_repairs, 0u);  // the test must actually produce torn tails
}

}  // namespace
}  // namespace cairn::storage
