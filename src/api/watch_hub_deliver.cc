#include "api/watch_hub.h"
#include "api/watch_hub_state.h"
#include "base/logging.h"

// The hub thread: reads the change log after each applied batch and fills
// the watchers' queues; catches lagging watchers up; progress ticks.
namespace cairn::api {

namespace {

bool Compacted(const kv::MvccStore& store, int64_t from) {
  return from < store.compacted_revision();
}

}  // namespace

void WatchHub::Run() {
  auto next_tick = std::chrono::steady_clock::now() + options_.progress_interval;
  bool more = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      if (!more) {
        wake_cv_.wait_until(lock, next_tick, [&] { return kicked_ || stopping_; });
      }
      if (stopping_) return;
      kicked_ = false;
    }
    // One live step, then one round of catch-up: a fast writer cannot keep
    // lagging watchers from being served, nor the other way round.
    more = LiveStep();
    more = CatchUpStep() || more;
    if (std::chrono::steady_clock::now() >= next_tick) {
      ProgressTick();
      next_tick = std::chrono::steady_clock::now() + options_.progress_interval;
    }
  }
}

Result<WatchHub::Slice> WatchHub::ReadWhole(int64_t from, int64_t to) const {
  size_t max = options_.batch_events;
  while (true) {
    Result<std::vector<mvccpb::Event>> r = store_->Changes(from, max);
    if (!r.ok()) return r.status();
    const bool full = r->size() >= max;
    Slice slice;
    slice.events = std::move(*r);
    bool past_to = false;
    while (!slice.events.empty() && slice.events.back().kv().mod_revision() > to) {
      slice.events.pop_back();
      past_to = true;
    }
    if (!full || past_to) {
      slice.upto = to;
      return slice;
    }
    const int64_t last = slice.events.back().kv().mod_revision();
    if (slice.events.front().kv().mod_revision() == last) {
      max *= 2;  // one revision alone fills the batch: read all of it
      continue;
    }
    // The batch may have cut the last revision short; leave it for next time.
    while (slice.events.back().kv().mod_revision() == last)
      slice.events.pop_back();
    slice.upto = last - 1;
    return slice;
  }
}

void WatchHub::AddPrevKv(mvccpb::Event* ev) const {
  const int64_t rev = ev->kv().mod_revision();
  if (ev->type() == mvccpb::Event::PUT && ev->kv().version() == 1) return;  // a creation
  if (rev - 1 < 1) return;
  etcdserverpb::RangeRequest req;
  req.set_key(ev->kv().key());
  req.set_revision(rev - 1);
  // Not available once compacted: etcd then sends the event without it.
  Result<etcdserverpb::RangeResponse> r = store_->Range(req);
  if (r.ok() && r->kvs_size() == 1) *ev->mutable_prev_kv() = r->kvs(0);
}

std::vector<etcdserverpb::WatchResponse> WatchHub::Build(const Watcher& w, const Slice& slice,
                                                         int64_t header_rev) const {
  std::vector<etcdserverpb::WatchResponse> out;
  etcdserverpb::WatchResponse cur;
  size_t bytes = 0;
  int64_t last_rev = 0;
  auto flush = [&](bool fragment) {
    Header(cur.mutable_header(), header_rev);
    cur.set_watch_id(w.id);
    cur.set_fragment(fragment);
    out.push_back(std::move(cur));
    cur = etcdserverpb::WatchResponse();
    bytes = 0;
  };
  for (const mvccpb::Event& ev : slice.events) {
    const int64_t rev = ev.kv().mod_revision();
    if (rev < w.next_rev || !w.Matches(ev.kv().key())) continue;
    if (ev.type() == mvccpb::Event::PUT ? w.no_put : w.no_delete) continue;
    mvccpb::Event copy = ev;
    if (w.prev_kv) AddPrevKv(&copy);
    const size_t size = copy.ByteSizeLong();
    if (cur.events_size() > 0 && bytes + size > options_.max_response_bytes) {
      // Split between revisions; inside one only for a watcher that can
      // put fragments back together.
      if (rev != last_rev) {
        flush(false);
      } else if (w.fragment) {
        flush(true);
      }
    }
    *cur.add_events() = std::move(copy);
    bytes += size;
    last_rev = rev;
  }
  if (cur.events_size() > 0) flush(false);
  return out;
}

bool WatchHub::Enqueue(Stream& s, Watcher& w, std::vector<etcdserverpb::WatchResponse>& out,
                       int64_t next_rev) {
  if (w.removed || w.closing) return true;
  size_t size = 0;
  for (const auto& r : out)
    size += r.ByteSizeLong();
  // An empty stream always takes one batch, so a batch larger than the
  // bound still goes through.
  if (!out.empty() && s.bytes > 0 && s.bytes + size > options_.max_stream_bytes) return false;
  for (auto& r : out)
    w.queue.push_back(std::move(r));
  s.bytes += size;
  if (!out.empty()) w.sent_since_tick = true;
  w.next_rev = std::max(w.next_rev, next_rev);
  return true;
}

bool WatchHub::LiveStep() {
  const int64_t current = store_->current_revision();
  int64_t from;
  {
    std::lock_guard<std::mutex> lock(mu_);
    from = synced_rev_ + 1;
  }
  if (current < from) return false;
  Result<Slice> slice = ReadWhole(from, current);
  if (!slice.ok()) {
    if (!Compacted(*store_, from)) {
      CAIRN_LOG(ERROR) << "watch: cannot read the change log from " << from << ": "
                       << slice.status().message();
      return false;
    }
    // Compacted before the hub read it (a snapshot installed, or a quick
    // compaction): every synced watcher goes through catch-up, which
    // cancels the ones that lost events.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sid, s] : streams_) {
      for (auto& [id, w] : s->watchers)
        w->synced = false;
    }
    synced_rev_ = current;
    return true;
  }
  struct Item {
    StreamId stream;
    std::shared_ptr<Watcher> w;
  };
  std::vector<Item> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sid, s] : streams_) {
      for (auto& [id, w] : s->watchers) {
        if (w->synced && !w->closing) items.push_back({sid, w});
      }
    }
  }
  std::vector<std::vector<etcdserverpb::WatchResponse>> built;
  built.reserve(items.size());
  for (const Item& item : items)
    built.push_back(Build(*item.w, *slice, slice->upto));
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < items.size(); ++i) {
      auto s = streams_.find(items[i].stream);
      if (s == streams_.end()) continue;
      const bool any = !built[i].empty();
      if (!Enqueue(*s->second, *items[i].w, built[i], slice->upto + 1)) {
        items[i].w->synced = false;  // its stream is full: catch up later
      } else if (any) {
        wakes.push_back(s->second->wake);
      }
    }
    synced_rev_ = slice->upto;
    // Watchers created during this step with revisions it covered were not
    // in `items`: they catch up on their own.
    for (auto& [sid, s] : streams_) {
      for (auto& [id, w] : s->watchers) {
        if (w->synced && w->next_rev <= synced_rev_) w->synced = false;
      }
    }
  }
  WakeAll(wakes);
  return slice->upto < current;
}

bool WatchHub::CatchUpStep() {
  struct Item {
    StreamId stream;
    std::shared_ptr<Watcher> w;
  };
  std::vector<Item> items;
  int64_t target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    target = synced_rev_;
    for (auto& [sid, s] : streams_) {
      if (s->bytes >= options_.max_stream_bytes) continue;  // Pop kicks when there is room
      for (auto& [id, w] : s->watchers) {
        if (!w->synced && !w->closing) items.push_back({sid, w});
      }
    }
  }
  bool more = false;
  std::vector<std::function<void()>> wakes;
  for (const Item& item : items) {
    Watcher& w = *item.w;
    if (w.next_rev > target) {
      std::lock_guard<std::mutex> lock(mu_);
      w.synced = true;
      continue;
    }
    Result<Slice> slice = ReadWhole(w.next_rev, target);
    if (!slice.ok() && Compacted(*store_, w.next_rev)) {
      // etcd: the watcher gets the compacted revision and is canceled.
      std::lock_guard<std::mutex> lock(mu_);
      auto s = streams_.find(item.stream);
      if (s == streams_.end() || w.removed) continue;
      etcdserverpb::WatchResponse r;
      Header(r.mutable_header(), store_->current_revision());
      r.set_watch_id(w.id);
      r.set_compact_revision(store_->compacted_revision());
      r.set_canceled(true);
      s->second->bytes += r.ByteSizeLong();
      w.queue.push_back(std::move(r));
      w.closing = true;
      wakes.push_back(s->second->wake);
      continue;
    }
    if (!slice.ok()) {
      CAIRN_LOG(ERROR) << "watch: cannot read the change log from " << w.next_rev << ": "
                       << slice.status().message();
      continue;
    }
    std::vector<etcdserverpb::WatchResponse> out = Build(w, *slice, slice->upto);
    std::lock_guard<std::mutex> lock(mu_);
    auto s = streams_.find(item.stream);
    if (s == streams_.end()) continue;
    const bool any = !out.empty();
    if (!Enqueue(*s->second, w, out, slice->upto + 1)) continue;  // full: Pop kicks
    if (any) wakes.push_back(s->second->wake);
    if (slice->upto >= target) {
      w.synced = true;
    } else {
      more = true;
    }
  }
  WakeAll(wakes);
  return more;
}

void WatchHub::ProgressTick() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [sid, s] : streams_) {
      bool any = false;
      for (auto& [id, w] : s->watchers) {
        // etcd notifies synced watchers that had nothing to send.
        if (w->progress_notify && w->synced && !w->closing && w->queue.empty() &&
            !w->sent_since_tick) {
          etcdserverpb::WatchResponse r;
          Header(r.mutable_header(), std::min(synced_rev_, w->next_rev - 1));
          r.set_watch_id(w->id);
          s->bytes += r.ByteSizeLong();
          w->queue.push_back(std::move(r));
          any = true;
        }
        w->sent_since_tick = false;
      }
      if (any) wakes.push_back(s->wake);
    }
  }
  WakeAll(wakes);
}

}  // namespace cairn::api
