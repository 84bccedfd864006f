// The store as a whole: restart, batching, snapshots.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kv_test_util.h"
#include "mvcc_op_gen.h"
#include "storage/state_engine_snapshot.h"

namespace cairn::kv::testing {
namespace {

// Applies n generated entries one by one; revisions step by 1..3.
void Fill(MvccStore* store, uint64_t seed, int n) {
  OpGenerator gen(seed);
  int64_t rev = store->current_revision();
  uint64_t index = store->applied_index();
  for (int i = 0; i < n; ++i) {
    rev += 1 + (i % 3);
    ++index;
    auto r = store->Apply(gen.Next(store->current_revision()), index, 1 + index / 50, rev);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

TEST(MvccStore, RestartKeepsAppliedIndexAndState) {
  TempDir dir;
  uint32_t digest = 0;
  int64_t rev = 0;
  {
    auto store = MvccStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    Fill(store->get(), 1, 300);
    EXPECT_EQ((*store)->applied_index(), 300u);
    digest = *(*store)->Digest();
    rev = (*store)->current_revision();
  }
  auto store = MvccStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->applied_index(), 300u);
  EXPECT_EQ((*store)->applied_term(), 1u + 300 / 50);
  EXPECT_EQ((*store)->current_revision(), rev);
  EXPECT_EQ(*(*store)->Digest(), digest);
  // An entry already applied is refused, not applied twice.
  auto again = (*store)->Apply(PutReq("k", "v"), 300, 7, rev + 1);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(*(*store)->Digest(), digest);
}

// The live-key count kept by applies equals a count of the keys, through
// generated puts, deletes, txns and lease revokes, a restart (which
// recounts) and a snapshot restore.
TEST(MvccStore, KeyCountFollowsEveryWriteRestartAndRestore) {
  TempDir dir;
  auto count_all = [](MvccStore* s) {
    etcdserverpb::RangeRequest r = RangeReq(std::string(1, '\0'), std::string(1, '\0'));
    r.set_count_only(true);
    Result<etcdserverpb::RangeResponse> got = s->Range(r);
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->count() : -1;
  };
  {
    auto store = MvccStore::Open(dir.Sub("a"));
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->key_count(), 0);
    for (int round = 0; round < 6; ++round) {
      Fill(store->get(), 7 + round, 50);
      ASSERT_EQ((*store)->key_count(), count_all(store->get())) << "round " << round;
    }
    EXPECT_GT((*store)->key_count(), 0);
  }
  auto store = MvccStore::Open(dir.Sub("a"));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->key_count(), count_all(store->get())) << "after a restart";
  Fill(store->get(), 99, 40);
  EXPECT_EQ((*store)->key_count(), count_all(store->get()));
}

TEST(MvccStore, BatchApplyEqualsOneByOne) {
  TempDir dir;
  auto one = MvccStore::Open(dir.Sub("one"));
  auto batched = MvccStore::Open(dir.Sub("batched"));
  ASSERT_TRUE(one.ok() && batched.ok());
  OpGenerator gen(42);
  std::vector<cairnpb::RaftRequest> reqs;
  std::vector<LogEntry> entries;
  const int n = 1500;
  reqs.reserve(n);
  int64_t rev = 0;
  for (int i = 0; i < n; ++i) {
    reqs.push_back(gen.Next(rev / 2));
    rev += 1 + i % 4;
    entries.push_back({static_cast<uint64_t>(i + 1), 1, rev, &reqs.back()});
  }
  std::vector<ApplyResult> single;
  for (const LogEntry& e : entries) {
    auto r = (*one)->Apply(*e.request, e.index, e.term, e.revision);
    ASSERT_TRUE(r.ok());
    single.push_back(std::move(*r));
  }
  std::vector<ApplyResult> batch;
  for (size_t start = 0; start < entries.size();) {
    const size_t len = std::min<size_t>(1 + start % 97, entries.size() - start);
    auto r = (*batched)->ApplyBatch(std::span<const LogEntry>(entries.data() + start, len));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (auto& x : *r)
      batch.push_back(std::move(x));
    start += len;
  }
  ASSERT_EQ(single.size(), batch.size());
  int failures = 0;
  for (size_t i = 0; i < single.size(); ++i) {
    EXPECT_EQ(single[i].status, batch[i].status) << "entry " << i;
    failures += !single[i].status.ok();
    EXPECT_EQ(single[i].response.index(), batch[i].response.index());
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (!std::is_same_v<T, std::monostate>) {
            EXPECT_EQ(a.SerializeAsString(), std::get<T>(batch[i].response).SerializeAsString())
                << "entry " << i;
          }
        },
        single[i].response);
  }
  EXPECT_GT(failures, 10);  // the generator does produce failing requests
  EXPECT_EQ(*(*one)->Digest(), *(*batched)->Digest());
  EXPECT_EQ((*one)->current_revision(), (*batched)->current_revision());
  EXPECT_EQ((*one)->applied_index(), (*batched)->applied_index());
  EXPECT_EQ((*one)->key_count(), (*batched)->key_count());
}

TEST(MvccStore, BatchWithAContractViolationAppliesNothing) {
  TempDir dir;
  auto store = MvccStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  cairnpb::RaftRequest a = PutReq("a", "1"), b = PutReq("b", "1");
  std::vector<LogEntry> entries = {{1, 1, 10, &a}, {2, 1, 10, &b}};  // same revision twice
  EXPECT_FALSE((*store)->ApplyBatch(entries).ok());
  EXPECT_EQ((*store)->applied_index(), 0u);
  EXPECT_EQ((*store)->Range(RangeReq("a"))->kvs_size(), 0);
  entries = {{1, 1, 10, &a}, {1, 1, 20, &b}};  // same index twice
  EXPECT_FALSE((*store)->ApplyBatch(entries).ok());
  EXPECT_EQ((*store)->current_revision(), 0);
  // Nor does the writer remember the put of the failed batch: "a" is new.
  entries = {{1, 1, 10, &a}};
  ASSERT_TRUE((*store)->ApplyBatch(entries).ok());
  auto got = (*store)->Range(RangeReq("a"));
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(got->kvs(0).version(), 1);
  EXPECT_EQ(got->kvs(0).create_revision(), 10);
}

// A compaction sees the writes before it in its batch, and keeps the
// change records at and above its revision, including the batch's own.
TEST(MvccStore, CompactionInsideABatch) {
  TempDir dir;
  auto store = MvccStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  cairnpb::RaftRequest a1 = PutReq("a", "1"), a2 = PutReq("a", "2"), compact = CompactReq(20);
  cairnpb::RaftRequest b = PutReq("b", "1");
  std::vector<LogEntry> entries = {
      {1, 1, 10, &a1}, {2, 1, 20, &a2}, {3, 1, 25, &compact}, {4, 1, 30, &b}};
  auto r = (*store)->ApplyBatch(entries);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[2].status.ok()) << (*r)[2].status.ToString();
  EXPECT_EQ((*store)->compacted_revision(), 20);
  auto events = (*store)->Changes(20, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kv().value(), "2");
  EXPECT_EQ((*events)[1].kv().key(), "b");
  auto kv = (*store)->Range(RangeReq("a"));
  ASSERT_EQ(kv->kvs_size(), 1);
  EXPECT_EQ(kv->kvs(0).version(), 2);
  etcdserverpb::RangeRequest old = RangeReq("a");
  old.set_revision(10);
  EXPECT_EQ((*store)->Range(old).status(), ErrorOf(KvError::kCompacted));
}

TEST(MvccStore, SnapshotArchiveRestoreRoundTrip) {
  TempDir dir;
  auto source = MvccStore::Open(dir.Sub("source"));
  ASSERT_TRUE(source.ok());
  Fill(source->get(), 5, 800);
  auto manifest = (*source)->CreateSnapshot(dir.Sub("snap"));
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->applied_index, 800u);
  ASSERT_TRUE(storage::WriteArchive(dir.Sub("snap"), dir.Sub("snap.archive")).ok());
  ASSERT_TRUE(storage::ExtractArchive(dir.Sub("snap.archive"), dir.Sub("shipped")).ok());

  auto target = MvccStore::Open(dir.Sub("target"));
  ASSERT_TRUE(target.ok());
  Fill(target->get(), 99, 50);  // different state, to be replaced
  ASSERT_TRUE((*target)->RestoreSnapshot(dir.Sub("shipped")).ok());
  EXPECT_EQ(*(*target)->Digest(), *(*source)->Digest());
  EXPECT_EQ((*target)->applied_index(), 800u);
  EXPECT_EQ((*target)->current_revision(), (*source)->current_revision());
  EXPECT_EQ((*target)->compacted_revision(), (*source)->compacted_revision());
  EXPECT_EQ((*target)->key_count(), (*source)->key_count()) << "recounted from the snapshot";
  // Both go on identically.
  Fill(source->get(), 6, 100);
  Fill(target->get(), 6, 100);
  EXPECT_EQ(*(*target)->Digest(), *(*source)->Digest());
  EXPECT_EQ((*target)->key_count(), (*source)->key_count());
  // And the restored state survives a restart.
  const uint32_t digest = *(*target)->Digest();
  target->reset();
  auto reopened = MvccStore::Open(dir.Sub("target"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->Digest(), digest);
  EXPECT_EQ((*reopened)->applied_index(), 900u);
}

// The writer's memory of each key's newest version (LatestCache) is
// forgotten with the state a snapshot replaces.
TEST(MvccStore, AWriteAfterARestoreSeesTheRestoredVersions) {
  TempDir dir;
  auto source = MvccStore::Open(dir.Sub("source"));
  ASSERT_TRUE(source.ok());
  cairnpb::RaftRequest put = PutReq("k", "v");
  ASSERT_TRUE((*source)->Apply(put, 1, 1, 10).ok());
  ASSERT_TRUE((*source)->CreateSnapshot(dir.Sub("snap")).ok());
  ASSERT_TRUE(storage::WriteArchive(dir.Sub("snap"), dir.Sub("snap.archive")).ok());
  ASSERT_TRUE(storage::ExtractArchive(dir.Sub("snap.archive"), dir.Sub("shipped")).ok());

  auto target = MvccStore::Open(dir.Sub("target"));
  ASSERT_TRUE(target.ok());
  for (uint64_t i = 1; i <= 3; ++i)
    ASSERT_TRUE((*target)->Apply(put, i, 1, 9 + static_cast<int64_t>(i)).ok());
  ASSERT_TRUE((*target)->RestoreSnapshot(dir.Sub("shipped")).ok());
  ASSERT_TRUE((*target)->Apply(put, 2, 1, 11).ok());
  auto got = (*target)->Range(RangeReq("k"));
  ASSERT_EQ(got->kvs_size(), 1);
  EXPECT_EQ(got->kvs(0).version(), 2);
  EXPECT_EQ(got->kvs(0).create_revision(), 10);
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x40));
}

TEST(MvccStore, CorruptSnapshotIsRefusedAndTheLiveStoreUntouched) {
  TempDir dir;
  auto source = MvccStore::Open(dir.Sub("source"));
  ASSERT_TRUE(source.ok());
  Fill(source->get(), 8, 300);
  ASSERT_TRUE((*source)->CreateSnapshot(dir.Sub("snap")).ok());
  auto target = MvccStore::Open(dir.Sub("target"));
  ASSERT_TRUE(target.ok());
  Fill(target->get(), 9, 40);
  const uint32_t digest = *(*target)->Digest();

  int tried = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("snap"))) {
    const std::string name = entry.path().filename().string();
    const uint64_t size = std::filesystem::file_size(entry.path());
    for (uint64_t offset : {uint64_t{0}, size / 2, size - 1}) {
      const std::string copy = dir.Sub("bad-" + std::to_string(tried++));
      std::filesystem::copy(dir.Sub("snap"), copy);
      FlipByte(copy + "/" + name, offset);
      Status s = (*target)->RestoreSnapshot(copy);
      ASSERT_FALSE(s.ok()) << name << " @" << offset;
      EXPECT_EQ(s.code(), Code::kDataLoss) << s.ToString();
      EXPECT_NE(s.message().find(name), std::string::npos) << s.ToString();
      EXPECT_EQ(*(*target)->Digest(), digest);
      EXPECT_EQ((*target)->applied_index(), 40u);
    }
  }
  EXPECT_GT(tried, 3);
}

}  // namespace
}  // namespace cairn::kv::testing
