#include "cluster/raft_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/random.h"

namespace cairn::cluster {
namespace {

using raft::EntryType;
using raft::Message;
using raft::MessageType;

constexpr MessageType kAllTypes[] = {
    MessageType::kPreVote,       MessageType::kPreVoteResp,   MessageType::kVote,
    MessageType::kVoteResp,      MessageType::kApp,           MessageType::kAppResp,
    MessageType::kHeartbeat,     MessageType::kHeartbeatResp, MessageType::kSnapshot,
    MessageType::kSnapshotResp,  MessageType::kTimeoutNow,    MessageType::kReadIndex,
    MessageType::kReadIndexResp,
};

// A tripwire: this test (and the codec) must learn about every field of
// raft::Message. If this fires, a field was added or removed: carry it in
// proto/cairn/raft_transport.proto, raft_codec.cc, Full() and ExpectSame().
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Message) == 296, "raft::Message changed: update the codec and this test");
#endif

// Every field set, each to a value no other field has, so a field written
// to the wrong place on either side shows up.
Message Full(MessageType type) {
  Message m;
  m.type = type;
  m.from = 1001;
  m.to = 1002;
  m.term = 1003;
  m.log_term = 1004;
  m.index = 1005;
  m.entries = {
      {.term = 1006, .index = 1007, .type = EntryType::kNormal, .data = "put x"},
      {.term = 1008, .index = 1008, .type = EntryType::kConfChange, .data = std::string("\0cc", 3)},
      {.term = 1009, .index = 1009, .type = EntryType::kNormal, .data = ""},
  };
  m.commit = 1010;
  m.reject = true;
  m.reject_hint = 1011;
  m.hint_term = 1012;
  m.lease_tick = 1013;
  m.read_round = 1014;
  m.context = std::numeric_limits<uint64_t>::max();
  m.snapshot_meta = {.index = 1015,
                     .term = 1016,
                     .conf = {.voters = {1, 2, 3},
                              .voters_outgoing = {1, 4},
                              .learners = {5},
                              .learners_next = {4},
                              .auto_leave = true}};
  m.snapshot_offset = 1017;
  m.snapshot_chunk = std::string("chunk\0\xff", 7);
  m.snapshot_done = true;
  m.force = true;
  return m;
}

void ExpectSame(const Message& a, const Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.log_term, b.log_term);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.reject, b.reject);
  EXPECT_EQ(a.reject_hint, b.reject_hint);
  EXPECT_EQ(a.hint_term, b.hint_term);
  EXPECT_EQ(a.lease_tick, b.lease_tick);
  EXPECT_EQ(a.read_round, b.read_round);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.snapshot_meta, b.snapshot_meta);
  EXPECT_EQ(a.snapshot_offset, b.snapshot_offset);
  EXPECT_EQ(a.snapshot_chunk, b.snapshot_chunk);
  EXPECT_EQ(a.snapshot_done, b.snapshot_done);
  EXPECT_EQ(a.force, b.force);
}

// Through the wire: encode, serialize, parse, decode.
Message RoundTrip(const Message& m) {
  cairnpb::RaftMessage p;
  ToProto(m, &p);
  cairnpb::RaftMessage parsed;
  EXPECT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
  Message out;
  const Status s = FromProto(parsed, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(RaftCodec, EveryTypeWithEveryFieldRoundTrips) {
  for (MessageType type : kAllTypes) {
    SCOPED_TRACE(raft::MessageTypeName(type));
    const Message m = Full(type);
    ExpectSame(RoundTrip(m), m);
  }
}

TEST(RaftCodec, DefaultsRoundTripAndCostLittle) {
  for (MessageType type : kAllTypes) {
    SCOPED_TRACE(raft::MessageTypeName(type));
    Message m;
    m.type = type;
    ExpectSame(RoundTrip(m), m);
  }
  // A heartbeat carries no snapshot sub-message: type, from, to, term.
  Message hb;
  hb.type = MessageType::kHeartbeat;
  hb.from = 1;
  hb.to = 2;
  hb.term = 3;
  cairnpb::RaftMessage p;
  ToProto(hb, &p);
  EXPECT_FALSE(p.has_snapshot_meta());
  EXPECT_EQ(p.ByteSizeLong(), 8u);
}

TEST(RaftCodec, SnapshotMetaWithOnlyAConfRoundTrips) {
  Message m;
  m.type = MessageType::kSnapshot;
  m.snapshot_meta.conf.learners = {7};
  ExpectSame(RoundTrip(m), m);
}

// The wire numbers are part of the protocol between versions of Cairn.
TEST(RaftCodec, WireNumbersAreFixed) {
  const std::pair<MessageType, int> kWire[] = {
      {MessageType::kPreVote, 1},
      {MessageType::kPreVoteResp, 2},
      {MessageType::kVote, 3},
      {MessageType::kVoteResp, 4},
      {MessageType::kApp, 5},
      {MessageType::kAppResp, 6},
      {MessageType::kHeartbeat, 7},
      {MessageType::kHeartbeatResp, 8},
      {MessageType::kSnapshot, 9},
      {MessageType::kSnapshotResp, 10},
      {MessageType::kTimeoutNow, 11},
      {MessageType::kReadIndex, 12},
      {MessageType::kReadIndexResp, 13},
  };
  for (const auto& [type, wire] : kWire) {
    Message m;
    m.type = type;
    cairnpb::RaftMessage p;
    ToProto(m, &p);
    EXPECT_EQ(static_cast<int>(p.type()), wire) << raft::MessageTypeName(type);
  }
  Message m = Full(MessageType::kApp);
  cairnpb::RaftMessage p;
  ToProto(m, &p);
  EXPECT_EQ(static_cast<int>(p.entries(0).type()), 0);
  EXPECT_EQ(static_cast<int>(p.entries(1).type()), 1);
}

TEST(RaftCodec, ToProtoReplacesWhatTheOutputHeld) {
  cairnpb::RaftMessage p;
  ToProto(Full(MessageType::kSnapshot), &p);
  Message small;
  small.type = MessageType::kVote;
  small.term = 9;
  ToProto(small, &p);
  Message out;
  ASSERT_TRUE(FromProto(p, &out).ok());
  ExpectSame(out, small);
}

TEST(RaftCodec, RvalueOverloadsMoveThePayloads) {
  Message m = Full(MessageType::kApp);
  const Message copy = m;
  cairnpb::RaftMessage p;
  ToProto(std::move(m), &p);
  Message out;
  ASSERT_TRUE(FromProto(std::move(p), &out).ok());
  ExpectSame(out, copy);
  // Moved, not copied: the sources no longer hold the bytes.
  EXPECT_TRUE(m.entries[0].data.empty());    // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(m.snapshot_chunk.empty());     // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(p.entries(0).data().empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(p.snapshot_chunk().empty());   // NOLINT(bugprone-use-after-move)
}

void ExpectRejected(const cairnpb::RaftMessage& p, const std::string& what) {
  Message out = Full(MessageType::kHeartbeat);
  const Status s = FromProto(p, &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
  ExpectSame(out, Full(MessageType::kHeartbeat));  // untouched
  cairnpb::RaftMessage moved = p;
  EXPECT_EQ(FromProto(std::move(moved), &out).code(), Code::kInvalidArgument);
}

TEST(RaftCodec, UnknownMessageTypesAreRejected) {
  for (int type : {0, 14, 255, -1, std::numeric_limits<int>::max()}) {
    SCOPED_TRACE(type);
    cairnpb::RaftMessage p;
    ToProto(Full(MessageType::kApp), &p);
    p.set_type(static_cast<cairnpb::RaftMessageType>(type));
    ExpectRejected(p, "unknown raft message type " + std::to_string(type));
  }
  // A message with no type at all (every field absent).
  ExpectRejected(cairnpb::RaftMessage(), "unknown raft message type 0");
}

TEST(RaftCodec, UnknownEntryTypesAreRejected) {
  for (int type : {2, 3, -7, std::numeric_limits<int>::min()}) {
    SCOPED_TRACE(type);
    cairnpb::RaftMessage p;
    ToProto(Full(MessageType::kApp), &p);
    p.mutable_entries(2)->set_type(static_cast<cairnpb::RaftEntryType>(type));
    ExpectRejected(p, "entry 1009: unknown raft entry type " + std::to_string(type));
  }
}

// Proto3 enums are open: a number this version does not know arrives intact
// in the parsed message, and the codec is what refuses it.
TEST(RaftCodec, UnknownNumbersFromTheWireAreRejected) {
  cairnpb::RaftMessage p;
  // Field 1 (type), varint 99.
  ASSERT_TRUE(p.ParseFromString(std::string("\x08\x63", 2)));
  ExpectRejected(p, "unknown raft message type 99");
  // type = MSG_APP; field 7 (entries) holding field 3 (type), varint 5.
  ASSERT_TRUE(p.ParseFromString(std::string("\x08\x05\x3a\x02\x18\x05", 6)));
  ExpectRejected(p, "unknown raft entry type 5");
}

// Whatever arrives, decoding ends in success or InvalidArgument; and what
// decodes re-encodes to the same message.
void DecodeArbitrary(const std::string& bytes) {
  cairnpb::RaftMessage p;
  if (!p.ParseFromString(bytes)) return;
  Message m;
  const Status s = FromProto(p, &m);
  if (!s.ok()) {
    ASSERT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
    return;
  }
  Message again = RoundTrip(m);
  ExpectSame(again, m);
  cairnpb::RaftMessage moved = p;
  Message m2;
  ASSERT_TRUE(FromProto(std::move(moved), &m2).ok());
  ExpectSame(m2, m);
}

TEST(RaftCodec, RandomBytesNeverCrash) {
  SeededRandom rng(20240611);
  for (int i = 0; i < 20000; i++) {
    std::string bytes(rng.Uniform(64), '\0');
    for (char& c : bytes)
      c = static_cast<char>(rng.Next());
    DecodeArbitrary(bytes);
  }
}

// Random bytes rarely parse past the first field; damaged valid messages
// reach every field, sub-message and enum.
TEST(RaftCodec, DamagedMessagesNeverCrash) {
  SeededRandom rng(42);
  std::vector<std::string> seeds;
  for (MessageType type : kAllTypes) {
    cairnpb::RaftMessage p;
    ToProto(Full(type), &p);
    seeds.push_back(p.SerializeAsString());
  }
  int parsed = 0;
  for (int i = 0; i < 50000; i++) {
    std::string bytes = seeds[rng.Uniform(seeds.size())];
    const uint64_t damage = rng.Between(1, 4);
    for (uint64_t d = 0; d < damage; d++) {
      const size_t at = rng.Uniform(bytes.size());
      switch (rng.Uniform(4)) {
        case 0:
          bytes[at] = static_cast<char>(rng.Next());
          break;
        case 1:
          bytes[at] ^= static_cast<char>(1u << rng.Uniform(8));
          break;
        case 2:
          bytes.resize(at);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng.Next()));
          break;
      }
      if (bytes.empty()) break;
    }
    cairnpb::RaftMessage probe;
    parsed += probe.ParseFromString(bytes);
    DecodeArbitrary(bytes);
  }
  // The damage must leave enough messages parseable to exercise decoding.
  EXPECT_GT(parsed, 5000);
}

}  // namespace
}  // namespace cairn::cluster
