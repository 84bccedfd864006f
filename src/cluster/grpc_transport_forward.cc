#include "cluster/grpc_transport_forward.h"

#include <type_traits>
#include <utility>
#include <variant>

namespace cairn::cluster {

Code CodeFromWire(int code) {
  if (code < static_cast<int>(Code::kOk) || code > static_cast<int>(Code::kDataLoss))
    return Code::kUnknown;
  return static_cast<Code>(code);
}

void EncodeForwardResponse(Result<kv::ApplyResult> result, cairnpb::ForwardResponse* out) {
  out->Clear();
  if (!result.ok()) {
    out->set_code(static_cast<int>(result.status().code()));
    out->set_message(result.status().message());
    return;
  }
  kv::ApplyResult& r = *result;
  out->set_code(static_cast<int>(r.status.code()));
  out->set_message(r.status.message());
  if (!r.status.ok()) return;
  std::visit(
      [out](auto&& response) {
        using T = std::decay_t<decltype(response)>;
        if constexpr (std::is_same_v<T, etcdserverpb::PutResponse>) {
          *out->mutable_put() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::DeleteRangeResponse>) {
          *out->mutable_delete_range() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::TxnResponse>) {
          *out->mutable_txn() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::CompactionResponse>) {
          *out->mutable_compaction() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::LeaseGrantResponse>) {
          *out->mutable_lease_grant() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::LeaseRevokeResponse>) {
          *out->mutable_lease_revoke() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::LeaseKeepAliveResponse>) {
          *out->mutable_lease_keep_alive() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::LeaseTimeToLiveResponse>) {
          *out->mutable_lease_time_to_live() = std::move(response);
        } else if constexpr (std::is_same_v<T, etcdserverpb::AlarmResponse>) {
          *out->mutable_alarm() = std::move(response);
        }
        // std::monostate: an entry without a request has no response.
      },
      std::move(r.response));
}

kv::ApplyResult DecodeForwardResponse(cairnpb::ForwardResponse&& in) {
  kv::ApplyResult r;
  r.status = Status(CodeFromWire(in.code()), std::move(*in.mutable_message()));
  if (!r.status.ok()) return r;
  switch (in.response_case()) {
    case cairnpb::ForwardResponse::kPut:
      r.response = std::move(*in.mutable_put());
      break;
    case cairnpb::ForwardResponse::kDeleteRange:
      r.response = std::move(*in.mutable_delete_range());
      break;
    case cairnpb::ForwardResponse::kTxn:
      r.response = std::move(*in.mutable_txn());
      break;
    case cairnpb::ForwardResponse::kCompaction:
      r.response = std::move(*in.mutable_compaction());
      break;
    case cairnpb::ForwardResponse::kLeaseGrant:
      r.response = std::move(*in.mutable_lease_grant());
      break;
    case cairnpb::ForwardResponse::kLeaseRevoke:
      r.response = std::move(*in.mutable_lease_revoke());
      break;
    case cairnpb::ForwardResponse::kLeaseKeepAlive:
      r.response = std::move(*in.mutable_lease_keep_alive());
      break;
    case cairnpb::ForwardResponse::kLeaseTimeToLive:
      r.response = std::move(*in.mutable_lease_time_to_live());
      break;
    case cairnpb::ForwardResponse::kAlarm:
      r.response = std::move(*in.mutable_alarm());
      break;
    case cairnpb::ForwardResponse::RESPONSE_NOT_SET:
      break;
  }
  return r;
}

}  // namespace cairn::cluster
