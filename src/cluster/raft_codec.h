#pragma once

#include "base/status.h"
#include "cairn/raft_transport.pb.h"
#include "consensus/raft/types.h"

// Converts Raft messages to and from their wire form
// (proto/cairn/raft_transport.proto). Every field of raft::Message travels;
// a round trip gives back an equal message.
//
// FromProto checks only what the wire format can get wrong (an enum value
// this version does not know); whether the message makes sense is the Raft
// core's business (Raft::Step refuses malformed messages). It never crashes
// on any input, and leaves *out untouched when it fails.
//
// The rvalue overloads move entry data and snapshot chunks instead of
// copying them: a message leaves a Ready, and arrives off the wire, once.
namespace cairn::cluster {

void ToProto(const raft::Message& in, cairnpb::RaftMessage* out);
void ToProto(raft::Message&& in, cairnpb::RaftMessage* out);

Status FromProto(const cairnpb::RaftMessage& in, raft::Message* out);
Status FromProto(cairnpb::RaftMessage&& in, raft::Message* out);

}  // namespace cairn::cluster
