#include "cmd/cairnctl/session.h"

#include "cmd/cairnctl/interrupt.h"

namespace cairn::ctl {

Status Session::Start(int64_t ttl_seconds) {
  Result<etcdserverpb::LeaseGrantResponse> grant = client::Lease(connection_).Grant(ttl_seconds);
  if (!grant.ok()) return grant.status();
  if (!grant->error().empty()) return Status(Code::kUnknown, grant->error());
  lease_id_ = grant->id();
  keeper_ = std::make_unique<client::LeaseKeeper>(
      options_, lease_id_, grant->ttl(), [this](const Status& why) {
        End(Status(why.code(), "session lease lost: " + why.message()));
      });
  OnInterrupt([this] { End(Status::Ok()); });
  return Status::Ok();
}

void Session::End(Status why) {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    done_ = true;
    lost_ = std::move(why);
  }
  cancellation_.Cancel();
  cv_.notify_all();
}

Status Session::WaitUntilDone() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return done_; });
  return lost_;
}

Status Session::lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

Session::~Session() {
  OnInterrupt(nullptr);
  keeper_.reset();
  if (lease_id_ != 0) (void)client::Lease(connection_).Revoke(lease_id_);
}

}  // namespace cairn::ctl
