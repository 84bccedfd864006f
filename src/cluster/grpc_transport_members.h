#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "cairn/raft_transport.pb.h"

namespace cairn::cluster {

// Asks the member whose peer listener is at `address` ("host:port") for the
// cluster id and member table (RaftPeer.Members). kUnavailable when it
// cannot answer within `timeout`.
Result<cairnpb::MembersResponse> FetchMembers(const std::string& address,
                                              std::chrono::milliseconds timeout);

}  // namespace cairn::cluster
