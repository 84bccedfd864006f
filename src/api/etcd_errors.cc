#include "api/etcd_errors.h"

namespace cairn::api {

Status EtcdStatus(EtcdError error) {
  switch (error) {
    case EtcdError::kRequestTooLarge:
      return Status(Code::kInvalidArgument, "etcdserver: request is too large");
    case EtcdError::kNoLeader:
      return Status(Code::kUnavailable, "etcdserver: no leader");
    case EtcdError::kNotLeader:
      return Status(Code::kFailedPrecondition, "etcdserver: not leader");
    case EtcdError::kLeaderChanged:
      return Status(Code::kUnavailable, "etcdserver: leader changed");
    case EtcdError::kTimeout:
      return Status(Code::kUnavailable, "etcdserver: request timed out");
    case EtcdError::kTooManyRequests:
      return Status(Code::kResourceExhausted, "etcdserver: too many requests");
    case EtcdError::kStopped:
      return Status(Code::kUnavailable, "etcdserver: server stopped");
    case EtcdError::kBadLeaderTransferee:
      return Status(Code::kFailedPrecondition, "etcdserver: bad leader transferee");
    case EtcdError::kTimeoutLeaderTransfer:
      return Status(Code::kUnknown, "etcdserver: request timed out, leader transfer took too long");
    case EtcdError::kMemberBadUrls:
      return Status(Code::kInvalidArgument, "etcdserver: given member URLs are invalid");
    case EtcdError::kNotEnoughStarted:
      return Status(Code::kFailedPrecondition,
                    "etcdserver: re-configuration failed due to not enough started members");
    case EtcdError::kUnhealthy:
      return Status(Code::kUnavailable, "etcdserver: unhealthy cluster");
    case EtcdError::kLearnerNotReady:
      return Status(Code::kFailedPrecondition,
                    "etcdserver: can only promote a learner member which is in sync with leader");
    case EtcdError::kTooManyLearners:
      return Status(Code::kFailedPrecondition, "etcdserver: too many learner members in cluster");
    case EtcdError::kNotSupportedForLearner:
      return Status(Code::kUnavailable, "etcdserver: rpc not supported for learner");
  }
  return Status(Code::kInternal, "unknown error");
}

Status FromConsensus(const Status& s) {
  if (s.ok() || s.message().rfind("etcdserver: ", 0) == 0) return s;
  if (s.code() == Code::kUnavailable) return EtcdStatus(EtcdError::kNoLeader);
  if (s.code() == Code::kFailedPrecondition) return EtcdStatus(EtcdError::kNotLeader);
  if (s.code() == Code::kResourceExhausted) return EtcdStatus(EtcdError::kTooManyRequests);
  return s;
}

}  // namespace cairn::api
