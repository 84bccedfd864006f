// The watch hub against a real MvccStore, without gRPC: entries are applied
// to the store directly and the test plays the stream (Pop).
#include "api/watch_hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "tests/kv/kv_test_util.h"

namespace cairn::api {
namespace {

using etcdserverpb::WatchCreateRequest;
using etcdserverpb::WatchResponse;
using kv::testing::CompactReq;
using kv::testing::DeleteReq;
using kv::testing::PutReq;
using kv::testing::TempDir;
using namespace std::chrono_literals;

class WatchHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = kv::MvccStore::Open(dir_.Sub("group"));
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (hub_) hub_->RemoveStream(stream_);
    hub_.reset();
  }

  void StartHub(WatchHubOptions options = {}) {
    hub_ = std::make_unique<WatchHub>(
        store_.get(),
        [] {
          return KvBackend::Header{11, 22, 33};
        },
        options);
    stream_ = hub_->AddStream([this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++wakes_;
      cv_.notify_all();
    });
  }

  // Applies one entry; the revision skips one index each time, as Raft's
  // no-ops and failed requests make it do.
  int64_t Apply(const cairnpb::RaftRequest& r) {
    index_ += 2;
    auto res = store_->Apply(r, index_, 1, static_cast<int64_t>(index_));
    EXPECT_TRUE(res.ok());
    if (hub_) hub_->Notify();
    return static_cast<int64_t>(index_);
  }

  static WatchCreateRequest Watch(const std::string& key, const std::string& end = "",
                                  int64_t start = 0) {
    WatchCreateRequest r;
    r.set_key(key);
    r.set_range_end(end);
    r.set_start_revision(start);
    return r;
  }

  // The next response, waiting for it up to 5 s.
  WatchResponse Next() {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (true) {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen = wakes_;
      }
      if (auto r = hub_->Pop(stream_)) return *r;
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline, [&] { return wakes_ != seen; })) {
        ADD_FAILURE() << "no response within 5 s";
        return WatchResponse();
      }
    }
  }

  // Events of `n` events' worth of responses (checking their watch id).
  std::vector<mvccpb::Event> Events(int64_t watch_id, size_t n) {
    std::vector<mvccpb::Event> out;
    while (out.size() < n) {
      WatchResponse r = Next();
      if (r.events_size() == 0) {
        ADD_FAILURE() << "expected events, got " << r.ShortDebugString();
        return out;
      }
      EXPECT_EQ(r.watch_id(), watch_id);
      for (const auto& e : r.events())
        out.push_back(e);
    }
    return out;
  }

  // Nothing more arrives for a while.
  bool Quiet() {
    std::this_thread::sleep_for(150ms);
    auto r = hub_->Pop(stream_);
    if (r) ADD_FAILURE() << "unexpected " << r->ShortDebugString();
    return !r;
  }

  int64_t Created() {
    WatchResponse r = Next();
    EXPECT_TRUE(r.created()) << r.ShortDebugString();
    EXPECT_FALSE(r.canceled());
    EXPECT_EQ(r.header().cluster_id(), 11u);
    EXPECT_EQ(r.header().member_id(), 22u);
    EXPECT_EQ(r.header().raft_term(), 33u);
    EXPECT_EQ(r.header().revision(), store_->current_revision());
    return r.watch_id();
  }

  TempDir dir_;
  std::unique_ptr<kv::MvccStore> store_;
  uint64_t index_ = 0;
  std::unique_ptr<WatchHub> hub_;
  WatchHub::StreamId stream_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakes_ = 0;
};

TEST_F(WatchHubTest, KeyWatchGetsLivePutAndDelete) {
  StartHub();
  hub_->Create(stream_, Watch("a"));
  EXPECT_EQ(Created(), 0);
  int64_t r1 = Apply(PutReq("a", "1"));
  Apply(PutReq("b", "x"));  // another key
  int64_t r3 = Apply(DeleteReq("a"));
  std::vector<mvccpb::Event> ev = Events(0, 2);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type(), mvccpb::Event::PUT);
  EXPECT_EQ(ev[0].kv().value(), "1");
  EXPECT_EQ(ev[0].kv().mod_revision(), r1);
  EXPECT_EQ(ev[1].type(), mvccpb::Event::DELETE);
  EXPECT_EQ(ev[1].kv().mod_revision(), r3);
  EXPECT_TRUE(Quiet());
}

TEST_F(WatchHubTest, HeaderOfEventsNamesTheRevisionReached) {
  StartHub();
  hub_->Create(stream_, Watch("a"));
  Created();
  int64_t r = Apply(PutReq("a", "1"));
  WatchResponse resp = Next();
  EXPECT_EQ(resp.header().revision(), r);
  EXPECT_EQ(resp.header().cluster_id(), 11u);
  EXPECT_EQ(resp.header().raft_term(), 33u);
}

TEST_F(WatchHubTest, Filters) {
  StartHub();
  WatchCreateRequest noput = Watch("k");
  noput.add_filters(WatchCreateRequest::NOPUT);
  WatchCreateRequest nodel = Watch("k");
  nodel.add_filters(WatchCreateRequest::NODELETE);
  hub_->Create(stream_, noput);
  EXPECT_EQ(Created(), 0);
  hub_->Create(stream_, nodel);
  EXPECT_EQ(Created(), 1);
  Apply(PutReq("k", "v"));
  Apply(DeleteReq("k"));
  std::map<int64_t, std::vector<mvccpb::Event::EventType>> got;
  for (int i = 0; i < 2; ++i) {
    WatchResponse r = Next();
    for (const auto& e : r.events())
      got[r.watch_id()].push_back(e.type());
  }
  EXPECT_EQ(got[0], std::vector<mvccpb::Event::EventType>{mvccpb::Event::DELETE});
  EXPECT_EQ(got[1], std::vector<mvccpb::Event::EventType>{mvccpb::Event::PUT});
  EXPECT_TRUE(Quiet());
}

TEST_F(WatchHubTest, PrefixRangeAndOpenEnd) {
  StartHub();
  hub_->Create(stream_, Watch("p/", "p0"));  // prefix p/
  EXPECT_EQ(Created(), 0);
  hub_->Create(stream_, Watch("m", std::string(1, '\0')));  // every key >= m
  EXPECT_EQ(Created(), 1);
  for (const char* k : {"a", "p/1", "p0", "p/2", "z"})
    Apply(PutReq(k, "v"));
  std::map<int64_t, std::vector<std::string>> got;
  size_t total = 0;
  while (total < 2 + 4) {
    WatchResponse r = Next();
    ASSERT_GT(r.events_size(), 0);
    for (const auto& e : r.events())
      got[r.watch_id()].push_back(e.kv().key());
    total += r.events_size();
  }
  EXPECT_EQ(got[0], (std::vector<std::string>{"p/1", "p/2"}));
  EXPECT_EQ(got[1], (std::vector<std::string>{"p/1", "p0", "p/2", "z"}));
  EXPECT_TRUE(Quiet());
}

TEST_F(WatchHubTest, HistoryReplayThenLive) {
  int64_t first = Apply(PutReq("h", "1"));
  Apply(PutReq("h", "2"));
  Apply(PutReq("other", "x"));
  Apply(DeleteReq("h"));
  StartHub();
  hub_->Create(stream_, Watch("h", "", first));
  Created();
  std::vector<mvccpb::Event> ev = Events(0, 3);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kv().value(), "1");
  EXPECT_EQ(ev[1].kv().value(), "2");
  EXPECT_EQ(ev[2].type(), mvccpb::Event::DELETE);
  int64_t live = Apply(PutReq("h", "3"));
  ev = Events(0, 1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kv().mod_revision(), live);
  EXPECT_TRUE(Quiet());
}

TEST_F(WatchHubTest, FutureStartRevisionWaits) {
  StartHub();
  int64_t r1 = Apply(PutReq("f", "1"));
  hub_->Create(stream_, Watch("f", "", r1 + 3));
  Created();
  Apply(PutReq("f", "2"));  // r1 + 2: before the start
  int64_t r3 = Apply(PutReq("f", "3"));
  std::vector<mvccpb::Event> ev = Events(0, 1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kv().mod_revision(), r3);
}

TEST_F(WatchHubTest, PrevKvWhenAvailable) {
  int64_t first = Apply(PutReq("a", "1"));
  Apply(PutReq("a", "2"));
  Apply(DeleteReq("a"));
  StartHub();
  WatchCreateRequest w = Watch("a", "", first);
  w.set_prev_kv(true);
  hub_->Create(stream_, w);
  Created();
  std::vector<mvccpb::Event> ev = Events(0, 3);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_FALSE(ev[0].has_prev_kv());  // a creation has none
  EXPECT_EQ(ev[1].prev_kv().value(), "1");
  EXPECT_EQ(ev[2].prev_kv().value(), "2");
  EXPECT_EQ(ev[2].prev_kv().mod_revision(), ev[1].kv().mod_revision());
}

TEST_F(WatchHubTest, CompactedStartIsCanceledWithCompactRevision) {
  Apply(PutReq("c", "1"));
  Apply(PutReq("c", "2"));
  int64_t r3 = Apply(PutReq("c", "3"));
  Apply(CompactReq(r3));
  StartHub();
  hub_->Create(stream_, Watch("c", "", 1));
  int64_t id = Created();
  WatchResponse r = Next();
  EXPECT_EQ(r.watch_id(), id);
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.compact_revision(), r3);
  EXPECT_EQ(r.events_size(), 0);
  Apply(PutReq("c", "4"));  // the watcher is gone
  EXPECT_TRUE(Quiet());
  // From the compacted revision itself the history is still there.
  hub_->Create(stream_, Watch("c", "", r3));
  id = Created();
  std::vector<mvccpb::Event> ev = Events(id, 2);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kv().value(), "3");
  EXPECT_EQ(ev[1].kv().value(), "4");
}

TEST_F(WatchHubTest, CancelConfirmsAndStops) {
  StartHub();
  hub_->Create(stream_, Watch("x"));
  int64_t id = Created();
  hub_->Cancel(stream_, id);
  WatchResponse r = Next();
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.watch_id(), id);
  Apply(PutReq("x", "1"));
  EXPECT_TRUE(Quiet());
  hub_->Cancel(stream_, 42);  // unknown: no answer
  EXPECT_TRUE(Quiet());
}

TEST_F(WatchHubTest, GivenAndDuplicateWatchIds) {
  StartHub();
  WatchCreateRequest w = Watch("x");
  w.set_watch_id(7);
  hub_->Create(stream_, w);
  EXPECT_EQ(Created(), 7);
  hub_->Create(stream_, w);
  WatchResponse r = Next();
  EXPECT_TRUE(r.created());
  EXPECT_TRUE(r.canceled());
  EXPECT_EQ(r.watch_id(), -1);
  hub_->Create(stream_, Watch("b", "a"));  // empty range
  r = Next();
  EXPECT_TRUE(r.canceled());
}

TEST_F(WatchHubTest, ProgressRequestNamesTheRevisionReached) {
  StartHub();
  hub_->Create(stream_, Watch("x"));
  Created();
  Apply(PutReq("y", "1"));
  int64_t r = Apply(PutReq("y", "2"));
  // Once the hub thread has passed r, an answer names it (earlier ones may
  // name less, never more).
  for (int i = 0; i < 50; ++i) {
    hub_->RequestProgress(stream_);
    WatchResponse p = Next();
    EXPECT_EQ(p.watch_id(), -1);
    EXPECT_EQ(p.events_size(), 0);
    EXPECT_LE(p.header().revision(), r);
    if (p.header().revision() == r) return;
    std::this_thread::sleep_for(20ms);
  }
  ADD_FAILURE() << "progress never reached " << r;
}

TEST_F(WatchHubTest, ProgressNotifyToIdleWatchers) {
  WatchHubOptions o;
  o.progress_interval = 100ms;
  StartHub(o);
  WatchCreateRequest w = Watch("x");
  w.set_progress_notify(true);
  hub_->Create(stream_, w);
  int64_t id = Created();
  int64_t r = Apply(PutReq("y", "1"));
  // A tick may come before the hub passed r; a later one names r.
  for (int i = 0; i < 20; ++i) {
    WatchResponse p = Next();
    EXPECT_EQ(p.watch_id(), id);
    EXPECT_EQ(p.events_size(), 0);
    EXPECT_LE(p.header().revision(), r);
    if (p.header().revision() == r) return;
  }
  ADD_FAILURE() << "progress never reached " << r;
}

// A stream that is not read: its queue stays bounded, and once it is read
// every event arrives, in order, exactly once (caught up from the log).
TEST_F(WatchHubTest, SlowConsumerIsBoundedAndCaughtUp) {
  WatchHubOptions o;
  o.max_stream_bytes = 2000;
  o.batch_events = 8;
  StartHub(o);
  hub_->Create(stream_, Watch("s/", "s0"));
  Created();
  constexpr int kPuts = 400;
  std::vector<int64_t> revs;
  for (int i = 0; i < kPuts; ++i) {
    revs.push_back(Apply(PutReq("s/" + std::to_string(i % 7), std::string(40, 'v'))));
    Apply(PutReq("noise", "n"));
  }
  std::this_thread::sleep_for(300ms);
  // One batch may go over the bound when it lands on a non-empty queue of
  // less than the bound.
  EXPECT_LE(hub_->QueuedBytes(stream_), o.max_stream_bytes + 8 * 200);
  std::vector<mvccpb::Event> ev = Events(0, kPuts);
  ASSERT_EQ(ev.size(), static_cast<size_t>(kPuts));
  for (int i = 0; i < kPuts; ++i)
    EXPECT_EQ(ev[i].kv().mod_revision(), revs[i]) << i;
  EXPECT_TRUE(Quiet());
  int64_t live = Apply(PutReq("s/x", "after"));
  ev = Events(0, 1);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kv().mod_revision(), live);
}

// A watcher replaying a long history does not hold back another one's
// live events on the same stream.
TEST_F(WatchHubTest, WatchersShareTheStreamRoundRobin) {
  for (int i = 0; i < 200; ++i)
    Apply(PutReq("h/" + std::to_string(i), "v"));
  WatchHubOptions o;
  o.batch_events = 4;
  o.max_response_bytes = 64;  // about one event per response
  StartHub(o);
  hub_->Create(stream_, Watch("z"));
  EXPECT_EQ(Created(), 0);
  hub_->Create(stream_, Watch("h/", "h0", 1));
  EXPECT_EQ(Created(), 1);
  Apply(PutReq("z", "live"));
  // Let the hub queue all of it (the stream's bound holds it), then read:
  // the live event is not behind the whole history.
  std::this_thread::sleep_for(300ms);
  size_t history = 0;
  size_t history_before_live = 0;
  bool live_seen = false;
  while (history < 200 || !live_seen) {
    WatchResponse r = Next();
    ASSERT_GT(r.events_size(), 0) << r.ShortDebugString();
    if (r.watch_id() == 0) {
      live_seen = true;
      history_before_live = history;
    } else {
      history += r.events_size();
    }
  }
  EXPECT_LE(history_before_live, 2u);  // round robin: at most one turn of the other watcher
  EXPECT_EQ(history, 200u);
}

TEST_F(WatchHubTest, FragmentsSplitOneRevision) {
  etcdserverpb::TxnRequest txn;
  for (int i = 0; i < 10; ++i) {
    auto* put = txn.add_success()->mutable_request_put();
    put->set_key("t/" + std::to_string(i));
    put->set_value(std::string(100, 'x'));
  }
  WatchHubOptions o;
  o.max_response_bytes = 300;
  StartHub(o);
  WatchCreateRequest w = Watch("t/", "t0");
  w.set_fragment(true);
  hub_->Create(stream_, w);
  Created();
  Apply(kv::testing::TxnReq(txn));
  size_t events = 0;
  int fragments = 0;
  while (events < 10) {
    WatchResponse r = Next();
    ASSERT_GT(r.events_size(), 0);
    events += r.events_size();
    if (r.fragment()) ++fragments;
    EXPECT_EQ(r.fragment(), events < 10);
  }
  EXPECT_GT(fragments, 1);
}

}  // namespace
}  // namespace cairn::api
