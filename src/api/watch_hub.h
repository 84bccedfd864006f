#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/kv_backend.h"
#include "etcd/etcdserverpb/rpc.pb.h"
#include "kv/mvcc_store.h"

namespace cairn::api {

struct WatchHubOptions {
  // Bytes of responses a stream may have queued. A watcher whose events do
  // not fit falls back to catching up from the change log (etcd's unsynced
  // watchers), so a slow client costs this much memory and no more.
  size_t max_stream_bytes = 4 << 20;
  // Events read from the change log per step (more only when one revision
  // alone has more).
  size_t batch_events = 256;
  // Responses are split between revisions past this size; a watcher that
  // asked for `fragment` also gets one revision split into fragments.
  size_t max_response_bytes = 1 << 20;
  // etcd's progress notification interval (--experimental-watch-progress-notify-interval).
  std::chrono::milliseconds progress_interval{10 * 60 * 1000};
};

// Every watch of one node. Streams (one per Watch RPC) register watchers and
// take the responses to write with Pop; one hub thread reads the store's
// change log and fills per-watcher queues.
//
// Each watcher has next_rev, the first revision it has not been given yet.
// A synced watcher is served from the log tail the hub reads once per
// applied batch (synced_rev_ is how far that got); an unsynced one (history
// to replay, or its stream was full) is caught up alone, one bounded read
// at a time, until it reaches synced_rev_. Only the hub thread moves
// next_rev and synced_rev_.
class WatchHub {
 public:
  using HeaderFn = std::function<KvBackend::Header()>;
  using StreamId = uint64_t;

  WatchHub(const kv::MvccStore* store, HeaderFn header, WatchHubOptions options = {});
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Stops the hub thread; afterwards requests are ignored and nothing reads
  // the store (call before the store goes away).
  void Stop();
  // Something was applied. Called on the apply thread: only sets a flag.
  void Notify();

  // `wake` runs (never under the hub's lock, on any thread) when the stream
  // may have something new for Pop.
  StreamId AddStream(std::function<void()> wake);
  void RemoveStream(StreamId stream);
  void Create(StreamId stream, const etcdserverpb::WatchCreateRequest& request);
  void Cancel(StreamId stream, int64_t watch_id);
  void RequestProgress(StreamId stream);
  // The next response to write: control responses first, then one per
  // watcher in turn (round robin), so no watcher starves the others.
  std::optional<etcdserverpb::WatchResponse> Pop(StreamId stream);
  // Bytes of responses the stream has waiting (tests: the memory bound).
  size_t QueuedBytes(StreamId stream) const;

  // For metrics: open streams, their watchers, and the watchers still
  // catching up (etcd's slow watchers).
  struct Counts {
    size_t streams = 0;
    size_t watchers = 0;
    size_t unsynced = 0;
  };
  Counts counts() const;

 private:
  struct Watcher;
  struct Stream;
  struct Slice;  // complete revisions [from, upto] read from the change log

  void Run();
  void Kick();
  bool LiveStep();
  bool CatchUpStep();
  void ProgressTick();
  Result<Slice> ReadWhole(int64_t from, int64_t to) const;
  std::vector<etcdserverpb::WatchResponse> Build(const Watcher& w, const Slice& slice,
                                                 int64_t header_rev) const;
  void AddPrevKv(mvccpb::Event* ev) const;
  // Queues `out` for `w` and moves it to `next_rev`; false when the stream
  // has no room (the watcher then stays where it was). Under mu_.
  bool Enqueue(Stream& s, Watcher& w, std::vector<etcdserverpb::WatchResponse>& out,
               int64_t next_rev);
  void Header(etcdserverpb::ResponseHeader* h, int64_t revision) const;
  void WakeAll(const std::vector<std::function<void()>>& wakes);

  const kv::MvccStore* const store_;
  const HeaderFn header_;
  const WatchHubOptions options_;

  mutable std::mutex mu_;  // streams, watchers, synced_rev_, stopped_
  std::map<StreamId, std::unique_ptr<Stream>> streams_;
  StreamId next_stream_ = 1;
  int64_t synced_rev_ = 0;
  bool stopped_ = false;

  // Separate from mu_ so that Notify (apply thread) never waits for delivery.
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool kicked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::api
