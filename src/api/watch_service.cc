#include "api/watch_service.h"

#include <memory>
#include <mutex>

namespace cairn::api {

namespace {

using etcdserverpb::WatchRequest;
using etcdserverpb::WatchResponse;

class WatchReactor final : public grpc::ServerBidiReactor<WatchRequest, WatchResponse> {
 public:
  explicit WatchReactor(WatchHub* hub) : hub_(hub), link_(std::make_shared<Link>()) {
    link_->reactor = this;
    std::weak_ptr<Link> weak = link_;
    // The hub may call this after the reactor is gone: the link outlives it.
    stream_ = hub_->AddStream([weak] {
      std::shared_ptr<Link> link = weak.lock();
      if (!link) return;
      WatchReactor* reactor;
      Action a;
      {
        std::lock_guard<std::mutex> lock(link->mu);
        reactor = link->reactor;
        if (reactor == nullptr) return;
        a = reactor->MaybeWrite();
      }
      // Safe after the lock: a write in flight keeps the call (and so the
      // reactor) alive until OnWriteDone.
      reactor->Do(a);
    });
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side (or the call ended): etcd ends the
      // stream too.
      Action a;
      {
        std::lock_guard<std::mutex> lock(link_->mu);
        a = MaybeFinish(grpc::Status::OK);
      }
      Do(a);
      return;
    }
    switch (request_.request_union_case()) {
      case WatchRequest::kCreateRequest:
        hub_->Create(stream_, request_.create_request());
        break;
      case WatchRequest::kCancelRequest:
        hub_->Cancel(stream_, request_.cancel_request().watch_id());
        break;
      case WatchRequest::kProgressRequest:
        hub_->RequestProgress(stream_);
        break;
      default:
        break;  // etcd ignores an empty request
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    Action a;
    {
      std::lock_guard<std::mutex> lock(link_->mu);
      writing_ = false;
      if (!ok) {
        a = MaybeFinish(grpc::Status::OK);  // the call is broken: nothing more goes out
      } else if (finish_) {
        a = MaybeFinish(*finish_);
      } else {
        a = MaybeWrite();
      }
    }
    Do(a);
  }

  void OnCancel() override {
    Action a;
    {
      std::lock_guard<std::mutex> lock(link_->mu);
      a = MaybeFinish(grpc::Status::CANCELLED);
    }
    Do(a);
  }

  void OnDone() override {
    {
      std::lock_guard<std::mutex> lock(link_->mu);
      link_->reactor = nullptr;
    }
    hub_->RemoveStream(stream_);
    delete this;
  }

 private:
  struct Link {
    std::mutex mu;  // also the reactor's own state
    WatchReactor* reactor = nullptr;
  };

  // What to start once link_->mu is released: gRPC operations are not
  // started under our lock, in case gRPC runs a reaction inline.
  struct Action {
    bool write = false;
    std::optional<grpc::Status> finish;
  };
  void Do(const Action& a) {
    if (a.write) StartWrite(&response_);
    if (a.finish) Finish(*a.finish);
  }

  // Under link_->mu.
  Action MaybeWrite() {
    Action a;
    if (writing_ || finish_) return a;
    std::optional<WatchResponse> next = hub_->Pop(stream_);
    if (!next) return a;
    response_ = std::move(*next);
    writing_ = true;
    a.write = true;
    return a;
  }

  // Under link_->mu. Finish only once, and never with a write in flight.
  Action MaybeFinish(grpc::Status status) {
    Action a;
    if (!finish_) finish_ = status;
    if (writing_ || finished_) return a;
    finished_ = true;
    a.finish = *finish_;
    return a;
  }

  WatchHub* const hub_;
  std::shared_ptr<Link> link_;
  WatchHub::StreamId stream_ = 0;
  WatchRequest request_;
  WatchResponse response_;
  bool writing_ = false;
  bool finished_ = false;
  std::optional<grpc::Status> finish_;
};

}  // namespace

grpc::ServerBidiReactor<WatchRequest, WatchResponse>* WatchService::Watch(
    grpc::CallbackServerContext* /*ctx*/) {
  return new WatchReactor(hub_);
}

}  // namespace cairn::api
