// Crash safety of the state machine: a child process applies a
// deterministic stream of entries and reports each committed applied index
// through a pipe; the parent SIGKILLs it at a random moment, reopens the
// store, and checks that it equals a fresh store that applied exactly
// entries 1..A, where A is the applied index the killed store recovered
// (and A is at least every index the child reported as committed).
//
// The child is this same binary, exec'd with --mvcc-crash-child: a clean
// process, rather than a fork of one whose RocksDB threads would not exist
// in the copy.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "kv_test_util.h"
#include "mvcc_op_gen.h"

namespace cairn::kv::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int kIterations = 80;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kIterations = 80;
#else
constexpr int kIterations = 200;
#endif
#else
constexpr int kIterations = 200;
#endif
constexpr uint64_t kMaxEntries = 1000;

// Entry i of a seed: the same request, index, term and revision every time.
class EntryStream {
 public:
  explicit EntryStream(uint64_t seed) : gen_(seed), steps_(seed ^ 0x9e3779b97f4a7c15ull) {}
  LogEntry Next(cairnpb::RaftRequest* storage) {
    ++index_;
    revision_ += static_cast<int64_t>(steps_.Between(1, 3));
    if (steps_.Chance(0.01)) ++term_;
    *storage = gen_.Next(revision_);
    return LogEntry{index_, term_, revision_, storage};
  }

 private:
  OpGenerator gen_;
  SeededRandom steps_;
  uint64_t index_ = 0;
  uint64_t term_ = 1;
  int64_t revision_ = 0;
};

// Applies up to `count` entries in batches of random sizes (the batching
// does not change the state, only where a crash can fall).
Status ApplyStream(MvccStore* store, uint64_t seed, uint64_t count, int report_fd) {
  EntryStream stream(seed);
  SeededRandom batching(seed + 1);
  std::vector<cairnpb::RaftRequest> reqs(64);
  std::vector<LogEntry> batch;
  for (uint64_t done = 0; done < count;) {
    const uint64_t n = std::min<uint64_t>(batching.Between(1, 16), count - done);
    batch.clear();
    for (uint64_t i = 0; i < n; ++i)
      batch.push_back(stream.Next(&reqs[i]));
    auto r = store->ApplyBatch(batch);
    if (!r.ok()) return r.status();
    done += n;
    if (report_fd >= 0) {
      const uint64_t applied = store->applied_index();
      if (::write(report_fd, &applied, sizeof(applied)) != sizeof(applied)) {
        return Status(Code::kInternal, "report pipe");
      }
    }
  }
  return Status::Ok();
}

[[noreturn]] void RunChild(const std::string& dir, uint64_t seed, int fd) {
  auto store = MvccStore::Open(dir);
  if (!store.ok()) _exit(3);
  if (!ApplyStream(store->get(), seed, kMaxEntries, fd).ok()) _exit(4);
  _exit(0);
}

// Reads 8-byte progress reports until one reaches `target` (or EOF);
// returns the last one seen.
uint64_t ReadProgress(int fd, uint64_t target, bool until_eof) {
  uint64_t last = 0;
  char buf[8];
  size_t have = 0;
  for (;;) {
    const ssize_t r = ::read(fd, buf + have, sizeof(buf) - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return last;
    have += static_cast<size_t>(r);
    if (have == sizeof(buf)) {
      std::memcpy(&last, buf, sizeof(last));
      have = 0;
      if (!until_eof && last >= target) return last;
    }
  }
}

TEST(MvccCrash, KilledStoreEqualsReplayOfItsAppliedEntries) {
  TempDir dir;
  SeededRandom rng(20261127);
  const auto start = std::chrono::steady_clock::now();
  int reached_end = 0;
  uint64_t total_applied = 0;
  for (int iter = 0; iter < kIterations; ++iter) {
    const uint64_t seed = 1000 + static_cast<uint64_t>(iter);
    SCOPED_TRACE("iteration " + std::to_string(iter) + ", stream seed " + std::to_string(seed));
    const std::string store_dir = dir.Sub("crash" + std::to_string(iter));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      const std::string seed_arg = std::to_string(seed);
      const std::string fd_arg = std::to_string(fds[1]);
      const char* args[] = {"mvcc_crash_test", "--mvcc-crash-child", store_dir.c_str(),
                            seed_arg.c_str(),  fd_arg.c_str(),       nullptr};
      ::execv("/proc/self/exe", const_cast<char* const*>(args));
      _exit(127);
    }
    ::close(fds[1]);
    const uint64_t target = rng.Uniform(kMaxEntries);
    uint64_t acked = ReadProgress(fds[0], target, false);
    ::usleep(static_cast<useconds_t>(rng.Uniform(3000)));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    acked = std::max(acked, ReadProgress(fds[0], 0, true));
    ::close(fds[0]);
    if (WIFEXITED(wstatus)) {
      ASSERT_EQ(WEXITSTATUS(wstatus), 0) << "child failed";
      ++reached_end;
    }

    uint64_t applied = 0;
    uint32_t digest = 0;
    int64_t revision = 0;
    {
      auto store = MvccStore::Open(store_dir);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      applied = (*store)->applied_index();
      digest = *(*store)->Digest();
      revision = (*store)->current_revision();
    }
    // Everything the child saw committed survived; nothing beyond the stream.
    ASSERT_GE(applied, acked);
    ASSERT_LE(applied, kMaxEntries);
    total_applied += applied;

    const std::string replay_dir = dir.Sub("replay" + std::to_string(iter));
    {
      auto replay = MvccStore::Open(replay_dir);
      ASSERT_TRUE(replay.ok());
      ASSERT_TRUE(ApplyStream(replay->get(), seed, applied, -1).ok());
      ASSERT_EQ((*replay)->applied_index(), applied);
      EXPECT_EQ((*replay)->current_revision(), revision);
      ASSERT_EQ(*(*replay)->Digest(), digest) << "state after the kill differs from the replay";
    }
    std::filesystem::remove_all(store_dir);
    std::filesystem::remove_all(replay_dir);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%d kills in %.1f s, %d children finished first, %.0f entries applied on average\n",
              kIterations, secs, reached_end, static_cast<double>(total_applied) / kIterations);
}

}  // namespace
}  // namespace cairn::kv::testing

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--mvcc-crash-child") == 0) {
    cairn::kv::testing::RunChild(argv[2], std::strtoull(argv[3], nullptr, 10), std::atoi(argv[4]));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
