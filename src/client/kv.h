#pragma once

#include <string>

#include "client/connection.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace cairn::client {

// The range end that makes [key, end) cover every key starting with `key`
// (etcd's rule: increment the last byte below 0xff; "\0" when there is none,
// meaning "to the end of the keyspace").
std::string PrefixEnd(const std::string& key);

// etcd's KV service: reads retry on another endpoint; writes only when the
// server cannot have applied them (see ShouldTryNextEndpoint).
class Kv {
 public:
  explicit Kv(Connection& connection) : connection_(connection) {}

  Result<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  Result<etcdserverpb::PutResponse> Put(const etcdserverpb::PutRequest& request);
  Result<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  Result<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request);
  Result<etcdserverpb::CompactionResponse> Compact(const etcdserverpb::CompactionRequest& request);

 private:
  Connection& connection_;
};

}  // namespace cairn::client
