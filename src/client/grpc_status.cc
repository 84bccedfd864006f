#include "client/grpc_status.h"

namespace cairn::client {

Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return Status::Ok();
  std::string message = status.error_message();
  // gRPC's own failures (no server, deadline) carry terse messages; say
  // which kind of failure it was so the user is not left with "".
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      (message.empty() || message == "Deadline Exceeded"))
    message = "context deadline exceeded";
  // gRPC answers a method the server does not have with no message at all.
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && message.empty())
    message = "the server does not implement this request (UNIMPLEMENTED)";
  if (message.empty()) message = CodeName(static_cast<Code>(status.error_code()));
  return Status(static_cast<Code>(status.error_code()), std::move(message));
}

}  // namespace cairn::client
