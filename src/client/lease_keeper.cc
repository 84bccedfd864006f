#include "client/lease_keeper.h"

#include <algorithm>
#include <chrono>

namespace cairn::client {

LeaseKeeper::LeaseKeeper(ConnectionOptions options, int64_t lease_id, int64_t ttl_seconds,
                         std::function<void(const Status&)> on_lost)
    : connection_(std::move(options)),
      lease_id_(lease_id),
      ttl_seconds_(std::max<int64_t>(ttl_seconds, 1)),
      on_lost_(std::move(on_lost)),
      thread_([this] { Run(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cancellation_.Cancel();
  cv_.notify_all();
  thread_.join();
}

void LeaseKeeper::Run() {
  using Clock = std::chrono::steady_clock;
  KeepAliveStream stream(connection_, &cancellation_);
  const auto period = std::chrono::milliseconds(ttl_seconds_ * 1000 / 3);
  auto expires = Clock::now() + std::chrono::seconds(ttl_seconds_);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Result<etcdserverpb::LeaseKeepAliveResponse> r = stream.Send(lease_id_);
    lock.lock();
    if (stopping_) return;
    Status lost;
    if (r.ok() && r->ttl() <= 0) {
      lost = Status(Code::kNotFound, "etcdserver: requested lease not found");
    } else if (r.ok()) {
      expires = Clock::now() + std::chrono::seconds(r->ttl());
    } else if (Clock::now() >= expires) {
      lost = r.status();
    }
    if (!lost.ok()) {
      lock.unlock();
      on_lost_(lost);
      return;
    }
    // Retry failures sooner than the regular period.
    cv_.wait_for(lock, r.ok() ? period : std::chrono::milliseconds(500),
                 [this] { return stopping_; });
  }
}

}  // namespace cairn::client
