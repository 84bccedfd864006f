// Malformed messages: Step promises an error for them ("never an error for
// bad timing, only for a malformed message"), and the design says bad input
// changes nothing. A corrupt or buggy peer must not crash the node.

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/consensus/test_cluster.h"

namespace cairn::raft::test {
namespace {

Message AppendFromLeader(Cluster& c) {
  Message m;
  m.type = MessageType::kApp;
  m.from = 1;
  m.to = 2;
  m.term = c.raft(1).term();
  m.index = c.raft(2).log().LastIndex();
  m.log_term = c.raft(2).log().LastTerm();
  return m;
}

// Runs `step` on node 2 of a settled cluster in a child process: a crash
// shows up as a failed expectation with the core's message, not as the end
// of the whole test program.
void ExpectRefusedWithoutCrash(void (*make)(Cluster&, Message*)) {
  EXPECT_EXIT(
      {
        Cluster c(3);
        c.Elect(1);
        const Index last = c.raft(2).log().LastIndex();
        Message m = AppendFromLeader(c);
        make(c, &m);
        const Status s = c.raft(2).Step(m);
        std::exit(!s.ok() && c.raft(2).log().LastIndex() == last ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(MalformedMessageDeathTest, AppendWithAGapIsRefused) {
  ExpectRefusedWithoutCrash([](Cluster& c, Message* m) {
    m->entries = Entries(m->index + 2, m->index + 3, c.raft(1).term());
  });
}

TEST(MalformedMessageDeathTest, AppendWithEntriesOutOfOrderIsRefused) {
  ExpectRefusedWithoutCrash([](Cluster& c, Message* m) {
    m->entries = Entries(m->index + 1, m->index + 2, c.raft(1).term());
    std::swap(m->entries[0], m->entries[1]);
  });
}

TEST(MalformedMessageTest, MessagesForSomeoneElseAreRefused) {
  Cluster c(3);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = 1;
  m.to = 3;
  EXPECT_EQ(c.raft(2).Step(m).code(), Code::kInvalidArgument);
  m.to = 2;
  m.from = 2;
  EXPECT_EQ(c.raft(2).Step(m).code(), Code::kInvalidArgument);
  m.from = kNoNode;
  EXPECT_EQ(c.raft(2).Step(m).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::raft::test
