#include "client/kv.h"

namespace cairn::client {

using etcdserverpb::KV;

std::string PrefixEnd(const std::string& key) {
  std::string end = key;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

Result<etcdserverpb::RangeResponse> Kv::Range(const etcdserverpb::RangeRequest& request) {
  return connection_.Call<KV>(&KV::Stub::Range, request);
}

Result<etcdserverpb::PutResponse> Kv::Put(const etcdserverpb::PutRequest& request) {
  return connection_.Call<KV>(&KV::Stub::Put, request, {.idempotent = false});
}

Result<etcdserverpb::DeleteRangeResponse> Kv::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  return connection_.Call<KV>(&KV::Stub::DeleteRange, request, {.idempotent = false});
}

Result<etcdserverpb::TxnResponse> Kv::Txn(const etcdserverpb::TxnRequest& request) {
  return connection_.Call<KV>(&KV::Stub::Txn, request, {.idempotent = false});
}

Result<etcdserverpb::CompactionResponse> Kv::Compact(
    const etcdserverpb::CompactionRequest& request) {
  // A second compaction to the same revision fails, so a retried one whose
  // first attempt succeeded would report an error: do not retry.
  return connection_.Call<KV>(&KV::Stub::Compact, request, {.idempotent = false});
}

}  // namespace cairn::client
