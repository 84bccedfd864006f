#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "client/cancellation.h"
#include "client/endpoints.h"
#include "client/grpc_status.h"

namespace cairn::client {

struct ConnectionOptions {
  std::vector<std::string> endpoints;  // gRPC targets ("host:port")
  // The whole budget of one unary call, across every endpoint it tries.
  std::chrono::milliseconds command_timeout{5000};
};

struct CallOptions {
  // Whether repeating the call after an ambiguous failure is harmless.
  bool idempotent = true;
  // For calls that block until something happens (lock, campaign): no
  // deadline; they end when answered or cancelled.
  bool wait_forever = false;
  Cancellation* cancellation = nullptr;
};

// The error of a call cancelled by the user.
inline Status CancelledByUser() {
  return Status(Code::kCancelled, "context canceled");
}

// Channels to a list of endpoints and the failover rule between them. Each
// service area (kv.h, lease.h, ...) wraps one of these; it is not
// thread-safe except where a class says otherwise (streams open their own
// contexts and only read the channels).
class Connection {
 public:
  explicit Connection(ConnectionOptions options);

  const std::vector<std::string>& endpoints() const { return options_.endpoints; }
  std::chrono::milliseconds command_timeout() const { return options_.command_timeout; }
  // The endpoint that answered last: where the next call goes first.
  size_t preferred() const { return preferred_; }
  void set_preferred(size_t i) { preferred_ = i; }
  const std::shared_ptr<grpc::Channel>& channel(size_t i) const { return channels_[i]; }
  std::chrono::system_clock::time_point NewDeadline() const {
    return std::chrono::system_clock::now() + options_.command_timeout;
  }

  // Calls `method` on the preferred endpoint, then on the next ones while
  // ShouldTryNextEndpoint allows, all within one command timeout.
  template <typename Service, typename Request, typename Response>
  Result<Response> Call(grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Request&,
                                                              Response*),
                        const Request& request, CallOptions options = {}) {
    auto deadline = NewDeadline();
    Status last(Code::kUnavailable, "no endpoints");
    for (size_t i : EndpointOrder(channels_.size(), preferred_)) {
      auto stub = Service::NewStub(channels_[i]);
      grpc::ClientContext ctx;
      if (!options.wait_forever) ctx.set_deadline(deadline);
      AttachedContext attached(options.cancellation, &ctx);
      if (!attached.attached()) return CancelledByUser();
      Response response;
      last = FromGrpc(((*stub).*method)(&ctx, request, &response));
      if (last.ok()) {
        preferred_ = i;
        return response;
      }
      if (options.cancellation != nullptr && options.cancellation->cancelled())
        return CancelledByUser();
      if (!ShouldTryNextEndpoint(last, options.idempotent)) break;
    }
    return last;
  }

 private:
  ConnectionOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  size_t preferred_ = 0;
};

}  // namespace cairn::client
