#pragma once

#include <grpcpp/support/status.h>

#include "base/status.h"

namespace cairn::client {

// A gRPC status as Cairn's Status: the codes are the same numbers, and the
// message is the server's own (e.g. "etcdserver: mvcc: required revision
// has been compacted"), which is what users are shown.
Status FromGrpc(const grpc::Status& status);

}  // namespace cairn::client
