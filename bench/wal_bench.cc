// Group commit, measured against the plain loops it must beat, on the same
// disk in the same run:
//
//   plain-1      write one 256-byte record, fdatasync, repeat
//   wal-N        N threads, each appending one 256-byte entry and waiting
//                until it is durable, repeat (N = 1, 16, 128)
//   plain-batch  write as many records as the WAL put in one batch at
//                N = 128 (its measured average), fdatasync, repeat
//
// Targets: wal-128 >= 20x plain-1, and wal-128 >= 80% of plain-batch.
// Usage: cairn-bench-wal [--dir DIR] [--seconds S]
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "storage/wal.h"
#include "storage/wal_record.h"

namespace cairn::storage {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kRecordBytes = 256;

struct Result {
  double records_per_sec;
  double mb_per_sec;
  double records_per_sync;
};

// Writes `per_sync` records of 256 bytes (framed as the WAL frames them) and
// fdatasyncs, for `seconds`, into a preallocated file as the WAL does.
Result PlainLoop(const std::string& dir, double per_sync, double seconds) {
  std::string path = dir + "/plain.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const uint64_t size = 1ull << 30;
  if (fd < 0 || ::posix_fallocate(fd, 0, size) != 0) {
    std::perror("plain loop");
    std::exit(1);
  }
  std::string record;
  AppendRecord(&record, RecordType::kEntry, 1, 1, std::string(kRecordBytes, 'x'));
  uint64_t offset = 0, records = 0, syncs = 0;
  double carry = 0;
  std::string buf;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    carry += per_sync;
    size_t n = static_cast<size_t>(carry);
    carry -= n;
    buf.clear();
    for (size_t i = 0; i < n; ++i)
      buf += record;
    if (offset + buf.size() > size) offset = 0;
    if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset)) !=
            static_cast<ssize_t>(buf.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("plain loop");
      std::exit(1);
    }
    offset += buf.size();
    records += n;
    ++syncs;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return {records / elapsed, records * record.size() / elapsed / 1e6,
          static_cast<double>(records) / syncs};
}

Result WalAppenders(const std::string& dir, int appenders, double seconds) {
  std::filesystem::remove_all(dir + "/wal");
  auto wal = Wal::Open(dir + "/wal");
  if (!wal.ok()) {
    std::fprintf(stderr, "%s\n", wal.status().ToString().c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> records{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t group = t + 1;
      for (raft::Index i = 1; !stop.load(std::memory_order_relaxed); ++i) {
        GroupWrite w;
        w.group = group;
        w.entries.push_back(
            raft::Entry{1, i, raft::EntryType::kNormal, std::string(kRecordBytes, 'x')});
        if (!(*wal)->Write({std::move(w)}).ok()) std::exit(1);
        records.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads)
    t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  WalStats st = (*wal)->stats();
  wal->reset();
  std::filesystem::remove_all(dir + "/wal");
  return {records / elapsed, st.bytes / elapsed / 1e6,
          static_cast<double>(st.records) / std::max<uint64_t>(1, st.syncs)};
}

// N logical appenders, each with one append in flight at a time, driven by
// completion callbacks rather than by a blocked thread each: the way a node's
// consensus loop uses the WAL for many groups.
Result WalAsyncAppenders(const std::string& dir, int appenders, double seconds) {
  std::filesystem::remove_all(dir + "/wal");
  auto wal = Wal::Open(dir + "/wal");
  if (!wal.ok()) std::exit(1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> records{0};
  std::atomic<int> running{appenders};
  std::vector<raft::Index> next(appenders, 1);
  std::function<void(int)> append = [&](int t) {
    GroupWrite w;
    w.group = t + 1;
    w.entries.push_back(
        raft::Entry{1, next[t]++, raft::EntryType::kNormal, std::string(kRecordBytes, 'x')});
    (*wal)->Submit({std::move(w)}, [&, t](Status s) {
      if (!s.ok()) std::exit(1);
      records.fetch_add(1, std::memory_order_relaxed);
      if (stop.load(std::memory_order_relaxed)) {
        running.fetch_sub(1);
      } else {
        append(t);
      }
    });
  };
  auto start = Clock::now();
  for (int t = 0; t < appenders; ++t)
    append(t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  while (running.load() > 0)
    std::this_thread::yield();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  WalStats st = (*wal)->stats();
  wal->reset();
  std::filesystem::remove_all(dir + "/wal");
  return {records / elapsed, st.bytes / elapsed / 1e6,
          static_cast<double>(st.records) / std::max<uint64_t>(1, st.syncs)};
}

void Row(const char* name, const Result& r) {
  std::printf("| %-26s | %12.0f | %8.2f | %8.1f |\n", name, r.records_per_sec, r.mb_per_sec,
              r.records_per_sync);
}

}  // namespace
}  // namespace cairn::storage

int main(int argc, char** argv) {
  using namespace cairn::storage;
  std::string dir = "build/bench-wal";
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
  }
  std::filesystem::create_directories(dir);
  std::printf("WAL group commit, 256-byte records, %.0f s per case, in %s\n\n", seconds,
              dir.c_str());
  std::printf("| case                       |    records/s |     MB/s | recs/sync |\n");
  std::printf("| --- | ---: | ---: | ---: |\n");
  Result plain1 = PlainLoop(dir, 1, seconds);
  Row("plain write+fdatasync, 1", plain1);
  Result w1 = WalAppenders(dir, 1, seconds);
  Row("wal, 1 appender", w1);
  Result w16 = WalAppenders(dir, 16, seconds);
  Row("wal, 16 appenders", w16);
  Result w128 = WalAppenders(dir, 128, seconds);
  Row("wal, 128 appenders", w128);
  Result batch = PlainLoop(dir, w128.records_per_sync, seconds);
  Row("plain loop, same batches", batch);
  Result a16 = WalAsyncAppenders(dir, 16, seconds);
  Row("wal, 16 async appenders", a16);
  Result a128 = WalAsyncAppenders(dir, 128, seconds);
  Row("wal, 128 async appenders", a128);
  Result abatch = PlainLoop(dir, a128.records_per_sync, seconds);
  Row("plain loop, same batches", abatch);
  std::printf("\nfdatasync latency (plain-1): %.3f ms\n", 1000.0 / plain1.records_per_sec);
  std::printf(
      "threads: wal-128 / plain-1 %.1fx (target >= 20x), / plain same batches %.0f%% "
      "(target >= 80%%)\n",
      w128.records_per_sec / plain1.records_per_sec,
      100.0 * w128.records_per_sec / batch.records_per_sec);
  std::printf(
      "async:   wal-128 / plain-1 %.1fx (target >= 20x), / plain same batches %.0f%% "
      "(target >= 80%%)\n",
      a128.records_per_sec / plain1.records_per_sec,
      100.0 * a128.records_per_sec / abatch.records_per_sec);
  return 0;
}
