// A real process appends to a real WAL on disk and is killed with SIGKILL at a
// random moment, hundreds of times over the same directory. After every kill
// the log must recover, hold every acknowledged entry intact, and return no
// corrupt entry.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "base/random.h"
#include "storage/wal.h"
#include "wal_testing.h"

namespace cairn::storage {
namespace {

using testing::Append;
using testing::MakeEntry;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kKills = 120;
#else
constexpr int kKills = 250;
#endif
constexpr int kGroups = 4;

struct Ack {
  uint64_t group;
  uint64_t first;
  uint64_t last;
  uint64_t term;
};

WalOptions CrashOptions() {
  WalOptions o;
  o.segment_bytes = 128 << 10;
  o.cache_bytes = 16 << 10;
  return o;
}

// Runs in the child: one appender thread per group, acknowledging each
// durable write on the pipe, until killed.
[[noreturn]] void Writer(const std::string& dir, uint64_t term, int ack_fd, uint64_t seed) {
  Result<std::unique_ptr<Wal>> wal = Wal::Open(dir, CrashOptions());
  if (!wal.ok()) {
    std::fprintf(stderr, "child: %s\n", wal.status().ToString().c_str());
    _exit(3);
  }
  std::vector<std::thread> threads;
  for (uint64_t g = 1; g <= kGroups; ++g) {
    threads.emplace_back([&, g] {
      SeededRandom rng(seed * 31 + g);
      Wal& w = **wal;
      for (uint64_t n = 0;; ++n) {
        auto st = w.Group(g);
        raft::Index next = st ? st->last_index + 1 : 1;
        GroupWrite write = Append(g, next, next + rng.Uniform(8), term);
        write.hard_state = raft::HardState{term, g, next - 1};
        if (n == 0 && next > 1) {
          // Everything recovered is covered by a snapshot from here on, so
          // every segment of earlier runs can go (however much they wrote).
          write.snapshot = raft::SnapshotMeta{next - 1, *w.Term(g, next - 1), {}};
        } else if (n % 16 == 15 && next > 40) {
          raft::Index at = next - 1 - rng.Uniform(30);
          if (auto t = w.Term(g, at); t && at >= st->first_index) {
            write.snapshot = raft::SnapshotMeta{at, *t, {}};
          }
        }
        raft::Index last = write.entries.back().index;
        Status s = w.Write({std::move(write)});
        if (!s.ok()) {
          std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
          _exit(4);
        }
        Ack ack{g, next, last, term};
        if (::write(ack_fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(5);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  _exit(0);
}

TEST(WalCrashTest, SigkillAtRandomMomentsLosesNothingAcknowledged) {
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/wal";
  SeededRandom rng(20261127);
  std::map<uint64_t, std::map<uint64_t, uint64_t>> acked;  // group -> index -> term
  uint64_t total_acks = 0, repairs = 0;
  for (int kill = 1; kill <= kKills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      Writer(dir, static_cast<uint64_t>(kill), fds[1], rng.Next());
    }
    ::close(fds[1]);
    // Let it write for a random while, sometimes killing it mid-recovery.
    std::this_thread::sleep_for(std::chrono::microseconds(rng.Uniform(30000)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "writer exited on its own with status " << WEXITSTATUS(status);
    Ack ack;
    while (::read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
      for (raft::Index i = ack.first; i <= ack.last; ++i)
        acked[ack.group][i] = ack.term;
      ++total_acks;
    }
    ::close(fds[0]);

    Result<std::unique_ptr<Wal>> wal = Wal::Open(dir, CrashOptions());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    if (!(*wal)->recovery_note().empty()) ++repairs;
    for (const auto& [group, entries] : acked) {
      auto st = (*wal)->Group(group);
      ASSERT_TRUE(st.has_value()) << "group " << group << " lost";
      ASSERT_GE(st->last_index, entries.rbegin()->first) << "acknowledged entries lost";
      Result<std::vector<raft::Entry>> got =
          (*wal)->Entries(group, st->first_index, st->last_index + 1);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      for (const raft::Entry& e : *got) {
        ASSERT_EQ(e, MakeEntry(group, e.index, e.term)) << "corrupt entry returned";
        auto a = entries.find(e.index);
        if (a != entries.end()) {
          ASSERT_EQ(e.term, a->second) << "acknowledged entry changed";
        }
      }
    }
  }
  size_t segments = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    segments += f.path().extension() == ".wal";
  std::printf(
      "kills: %d, acknowledged writes: %llu, recoveries that cut a torn tail: %llu, "
      "segments left: %zu\n",
      kKills, static_cast<unsigned long long>(total_acks), static_cast<unsigned long long>(repairs),
      segments);
  EXPECT_GT(total_acks, static_cast<uint64_t>(kKills));  // the writer really wrote
  // Each run compacts everything before it, so only the last run's
  // segments (128 KiB each) and the one before its first write remain.
  EXPECT_LT(segments, 12u);
}

}  // namespace
}  // namespace cairn::storage
