#include "api/internal_watch.h"

namespace cairn::api {

std::shared_ptr<InternalWatch> InternalWatch::Start(WatchHub* hub,
                                                    const etcdserverpb::WatchCreateRequest& request,
                                                    OnResponse on_response) {
  std::shared_ptr<InternalWatch> w(new InternalWatch(hub, std::move(on_response)));
  std::weak_ptr<InternalWatch> weak = w;
  {
    std::lock_guard<std::mutex> lock(w->mu_);
    w->stream_ = hub->AddStream([weak] {
      if (std::shared_ptr<InternalWatch> self = weak.lock()) self->Drain();
    });
  }
  hub->Create(w->stream_, request);
  return w;
}

InternalWatch::~InternalWatch() {
  Stop();
}

void InternalWatch::Drain() {
  bool remove = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || stream_ == 0) return;
    while (std::optional<etcdserverpb::WatchResponse> r = hub_->Pop(stream_)) {
      if (!on_response_(*r)) {
        stopped_ = true;
        remove = true;
        break;
      }
    }
  }
  if (remove) hub_->RemoveStream(stream_);
}

void InternalWatch::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  hub_->RemoveStream(stream_);
}

}  // namespace cairn::api
