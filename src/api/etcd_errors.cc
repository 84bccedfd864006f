#include "api/etcd_errors.h"

namespace cairn::api {

Status EtcdStatus(EtcdError error) {
  switch (error) {
    case EtcdError::kRequestTooLarge:
      return Status(Code::kInvalidArgument, "etcdserver: request is too large");
    case EtcdError::kNoLeader:
      return Status(Code::kUnavailable, "etcdserver: no leader");
    case EtcdError::kNotLeader:
      return Status(Code::kUnavailable, "etcdserver: not leader");
    case EtcdError::kLeaderChanged:
      return Status(Code::kUnavailable, "etcdserver: leader changed");
    case EtcdError::kTimeout:
      return Status(Code::kUnavailable, "etcdserver: request timed out");
    case EtcdError::kTooManyRequests:
      return Status(Code::kResourceExhausted, "etcdserver: too many requests");
    case EtcdError::kStopped:
      return Status(Code::kUnavailable, "etcdserver: server stopped");
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
