#include "storage/wal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "base/logging.h"
#include "mem_fs.h"
#include "storage/log_index.h"
#include "storage/wal_record.h"
#include "storage/wal_recovery.h"
#include "wal_testing.h"

namespace cairn::storage {
namespace {

using testing::Append;
using testing::MakeEntry;
using testing::MemFs;

constexpr char kDir[] = "/wal";

WalOptions Small() {
  WalOptions o;
  o.segment_bytes = 8 << 10;
  o.cache_bytes = 4 << 10;
  o.no_space_retry_ms = 5;
  return o;
}

std::unique_ptr<Wal> MustOpen(MemFs& fs, WalOptions options = Small()) {
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, options, &fs);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  return wal.ok() ? std::move(*wal) : nullptr;
}

void ExpectEntries(const Wal& wal, uint64_t group, raft::Index lo, raft::Index hi,
                   raft::Term term) {
  Result<std::vector<raft::Entry>> got = wal.Entries(group, lo, hi + 1);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), hi - lo + 1);
  for (raft::Index i = lo; i <= hi; ++i)
    EXPECT_EQ((*got)[i - lo], MakeEntry(group, i, term));
}

std::string Segment(uint64_t seq) {
  return std::string(kDir) + "/" + SegmentFileName(seq);
}

// Record boundaries of a segment, found by parsing it.
std::vector<size_t> RecordStarts(const std::string& seg) {
  std::vector<size_t> starts;
  for (size_t off = 0;;) {
    RecordView rec;
    if (DecodeRecord(Slice(seg.data() + off, seg.size() - off), &rec) != DecodeOutcome::kRecord) {
      return starts;
    }
    starts.push_back(off);
    off += rec.encoded_size;
  }
}

TEST(WalTest, EntriesAndHardStateSurviveRestartForEveryGroup) {
  MemFs fs(1);
  {
    auto wal = MustOpen(fs);
    GroupWrite a = Append(1, 1, 50, 1);
    a.hard_state = raft::HardState{1, 3, 40};
    GroupWrite b = Append(2, 1, 20, 2);
    ASSERT_TRUE(wal->Write({a, b}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 51, 60, 1)}).ok());
  }
  auto wal = MustOpen(fs);
  auto groups = wal->Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].last_index, 60u);
  EXPECT_EQ(groups[1].hard_state, (raft::HardState{1, 3, 40}));
  EXPECT_EQ(groups[2].last_index, 20u);
  ExpectEntries(*wal, 1, 1, 60, 1);
  ExpectEntries(*wal, 2, 1, 20, 2);
  EXPECT_EQ(wal->Term(1, 60), 1u);
  EXPECT_FALSE(wal->Term(1, 61).has_value());
}

class CaptureLog : public LogSink {
 public:
  void Write(LogLevel, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

TEST(WalTest, ASyncSlowerThanTheThresholdIsLoggedAsSlow) {
  auto log = std::make_shared<CaptureLog>();
  SetLogSink(log);
  MemFs fs(1);
  {
    WalOptions quick = Small();  // the default, 1 s: a memory "disk" never takes that long
    auto wal = MustOpen(fs, quick);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
  }
  auto slow_lines = [&](size_t from) {
    std::vector<std::string> out;
    for (size_t i = from; i < log->lines.size(); ++i) {
      if (log->lines[i].find("wal: slow fdatasync") != std::string::npos)
        out.push_back(log->lines[i]);
    }
    return out;
  };
  EXPECT_TRUE(slow_lines(0).empty()) << "nothing is slow under the 1 s default";
  const size_t before = log->lines.size();
  {
    WalOptions strict = Small();
    strict.slow_sync = std::chrono::milliseconds(0);
    auto wal = MustOpen(fs, strict);
    ASSERT_TRUE(wal->Write({Append(1, 6, 8, 1)}).ok());
  }
  SetLogSink(nullptr);
  std::vector<std::string> slow = slow_lines(before);
  ASSERT_FALSE(slow.empty());
  EXPECT_NE(slow.back().find("for 3 record(s)"), std::string::npos) << slow.back();
  EXPECT_NE(slow.back().find("expected under 0 ms"), std::string::npos) << slow.back();
}

// Found by WalPowerLossTest (which failed now and then, depending on how
// batches fell into segments): with the oldest segments deleted, replay
// met the first kept entry after a gap and ignored a later rewrite from
// below it, so entries the rewrite had cut came back. One batch per
// segment makes the layout exact.
TEST(WalTest, ARewriteFromBelowTheFirstKeptEntrySurvivesDeletionOfCoveredSegments) {
  MemFs fs(21);
  WalOptions o = Small();
  o.segment_bytes = 1;
  const raft::SnapshotMeta snap{17, 3, {}};
  {
    auto wal = MustOpen(fs, o);
    ASSERT_TRUE(wal->Write({Append(1, 1, 17, 1)}).ok());   // deleted below
    ASSERT_TRUE(wal->Write({Append(1, 18, 19, 1)}).ok());  // the oldest kept (max 19)
    ASSERT_TRUE(wal->Write({Append(1, 16, 21, 2)}).ok());  // a rewrite from below 18
    ASSERT_TRUE(wal->Write({Append(1, 11, 17, 3)}).ok());  // another: the log ends at 17
    GroupWrite compact;
    compact.group = 1;
    compact.snapshot = snap;
    ASSERT_TRUE(wal->Write({compact}).ok());
    ASSERT_FALSE(fs.Exists(Segment(1)));
    ASSERT_TRUE(fs.Exists(Segment(2)));
    ASSERT_EQ(wal->Group(1)->last_index, 17u);
  }
  auto wal = MustOpen(fs, o);
  auto g = wal->Group(1);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->snapshot, snap);
  EXPECT_EQ(g->first_index, 18u);
  EXPECT_EQ(g->last_index, 17u) << "entries 18..21 of term 2 came back";
}

TEST(GroupLogTest, ARewriteFromInsideAHoleDropsWhatFollowedIt) {
  GroupLog log;
  auto at = [](raft::Term term) { return EntryLocation{1, 0, 0, term}; };
  ASSERT_TRUE(log.AppendEntry(18, at(5), true).ok());  // a hole: placeholder 17
  ASSERT_TRUE(log.AppendEntry(19, at(5), true).ok());
  ASSERT_TRUE(log.AppendEntry(16, at(6), true).ok());  // a rewrite from inside it
  ASSERT_TRUE(log.AppendEntry(17, at(6), true).ok());
  log.ApplySnapshot(raft::SnapshotMeta{17, 6, {}});
  EXPECT_FALSE(log.hole_pending);
  EXPECT_EQ(log.last_index(), 17u) << "18/5 and 19/5 came back";
}

TEST(WalTest, ConcurrentSubmissionsShareOneFsync) {
  MemFs fs(2);
  auto wal = MustOpen(fs);
  // Hold the first batch's fsync until every other submission has queued up
  // behind it: they must then all go out in one more batch.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  fs.SetBeforeSync([&] {
    if (first.exchange(false)) released.wait();
  });
  std::promise<Status> first_done;
  wal->Submit({Append(1, 1, 1, 1)}, [&](Status s) { first_done.set_value(s); });
  while (first.load())
    std::this_thread::yield();  // the WAL thread is now in fsync
  constexpr int kWriters = 32;
  std::vector<std::promise<Status>> done(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    wal->Submit({Append(100 + i, 1, 3, 1)}, [&done, i](Status s) { done[i].set_value(s); });
  }
  uint64_t syncs_before = fs.syncs();
  release.set_value();
  EXPECT_TRUE(first_done.get_future().get().ok());
  for (auto& d : done)
    EXPECT_TRUE(d.get_future().get().ok());
  EXPECT_EQ(fs.syncs() - syncs_before, 2u);  // the held one and one for all 32
  EXPECT_EQ(wal->stats().batches, 2u);
  EXPECT_EQ(wal->stats().max_batch_records, kWriters * 3u);
}

TEST(WalTest, CallbacksRunInSubmissionOrder) {
  MemFs fs(3);
  auto wal = MustOpen(fs);
  std::mutex mu;
  std::vector<int> order;
  constexpr int kN = 200;
  std::promise<void> all;
  for (int i = 0; i < kN; ++i) {
    wal->Submit({Append(1, i + 1, i + 1, 1)}, [&, i](Status s) {
      EXPECT_TRUE(s.ok());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      if (order.size() == kN) all.set_value();
    });
  }
  all.get_future().wait();
  for (int i = 0; i < kN; ++i)
    EXPECT_EQ(order[i], i);
}

// With callbacks_on_wal_thread, callbacks still run in submission order,
// on the thread that synced them, after their sync.
TEST(WalTest, CallbacksOnTheWalThreadRunInOrderAfterTheSync) {
  MemFs fs(3);
  WalOptions options = Small();
  options.callbacks_on_wal_thread = true;
  auto wal = MustOpen(fs, options);
  std::mutex mu;
  std::set<std::thread::id> syncing;  // the threads that synced: the WAL thread
  fs.SetBeforeSync([&] {
    std::lock_guard<std::mutex> lock(mu);
    syncing.insert(std::this_thread::get_id());
  });
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::vector<uint64_t> syncs_seen;
  constexpr int kN = 200;
  std::promise<void> all;
  for (int i = 0; i < kN; ++i) {
    wal->Submit({Append(1, i + 1, i + 1, 1)}, [&, i](Status s) {
      EXPECT_TRUE(s.ok());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      threads.insert(std::this_thread::get_id());
      syncs_seen.push_back(fs.syncs());
      if (order.size() == kN) all.set_value();
    });
  }
  all.get_future().wait();
  for (int i = 0; i < kN; ++i)
    EXPECT_EQ(order[i], i);
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads, syncing);
  for (uint64_t syncs : syncs_seen)
    EXPECT_GE(syncs, 1u);
  ExpectEntries(*wal, 1, 1, kN, 1);
}

TEST(WalTest, ConflictingAppendReplacesTheSuffixAcrossRestart) {
  MemFs fs(4);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 10, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 7, 2)}).ok());
    EXPECT_EQ(wal->Group(1)->last_index, 7u);
    ExpectEntries(*wal, 1, 6, 7, 2);
  }
  auto wal = MustOpen(fs);
  EXPECT_EQ(wal->Group(1)->last_index, 7u);
  ExpectEntries(*wal, 1, 1, 5, 1);
  ExpectEntries(*wal, 1, 6, 7, 2);
}

TEST(WalTest, AGapIsRefusedAndWritesNothing) {
  MemFs fs(5);
  auto wal = MustOpen(fs);
  ASSERT_TRUE(wal->Write({Append(1, 1, 3, 1)}).ok());
  Status s = wal->Write({Append(1, 5, 6, 1)});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(wal->Group(1)->last_index, 3u);
  EXPECT_TRUE(wal->health().ok());
  EXPECT_TRUE(wal->Write({Append(1, 4, 4, 1)}).ok());
}

TEST(WalTest, GapChecksFollowSnapshotsAndEarlierWritesInTheSameBatch) {
  MemFs fs(21);
  auto wal = MustOpen(fs);
  ASSERT_TRUE(wal->Write({Append(1, 1, 100, 1)}).ok());
  // Installing a snapshot the log does not match drops the log: an entry
  // after it must then follow the snapshot directly.
  GroupWrite install;
  install.group = 1;
  install.snapshot = raft::SnapshotMeta{50, 2, {}};
  install.entries = {MakeEntry(1, 80, 2)};
  EXPECT_EQ(wal->Write({install}).code(), Code::kInvalidArgument);
  EXPECT_EQ(wal->Group(1)->last_index, 100u);
  // Compacting at a point the log has keeps the rest: appending continues.
  GroupWrite compact;
  compact.group = 1;
  compact.snapshot = raft::SnapshotMeta{50, 1, {}};
  compact.entries = {MakeEntry(1, 101, 1)};
  EXPECT_TRUE(wal->Write({compact}).ok());
  // Within one batch, later writes see earlier ones; a refused write in the
  // middle leaves the rest unaffected.
  MemFs fs2(22);
  auto wal2 = MustOpen(fs2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  fs2.SetBeforeSync([&] {
    if (!holding.exchange(true)) released.wait();
  });
  std::promise<Status> first;
  wal2->Submit({Append(1, 1, 1, 1)}, [&](Status s) { first.set_value(s); });
  while (!holding)
    std::this_thread::yield();
  std::vector<std::promise<Status>> results(3);
  wal2->Submit({Append(1, 2, 5, 1)}, [&](Status s) { results[0].set_value(s); });
  wal2->Submit({Append(1, 9, 9, 1)}, [&](Status s) { results[1].set_value(s); });
  wal2->Submit({Append(1, 6, 7, 1)}, [&](Status s) { results[2].set_value(s); });
  release.set_value();
  EXPECT_TRUE(first.get_future().get().ok());
  EXPECT_TRUE(results[0].get_future().get().ok());
  EXPECT_EQ(results[1].get_future().get().code(), Code::kInvalidArgument);
  EXPECT_TRUE(results[2].get_future().get().ok());
  EXPECT_EQ(wal2->Group(1)->last_index, 7u);
}

TEST(WalTest, ReadsFromDiskBeyondTheCacheAndHonoursMaxBytes) {
  MemFs fs(6);
  WalOptions o = Small();
  o.cache_bytes = 0;
  o.segment_bytes = 1 << 20;
  auto wal = MustOpen(fs, o);
  ASSERT_TRUE(wal->Write({Append(1, 1, 100, 3)}).ok());
  ExpectEntries(*wal, 1, 1, 100, 3);
  Result<std::vector<raft::Entry>> some = wal->Entries(1, 1, 101, 500);
  ASSERT_TRUE(some.ok());
  EXPECT_GE(some->size(), 1u);
  EXPECT_LT(some->size(), 100u);
  Result<std::vector<raft::Entry>> one = wal->Entries(1, 7, 101, 0);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);  // always at least one
  EXPECT_EQ((*one)[0], MakeEntry(1, 7, 3));
  EXPECT_EQ(wal->Entries(1, 0, 5).status().code(), Code::kOutOfRange);
  EXPECT_EQ(wal->Entries(1, 50, 102).status().code(), Code::kOutOfRange);
  EXPECT_EQ(wal->Entries(9, 1, 2).status().code(), Code::kOutOfRange);
}

TEST(WalTest, ADiskReadThatDoesNotChecksumIsAnError) {
  MemFs fs(7);
  WalOptions o = Small();
  o.cache_bytes = 0;
  auto wal = MustOpen(fs, o);
  ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
  std::string* seg = fs.Contents(Segment(1));
  ASSERT_NE(seg, nullptr);
  size_t pos = seg->find(testing::EntryData(1, 3, 1));
  ASSERT_NE(pos, std::string::npos);
  (*seg)[pos + 2] ^= 0x20;
  Result<std::vector<raft::Entry>> got = wal->Entries(1, 1, 6);
  EXPECT_EQ(got.status().code(), Code::kDataLoss);
  EXPECT_NE(got.status().message().find("entry 3"), std::string::npos) << got.status().message();
}

TEST(WalTest, SegmentsRollAndAreDeletedOnceEverySnapshotCoversThem) {
  MemFs fs(8);
  auto wal = MustOpen(fs);
  for (raft::Index i = 1; i <= 400; i += 10) {
    ASSERT_TRUE(wal->Write({Append(1, i, i + 9, 1), Append(2, i, i + 9, 1)}).ok());
  }
  size_t many = wal->segment_count();
  ASSERT_GT(many, 5u);
  raft::SnapshotMeta snap{300, 1, {}};
  snap.conf.voters = {1, 2, 3};
  GroupWrite compact1;
  compact1.group = 1;
  compact1.snapshot = snap;
  ASSERT_TRUE(wal->Write({compact1}).ok());
  // Group 2 still needs every segment.
  EXPECT_GE(wal->segment_count(), many);
  GroupWrite compact2 = compact1;
  compact2.group = 2;
  ASSERT_TRUE(wal->Write({compact2}).ok());
  ASSERT_TRUE(wal->Write({Append(1, 401, 401, 1)}).ok());
  EXPECT_LT(wal->segment_count(), many);
  EXPECT_GT(wal->stats().segments_deleted, 0u);
  EXPECT_FALSE(fs.Exists(Segment(1)));
  EXPECT_EQ(wal->Entries(1, 300, 301).status().code(), Code::kOutOfRange);
  ExpectEntries(*wal, 1, 301, 401, 1);
  wal.reset();

  wal = MustOpen(fs);
  auto g = wal->Group(1);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->snapshot, snap);
  EXPECT_EQ(g->first_index, 301u);
  EXPECT_EQ(g->last_index, 401u);
  ExpectEntries(*wal, 2, 301, 400, 1);
}

TEST(WalTest, HardStateSurvivesDeletionOfTheSegmentThatFirstHeldIt) {
  MemFs fs(9);
  {
    auto wal = MustOpen(fs);
    GroupWrite w = Append(1, 1, 1, 1);
    w.hard_state = raft::HardState{7, 2, 1};
    ASSERT_TRUE(wal->Write({w}).ok());
    for (raft::Index i = 2; i <= 300; i += 10) {
      ASSERT_TRUE(wal->Write({Append(1, i, i + 9, 7)}).ok());
    }
    GroupWrite compact;
    compact.group = 1;
    compact.snapshot = raft::SnapshotMeta{301, 7, {}};
    ASSERT_TRUE(wal->Write({compact}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 302, 302, 7)}).ok());
    EXPECT_FALSE(fs.Exists(Segment(1)));
  }
  auto wal = MustOpen(fs);
  EXPECT_EQ(wal->Group(1)->hard_state, (raft::HardState{7, 2, 1}));
  EXPECT_EQ(wal->Group(1)->last_index, 302u);
}

TEST(WalTest, InstallingASnapshotTheLogDoesNotMatchDropsTheLog) {
  MemFs fs(10);
  auto wal = MustOpen(fs);
  ASSERT_TRUE(wal->Write({Append(1, 1, 20, 1)}).ok());
  GroupWrite install;
  install.group = 1;
  install.snapshot = raft::SnapshotMeta{50, 3, {}};
  install.entries = {MakeEntry(1, 51, 3)};
  ASSERT_TRUE(wal->Write({install}).ok());
  EXPECT_EQ(wal->Group(1)->first_index, 51u);
  EXPECT_EQ(wal->Group(1)->last_index, 51u);
  wal.reset();
  wal = MustOpen(fs);
  EXPECT_EQ(wal->Group(1)->first_index, 51u);
  ExpectEntries(*wal, 1, 51, 51, 3);
}

TEST(WalTest, TornTailIsCutAndWritingCarriesOn) {
  MemFs fs(11);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 6, 1)}).ok());
  }
  // Cut the last record in half, as a crash mid-write would.
  std::string* seg = fs.Contents(Segment(1));
  size_t pos = seg->find(testing::EntryData(1, 6, 1));
  ASSERT_NE(pos, std::string::npos);
  std::fill(seg->begin() + static_cast<long>(pos) + 5, seg->end(), '\0');
  {
    auto wal = MustOpen(fs);
    EXPECT_NE(wal->recovery_note().find("torn tail"), std::string::npos);
    EXPECT_EQ(wal->Group(1)->last_index, 5u);
    ASSERT_TRUE(wal->Write({Append(1, 6, 8, 2)}).ok());
  }
  auto wal = MustOpen(fs);
  EXPECT_EQ(wal->recovery_note(), "");
  ExpectEntries(*wal, 1, 1, 5, 1);
  ExpectEntries(*wal, 1, 6, 8, 2);
}

TEST(WalTest, TornFinalBatchWithLaterRecordsOfTheSameBatchIsATornTail) {
  MemFs fs(12);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 9, 1)}).ok());  // one batch
  }
  // The first record of the last batch is damaged, the rest reached disk.
  std::string* seg = fs.Contents(Segment(1));
  size_t pos = seg->find(testing::EntryData(1, 6, 1));
  (*seg)[pos + 3] ^= 0x01;
  auto wal = MustOpen(fs);
  EXPECT_NE(wal->recovery_note().find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(wal->Group(1)->last_index, 5u);
}

TEST(WalTest, CorruptionBeforeLaterBatchesIsAHardErrorNamingFileAndOffset) {
  MemFs fs(13);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 9, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 10, 12, 1)}).ok());
  }
  std::string* seg = fs.Contents(Segment(1));
  std::string before = *seg;
  size_t pos = seg->find(testing::EntryData(1, 3, 1));
  (*seg)[pos + 1] ^= 0x40;
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), Code::kDataLoss);
  std::string msg = wal.status().message();
  EXPECT_NE(msg.find(Segment(1)), std::string::npos) << msg;
  EXPECT_NE(msg.find("at offset "), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a torn write"), std::string::npos) << msg;
  // Nothing was modified: the operator can still inspect or copy the file.
  (*seg)[pos + 1] ^= 0x40;
  EXPECT_EQ(*fs.Contents(Segment(1)), before);
}

TEST(WalTest, ZeroedRegionBeforeValidRecordsIsAHardError) {
  MemFs fs(14);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 9, 1)}).ok());
  }
  std::string* seg = fs.Contents(Segment(1));
  // Zero whole records 2 and 3.
  std::vector<size_t> starts = RecordStarts(*seg);
  ASSERT_GT(starts.size(), 5u);
  size_t start = starts[2];
  size_t end = starts[4];
  std::fill(seg->begin() + static_cast<long>(start), seg->begin() + static_cast<long>(end), '\0');
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_NE(wal.status().message().find("zeroed region"), std::string::npos)
      << wal.status().message();
}

TEST(WalTest, ZerosInsideTheLastBatchOfAnEarlierSegmentAreAHardError) {
  MemFs fs(23);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 9, 1)}).ok());     // last batch of segment 1
    ASSERT_TRUE(wal->Write({Append(1, 10, 200, 1)}).ok());  // does not fit: segment 2
  }
  ASSERT_TRUE(fs.Exists(Segment(2)));
  std::string* seg = fs.Contents(Segment(1));
  std::vector<size_t> starts = RecordStarts(*seg);
  // Zero the first record of the last batch: what follows in this segment is
  // one batch, which alone would look like a torn tail, but segment 2 holds
  // acknowledged batches after it.
  size_t first = seg->find(testing::EntryData(1, 6, 1));
  size_t rec = *std::prev(std::upper_bound(starts.begin(), starts.end(), first));
  size_t next = *std::upper_bound(starts.begin(), starts.end(), first);
  std::fill(seg->begin() + static_cast<long>(rec), seg->begin() + static_cast<long>(next), '\0');
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), Code::kDataLoss) << wal.status().ToString();
  EXPECT_TRUE(fs.Exists(Segment(2))) << "recovery must not delete acknowledged segments";
}

TEST(WalTest, AWholeBatchLostAtTheEndOfASegmentIsAHardError) {
  MemFs fs(24);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 6, 9, 1)}).ok());
    ASSERT_TRUE(wal->Write({Append(1, 10, 200, 1)}).ok());
  }
  std::string* seg = fs.Contents(Segment(1));
  std::vector<size_t> starts = RecordStarts(*seg);
  size_t rec = *std::prev(
      std::upper_bound(starts.begin(), starts.end(), seg->find(testing::EntryData(1, 6, 1))));
  std::fill(seg->begin() + static_cast<long>(rec), seg->end(), '\0');  // batch 2, entirely
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_NE(wal.status().message().find("batch 2 is missing"), std::string::npos)
      << wal.status().message();
}

TEST(WalTest, AnEnospcFromAWriteOrSyncIsFinalNotWaitedOut) {
  // Only a failed preallocation means "nothing was written, wait for space";
  // a write or sync that runs out of space (possible on filesystems that
  // cannot reserve it) may have left part of the batch behind.
  for (bool on_sync : {false, true}) {
    MemFs fs(25);
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    if (on_sync) {
      fs.FailSyncs(ENOSPC);
    } else {
      fs.FailWrites(ENOSPC);
    }
    Status s = wal->Write({Append(1, 6, 6, 1)});
    EXPECT_EQ(s.code(), Code::kInternal) << s.ToString();
    EXPECT_FALSE(wal->health().ok());
    EXPECT_EQ(wal->waiting_for_space(), "");
    fs.FailSyncs(0);
    fs.FailWrites(0);
    EXPECT_FALSE(wal->Write({Append(1, 6, 6, 1)}).ok());
  }
}

TEST(WalTest, AMissingSegmentIsAHardError) {
  MemFs fs(15);
  {
    auto wal = MustOpen(fs);
    for (raft::Index i = 1; i <= 300; i += 10) {
      ASSERT_TRUE(wal->Write({Append(1, i, i + 9, 1)}).ok());
    }
  }
  ASSERT_TRUE(fs.DeleteFile(Segment(2)).ok());
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_NE(wal.status().message().find("missing"), std::string::npos);
}

TEST(WalTest, AMissingOldestSegmentWithoutASnapshotIsAHardError) {
  MemFs fs(20);
  {
    auto wal = MustOpen(fs);
    for (raft::Index i = 1; i <= 300; i += 10) {
      ASSERT_TRUE(wal->Write({Append(1, i, i + 9, 1)}).ok());
    }
  }
  ASSERT_TRUE(fs.DeleteFile(Segment(1)).ok());  // no snapshot covers its entries
  Result<std::unique_ptr<Wal>> wal = Wal::Open(kDir, Small(), &fs);
  ASSERT_FALSE(wal.ok());
  EXPECT_EQ(wal.status().code(), Code::kDataLoss);
  EXPECT_NE(wal.status().message().find("no snapshot covers them"), std::string::npos)
      << wal.status().message();
}

TEST(WalTest, AFailedFsyncStopsEveryFurtherAcknowledgement) {
  MemFs fs(16);
  {
    auto wal = MustOpen(fs);
    ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
    fs.FailSyncs(EIO);
    Status s = wal->Write({Append(1, 6, 6, 1)});
    EXPECT_EQ(s.code(), Code::kInternal);
    EXPECT_NE(s.message().find("fdatasync"), std::string::npos) << s.message();
    // The disk "recovers", but the WAL must not: the failed pages may be gone.
    fs.FailSyncs(0);
    Status again = wal->Write({Append(1, 6, 6, 1)});
    EXPECT_FALSE(again.ok());
    EXPECT_FALSE(wal->health().ok());
    EXPECT_EQ(wal->Group(1)->last_index, 5u);
  }
  auto wal = MustOpen(fs);  // restart recovers from what is on disk
  EXPECT_TRUE(wal->health().ok());
  ExpectEntries(*wal, 1, 1, 5, 1);
  raft::Index last = wal->Group(1)->last_index;
  ASSERT_TRUE(wal->Write({Append(1, last + 1, last + 2, 2)}).ok());
}

TEST(WalTest, AFailedOrShortWriteStopsAcknowledgementsAndRestartRecovers) {
  for (bool half : {false, true}) {
    MemFs fs(17);
    {
      auto wal = MustOpen(fs);
      ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
      fs.FailWrites(EIO, half);
      EXPECT_FALSE(wal->Write({Append(1, 6, 9, 1)}).ok());
      fs.FailWrites(0);
      EXPECT_FALSE(wal->Write({Append(1, 6, 9, 1)}).ok());
    }
    auto wal = MustOpen(fs);
    ExpectEntries(*wal, 1, 1, 5, 1);
    EXPECT_LE(wal->Group(1)->last_index, 9u);
  }
}

TEST(WalTest, FullDiskWaitsForSpaceWithoutLosingOrAckingAnything) {
  MemFs fs(18);
  WalOptions o = Small();
  auto wal = MustOpen(fs, o);
  ASSERT_TRUE(wal->Write({Append(1, 1, 5, 1)}).ok());
  fs.SetCapacity(fs.Contents(Segment(1))->size());  // no room for another segment
  std::promise<Status> done;
  GroupWrite big = Append(1, 6, 100, 1);  // does not fit in the first segment
  wal->Submit({big}, [&](Status s) { done.set_value(s); });
  std::future<Status> result = done.get_future();
  for (int i = 0; i < 2000 && wal->waiting_for_space().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_NE(wal->waiting_for_space().find("No space left on device"), std::string::npos)
      << wal->waiting_for_space();
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_TRUE(wal->health().ok());
  EXPECT_EQ(wal->Group(1)->last_index, 5u);
  fs.SetCapacity(UINT64_MAX);  // the operator frees space
  EXPECT_TRUE(result.get().ok());
  EXPECT_EQ(wal->waiting_for_space(), "");
  ExpectEntries(*wal, 1, 1, 100, 1);
}

TEST(WalTest, TooManyPendingBytesIsRefusedNotQueued) {
  MemFs fs(19);
  WalOptions o = Small();
  o.max_pending_bytes = 4096;
  auto wal = MustOpen(fs, o);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  fs.SetBeforeSync([&] {
    holding = true;
    released.wait();
  });
  std::promise<Status> first;
  wal->Submit({Append(1, 1, 1, 1)}, [&](Status s) { first.set_value(s); });
  while (!holding)
    std::this_thread::yield();
  std::promise<Status> second;
  wal->Submit({Append(1, 2, 10, 1)}, [&](Status s) { second.set_value(s); });
  Status refused;
  wal->Submit({Append(1, 11, 60, 1)}, [&](Status s) { refused = s; });
  EXPECT_EQ(refused.code(), Code::kResourceExhausted);
  fs.SetBeforeSync(nullptr);
  release.set_value();
  EXPECT_TRUE(first.get_future().get().ok());
  EXPECT_TRUE(second.get_future().get().ok());
}

TEST(WalTest, RealFilesystemRoundTrip) {
  testing::TempDir dir;
  WalOptions o;
  o.segment_bytes = 64 << 10;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(dir.path() + "/wal", o);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    for (raft::Index i = 1; i <= 500; i += 50) {
      ASSERT_TRUE((*wal)->Write({Append(1, i, i + 49, 1)}).ok());
    }
  }
  Result<std::unique_ptr<Wal>> wal = Wal::Open(dir.path() + "/wal", o);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  ExpectEntries(**wal, 1, 1, 500, 1);
}

}  // namespace
}  // namespace cairn::storage
