#include "api/watch_hub.h"

#include "api/watch_hub_state.h"
#include "base/logging.h"

// Requests from streams: registering and canceling watchers, taking
// responses to write. The hub thread's side is in watch_hub_deliver.cc.
namespace cairn::api {

WatchHub::WatchHub(const kv::MvccStore* store, HeaderFn header, WatchHubOptions options)
    : store_(store), header_(std::move(header)), options_(options) {
  synced_rev_ = store_->current_revision();
  thread_ = std::thread([this] { Run(); });
}

WatchHub::~WatchHub() {
  Stop();
}

void WatchHub::Stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
}

void WatchHub::Notify() {
  Kick();
}

void WatchHub::Kick() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    kicked_ = true;
  }
  wake_cv_.notify_one();
}

void WatchHub::Header(etcdserverpb::ResponseHeader* h, int64_t revision) const {
  KvBackend::Header b = header_();
  h->set_cluster_id(b.cluster_id);
  h->set_member_id(b.member_id);
  h->set_raft_term(b.raft_term);
  h->set_revision(revision);
}

void WatchHub::WakeAll(const std::vector<std::function<void()>>& wakes) {
  for (const auto& wake : wakes)
    wake();
}

WatchHub::StreamId WatchHub::AddStream(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(mu_);
  StreamId id = next_stream_++;
  auto s = std::make_unique<Stream>();
  s->wake = std::move(wake);
  streams_.emplace(id, std::move(s));
  return id;
}

void WatchHub::RemoveStream(StreamId stream) {
  std::unique_ptr<Stream> gone;  // destroyed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  for (auto& [id, w] : it->second->watchers)
    w->removed = true;
  gone = std::move(it->second);
  streams_.erase(it);
}

void WatchHub::Create(StreamId stream, const etcdserverpb::WatchCreateRequest& req) {
  std::function<void()> wake;
  bool history = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(stream);
    if (stopped_ || it == streams_.end()) return;
    Stream& s = *it->second;
    auto w = std::make_shared<Watcher>();
    // etcd: an empty key means "\0", the smallest; range_end "\0" means
    // every key from `key` on.
    w->key = req.key().empty() ? std::string(1, '\0') : req.key();
    if (req.range_end() == std::string(1, '\0')) {
      w->open_end = true;
    } else {
      w->end = req.range_end();
    }
    for (int f : req.filters()) {
      if (f == etcdserverpb::WatchCreateRequest::NOPUT) w->no_put = true;
      if (f == etcdserverpb::WatchCreateRequest::NODELETE) w->no_delete = true;
    }
    w->prev_kv = req.prev_kv();
    w->progress_notify = req.progress_notify();
    w->fragment = req.fragment();
    const int64_t current = store_->current_revision();
    etcdserverpb::WatchResponse created;
    Header(created.mutable_header(), current);
    created.set_created(true);
    // etcd's refusals: created and canceled at once, watch_id -1.
    std::string refused;
    if (!w->end.empty() && w->key >= w->end) refused = "mvcc: watcher range is empty";
    if (req.watch_id() != 0 && s.watchers.count(req.watch_id())) {
      refused = "mvcc: duplicate watch ID provided on the WatchStream";
    }
    if (!refused.empty()) {
      created.set_watch_id(-1);
      created.set_canceled(true);
      created.set_cancel_reason(refused);
      s.bytes += created.ByteSizeLong();
      s.control.push_back(std::move(created));
    } else {
      if (req.watch_id() != 0) {
        w->id = req.watch_id();
      } else {
        while (s.watchers.count(s.next_id))
          ++s.next_id;
        w->id = s.next_id++;
      }
      w->next_rev = req.start_revision() > 0 ? req.start_revision() : current + 1;
      // Revisions the hub thread has already passed are history to replay.
      w->synced = w->next_rev > synced_rev_;
      history = !w->synced;
      created.set_watch_id(w->id);
      s.bytes += created.ByteSizeLong();
      w->queue.push_back(std::move(created));
      s.watchers.emplace(w->id, std::move(w));
    }
    wake = s.wake;
  }
  if (history) Kick();
  wake();
}

void WatchHub::Cancel(StreamId stream, int64_t watch_id) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(stream);
    if (stopped_ || it == streams_.end()) return;
    Stream& s = *it->second;
    auto w = s.watchers.find(watch_id);
    // etcd answers only a cancel of a watcher that exists.
    if (w == s.watchers.end() || w->second->closing) return;
    for (const auto& r : w->second->queue)
      s.bytes -= r.ByteSizeLong();
    w->second->queue.clear();
    w->second->removed = true;
    s.watchers.erase(w);
    etcdserverpb::WatchResponse canceled;
    Header(canceled.mutable_header(), store_->current_revision());
    canceled.set_watch_id(watch_id);
    canceled.set_canceled(true);
    s.bytes += canceled.ByteSizeLong();
    s.control.push_back(std::move(canceled));
    wake = s.wake;
  }
  wake();
}

void WatchHub::RequestProgress(StreamId stream) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(stream);
    if (stopped_ || it == streams_.end()) return;
    it->second->control.emplace_back();  // placeholder, filled by Pop
    it->second->control.back().set_watch_id(-1);
    wake = it->second->wake;
  }
  wake();
}

std::optional<etcdserverpb::WatchResponse> WatchHub::Pop(StreamId stream) {
  std::optional<etcdserverpb::WatchResponse> out;
  bool kick = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return out;
    Stream& s = *it->second;
    bool queues_empty = true;
    for (auto& [id, w] : s.watchers)
      queues_empty = queues_empty && w->queue.empty();
    if (!s.control.empty()) {
      etcdserverpb::WatchResponse& front = s.control.front();
      // A progress answer promises every event up to its revision was sent:
      // it waits until the watchers' queues are written, and names the
      // lowest revision all of them have been given.
      const bool progress = !front.has_header() && front.watch_id() == -1;
      if (!progress || queues_empty) {
        if (progress) {
          int64_t rev = synced_rev_;
          for (auto& [id, w] : s.watchers)
            rev = std::min(rev, w->next_rev - 1);
          Header(front.mutable_header(), rev);
        } else {
          s.bytes -= front.ByteSizeLong();
        }
        out = std::move(front);
        s.control.pop_front();
        return out;
      }
    }
    if (queues_empty) return out;
    // Round robin: the first watcher after the last one served.
    auto start = s.has_last ? s.watchers.upper_bound(s.last_served) : s.watchers.begin();
    auto pick = s.watchers.end();
    for (auto w = start; w != s.watchers.end(); ++w) {
      if (!w->second->queue.empty()) {
        pick = w;
        break;
      }
    }
    if (pick == s.watchers.end()) {
      for (auto w = s.watchers.begin(); w != start; ++w) {
        if (!w->second->queue.empty()) {
          pick = w;
          break;
        }
      }
    }
    CAIRN_CHECK(pick != s.watchers.end());
    Watcher& w = *pick->second;
    s.bytes -= w.queue.front().ByteSizeLong();
    out = std::move(w.queue.front());
    w.queue.pop_front();
    s.last_served = w.id;
    s.has_last = true;
    if (w.closing && w.queue.empty()) {
      w.removed = true;
      s.watchers.erase(pick);
    }
    // Room again: watchers that fell behind can be caught up.
    for (auto& [id, x] : s.watchers)
      kick = kick || (!x->synced && !x->closing);
    kick = kick && s.bytes < options_.max_stream_bytes;
  }
  if (kick) Kick();
  return out;
}

size_t WatchHub::QueuedBytes(StreamId stream) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second->bytes;
}

WatchHub::Counts WatchHub::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  Counts c;
  c.streams = streams_.size();
  for (const auto& [id, stream] : streams_) {
    c.watchers += stream->watchers.size();
    for (const auto& [watch_id, w] : stream->watchers)
      c.unsynced += w->synced ? 0 : 1;
  }
  return c;
}

}  // namespace cairn::api
