#include "storage/entry_cache.h"

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

raft::Entry E(raft::Index index, raft::Term term, size_t size = 76) {
  return raft::Entry{term, index, raft::EntryType::kNormal, std::string(size, 'x')};
}

TEST(EntryCacheTest, StaysWithinItsByteBudgetEvictingOldestFirst) {
  EntryCache cache(1000);  // each entry is 100 bytes with overhead
  for (raft::Index i = 1; i <= 25; ++i)
    cache.Add(1, E(i, 1));
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_EQ(cache.Get(1, 15), nullptr);
  ASSERT_NE(cache.Get(1, 16), nullptr);
  ASSERT_NE(cache.Get(1, 25), nullptr);
  EXPECT_EQ(cache.Get(1, 25)->index, 25u);
}

TEST(EntryCacheTest, BudgetIsSharedAcrossGroups) {
  EntryCache cache(1000);
  for (raft::Index i = 1; i <= 5; ++i)
    cache.Add(1, E(i, 1));
  for (raft::Index i = 1; i <= 10; ++i)
    cache.Add(2, E(i, 1));
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_EQ(cache.Get(1, 5), nullptr);  // group 1's entries came first
  EXPECT_NE(cache.Get(2, 1), nullptr);
}

TEST(EntryCacheTest, ConflictingAppendReplacesTheSuffix) {
  EntryCache cache(10000);
  for (raft::Index i = 1; i <= 10; ++i)
    cache.Add(1, E(i, 1));
  cache.Add(1, E(6, 2));
  ASSERT_NE(cache.Get(1, 6), nullptr);
  EXPECT_EQ(cache.Get(1, 6)->term, 2u);
  EXPECT_EQ(cache.Get(1, 7), nullptr);
  EXPECT_EQ(cache.bytes(), 6u * 100);
  // Filling up again still evicts correctly after the replacement.
  EntryCache small(300);
  for (raft::Index i = 1; i <= 3; ++i)
    small.Add(1, E(i, 1));
  small.Add(1, E(2, 2));
  for (raft::Index i = 3; i <= 8; ++i)
    small.Add(1, E(i, 2));
  EXPECT_LE(small.bytes(), 300u);
  EXPECT_NE(small.Get(1, 8), nullptr);
}

TEST(EntryCacheTest, NonContiguousAddRestartsTheRun) {
  EntryCache cache(10000);
  for (raft::Index i = 1; i <= 3; ++i)
    cache.Add(1, E(i, 1));
  cache.Add(1, E(10, 2));  // after a snapshot install
  EXPECT_EQ(cache.Get(1, 3), nullptr);
  EXPECT_NE(cache.Get(1, 10), nullptr);
  EXPECT_EQ(cache.bytes(), 100u);
}

TEST(EntryCacheTest, DropUpToAndOversizedEntries) {
  EntryCache cache(1000);
  for (raft::Index i = 1; i <= 5; ++i)
    cache.Add(1, E(i, 1));
  cache.DropUpTo(1, 3);
  EXPECT_EQ(cache.Get(1, 3), nullptr);
  EXPECT_NE(cache.Get(1, 4), nullptr);
  cache.Add(1, E(6, 1, 5000));  // bigger than the whole cache
  EXPECT_EQ(cache.Get(1, 6), nullptr);
  EXPECT_EQ(cache.Get(1, 5), nullptr);  // the run must end at the newest entry
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(EntryCacheTest, BookkeepingStaysBoundedWhenSnapshotsDropEntries) {
  // Snapshots keep the cache under its budget, so eviction never runs; the
  // arrival list must not grow with every entry ever added.
  EntryCache cache(1 << 20);
  for (raft::Index i = 1; i <= 100000; ++i) {
    cache.Add(1, E(i, 1));
    if (i % 10 == 0) cache.DropUpTo(1, i - 5);
  }
  EXPECT_EQ(cache.entries(), 5u);
  EXPECT_LE(cache.arrivals(), 2 * cache.entries() + 64);
}

}  // namespace
}  // namespace cairn::storage
