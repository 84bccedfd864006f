#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "client/lease_keeper.h"
#include "cmd/cairnctl/cli.h"

namespace cairn::ctl {

// What `lock` and `elect` hold their claim with: a lease kept alive in the
// background, and one Cancellation that fires on Ctrl-C/SIGTERM or when the
// lease is lost. Ending the session revokes the lease, which releases
// whatever it owned even if an unlock or resign failed.
class Session {
 public:
  static constexpr int64_t kDefaultTtlSeconds = 60;  // etcdctl's session TTL

  Session(client::Connection& connection, client::ConnectionOptions options)
      : connection_(connection), options_(std::move(options)) {}
  ~Session();

  Status Start(int64_t ttl_seconds);
  int64_t lease_id() const { return lease_id_; }
  client::Cancellation* cancellation() { return &cancellation_; }
  // Blocks until interrupted or the lease is lost; the latter is an error.
  Status WaitUntilDone();
  // Why the session ended early, if it did: the lost lease.
  Status lost() const;
  // Ends the session normally (wakes WaitUntilDone).
  void Finish() { End(Status::Ok()); }

 private:
  void End(Status why);

  client::Connection& connection_;
  client::ConnectionOptions options_;
  client::Cancellation cancellation_;
  int64_t lease_id_ = 0;
  std::unique_ptr<client::LeaseKeeper> keeper_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status lost_;
};

}  // namespace cairn::ctl
