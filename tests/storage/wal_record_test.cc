#include "storage/wal_record.h"

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

TEST(WalRecordTest, RoundTripsEveryField) {
  std::string buf;
  AppendRecord(&buf, RecordType::kEntry, 42, 7, "payload");
  RecordView rec;
  ASSERT_EQ(DecodeRecord(buf, &rec), DecodeOutcome::kRecord);
  EXPECT_EQ(rec.type, RecordType::kEntry);
  EXPECT_EQ(rec.group, 42u);
  EXPECT_EQ(rec.batch, 7u);
  EXPECT_EQ(rec.payload.ToString(), "payload");
  EXPECT_EQ(rec.encoded_size, buf.size());
}

TEST(WalRecordTest, EveryFlippedByteIsDetected) {
  std::string buf;
  AppendRecord(&buf, RecordType::kHardState, 1, 1, "some bytes");
  for (size_t i = 0; i < buf.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = buf;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      RecordView rec;
      EXPECT_NE(DecodeRecord(bad, &rec), DecodeOutcome::kRecord) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(WalRecordTest, ZerosAreTheEndAndTruncationIsInvalid) {
  RecordView rec;
  EXPECT_EQ(DecodeRecord(std::string(100, '\0'), &rec), DecodeOutcome::kZeros);
  EXPECT_EQ(DecodeRecord(std::string(3, '\0'), &rec), DecodeOutcome::kZeros);
  EXPECT_EQ(DecodeRecord(Slice(), &rec), DecodeOutcome::kZeros);
  std::string buf;
  AppendRecord(&buf, RecordType::kEntry, 1, 1, "abcdef");
  for (size_t n = 1; n < buf.size(); ++n) {
    std::string why;
    EXPECT_EQ(DecodeRecord(Slice(buf.data(), n), &rec, &why), DecodeOutcome::kInvalid) << n;
    EXPECT_FALSE(why.empty());
  }
}

TEST(WalRecordTest, ImpossibleLengthIsRejectedWithoutReadingPastTheInput) {
  std::string buf;
  AppendRecord(&buf, RecordType::kEntry, 1, 1, "x");
  buf[4] = static_cast<char>(0xff);
  buf[5] = static_cast<char>(0xff);
  buf[6] = static_cast<char>(0xff);
  buf[7] = static_cast<char>(0x7f);
  RecordView rec;
  std::string why;
  EXPECT_EQ(DecodeRecord(buf, &rec, &why), DecodeOutcome::kInvalid);
  EXPECT_EQ(why, "impossible length");
}

TEST(WalRecordTest, PayloadsRoundTripAndRejectTrailingBytes) {
  raft::Entry e{5, 9, raft::EntryType::kConfChange, std::string("\0data", 5)};
  std::string p;
  EncodeEntry(&p, e);
  raft::Entry back;
  ASSERT_TRUE(DecodeEntry(p, &back).ok());
  EXPECT_EQ(back, e);
  EXPECT_FALSE(DecodeEntry(Slice(p.data(), 2), &back).ok());

  raft::HardState hs{3, 2, 100};
  raft::HardState hs_back;
  std::string h = EncodeHardState(hs);
  ASSERT_TRUE(DecodeHardState(h, &hs_back).ok());
  EXPECT_EQ(hs_back, hs);
  EXPECT_FALSE(DecodeHardState(h + "x", &hs_back).ok());

  raft::SnapshotMeta meta;
  meta.index = 77;
  meta.term = 4;
  meta.conf.voters = {1, 2, 3};
  meta.conf.voters_outgoing = {1, 2};
  meta.conf.learners = {9};
  meta.conf.auto_leave = true;
  raft::SnapshotMeta meta_back;
  std::string m = EncodeSnapshotMeta(meta);
  ASSERT_TRUE(DecodeSnapshotMeta(m, &meta_back).ok());
  EXPECT_EQ(meta_back, meta);
  EXPECT_FALSE(DecodeSnapshotMeta(m + "x", &meta_back).ok());
  EXPECT_FALSE(DecodeSnapshotMeta(Slice(m.data(), m.size() - 1), &meta_back).ok());

  uint64_t seq = 0;
  ASSERT_TRUE(DecodeSegmentHeader(EncodeSegmentHeader(12), &seq).ok());
  EXPECT_EQ(seq, 12u);
  EXPECT_FALSE(DecodeSegmentHeader("NOTAWAL!", &seq).ok());
}

TEST(WalRecordTest, HugeIdCountDoesNotAllocate) {
  std::string p;
  p.push_back(1);                    // index
  p.push_back(1);                    // term
  p.append("\xff\xff\xff\xff\x0f");  // 4 billion voters, no bytes to back them
  raft::SnapshotMeta meta;
  EXPECT_FALSE(DecodeSnapshotMeta(p, &meta).ok());
}

}  // namespace
}  // namespace cairn::storage
