// RaftLog: the in-memory log after a snapshot and its durability boundary.

#include "consensus/raft/raft_log.h"

#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft {
namespace {

using test::Entries;

RaftLog LogOf(Index snap_index, Term snap_term, const std::vector<Entry>& entries) {
  RaftLog log(snap_index, snap_term);
  log.AppendAfter(snap_index, entries);
  return log;
}

TEST(RaftLogTest, IndicesAndTermsAroundTheSnapshot) {
  RaftLog log = LogOf(10, 3, Entries(11, 15, 4));
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_EQ(log.LastIndex(), 15u);
  EXPECT_EQ(log.LastTerm(), 4u);
  EXPECT_EQ(log.TermAt(10), 3u) << "the snapshot's own index keeps its term";
  EXPECT_EQ(log.TermAt(12), 4u);
  EXPECT_FALSE(log.TermAt(9).has_value());
  EXPECT_FALSE(log.TermAt(16).has_value());
  EXPECT_TRUE(log.Matches(10, 3));
  EXPECT_FALSE(log.Matches(10, 4));
  EXPECT_FALSE(log.Matches(16, 4));

  RaftLog empty(0, 0);
  EXPECT_EQ(empty.LastIndex(), 0u);
  EXPECT_EQ(empty.LastTerm(), 0u);
  EXPECT_TRUE(empty.Matches(0, 0));
}

TEST(RaftLogTest, IsUpToDateComparesLastTermThenLength) {
  RaftLog log = LogOf(0, 0, Entries(1, 5, 2));
  EXPECT_TRUE(log.IsUpToDate(5, 2));
  EXPECT_TRUE(log.IsUpToDate(6, 2));
  EXPECT_FALSE(log.IsUpToDate(4, 2));
  EXPECT_TRUE(log.IsUpToDate(1, 3)) << "a newer last term wins even if shorter";
  EXPECT_FALSE(log.IsUpToDate(100, 1));
}

TEST(RaftLogTest, AppendAfterSkipsMatchingEntriesAndTruncatesConflicts) {
  RaftLog log = LogOf(0, 0, Entries(1, 5, 1));
  log.MarkAllStable();
  // Already held: nothing changes, not even durability.
  EXPECT_EQ(log.AppendAfter(1, Entries(2, 3, 1)), 3u);
  EXPECT_EQ(log.LastIndex(), 5u);
  EXPECT_EQ(log.stable_index(), 5u);
  // A conflict at 4 replaces the suffix and pulls durability back.
  EXPECT_EQ(log.AppendAfter(3, Entries(4, 4, 2)), 4u);
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.TermAt(4), 2u);
  EXPECT_EQ(log.stable_index(), 3u);
  EXPECT_EQ(log.Unstable(), Entries(4, 4, 2));
  // A stale (shorter) append leaves later entries alone.
  log.AppendAfter(4, Entries(5, 7, 2));
  EXPECT_EQ(log.AppendAfter(2, Entries(3, 3, 1)), 3u);
  EXPECT_EQ(log.LastIndex(), 7u);
}

TEST(RaftLogTest, AppendAfterIgnoresEntriesCoveredByTheSnapshot) {
  RaftLog log = LogOf(10, 3, Entries(11, 12, 3));
  EXPECT_EQ(log.AppendAfter(8, Entries(9, 13, 3)), 13u);
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_EQ(log.LastIndex(), 13u);
}

TEST(RaftLogTest, SliceRespectsMaxBytesButReturnsAtLeastOne) {
  RaftLog log = LogOf(0, 0, Entries(1, 10, 1));
  const uint64_t one = log.At(1).ByteSize();
  EXPECT_EQ(log.Slice(1, 11, 1).size(), 1u);
  EXPECT_EQ(log.Slice(1, 11, 3 * one).size(), 3u);
  EXPECT_EQ(log.Slice(1, 11, 3 * one + 1).size(), 3u);
  EXPECT_EQ(log.Slice(4, 100, 1 << 20).size(), 7u) << "clamped to the end";
  EXPECT_TRUE(log.Slice(11, 12, 1 << 20).empty());
}

TEST(RaftLogTest, StableToIgnoresReplacedEntries) {
  RaftLog log = LogOf(0, 0, Entries(1, 3, 1));
  log.StableTo(3, 2);  // a Ready for an entry that has since been replaced
  EXPECT_EQ(log.stable_index(), 0u);
  log.StableTo(2, 1);
  EXPECT_EQ(log.stable_index(), 2u);
  log.StableTo(1, 1);
  EXPECT_EQ(log.stable_index(), 2u) << "never goes back";
  EXPECT_EQ(log.Unstable(), Entries(3, 3, 1));
}

TEST(RaftLogTest, CompactAndRestore) {
  RaftLog log = LogOf(0, 0, Entries(1, 10, 2));
  log.CompactTo(6);
  EXPECT_EQ(log.snapshot_index(), 6u);
  EXPECT_EQ(log.snapshot_term(), 2u);
  EXPECT_EQ(log.FirstIndex(), 7u);
  EXPECT_EQ(log.LastIndex(), 10u);
  EXPECT_EQ(log.At(7), Entries(7, 7, 2)[0]);
  log.CompactTo(4);  // older than what we have: nothing to do
  EXPECT_EQ(log.snapshot_index(), 6u);
  log.Restore(20, 5);
  EXPECT_EQ(log.FirstIndex(), 21u);
  EXPECT_EQ(log.LastIndex(), 20u);
  EXPECT_EQ(log.LastTerm(), 5u);
  EXPECT_EQ(log.stable_index(), 20u);
  EXPECT_TRUE(log.Unstable().empty());
}

TEST(RaftLogTest, FindConflictByTermFindsTheLastIndexWithTermAtMost) {
  // Terms: 1 1 1 | 2 2 2 2 | 4 4 4
  std::vector<Entry> entries = Entries(1, 3, 1);
  for (const Entry& e : Entries(4, 7, 2))
    entries.push_back(e);
  for (const Entry& e : Entries(8, 10, 4))
    entries.push_back(e);
  RaftLog log = LogOf(0, 0, entries);
  EXPECT_EQ(log.FindConflictByTerm(10, 4), 10u);
  EXPECT_EQ(log.FindConflictByTerm(10, 3), 7u);
  EXPECT_EQ(log.FindConflictByTerm(10, 2), 7u);
  EXPECT_EQ(log.FindConflictByTerm(10, 1), 3u);
  EXPECT_EQ(log.FindConflictByTerm(10, 0), 0u);
  EXPECT_EQ(log.FindConflictByTerm(5, 4), 5u);
  EXPECT_EQ(log.FindConflictByTerm(50, 4), 10u) << "clamped to the last index";
  // It cannot look into the snapshot: the snapshot index is the floor.
  RaftLog compacted = LogOf(5, 2, Entries(6, 8, 4));
  EXPECT_EQ(compacted.FindConflictByTerm(8, 3), 5u);
}

}  // namespace
}  // namespace cairn::raft
