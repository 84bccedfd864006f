#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"

namespace cairn::ctl {

// The three output formats of `-w`.
enum class OutputFormat { kSimple, kJson, kTable };
Result<OutputFormat> ParseOutputFormat(const std::string& name);

// etcdctl's "simple" text for each response. Every line ends in '\n'.
std::string SimpleKv(const mvccpb::KeyValue& kv);  // key, then value
std::string SimpleRange(const etcdserverpb::RangeResponse& r);
std::string SimplePut(const etcdserverpb::PutResponse& r);
std::string SimpleDelete(const etcdserverpb::DeleteRangeResponse& r);
std::string SimpleTxn(const etcdserverpb::TxnResponse& r);
std::string SimpleWatch(const etcdserverpb::WatchResponse& r);
std::string SimpleMember(const etcdserverpb::Member& m);  // one line of `member list`
std::string SimpleAlarms(const etcdserverpb::AlarmResponse& r);

// One JSON document on one line.
std::string JsonLine(const google::protobuf::Message& message);

}  // namespace cairn::ctl
