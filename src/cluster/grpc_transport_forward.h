#pragma once

#include <functional>

#include "base/status.h"
#include "cairn/raft_transport.pb.h"
#include "kv/mvcc_store.h"

// Request forwarding: a follower hands a client's write to the group's
// leader (RaftPeer.Forward) and returns the leader's answer as its own.
namespace cairn::cluster {

// Same shape as Replica::ProposeDone, so that the node treats a local
// proposal and a forwarded one alike, and the leader's handler can pass it
// straight to Replica::Propose.
//
// Given to GrpcTransport::Forward: an error Result means no answer came back
// from the leader (unreachable, deadline, cancelled; the write may or may not
// have happened, as with etcd's timeouts); otherwise ApplyResult::status is
// what the leader answered, refusal or etcd error or OK, code and message
// unchanged.
using ForwardDone = std::function<void(Result<kv::ApplyResult>)>;

// Leader side: what Replica::Propose answered, in wire form. A refusal before
// applying (not leader, too many requests) and a failed apply both become
// code and message: either is the request's final gRPC status.
void EncodeForwardResponse(Result<kv::ApplyResult> result, cairnpb::ForwardResponse* out);

// Follower side. A code this version does not know becomes kUnknown (with the
// leader's message kept); never fails otherwise.
kv::ApplyResult DecodeForwardResponse(cairnpb::ForwardResponse&& in);

// gRPC's canonical codes are cairn::Code's; anything outside the range
// (UNAUTHENTICATED, garbage) is kUnknown.
Code CodeFromWire(int code);

}  // namespace cairn::cluster
