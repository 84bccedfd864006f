#pragma once

// WatchHub's internal state, shared by watch_hub.cc (requests from streams)
// and watch_hub_deliver.cc (the hub thread). Not for other users.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/watch_hub.h"

namespace cairn::api {

struct WatchHub::Watcher {
  // Immutable after Create.
  int64_t id = 0;
  std::string key;
  std::string end;        // empty: the key alone (unless open_end)
  bool open_end = false;  // range_end "\0": every key >= key
  bool no_put = false;
  bool no_delete = false;
  bool prev_kv = false;
  bool progress_notify = false;
  bool fragment = false;

  // Hub thread after Create; read under mu_ elsewhere.
  int64_t next_rev = 0;
  bool synced = false;

  // Under mu_.
  bool removed = false;  // canceled; its queue is gone
  bool closing = false;  // compaction-canceled: dropped once its queue drains
  std::deque<etcdserverpb::WatchResponse> queue;
  bool sent_since_tick = false;  // events queued since the last progress tick

  bool Matches(const std::string& k) const {
    if (open_end) return k >= key;
    if (end.empty()) return k == key;
    return k >= key && k < end;
  }
};

struct WatchHub::Stream {
  std::function<void()> wake;
  std::map<int64_t, std::shared_ptr<Watcher>> watchers;
  // Responses not tied to a watcher's event order: cancel confirmations,
  // refused creates, progress answers.
  std::deque<etcdserverpb::WatchResponse> control;
  size_t bytes = 0;  // queued response bytes, control included
  int64_t next_id = 0;
  int64_t last_served = -1;  // round robin position (a watch id)
  bool has_last = false;
};

struct WatchHub::Slice {
  std::vector<mvccpb::Event> events;  // revisions [from, upto], whole
  int64_t upto = 0;
};

}  // namespace cairn::api
