#include "bench/noop/watch_fanout.h"

#include <algorithm>

namespace cairn::noop {

void WatchFanout::Add(WatchStream* stream, int64_t watch_id, std::string key,
                      std::string range_end) {
  std::lock_guard lock(mu_);
  watches_.push_back(Watch{stream, watch_id, std::move(key), std::move(range_end)});
}

void WatchFanout::Remove(WatchStream* stream) {
  std::lock_guard lock(mu_);
  std::erase_if(watches_, [&](const Watch& w) { return w.stream == stream; });
}

void WatchFanout::Put(const std::string& key, const std::string& value, int64_t revision) {
  std::lock_guard lock(mu_);
  for (const Watch& w : watches_) {
    bool match = w.range_end.empty()
                     ? key == w.key
                     : key >= w.key && (w.range_end == std::string(1, '\0') || key < w.range_end);
    if (!match) continue;
    etcdserverpb::WatchResponse response;
    response.set_watch_id(w.watch_id);
    response.mutable_header()->set_revision(revision);
    auto* event = response.add_events();
    event->mutable_kv()->set_key(key);
    event->mutable_kv()->set_value(value);
    event->mutable_kv()->set_mod_revision(revision);
    w.stream->Send(std::move(response));
  }
}

WatchStream::WatchStream(WatchFanout* fanout, const etcdserverpb::ResponseHeader& header)
    : fanout_(fanout), header_(header) {
  StartRead(&request_);
}

void WatchStream::Send(etcdserverpb::WatchResponse response) {
  std::lock_guard lock(mu_);
  if (closing_) return;
  outbox_.push_back(std::move(response));
  WriteNextLocked();
}

void WatchStream::WriteNextLocked() {
  if (writing_) return;
  if (!outbox_.empty()) {
    writing_ = true;
    StartWrite(&outbox_.front());
  } else if (closing_ && !finished_) {
    finished_ = true;
    Finish(grpc::Status::OK);
  }
}

void WatchStream::OnReadDone(bool ok) {
  if (!ok) {
    // The client is gone or half-closed: stop taking events, then finish
    // once what is queued is written.
    fanout_->Remove(this);
    std::lock_guard lock(mu_);
    closing_ = true;
    outbox_.clear();
    WriteNextLocked();
    return;
  }
  etcdserverpb::WatchResponse response;
  *response.mutable_header() = header_;
  if (request_.has_create_request()) {
    const auto& create = request_.create_request();
    int64_t id;
    {
      std::lock_guard lock(mu_);
      id = create.watch_id() != 0 ? create.watch_id() : next_watch_id_++;
    }
    response.set_watch_id(id);
    response.set_created(true);
    Send(std::move(response));
    fanout_->Add(this, id, create.key(), create.range_end());
  } else if (request_.has_cancel_request()) {
    response.set_watch_id(request_.cancel_request().watch_id());
    response.set_canceled(true);
    Send(std::move(response));
  }
  StartRead(&request_);
}

void WatchStream::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  if (!outbox_.empty()) outbox_.pop_front();
  if (!ok) {
    closing_ = true;
    outbox_.clear();
  }
  WriteNextLocked();
}

void WatchStream::OnDone() {
  fanout_->Remove(this);
  delete this;
}

}  // namespace cairn::noop
