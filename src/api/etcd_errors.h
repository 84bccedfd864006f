#pragma once

#include "base/status.h"

// Server-level errors with etcd's exact gRPC code and message
// (etcdserver/api/v3rpc/rpctypes). Errors a request's content can cause are
// in kv/errors.h; together the two tables are what docs/API.md lists.
namespace cairn::api {

enum class EtcdError {
  kRequestTooLarge,  // InvalidArgument "etcdserver: request is too large"
  kNoLeader,         // Unavailable "etcdserver: no leader"
  kNotLeader,        // FailedPrecondition "etcdserver: not leader"
  kLeaderChanged,    // Unavailable "etcdserver: leader changed"
  kTimeout,          // Unavailable "etcdserver: request timed out"
  kTooManyRequests,  // ResourceExhausted "etcdserver: too many requests"
  kStopped,          // Unavailable "etcdserver: server stopped"
  // MoveLeader to a member that is not a voter (unknown, or a learner).
  kBadLeaderTransferee,  // FailedPrecondition "etcdserver: bad leader transferee"
  // MoveLeader did not finish in time. etcd has no gRPC error for it, so
  // its message travels with code Unknown.
  kTimeoutLeaderTransfer,  // Unknown "etcdserver: request timed out, leader transfer took too long"
  // Membership, decided before a change is proposed (the member table's
  // own refusals are in kv/members.h).
  kMemberBadUrls,           // InvalidArgument "etcdserver: given member URLs are invalid"
  kNotEnoughStarted,        // FailedPrecondition "etcdserver: re-configuration failed due to
                            //   not enough started members"
  kUnhealthy,               // Unavailable "etcdserver: unhealthy cluster"
  kLearnerNotReady,         // FailedPrecondition "etcdserver: can only promote a learner
                            //   member which is in sync with leader"
  kTooManyLearners,         // FailedPrecondition "etcdserver: too many learner members in cluster"
  kNotSupportedForLearner,  // Unavailable "etcdserver: rpc not supported for learner"
};

Status EtcdStatus(EtcdError error);

// Maps what the consensus layer says about a refused proposal onto etcd's
// wording ("no leader" from the Raft core becomes "etcdserver: no leader").
Status FromConsensus(const Status& s);

}  // namespace cairn::api
