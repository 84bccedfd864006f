#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"

namespace cairn::ctl {

// What `get` (alone or as a txn operation) asks for, before it becomes a
// RangeRequest.
struct GetOptions {
  std::string key;
  std::string range_end;  // optional second argument
  bool prefix = false;
  bool from_key = false;
  int64_t limit = 0;
  int64_t revision = 0;
  bool keys_only = false;
  bool count_only = false;
  std::string consistency = "l";  // l(inearizable) or s(erializable)
};

struct PutOptions {
  std::string key;
  std::string value;
  int64_t lease = 0;
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};

struct DeleteOptions {
  std::string key;
  std::string range_end;
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;
};

// Bad combinations (--prefix with a range end, an unknown consistency) are
// errors, as in etcdctl.
Result<etcdserverpb::RangeRequest> BuildRange(const GetOptions& options);
Result<etcdserverpb::PutRequest> BuildPut(const PutOptions& options);
Result<etcdserverpb::DeleteRangeRequest> BuildDelete(const DeleteOptions& options);

// A lease or member id as etcdctl prints it: hexadecimal, without 0x.
Result<uint64_t> ParseHexId(const std::string& text);
// A Go-style duration ("5s", "500ms", "2m", "1.5s"; a bare number is seconds).
Result<int64_t> ParseDurationMillis(const std::string& text);

}  // namespace cairn::ctl
