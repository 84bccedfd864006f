#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "etcd/etcdserverpb/rpc.pb.h"

namespace cairn::ctl {

// etcdctl's txn text, read from stdin:
//
//   value("foo") = "bar"      compares, one per line: value|val, version|ver,
//   mod("foo") > "12"         create|c, mod|m, lease, then = != < >, then a
//                             quoted value (a number for all but value)
//   <blank line>
//   put foo baz               success operations: put/get/del with their
//   get foo --prefix          command-line flags
//   <blank line>
//   del foo                   failure operations, up to a blank line or EOF
//
// Errors name the offending line.
Result<etcdserverpb::TxnRequest> ParseTxn(std::string_view text);

Result<etcdserverpb::Compare> ParseCompare(std::string_view line);
Result<etcdserverpb::RequestOp> ParseRequestOp(std::string_view line);

// Splits an operation line into words: blanks separate, '...' and "..."
// group (with \" and \\ escapes inside double quotes).
Result<std::vector<std::string>> SplitWords(std::string_view line);

}  // namespace cairn::ctl
